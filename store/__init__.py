"""The store: append-only, atomically published history, read merged with the default data."""

from store.catalog import DEFAULT_DATA, Catalog
from store.schema import QUALITY, TABLES, Table, table
from store.segments import ReadResult, SegmentStore, merge_newest

__all__ = [
    "DEFAULT_DATA",
    "QUALITY",
    "TABLES",
    "Catalog",
    "ReadResult",
    "SegmentStore",
    "Table",
    "merge_newest",
    "table",
]
