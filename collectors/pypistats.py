"""The pypistats.org collector: daily downloads without mirrors, kept beyond the API's 180 days.

    GET /api/packages/{name}/overall?mirrors=false   -> package_downloads, series 'daily'

Each day is one row: window_days 1, period_start = period_end = the day, installers 'all',
method 'pypistats-without-mirrors'. pypistats.org keeps only the last 180 days, so every
refresh appends the days not stored yet and never rewrites an earlier value: the stored
history grows past what the API still serves. A day inside the answer's span that the
answer leaves out is stored as a null with quality 'missing' (a later answer that has it
replaces it); never as zero. A count no day can have (negative, or beyond a trillion) is a
null with quality 'anomalous'; a date that is not one, or in the future, is left out.

Politeness (pypistats.org asks for at most one call per endpoint a day, and limits each IP
to 5 requests a second and 30 a minute):
- a package refreshed successfully today, or whose stored days already reach yesterday, is
  skipped with 0 requests unless `force=True` (the data is updated once a day);
- requests are spaced at least `MIN_INTERVAL` seconds apart;
- a 429 (an HTML page, perhaps with Retry-After) is waited out within a cap
  (`max_wait_seconds`); a longer or repeated one stops this source for the run cleanly, the
  rest of the packages marked skipped, with the time to try again.

Python-version and OS splits (`python_minor`, `system`) are not collected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import pandas as pd

from collectors.http import HttpClient, RateLimitError, StatusError
from collectors.source import (
    Collected,
    Source,
    Target,
    package_targets,
    refresh_source,
)
from collectors.sourcerun import (
    FUTURE_SLACK,
    SourceSummary,
    checked_package,
    day,
    json_client,
    parse_time,
    plain,
    plausible_count,
    table_frame,
)
from errors import SourceError
from registry.projects import Project, Registry
from store.schema import PACKAGE_DOWNLOADS
from store.segments import SegmentStore

PYPISTATS = "https://pypistats.org"
COLLECTOR = "pypistats"
SOURCE = "pypistats.org:overall?mirrors=false"
METHOD = "pypistats-without-mirrors"
CATEGORY = "without_mirrors"
MIN_INTERVAL = 2.0  # seconds between requests: 30 a minute at most
RATE_LIMIT_WAIT_CAP = 120.0  # the longest 429 wait this source accepts before stopping


def pypistats_client(*, base_url: str = PYPISTATS, **options: Any) -> HttpClient:
    """An HttpClient for pypistats.org; a 429 longer than `max_wait_seconds` stops the run.
    Options as `sourcerun.json_client`."""
    options.setdefault("read_timeout", 30.0)
    options.setdefault("max_wait_seconds", RATE_LIMIT_WAIT_CAP)
    return json_client("pypistats.org", base_url, **options)


def refresh_pypistats(
    registry: Registry, store: SegmentStore, client: HttpClient, **options: Any
) -> SourceSummary:
    """Append each tracked package's new daily downloads (without mirrors) to `store`, one
    atomic write per package (see `PyPIStats`)."""
    return refresh_source(PyPIStats(), registry, store, client, **options)


class PyPIStats(Source):
    """Daily downloads without mirrors from pypistats.org, paced MIN_INTERVAL apart."""

    name, label, provenance = COLLECTOR, "pypistats.org", SOURCE

    def __init__(self) -> None:
        self.stored: dict[str, set] = {}
        self.markers: dict[str, set] = {}
        self.last_request: float | None = None

    def targets(self, projects: Sequence[Project]) -> list[Target]:
        return package_targets(projects)

    def key(self, target: Target) -> str:
        return checked_package(target.listed)

    def prepare(self, store: SegmentStore) -> None:
        self.stored, self.markers = _stored_days(store)

    def current(self, key: str, last: pd.Timestamp | None, now: pd.Timestamp) -> str | None:
        if last is not None and day(last) == day(now):
            return "already refreshed today; pypistats.org updates once a day"
        days = self.stored.get(key, set())
        if days and max(days) >= day(now) - pd.Timedelta(days=1):
            return "stored days already reach yesterday; nothing new can exist yet"
        return None

    def collect(self, client: HttpClient, key: str, target: Target, now: pd.Timestamp) -> Collected:
        if self.last_request is not None:
            gap = client.clock() - self.last_request
            if gap < MIN_INTERVAL:
                client.sleep(MIN_INTERVAL - gap)
        try:
            response = client.get(
                f"/api/packages/{quote(key, safe='')}/overall", {"mirrors": "false"}
            )
        finally:
            self.last_request = client.clock()
        frame = daily_rows(
            key,
            response.json_object(),
            self.stored.get(key, set()),
            now,
            self.markers.get(key, set()),
        )
        added = int(frame["downloads"].notna().sum()) if len(frame) else 0
        return Collected(
            {"package_downloads": frame}, f"{added} new day(s)" if added else "no new days"
        )

    def failure(self, exc: SourceError, key: str) -> str:
        if isinstance(exc, StatusError) and exc.status == 404:
            return f"pypistats.org has no package named {key!r} (404)"
        return plain(exc, "pypistats.org")

    def stopped(self, exc: RateLimitError) -> str:
        return (
            "pypistats.org is rate limiting this machine (429); stopped this source for the "
            f"run, refresh again after {exc.reset_at:%Y-%m-%d %H:%M} UTC"
        )


def _stored_days(store: SegmentStore) -> tuple[dict[str, set], dict[str, set]]:
    """Package -> days stored with a value by this source, and days stored as markers."""
    frame = store.read("package_downloads").frame
    frame = frame[(frame["series"] == "daily") & (frame["method"] == METHOD)]
    valued = frame["downloads"].notna()
    days = {str(k): set(g) for k, g in frame[valued].groupby("package")["period_start"]}
    markers = {str(k): set(g) for k, g in frame[~valued].groupby("package")["period_start"]}
    return days, markers


def daily_rows(
    package: str,
    data: dict,
    stored: set[pd.Timestamp],
    now: pd.Timestamp,
    marked: set[pd.Timestamp] | frozenset[pd.Timestamp] = frozenset(),
) -> pd.DataFrame:
    """The answer's days not stored yet -> `package_downloads` rows (gaps as null markers;
    a day already marked is not marked again)."""
    values: dict[pd.Timestamp, int | None] = {}
    implausible: set[pd.Timestamp] = set()
    items = data.get("data")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or item.get("category") != CATEGORY:
            continue
        when = _day(item.get("date"), now)
        if when is None:
            continue
        given = item.get("downloads")
        values[when] = _count(given)
        if values[when] is None and isinstance(given, int) and not isinstance(given, bool):
            implausible.add(when)  # a number no day can have: null, flagged anomalous
    if values:
        span = pd.date_range(min(values), max(values), freq="D")
        for when in span:
            values.setdefault(pd.Timestamp(when), None)
    rows = [
        {
            "package": package,
            "series": "daily",
            "period_start": when,
            "period_end": when,
            "window_days": 1,
            "downloads": count,
            "installers": "all",
            "method": METHOD,
            "source": SOURCE,
            "fetched_at": now,
            "quality": "ok"
            if count is not None
            else ("anomalous" if when in implausible else "missing"),
        }
        for when, count in sorted(values.items())
        if when not in stored and not (count is None and when in marked)
    ]
    return table_frame(PACKAGE_DOWNLOADS, rows)


def _count(value: Any) -> int | None:
    """A day's downloads: a whole number from 0 to a trillion (more is not plausible)."""
    return plausible_count(value)


def _day(value: Any, now: pd.Timestamp) -> pd.Timestamp | None:
    """The day of an ISO date, if it is a plausible one (not after today)."""
    moment = parse_time(value)
    if moment is None or moment > now + FUTURE_SLACK:
        return None
    return day(moment)
