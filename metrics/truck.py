"""Truck factor after Avelino, Passos, Hora and Valente, "A novel approach for estimating truck
factors" (ICPC 2016): how many developers would have to leave before most of a project's source
files have nobody left who knows them.

Pure functions: a frame of file changes in (`collectors.gitfiles.file_changes` makes one from
a git history), a frame or a record out. Definitions, with the paper's constants:

- *Degree of authorship* of developer d over file f:
  DOA(d, f) = 3.293 + 1.098·FA + 0.164·DL − 0.321·ln(1 + AC), where FA is 1 when d made the
  first commit that added f, DL is the number of commits of d that touched f (the one adding
  it included) and AC the number of commits of other developers that touched f.
- d is an *author* of f when DOA(d, f) / max over developers of DOA(·, f) > 0.75 and
  DOA(d, f) ≥ 3.293 (the paper's thresholds: close to the file's top author, and with first
  authorship and own changes at least making up for the changes of others).
- *Truck factor*: remove the developer who authors the most files (ties: the smaller id),
  again and again, until more than `share` (50 %) of the files have no author left
  ("abandoned"); the number removed. None when there are no files.

Which files: those at HEAD (`files_at_head`) whose name ends in one of `SOURCE_EXTENSIONS`,
and that the history touched at all. History follows renames: `R old -> new` gives new the
history of old, so a moved file keeps its creator. The old name keeps its history too, as a
deleted file does: a file added again under it later continues it (its creator is who added
it first), and so do changes made to it on a branch where the rename had not happened yet
(git lists a history with branches in one line). A file deleted for good is not at HEAD, so
it does not count. Merge commits and bots are the collector's to leave out: a merge repeats
the work of the commits it brings in. So a file whose add only a merge holds (old Subversion
merges of unconnected branches: 8 of numpy's 988 source files) has no creator: nobody's FA
is 1 for it.

Caveat: people are who the history says they are (after .mailmap); one person committing
under two unmapped addresses is two developers, each with a lower degree of authorship.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

# Source files, by extension (case matters: `.R` and `.r` are both R). The paper filtered
# non-source files (documentation, data, configuration, vendored code) with GitHub Linguist;
# a fixed list of the languages of this project's ecosystem (Python and its C/C++/CUDA
# extensions, Rust, Go, JavaScript/TypeScript, JVM languages, Swift/Objective-C, Julia, R)
# is the stated, reproducible stand-in. Vendored code in these languages still counts.
SOURCE_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".py", ".pyx", ".pxd",
        ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".cu", ".cuh",
        ".rs", ".go",
        ".js", ".jsx", ".ts", ".tsx",
        ".java", ".scala", ".kt",
        ".swift", ".m", ".mm",
        ".jl", ".r", ".R",
    }
)  # fmt: skip

# Degree of authorship: the paper's weights (fitted by Fritz et al.) and author thresholds.
DOA_BASE = 3.293
DOA_FIRST_AUTHORSHIP = 1.098
DOA_DELIVERIES = 0.164
DOA_ACCEPTANCES = 0.321
AUTHOR_NORMALIZED = 0.75  # an author's DOA is more than this share of the file's top DOA
AUTHOR_ABSOLUTE = DOA_BASE  # ... and at least the DOA of nobody special

CHANGE_COLUMNS = ("author", "status", "path", "old_path")
AUTHORSHIP_COLUMNS = ["file", "author", "fa", "dl", "ac", "doa", "normalized", "is_author"]


@dataclass(frozen=True)
class TruckFactor:
    """A project's truck factor, with what it was computed over."""

    value: int  # developers removed before more than `share` of the files were abandoned
    files: int  # source files at HEAD with a history
    authors: int  # developers who author at least one of them
    removed: tuple[str, ...]  # the developers removed, in order


def is_source_file(path: str, extensions: Collection[str] = SOURCE_EXTENSIONS) -> bool:
    return PurePosixPath(path).suffix in extensions


