"""What the app reads: the shipped default data merged with the user's refreshed history.

The default data under `data/default/` is read-only and travels with the code. Refreshes
write to the user data directory. On read the two are merged per table, the newer
observation of each key winning (the user's on a tie), so a refresh can correct or extend
the shipped history without touching it.
"""

from __future__ import annotations

from pathlib import Path

from store.schema import TABLES
from store.segments import ReadResult, SegmentStore, merge_newest

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT / "data" / "default"


class Catalog:
    """The merged, read-side view over the default store and the user store."""

    def __init__(self, default_root: Path | str, user_root: Path | str):
        """`user_root` is the user data layout's store (`Settings.data.store`)."""
        self.default = SegmentStore(default_root, read_only=True)
        self.user = SegmentStore(user_root)

    def version(self) -> tuple[str, str]:
        """Changes when either store publishes a write: the key for the app's caches."""
        return (self.default.version(), self.user.version())

    def read(self, table: str) -> ReadResult:
        """A table from both stores, newest per key; problems from both are kept."""
        shipped = self.default.read(table)
        refreshed = self.user.read(table)
        frame = merge_newest(TABLES[table], [shipped.frame, refreshed.frame])
        return ReadResult(frame, shipped.problems + refreshed.problems)
