"""Derived views computed ahead: the pages' heavy results (indicators, community views,
verdicts, overview and coverage tables) computed once from a store's data and stored beside
it, keyed by everything they came from, so a page looks them up instead of computing them.

    derived/compute.py    what is computed ahead, with which arguments (the pages' defaults)
    derived/keys.py       the key: the stores' manifests, the code, the libraries, the arguments
    derived/codec.py      a result as Parquet frames and plotly JSON, every file hashed
    derived/folder.py     one key's results in a folder, written atomically, looked up safely
    derived/background.py the recompute after a refresh publishes, in a thread

A key that does not match is never served: the caller computes live instead.
"""
