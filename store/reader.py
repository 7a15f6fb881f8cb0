"""What the pages' views read, said once: a `Reader` answers for rows narrowed to some
repositories or packages and for whole-table figures, both computed in the store's engine.

Two readers answer alike: `CatalogReader` (straight from a Catalog: the build of the views
computed ahead, the background recompute after a refresh) and the app's, which caches each
answer per store version (app/loaders.py). derived/compute.py takes either, so the views a
page computes live and the ones computed ahead come from one definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

import pandas as pd

from store.catalog import Catalog
from store.schema import TABLES

# The key column a table is narrowed on to a page's projects: their repositories (main and
# family), their packages, or both (a release's subject is either).
BY_REPO = ("repo_snapshots", "commits", "issue_activity", "scorecards", "truck_factors")
BY_PACKAGE = ("package_downloads", "package_dependents", "packages")
BY_SUBJECT = ("releases",)
# what the git indicators and the Community page never read (metrics.indicators)
UNREAD_COMMIT_COLUMNS = ("files_changed", "lines_added", "lines_deleted", "source", "quality")


def commit_columns() -> tuple[str, ...]:
    """The commits' columns the indicators and the Community page read."""
    return tuple(c for c in TABLES["commits"].column_names if c not in UNREAD_COMMIT_COLUMNS)


class Reader(Protocol):
    """Reads of the merged store (newest observation per key, the user's over the shipped)."""

    def load(
        self,
        table: str,
        where: Mapping[str, tuple[str, ...]] | None = None,
        columns: tuple[str, ...] | None = None,
    ) -> pd.DataFrame: ...

    def newest(self, table: str, column: str) -> pd.Timestamp | None: ...

    def newest_before(self, table: str, column: str, cut: pd.Timestamp) -> pd.Timestamp | None: ...

    def counts(self, table: str, by: str) -> pd.Series: ...


def load_for(
    reader: Reader,
    table: str,
    repos: Iterable[str],
    packages: Iterable[str],
    columns: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """A table's rows of these repositories or packages only, filtered in the engine: a page
    never holds the rows of projects it does not show. Any other table is read whole."""
    repos, packages = tuple(repos), tuple(packages)
    if table in BY_REPO:
        return reader.load(table, {"repo": repos}, columns)
    if table in BY_PACKAGE:
        return reader.load(table, {"package": packages}, columns)
    if table in BY_SUBJECT:
        return reader.load(table, {"subject": repos + packages}, columns)
    return reader.load(table, None, columns)


def _timestamp(found: pd.DataFrame) -> pd.Timestamp | None:
    value = found.iloc[0, 0] if len(found) else None
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def _column(table: str, column: str) -> str:
    """A column name checked against the table's schema before it goes into SQL."""
    if column not in TABLES[table].column_names:
        raise ValueError(f"{table} has no column {column!r}")
    return f'"{column}"'


class CatalogReader:
    """A Reader straight from a Catalog; each table's frame is kept for the reader's life
    (one build of the views reads a table once)."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._frames: dict = {}

    def load(
        self,
        table: str,
        where: Mapping[str, tuple[str, ...]] | None = None,
        columns: tuple[str, ...] | None = None,
    ) -> pd.DataFrame:
        narrowed = tuple(sorted((c, tuple(sorted(v))) for c, v in (where or {}).items()))
        key = (table, narrowed, columns)
        if key not in self._frames:
            self._frames[key] = self.catalog.read(table, where=where, columns=columns).frame
        return self._frames[key]

    def newest(self, table: str, column: str) -> pd.Timestamp | None:
        """The newest value of a column over the whole table (both stores)."""
        if column in TABLES[table].key:  # every key is kept: no need to find which row
            return _timestamp(self.catalog.key_newest(table, column))
        return _timestamp(self.catalog.aggregate(table, f"max({_column(table, column)}) AS n"))

    def newest_before(self, table: str, column: str, cut: pd.Timestamp) -> pd.Timestamp | None:
        """The newest value of a column up to `cut`, over the whole table."""
        name, stamp = _column(table, column), pd.Timestamp(cut).isoformat()
        if column in TABLES[table].key:
            return _timestamp(self.catalog.key_newest(table, column, stamp))
        select = f"max({name}) FILTER (WHERE {name} <= TIMESTAMPTZ '{stamp}') AS n"
        return _timestamp(self.catalog.aggregate(table, select))

    def counts(self, table: str, by: str) -> pd.Series:
        """How many rows the table holds per value of `by` (e.g. commits per repository)."""
        found = self.catalog.key_counts(table, by)
        return found.set_index(by)["n"].rename("count")
