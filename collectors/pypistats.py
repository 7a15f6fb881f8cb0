"""The pypistats.org collector: daily downloads without mirrors, kept beyond the API's 180 days.

    GET /api/packages/{name}/overall?mirrors=false   -> package_downloads, series 'daily'

Each day is one row: window_days 1, period_start = period_end = the day, installers 'all',
method 'pypistats-without-mirrors'. pypistats.org keeps only the last 180 days, so every
refresh appends the days not stored yet and never rewrites an earlier value: the stored
history grows past what the API still serves. A day inside the answer's span that the
answer leaves out is stored as a null with quality 'missing' (a later answer that has it
replaces it); never as zero.

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

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pandas as pd

from collectors.http import HttpClient, HttpError, RateLimitError, StatusError
from collectors.sourcerun import (
    PackageNameError,
    SourceSummary,
    TargetOutcome,
    checked_package,
    day,
    json_client,
    last_success,
    new_run_id,
    package_targets,
    plain,
    stamp,
    table_frame,
    utc,
)
from registry.projects import Registry
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
    return json_client("pypistats.org", "pypistats", base_url, **options)


def refresh_pypistats(
    registry: Registry,
    store: SegmentStore,
    client: HttpClient,
    *,
    now: datetime | pd.Timestamp,
    projects: Iterable[str] | None = None,
    force: bool = False,
) -> SourceSummary:
    """Append each tracked package's new daily downloads (without mirrors) to `store`.

    One atomic write per package. A failing package is recorded and the others go on; a
    rate limit stops the source cleanly. Raises KeyError for an unknown project id and
    StoreError when the store cannot be written.
    """
    now = utc(now)
    today = day(now)
    summary = SourceSummary(COLLECTOR, new_run_id(COLLECTOR, now), stamp(client.clock()))
    done = last_success(store, COLLECTOR)
    stored, markers = _stored_days(store)
    last_request: float | None = None
    for project_id, listed in package_targets(registry, projects):
        started = stamp(client.clock())
        outcome = TargetOutcome(project_id, str(listed), "ok")
        frames: dict[str, pd.DataFrame] = {}
        try:
            name: str | None = checked_package(listed)
            outcome.target = str(name)
        except PackageNameError as exc:
            outcome.status, outcome.message = "failed", f"not refreshed: {exc.problem}"
            name = None
        days = stored.get(name or "", set())
        if name is None:
            pass
        elif summary.stopped_by is not None:
            outcome.status, outcome.message = "skipped", _stopped(summary.stopped_by)
        elif not force and name in done and day(done[name]) == today:
            outcome.status, outcome.current = "skipped", True
            outcome.message = "already refreshed today; pypistats.org updates once a day"
        elif not force and days and max(days) >= today - pd.Timedelta(days=1):
            outcome.status, outcome.current = "skipped", True
            outcome.message = "stored days already reach yesterday; nothing new can exist yet"
        else:
            if last_request is not None:
                gap = client.clock() - last_request
                if gap < MIN_INTERVAL:
                    client.sleep(MIN_INTERVAL - gap)
            with client.measure() as usage:
                try:
                    response = client.get(
                        f"/api/packages/{quote(name, safe='')}/overall", {"mirrors": "false"}
                    )
                    frame = daily_rows(
                        name, response.json_object(), days, now, markers.get(name, set())
                    )
                    if len(frame):
                        frames["package_downloads"] = frame
                    added = int(frame["downloads"].notna().sum()) if len(frame) else 0
                    outcome.message = f"{added} new day(s)" if added else "no new days"
                except RateLimitError as exc:
                    summary.stopped_by = exc
                    summary.notes.append(_stopped(exc))
                    outcome.status, outcome.message = "failed", _stopped(exc)
                except StatusError as exc:
                    outcome.status = "failed"
                    outcome.message = (
                        f"pypistats.org has no package named {name!r} (404)"
                        if exc.status == 404
                        else plain(exc, "pypistats.org")
                    )
                except HttpError as exc:
                    outcome.status, outcome.message = "failed", plain(exc, "pypistats.org")
            last_request = client.clock()
            outcome.count(usage)
        summary.publish(store, client, outcome, frames, started, now, SOURCE)
    summary.finished_at = stamp(client.clock())
    return summary


def _stopped(exc: RateLimitError) -> str:
    return (
        "pypistats.org is rate limiting this machine (429); stopped this source for the run, "
        f"refresh again after {exc.reset_at:%Y-%m-%d %H:%M} UTC"
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
    for item in data.get("data") or []:
        if not isinstance(item, dict) or item.get("category") != CATEGORY:
            continue
        when = _day(item.get("date"))
        if when is None:
            continue
        values[when] = _count(item.get("downloads"))
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
            "quality": "ok" if count is not None else "missing",
        }
        for when, count in sorted(values.items())
        if when not in stored and not (count is None and when in marked)
    ]
    return table_frame(PACKAGE_DOWNLOADS, rows)


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _day(value: Any) -> pd.Timestamp | None:
    if not isinstance(value, str):
        return None
    try:
        return pd.Timestamp(value).normalize().tz_localize(None)
    except (ValueError, TypeError):
        return None
