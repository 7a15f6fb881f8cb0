"""What the sources share: one run's per-target outcomes, and its bookkeeping.

`SourceSummary` is the one result type of a source's run (outcomes per target with status
'ok' / 'partial' / 'failed' / 'skipped', rows written, requests, 304s, a message, and the
rate limit that stopped the run if one did); `collectors.source.run_source` makes it, and
the refresh service (service/refresh.py) reports it. Also here: the collection_runs row of
a target, "when did this target last refresh successfully" (the politeness cadences), the
JSON client every PyPI-side source builds, and the small time helpers every collector
needs. No I/O except reading the store.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from collectors.http import (
    UNREACHABLE_WORDS,
    HostUnreachableError,
    HttpClient,
    HttpError,
    RateLimitError,
    RunDeadlineError,
    TransportError,
    Usage,
)
from errors import SourceError
from registry.names import normalize_pypi_name, pypi_name_problem
from store.plausible import without_implausible
from store.schema import (
    COLLECTION_RUNS,
    EARLIEST,
    FUTURE_SLACK,
    MAX_COUNT,
    NOT_TRIED,
    TABLES,
    UNREACHED,
    Table,
)
from store.segments import SegmentStore

SUCCESS = ("ok", "partial")
# Failures after which no other target of the source is tried in the run: its host cannot
# be reached at all, or the run's time limit is reached.
HALTING = (HostUnreachableError, RunDeadlineError)
USER_AGENT = (
    "oss-ai-dashboard/0.1 (open-source AI ecosystem-health dashboard; "
    "PyPI-side collectors: at most one request per package and source a day)"
)


class PackageNameError(SourceError):
    """A package name that is not a valid PyPI project name: refused before any request."""


def checked_package(name: object) -> str:
    """The PEP 503 normalized form of a valid PyPI project name.

    Raises PackageNameError (before any I/O) for anything else: a URL is never built from it.
    """
    problem = pypi_name_problem(name)
    if problem:
        raise PackageNameError("PyPI", problem)
    return normalize_pypi_name(str(name))


@dataclass
class TargetOutcome:
    """What one source did for one target (a package, a repository or a dataset)."""

    project: str
    target: str
    status: str  # 'ok', 'partial', 'failed' or 'skipped'
    message: str | None = None
    rows_written: int = 0
    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    wait_seconds: float = 0.0
    conditional: int = 0  # requests that carried a validator (the rest asked in full)
    # skipped because the stored data is as new as the source's cadence allows: the refresh
    # report counts it as a success, though collection_runs keeps 'skipped' (no new data)
    current: bool = False

    def count(self, usage: Usage) -> None:
        """Add what the client spent inside a `measure()` block."""
        self.requests += usage.requests
        self.conditional += usage.conditional
        self.not_modified += usage.not_modified
        self.retries += usage.retries
        self.wait_seconds = round(self.wait_seconds + usage.wait_seconds, 3)


class RunTotals:
    """Totals over a run's `outcomes` (each with requests, not_modified, rows_written), and
    when the rate limit that stopped it (`stopped_by`) lifts: every source's summary has them."""

    outcomes: list
    stopped_by: RateLimitError | None

    @property
    def resume_at(self) -> datetime | None:
        return self.stopped_by.reset_at if self.stopped_by else None

    @property
    def stopped_early(self) -> bool:
        """Stopped by a rate limit, or halted (host unreachable, run deadline): the rest of
        the run's targets were not tried."""
        return self.stopped_by is not None or getattr(self, "halted_by", None) is not None

    @property
    def requests(self) -> int:
        return sum(o.requests for o in self.outcomes)

    @property
    def not_modified(self) -> int:
        return sum(o.not_modified for o in self.outcomes)

    @property
    def rows_written(self) -> int:
        return sum(o.rows_written for o in self.outcomes)


