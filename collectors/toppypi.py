"""Monthly downloads of the top PyPI packages, from the public dump the default data came from.

    GET https://hugovk.github.io/top-pypi-packages/top-pypi-packages.min.json
        {"last_update": "YYYY-MM-DD HH:MM:SS", "query": {...},
         "rows": [{"download_count": int, "project": str}, ...]}      (up to 15,000 rows)

One request covers every package. The dump is turned into the same raw frame the archive
CSV gives (snapshot_date, window_days, project, download_count) and converted by the very
function that built the default data, `collectors.archives.pypi_downloads`, so a live month
and an archived month cannot be counted differently. Since the ClickHouse switch
(`archives.CLICKHOUSE_FROM`) each dump counts the previous calendar month, so `window_days`
is that month's length; an older dump's window cannot be known from the file and is refused.

A month is appended only when new: an unchanged dump answers 304, and rows already stored
for the same package and period are not written again. Asked at most once a day unless
`force=True`. Project names that are not valid PyPI names are left out (and counted).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd

from collectors.archives import CLICKHOUSE_FROM, pypi_downloads
from collectors.http import HttpClient, RateLimitError
from collectors.source import Collected, Source, Target, run_source
from collectors.sourcerun import SourceSummary, day, json_client, plausible_count
from errors import SourceError
from registry.names import normalize_pypi_name, pypi_name_problem
from registry.projects import Project
from store.schema import PACKAGE_DOWNLOADS
from store.segments import SegmentStore

TOP_PYPI = "https://hugovk.github.io"
DUMP_PATH = "/top-pypi-packages/top-pypi-packages.min.json"
COLLECTOR = "top-pypi"
TARGET = "top-pypi-packages"
SOURCE = "top-pypi-packages:min.json"


class DumpFormatError(SourceError):
    """The dump is not the documented JSON (no date, no rows, or a date before ClickHouse)."""


def top_pypi_client(*, base_url: str = TOP_PYPI, **options: Any) -> HttpClient:
    """An HttpClient for the top-PyPI dump's host (GitHub Pages).
    Options as `sourcerun.json_client`."""
    return json_client("top-pypi-packages", base_url, **options)


def refresh_top_pypi(
    store: SegmentStore,
    client: HttpClient,
    *,
    now: datetime | pd.Timestamp,
    force: bool = False,
    packages: Iterable[str] | None = None,
    path: str = DUMP_PATH,
) -> SourceSummary:
    """Append the dump's month to `package_downloads` if it is new.

    `packages` (PEP 503 names) keeps only those; None keeps every package in the dump.
    Raises StoreError when the store cannot be written; a source failure is reported in
    the summary, not raised.
    """
    return run_source(TopPyPI(packages, path), [], store, client, now=now, force=force)


class TopPyPI(Source):
    """The month of the public top-PyPI dump: one request for every package."""

    name, label, provenance = COLLECTOR, "top-pypi-packages", SOURCE

    def __init__(self, packages: Iterable[str] | None = None, path: str = DUMP_PATH) -> None:
        self.wanted = None if packages is None else {normalize_pypi_name(p) for p in packages}
        self.path = path
        self.store: SegmentStore | None = None

    def targets(self, projects: Sequence[Project]) -> list[Target]:
        return [Target("", TARGET)]  # one dump serves every project

    def prepare(self, store: SegmentStore) -> None:
        self.store = store

    def current(self, key: str, last: pd.Timestamp | None, now: pd.Timestamp) -> str | None:
        if last is not None and day(last) == day(now):
            return "already refreshed today; the dump changes once a month"
        return None

    def collect(self, client: HttpClient, key: str, target: Target, now: pd.Timestamp) -> Collected:
        response = client.get(self.path)
        raw, dropped = parse_dump(response.json_object())
        rows = pypi_downloads(raw, source=SOURCE)
        if self.wanted is not None:
            rows = rows[rows["package"].isin(self.wanted)]
        if self.store is not None:
            rows = _not_stored(rows, self.store)
        month = f"{raw['snapshot_date'].iloc[0]:%Y-%m-%d}"
        if len(rows):
            message = f"{len(rows)} package(s) for the snapshot of {month}"
        elif response.from_cache:
            message = f"unchanged since the last refresh (snapshot of {month})"
        else:
            message = f"the snapshot of {month} is already stored"
        notes = (
            [f"top-pypi: {dropped} row(s) with an invalid project name or count left out"]
            if dropped
            else []
        )
        return Collected({"package_downloads": rows.reset_index(drop=True)}, message, notes)

    def stopped(self, exc: RateLimitError) -> str:
        return f"top-pypi: refresh again after {exc.reset_at:%Y-%m-%d %H:%M} UTC"


def _not_stored(rows: pd.DataFrame, store: SegmentStore) -> pd.DataFrame:
    """Rows whose key this source has not stored yet."""
    stored = store.read("package_downloads").frame
    stored = stored[stored["source"] == SOURCE]
    if stored.empty or rows.empty:
        return rows
    key = list(PACKAGE_DOWNLOADS.key)
    seen = pd.MultiIndex.from_frame(stored[key])
    return rows[~pd.MultiIndex.from_frame(rows[key]).isin(seen)]


def previous_month_days(snapshot: date) -> int:
    """The length of the calendar month before `snapshot`'s month."""
    year, month = (snapshot.year, snapshot.month - 1) if snapshot.month > 1 else (
        snapshot.year - 1, 12)  # fmt: skip
    return calendar.monthrange(year, month)[1]


def parse_dump(data: dict) -> tuple[pd.DataFrame, int]:
    """The dump -> (the archive CSV's raw frame for its one snapshot, rows left out).

    Raises DumpFormatError when the date or the rows are not as documented.
    """
    stamp_text = data.get("last_update")
    try:
        snapshot = datetime.strptime(str(stamp_text)[:10], "%Y-%m-%d").date()
    except ValueError:
        raise DumpFormatError(
            "top-pypi-packages", f"the dump's last_update {str(stamp_text)[:40]!r} is not a date"
        ) from None
    if snapshot < CLICKHOUSE_FROM:
        raise DumpFormatError(
            "top-pypi-packages",
            f"the dump is dated {snapshot}, before the ClickHouse calendar months "
            f"({CLICKHOUSE_FROM}); its counting window cannot be known from the file",
        )
    items = data.get("rows")
    if not isinstance(items, list):
        raise DumpFormatError("top-pypi-packages", "the dump has no list of rows")
    projects, counts = [], []
    for item in items:
        if not isinstance(item, dict):
            continue
        project, count = item.get("project"), item.get("download_count")
        if pypi_name_problem(project) or isinstance(count, bool) or not isinstance(count, int):
            continue
        if plausible_count(count) is None:
            continue  # negative, or more than any package is downloaded: left out, counted
        projects.append(project)
        counts.append(count)
    if not projects:
        raise DumpFormatError("top-pypi-packages", "the dump has no usable rows")
    raw = pd.DataFrame(
        {
            "snapshot_date": pd.Series([pd.Timestamp(snapshot)] * len(projects)).astype(
                "datetime64[s]"
            ),
            "window_days": pd.Series(
                [previous_month_days(snapshot)] * len(projects), dtype="int64"
            ),
            "project": projects,
            "download_count": pd.Series(counts, dtype="int64"),
        }
    )
    return raw, len(items) - len(projects)
