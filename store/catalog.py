"""What the app reads: the shipped default data merged with the user's refreshed history.

The default data under `data/default/` is read-only and travels with the code. Refreshes
write to the user data directory. On read the two are merged per table, the newer
observation of each key winning (the user's on a tie), so a refresh can correct or extend
the shipped history without touching it. The merge runs in DuckDB over both stores'
published files (store/query.py); `merge_newest` is the pandas reference it is tested against.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from store.query import StoreQuery
from store.segments import ReadResult, SegmentStore

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT / "data" / "default"


class Catalog:
    """The merged, read-side view over the default store and the user store."""

    def __init__(self, default_root: Path | str, user_root: Path | str):
        """`user_root` is the user data layout's store (`Settings.data.store`)."""
        self.default = SegmentStore(default_root, read_only=True)
        self.user = SegmentStore(user_root)
        self.query = StoreQuery([self.default, self.user])

    def version(self) -> tuple[str, str]:
        """Changes when either store publishes a write: the key for the app's caches."""
        return (self.default.version(), self.user.version())

    def read(
        self,
        table: str,
        *,
        where: Mapping[str, Iterable] | None = None,
        columns: Sequence[str] | None = None,
    ) -> ReadResult:
        """A table from both stores, newest per key; problems from both are kept. `where`
        keeps the rows whose key column holds one of the given values (e.g. the repositories
        a page shows), `columns` the columns asked for: both are done in the scan."""
        return self.query.read(table, where=where, columns=columns)

    def aggregate(
        self, table: str, select: str, *, group_by: str = "", where: Mapping | None = None
    ) -> pd.DataFrame:
        """An aggregate over a table of both stores, computed in the engine (StoreQuery)."""
        return self.query.aggregate(table, select, group_by=group_by, where=where)

    def key_counts(self, table: str, by: str) -> pd.DataFrame:
        """Rows per value of a key column, of both stores by the rule (StoreQuery)."""
        return self.query.key_counts(table, by)

    def key_newest(self, table: str, column: str, upto: str | None = None) -> pd.DataFrame:
        """The newest value of a key column, of both stores by the rule (StoreQuery)."""
        return self.query.key_newest(table, column, upto)