@dataclass
class SourceSummary(RunTotals):
    """One source's run: per-target outcomes, and why it stopped early if it did."""

    collector: str  # 'pypi', 'pypistats', 'depsdev' or 'top-pypi'
    run_id: str
    started_at: pd.Timestamp
    finished_at: pd.Timestamp | None = None
    outcomes: list[TargetOutcome] = field(default_factory=list)
    stopped_by: RateLimitError | None = None
    notes: list[str] = field(default_factory=list)
    halted_by: HostUnreachableError | RunDeadlineError | None = None

    def outcome(self, target: str) -> TargetOutcome:
        for item in self.outcomes:
            if item.target.lower() == target.lower():
                return item
        raise KeyError(target)

    def publish(
        self,
        store: SegmentStore,
        client: HttpClient,
        outcome: TargetOutcome,
        frames: dict[str, pd.DataFrame],
        started: pd.Timestamp,
        now: pd.Timestamp,
        source: str,
    ) -> None:
        """Write one target's rows with its collection_runs row in one atomic publish, save
        the client's validator cache, and add the outcome to the run. A value no source can
        report (store.plausible) is never written: the outcome's message says what was
        refused."""
        for name in list(frames):
            frames[name], refused = without_implausible(TABLES[name], frames[name], now)
            if refused:
                outcome.message = "; ".join(filter(None, [outcome.message, refused]))
        outcome.rows_written = sum(len(f) for f in frames.values())
        frames["collection_runs"] = run_frame(
            self.collector, self.run_id, outcome, started, stamp(client.clock()), now, source
        )
        store.append(frames)
        client.flush()
        self.outcomes.append(outcome)

    def lines(self) -> list[str]:
        """One plain-words line per target, then the run's notes."""
        out = [
            f"{self.collector} {o.target}: {o.status}" + (f": {o.message}" if o.message else "")
            for o in self.outcomes
        ]
        return out + list(self.notes)

    def __iter__(self) -> Iterator[TargetOutcome]:
        return iter(self.outcomes)


def json_client(name: str, base_url: str, **options: Any) -> HttpClient:
    """An HttpClient for a public JSON API without authentication, as every PyPI-side
    source uses one: a descriptive User-Agent, JSON, and its own validator cache (ETags) at
    `cache_path` (the refresh service passes the user data layout's; None keeps it in
    memory). A rate-limit wait longer than `max_wait_seconds` (300 s unless given) stops the
    source for the run; other `options` as HttpClient's (`read_timeout` 60 s unless given)."""
    options.setdefault("max_wait_seconds", 300.0)
    options.setdefault("read_timeout", 60.0)
    return HttpClient(
        base_url, user_agent=USER_AGENT, accept="application/json", name=name, **options
    )


def new_run_id(collector: str, now: pd.Timestamp) -> str:
    return f"{collector}-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def run_frame(
    collector: str,
    run_id: str,
    outcome: TargetOutcome,
    started: pd.Timestamp,
    finished: pd.Timestamp,
    now: pd.Timestamp,
    source: str,
) -> pd.DataFrame:
    """The collection_runs row of one target, for every source: `outcome` is a TargetOutcome
    or another source's outcome with the same fields (GitHub's names its target `repo` and
    adds the rate limit left); `now` is the run's observation time."""
    row = {
        "run_id": run_id,
        "collector": collector,
        "target": getattr(outcome, "target", None) or getattr(outcome, "repo", None),
        "started_at": started,
        "finished_at": finished,
        "status": outcome.status,
        "requests": outcome.requests,
        "not_modified": outcome.not_modified,
        "retries": outcome.retries,
        "wait_seconds": float(outcome.wait_seconds),
        "rate_limit_remaining": getattr(outcome, "rate_limit_remaining", None),
        "rows_written": outcome.rows_written,
        "message": outcome.message,
        "source": source,
        "fetched_at": now,
        "quality": "ok",
    }
    return COLLECTION_RUNS.conform(pd.DataFrame([row]))


def last_success(store: SegmentStore, collector: str) -> dict[str, pd.Timestamp]:
    """Target (lower case) -> when it last refreshed with status ok or partial."""
    runs = store.read("collection_runs").frame
    runs = runs[(runs["collector"] == collector) & runs["status"].isin(SUCCESS)]
    if runs.empty:
        return {}
    latest = runs.groupby(runs["target"].str.lower())["fetched_at"].max()
    return {str(k): v for k, v in latest.items()}