def authorship(
    changes: pd.DataFrame,
    files_at_head: Iterable[str] | None = None,
    *,
    extensions: Collection[str] | None = SOURCE_EXTENSIONS,
) -> pd.DataFrame:
    """One row per (file, developer who touched it): `fa`, `dl`, `ac`, `doa`, `normalized` (DOA
    over the file's top DOA) and `is_author`, for the files counted (see the module docstring),
    by file, then DOA from the highest.

    `changes` holds one row per file a commit touched, oldest commit first: `author` (an id),
    `status` ('A' added, 'M' modified, 'D' deleted, 'R' renamed from `old_path`; 'C', a copy,
    counts as an add; any other letter as a change), `path`. `files_at_head` are the files at
    the end of the history; None takes those the history leaves undeleted. `extensions=None`
    counts every file. Raises ValueError when a column is missing.
    """
    missing = [c for c in CHANGE_COLUMNS if c not in changes.columns]
    if missing:
        raise ValueError(f"changes lack the columns {missing}")
    creators, counts, deleted = _follow(changes)
    if files_at_head is None:
        kept = [path for path in counts if path not in deleted]
    else:
        kept = [path for path in dict.fromkeys(files_at_head) if path in counts]
    if extensions is not None:
        kept = [path for path in kept if is_source_file(path, extensions)]
    if not kept:
        return _empty_authorship()
    per = pd.DataFrame(
        [(path, author, dl) for path in kept for author, dl in counts[path].items()],
        columns=["file", "author", "dl"],
    )
    per["ac"] = per.groupby("file")["dl"].transform("sum") - per["dl"]
    per["fa"] = (per["author"] == per["file"].map(creators)).astype(int)  # no creator: 0
    per["doa"] = (
        DOA_BASE
        + DOA_FIRST_AUTHORSHIP * per["fa"]
        + DOA_DELIVERIES * per["dl"]
        - DOA_ACCEPTANCES * np.log1p(per["ac"])
    )
    per["normalized"] = per["doa"] / per.groupby("file")["doa"].transform("max")
    per["is_author"] = (per["normalized"] > AUTHOR_NORMALIZED) & (per["doa"] >= AUTHOR_ABSOLUTE)
    per = per.sort_values(["file", "doa", "author"], ascending=[True, False, True])
    return per[AUTHORSHIP_COLUMNS].reset_index(drop=True)


def truck_factor(
    changes: pd.DataFrame,
    files_at_head: Iterable[str] | None = None,
    *,
    share: float = 0.5,
    extensions: Collection[str] | None = SOURCE_EXTENSIONS,
) -> TruckFactor | None:
    """The truck factor of a history (see the module docstring); None when no file counts.
    Raises ValueError when a column of `changes` is missing."""
    table = authorship(changes, files_at_head, extensions=extensions)
    if table.empty:
        return None
    return truck_factor_of(table, share=share)


def truck_factor_of(table: pd.DataFrame, *, share: float = 0.5) -> TruckFactor | None:
    """The truck factor from an `authorship` table; None when it has no files.

    Removing a developer takes nothing from the files anyone else authors, so "who authors
    the most files" never changes its answer as others leave: the greedy removal order is the
    developers sorted by files authored, most first, ties by id."""
    files = int(table["file"].nunique())
    if files == 0:
        return None
    authored = table[table["is_author"]]
    counts = authored.groupby("author")["file"].nunique()
    order = sorted(counts.index, key=lambda author: (-counts[author], author))
    owners = authored.groupby("file")["author"].agg(set).to_dict()
    left = {file: len(owners.get(file, ())) for file in table["file"].unique()}
    abandoned = sum(1 for n in left.values() if n == 0)
    files_of = authored.groupby("author")["file"].agg(list).to_dict()
    removed: list[str] = []
    for author in order:
        if abandoned / files > share:
            break
        removed.append(author)
        for file in files_of[author]:
            left[file] -= 1
            abandoned += left[file] == 0
    return TruckFactor(len(removed), files, len(order), tuple(removed))


def _follow(
    changes: pd.DataFrame,
) -> tuple[dict[str, str], dict[str, Counter[str]], set[str]]:
    """Walk the history, oldest first: each name's creator, its changes per developer, and the
    names last seen deleted or renamed away.

    A rename copies the old name's past to the new one and leaves the old name with its own,
    as a delete does: a history made linear puts a rename on one branch before changes on
    another, to the old name, which must still find their file's past (24 of numpy's source
    files lost their creator when a rename moved the past instead)."""
    creators: dict[str, str] = {}
    counts: dict[str, Counter[str]] = {}
    deleted: set[str] = set()
    for author, status, path, old_path in zip(
        *(changes[c].tolist() for c in CHANGE_COLUMNS), strict=True
    ):
        kind = status[:1]
        if kind == "R" and old_path in counts:
            counts[path] = Counter(counts[old_path])
            if old_path in creators:
                creators[path] = creators[old_path]
            else:
                creators.pop(path, None)
            deleted.add(old_path)
        elif kind in ("A", "C", "R"):  # a rename from a name never seen adds the file
            creators.setdefault(path, author)
        counts.setdefault(path, Counter())[author] += 1
        if kind == "D":
            deleted.add(path)
        else:
            deleted.discard(path)
    return creators, counts, deleted


def _empty_authorship() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file": pd.Series(dtype=object),
            "author": pd.Series(dtype=object),
            "fa": pd.Series(dtype=int),
            "dl": pd.Series(dtype=int),
            "ac": pd.Series(dtype=int),
            "doa": pd.Series(dtype=float),
            "normalized": pd.Series(dtype=float),
            "is_author": pd.Series(dtype=bool),
        }
    )