def table_frame(table: Table, rows: list[dict]) -> pd.DataFrame:
    """Rows with exactly the table's columns, in order, typed (one row per key: last wins)."""
    frame = pd.DataFrame(rows, columns=table.column_names)
    frame = table.conform(frame, where=f"rows for table {table.name!r}")
    return frame[~TABLES[table.name].duplicated_keys(frame)].reset_index(drop=True)


def halt_note(label: str, exc: HttpError) -> str:
    """The one line for a source whose host could not be reached (or whose run ran out of
    time): what happened, and that its other targets were not tried."""
    if isinstance(exc, HostUnreachableError):
        return (
            f"{label}: could not reach {exc.host}: {UNREACHABLE_WORDS[exc.reason]}; its other "
            "targets were not tried this run"
        )
    return f"{label}: {exc.problem}; its other targets were not tried"


def not_tried(label: str, exc: HttpError) -> str:
    """The message of a target left out because the source halted earlier in the run."""
    if isinstance(exc, HostUnreachableError):
        return (
            f"{NOT_TRIED}{label} {UNREACHED} earlier in this run ({UNREACHABLE_WORDS[exc.reason]})"
        )
    return f"{NOT_TRIED}this refresh reached its time limit (the run_seconds setting)"


def plain(exc: SourceError, who: str) -> str:
    """An error's problem in plain words, starting with who said it."""
    problem = exc.problem
    if isinstance(exc, TransportError):
        return f"{who} did not answer: {problem}"
    if isinstance(exc, HttpError) and problem.startswith(("answered", "kept failing", "redirect")):
        return f"{who} {problem}"
    return problem


def utc(value: datetime | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise ValueError("`now` must carry a time zone (UTC)")
    return stamp.tz_convert("UTC")


def stamp(epoch: float) -> pd.Timestamp:
    return pd.Timestamp(epoch, unit="s", tz="UTC")


def day(value: pd.Timestamp | datetime | date) -> pd.Timestamp:
    """The UTC calendar day, as the store's naive midnight."""
    moment = pd.Timestamp(value)
    if moment.tzinfo is not None:
        moment = moment.tz_convert("UTC").tz_localize(None)
    return moment.normalize()


# What a source can plausibly report: the store's one definition (store.schema, per column;
# repair and every read apply it too). A value outside is stored as null, with a flag and a
# message saying what was refused: never shown as if it were true.
LATEST = pd.Timestamp("2200-01-01", tz="UTC")  # parse_time's bound: no text later is a time
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]|$)")


def parse_time(value: object) -> pd.Timestamp | None:
    """An ISO-8601 time from JSON as UTC (no zone means UTC); None when it is not one, or
    not between EARLIEST and LATEST (a year 0001 or an epoch-zero 1970 is a placeholder, and
    words such as "now" are not a time)."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return None
    try:
        moment = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return None
    if moment is pd.NaT:
        return None
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return moment if EARLIEST <= moment < LATEST else None


def plausible_time(
    value: object,
    now: pd.Timestamp,
    doubts: list[str] | None = None,
    *,
    field: str = "time",
    earliest: pd.Timestamp = EARLIEST,
) -> pd.Timestamp | None:
    """`parse_time`, and no later than `now` (plus a little slack) nor before `earliest`.
    A value given but refused is named in `doubts`."""
    moment = parse_time(value)
    if moment is not None and earliest <= moment <= now + FUTURE_SLACK:
        return moment
    if value is not None and doubts is not None:
        doubts.append(f"{field} {shown(value)} is not a plausible time; stored as null")
    return None


def plausible_count(value: object, limit: int = MAX_COUNT) -> int | None:
    """A count from JSON: a whole number from 0 to `limit`; None otherwise (a string or a
    bool is not a count; a negative or astronomically large one is not plausible)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= limit else None


def checked_count(
    data: Mapping, key: str, doubts: list[str] | None = None, *, limit: int = MAX_COUNT
) -> int | None:
    """`data[key]` as a plausible count; a number given but refused is named in `doubts`."""
    value = data.get(key)
    count = plausible_count(value, limit)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if count is None and number and doubts is not None:
        doubts.append(f"{key} {shown(value)} is not a plausible count; stored as null")
    return count


def shown(value: object) -> str:
    """A refused value as a message shows it: short, and never more than 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
