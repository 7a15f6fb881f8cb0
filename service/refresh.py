"""One refresh: run the chosen sources for the chosen projects, under the refresh lock.

The CLI (`cli.py refresh`), the scheduler, the app's "Refresh now" button and the benches all
call `run` with the same `Settings`, so they behave the same: one refresh at a time per user
data directory (a second one is told "already running"), every source's outcome per target
in one report, and a log file. The sources are registered in service/sources.py.

The report says how each source went in one line (`RefreshReport.lines`): 'ok', 'partial',
'failed', or 'failed/unreachable' for a source whose host never answered (tried once, then
its other targets were left out, and the line counts them). When no source that was asked
answered and some host name could not be resolved, one more line says this machine appears
to be offline. The run stops asking after `settings.network.run_seconds`.

Exit codes (`RefreshReport.exit_code`; cli.py's EXIT_CODES and the README's table say the
same, which tests/test_refresh.py checks):
    0  every target refreshed, or already as current as its source allows
    3  partial failure: some targets refreshed, others failed or were not tried
    4  total failure: no target refreshed (those already current aside)
    5  another refresh is already running (raised as AlreadyRunningError)
    2  (after a refresh otherwise 0) alerts.toml is broken: the data is stored, no alert checked
    7  (after a refresh otherwise 0) the alert history cannot be read or written
    8  (after a refresh otherwise 0) a new alert fired
A failure of the refresh itself takes precedence over what the alerts found.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from alerts import AlertOutcome, after_refresh
from collectors.sourcerun import TargetOutcome, run_frame
from errors import ConfigError, DashboardError, StoreError
from registry import Registry
from service.shards import Shard
from service.sources import SOURCES, Clients, Outcome, Step
from settings import DataLayout, Settings
from store import SegmentStore
from store.batches import STORE_FOLDER, BatchStore
from store.schema import NOT_TRIED, UNREACHED

OK, PARTIAL, FAILED, ALREADY_RUNNING = 0, 3, 4, 5
NEW_ALERTS = 8  # the refresh went well and a new alert fired
SUCCEEDED = ("ok", "current")
REFRESHED = ("ok", "partial")  # new data was asked for and (at least partly) stored

log = logging.getLogger("ossai.refresh")


class AlreadyRunningError(DashboardError):
    """Another refresh holds the lock for this user data directory."""

    def __init__(self, path: Path, holder: str) -> None:
        self.path = path
        self.holder = holder
        super().__init__(f"a refresh is already running ({holder}); lock: {path}")


@dataclass
class RefreshReport:
    run_id: str
    started_at: pd.Timestamp
    finished_at: pd.Timestamp | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # the refresh log could not be written (a full disk): '<path>: <why>'. The data was
    # stored (or not) as the outcomes say; the next write to the data folder may fail too.
    log_failure: str | None = None
    # source -> 'could not reach <host>: <why>' for each source whose host never answered
    unreachable: dict[str, str] = field(default_factory=dict)
    # what the alert rules found after the data was published (None: not evaluated)
    alerts: AlertOutcome | None = None

    @property
    def refresh_code(self) -> int:
        """0 all refreshed or current, 3 some refreshed and some not, 4 none refreshed."""
        if not self.outcomes:
            return FAILED
        if all(o.status in SUCCEEDED for o in self.outcomes):
            return OK
        return PARTIAL if any(o.status in REFRESHED for o in self.outcomes) else FAILED

    @property
    def exit_code(self) -> int:
        """The refresh's own code when it is not 0; else the alerts': 2 or 7 for a problem
        with their files, 8 when a new alert fired, 0 otherwise."""
        code = self.refresh_code
        if code != OK or self.alerts is None:
            return code
        if self.alerts.problem_code:
            return self.alerts.problem_code
        return NEW_ALERTS if self.alerts.fired else OK

    def sources(self) -> list[SourceResult]:
        """How each source went, in the order they ran."""
        order = list(dict.fromkeys(o.source for o in self.outcomes))
        return [
            SourceResult.of(
                source,
                [o for o in self.outcomes if o.source == source],
                self.unreachable.get(source),
            )
            for source in order
        ]

    def lines(self) -> list[str]:
        """One line per source, then the run's notes (a halted source's note is already
        said by its line), the offline line first when there is one."""
        said = tuple(f"{source}: " for source in self.unreachable)
        notes = [n for n in self.notes if not n.startswith(said)]
        offline = [n for n in notes if n.startswith(OFFLINE)]
        rest = [n for n in notes if not n.startswith(OFFLINE)]
        alerts = self.alerts.lines() if self.alerts else []
        return offline + [r.line() for r in self.sources()] + rest + alerts

    def table(self) -> pd.DataFrame:
        """The summary: per project and source, new rows, requests, 304s and errors."""
        rows = [o.__dict__ for o in self.outcomes]
        columns = [
            "project",
            "source",
            "target",
            "status",
            "rows",
            "requests",
            "not_modified",
            "message",
        ]
        return pd.DataFrame(rows, columns=list(Outcome.__dataclass_fields__))[columns]


@dataclass(frozen=True)
class SourceResult:
    """One source's part of a run: its outcome and counts, and why it failed."""

    source: str
    outcome: str  # 'ok', 'partial', 'failed' or 'failed/unreachable'
    targets: int
    refreshed: int  # status ok or partial: asked, and what it had was stored
    current: int  # not asked: the stored data is as new as the source allows
    failed: int
    not_tried: int  # left out: the source's host was unreachable, a limit was reached
    rows: int
    requests: int
    conditional: int
    not_modified: int
    reason: str  # the first failure's message, or why the source was unreachable

    @classmethod
    def of(cls, source: str, outcomes: list[Outcome], unreachable: str | None) -> SourceResult:
        statuses = [o.status for o in outcomes]
        refreshed = sum(s in REFRESHED for s in statuses)
        failed = statuses.count("failed")
        not_tried = statuses.count("skipped")
        if all(s in SUCCEEDED for s in statuses):
            outcome = "ok"
        elif unreachable and not refreshed:
            outcome = "failed/unreachable"
        elif not refreshed:
            outcome = "failed"
        else:
            outcome = "partial"
        bad = [o for o in outcomes if o.status not in SUCCEEDED and o.message]
        first = next((o for o in bad if o.status != "skipped"), bad[0] if bad else None)
        failure = f"{first.target}: {first.message}" if first and first.target else ""
        reason = unreachable if outcome == "failed/unreachable" and unreachable else failure
        return cls(
            source,
            outcome,
            len(outcomes),
            refreshed,
            statuses.count("current"),
            failed,
            not_tried,
            sum(o.rows for o in outcomes),
            sum(o.requests for o in outcomes),
            sum(o.conditional for o in outcomes),
            sum(o.not_modified for o in outcomes),
            reason.strip().splitlines()[0] if reason.strip() else "",
        )

    def line(self) -> str:
        """The source in one line: 'pypi: ok: 9 targets, 0 new rows, 9 requests (9
        conditional, 9 not modified)' (a conditional request carried the stored answer's
        ETag or Last-Modified; a 304 cost no body); 'github: failed/unreachable: could not
        reach api.github.com: ...; 2 of 3 targets not tried because the source was
        unreachable'."""
        n = self.targets
        counts = (
            f"{n} target{'s' if n != 1 else ''}, {self.rows:,} new rows, "
            f"{self.requests} requests ({self.conditional} conditional, "
            f"{self.not_modified} not modified)"
        )
        if self.outcome == "ok":
            current = f" ({self.current} already current)" if self.current else ""
            return f"{self.source}: ok: {counts}{current}"
        if self.outcome == "failed/unreachable":
            skipped = (
                f"; {self.not_tried} of {n} targets not tried because the source was unreachable"
                if self.not_tried
                else ""
            )
            return f"{self.source}: failed/unreachable: {self.reason}{skipped}"
        parts = [f"{self.refreshed} of {n} targets refreshed"]
        if self.current:
            parts.append(f"{self.current} already current")
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.not_tried:
            parts.append(f"{self.not_tried} not tried")
        why = f"; first: {self.reason}" if self.reason else ""
        return f"{self.source}: {self.outcome}: {', '.join(parts)}{why}"


OFFLINE = "This machine appears to be offline"


@dataclass
class RefreshOptions:
    """What to refresh; where and with which credentials comes from `Settings`."""

    sources: Sequence[str] | None = None  # None: the settings' sources, else every source
    projects: Sequence[str] | None = None  # project ids; None = all
    force: bool = False  # ask sources that are polite about cadence (PyPI side) anyway
    git_locations: dict[str, str] = field(default_factory=dict)  # owner/name -> path or URL
    # refresh --shard K/N: only this shard's targets, into the batch `settings.data.batch`
    shard: Shard | None = None


@contextlib.contextmanager
def refresh_lock(path: Path) -> Iterator[None]:
    """Hold the refresh lock at `path`, or raise AlreadyRunningError at once (never wait).
    Raises StoreError when the data folder cannot be written (read-only, full, no access)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
    except OSError as exc:
        raise StoreError(path.parent, f"cannot be written ({exc.strerror})") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise AlreadyRunningError(path, handle.read().strip() or "another process") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M:%S} UTC")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def run(
    registry: Registry,
    settings: Settings,
    options: RefreshOptions | None = None,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> RefreshReport:
    """Refresh under the lock; returns the report. Raises AlreadyRunningError, and
    ConfigError for an unknown source or project id (in the options or the settings).

    `clock` (epoch seconds) and `sleep` are handed to every source's client: the run's
    time, its deadline, backoffs and rate-limit waits all go by them (tests pass fakes)."""
    options = options or RefreshOptions()
    sources = list(options.sources or settings.refresh_sources or SOURCES)
    unknown = sorted((set(sources) | set(settings.api_urls)) - set(SOURCES))
    if unknown:
        raise ConfigError(
            "refresh sources", None, f"unknown sources {unknown}; choose from {', '.join(SOURCES)}"
        )
    fixed = sorted(s for s in settings.api_urls if not SOURCES[s].takes_url)
    if fixed:
        raise ConfigError(
            "refresh sources",
            None,
            f"{', '.join(fixed)} cannot be pointed at another server (git reads local clones, "
            "given with --git-location, or github.com)",
        )
    projects = [p for p in registry if options.projects is None or p.id in options.projects]
    missing = set(options.projects or ()) - {p.id for p in projects}
    if missing:
        raise ConfigError("--projects", None, f"unknown project ids {sorted(missing)}")
    if options.shard is not None:  # service/shards.py: a project's targets go to one shard
        projects = [p for p in projects if options.shard.owns_project(p.id)]
    data = settings.data
    deadline = clock() + settings.network.run_seconds
    clients = Clients(deadline, clock=clock, sleep=sleep)
    with refresh_lock(data.lock), _log_to(data.log) as logfile, clients:
        store = open_store(data)
        now = pd.Timestamp(clock(), unit="s", tz="UTC")
        report = RefreshReport(f"refresh-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}", now)
        steps = [
            (source, chosen)
            for source in sources
            for chosen in ([[p] for p in projects] if SOURCES[source].per_project else [projects])
        ]
        log.info("refresh %s: %d projects, sources %s", report.run_id, len(projects), sources)
        stopped: dict[str, str] = {}
        for done, (source, chosen) in enumerate(steps, start=1):
            label = chosen[0].name if SOURCES[source].per_project else "all projects"
            if progress:
                progress(done - 1, len(steps), f"{source}: {label}")
            step = Step(
                source,
                registry,
                chosen,
                store,
                settings,
                now,
                clients,
                options.force,
                options.git_locations,
                options.shard,
            )
            if source not in stopped and clock() >= deadline:
                stopped[source] = (
                    f"{NOT_TRIED}this refresh reached its time limit of "
                    f"{settings.network.run_seconds / 60:.0f} min (the run_seconds setting)"
                )
                report.notes.append(f"{source}: {stopped[source]}")
            if source in stopped:
                left_out = _all(step, "skipped", stopped[source])
                report.outcomes += left_out
                _record(store, report.run_id, source, left_out, now, clock)
                continue
            try:
                outcomes, stop = SOURCES[source].run(step)
            except DashboardError as exc:
                outcomes, stop = _all(step, "failed", str(exc)), None
            except Exception as exc:  # a bug in one source must not cost the others' data
                log.exception("%s %s: unexpected error", source, label)
                problem = f"unexpected error ({type(exc).__name__}); details in {data.log.name}"
                outcomes, stop = _all(step, "failed", problem), None
            if stop:
                report.notes.append(stop)
                host = clients.unreachable().get(source)
                # the message of each target left out, as collection_runs keeps it
                stopped[source] = (
                    f"{NOT_TRIED}{source} {UNREACHED} earlier in this run ({host.host})"
                    if host is not None
                    else stop
                )
            report.outcomes += outcomes
            for item in outcomes:
                log.info(
                    "%s %s %s: %s%s",
                    source,
                    item.project,
                    item.target,
                    item.status,
                    f" ({item.message})" if item.message else "",
                )
        report.unreachable = {
            source: exc.problem.split("; this machine")[0]
            for source, exc in clients.unreachable().items()
        }
        offline = _offline_line(clients, report)
        if offline:
            report.notes.insert(0, offline)
            log.warning(offline)
        if settings.data.batch is None:  # a shard's batch is checked when it is merged
            report.alerts = after_publish_alerts(registry, settings, report, sleep)
        if progress:
            progress(len(steps), len(steps), "done")
        report.finished_at = pd.Timestamp(clock(), unit="s", tz="UTC")
        log.info("refresh %s finished: exit code %d", report.run_id, report.exit_code)
        logfile.flush()
        report.log_failure = logfile.failure
        return report


def open_store(data: DataLayout) -> SegmentStore:
    """The store a run writes: the published one, or a shard's batch (which reads both)."""
    published = SegmentStore(data.store)
    return BatchStore(data.batch / STORE_FOLDER, published) if data.batch else published


def after_publish_alerts(
    registry: Registry, settings: Settings, report: RefreshReport, sleep: Callable[[float], None]
) -> AlertOutcome:
    """The alert rules, evaluated on what this run (or a merge of shards' batches) published
    (alerts/): the one place a refresh or a merge calls them. A bug there is logged and
    said, and never costs the stored data."""
    try:
        outcome = after_refresh(
            list(registry), settings, report.started_at, report.run_id, sleep=sleep
        )
    except Exception as exc:
        log.exception("alerts: unexpected error")
        outcome = AlertOutcome(
            problem=f"not evaluated: unexpected error ({type(exc).__name__}); details in "
            f"{settings.data.log.name}"
        )
    for line in outcome.lines():
        log.info("%s", line)
    if not outcome.problem and not (outcome.fired or outcome.recovered):
        log.info("%s", outcome.summary())
    return outcome


def _offline_line(clients: Clients, report: RefreshReport) -> str | None:
    """One line when no source that was asked answered, nothing was refreshed, and some
    host name could not be resolved: this machine appears to be offline. A source that was
    not asked (already current) says nothing about the network, so it does not count."""
    unreachable = clients.unreachable()
    if not unreachable or clients.reached():
        return None
    if any(o.status in REFRESHED for o in report.outcomes):
        return None
    if not any(exc.offline for exc in unreachable.values()):
        return None
    hosts = ", ".join(sorted({exc.host for exc in unreachable.values()}))
    rows = sum(o.rows for o in report.outcomes)
    stored = "no data was changed" if rows == 0 else f"{rows:,} new rows were stored"
    return (
        f"{OFFLINE}: none of the sources asked could be reached ({hosts}); {stored}. "
        "Refresh again once the network is back."
    )


def _record(
    store: SegmentStore,
    run_id: str,
    source: str,
    outcomes: list[Outcome],
    now: pd.Timestamp,
    clock: Callable[[], float],
) -> None:
    """Keep the targets a run left out in collection_runs too, so what the store says of the
    run (the sidebar, `status`) counts every target the report counts."""
    at = pd.Timestamp(clock(), unit="s", tz="UTC")
    frames = [
        run_frame(
            source,
            run_id,
            TargetOutcome(o.project, o.target, o.status, o.message),
            at,
            at,
            now,
            source,
        )
        for o in outcomes
    ]
    if frames:
        store.append({"collection_runs": pd.concat(frames, ignore_index=True)})


def _all(step: Step, status: str, message: str) -> list[Outcome]:
    """The same outcome for every target the step's source has (one line for the whole
    source when even its targets cannot be listed)."""
    try:
        targets = SOURCES[step.source].targets(step)
    except Exception:  # the step failed already; its report must not fail too
        log.exception("%s: targets could not be listed", step.source)
        targets = [("all projects", "all targets")]
    return [
        Outcome(step.source, project, target, status, message=message)
        for project, target in targets
    ]


class _LogFile(logging.FileHandler):
    """The refresh log. A log that cannot be written (a full disk) must not cost the refresh
    or print tracebacks: the first failure is kept for the report and the rest is dropped."""

    failure: str | None = None

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        if self.failure is None:
            problem = sys.exc_info()[1]
            self.failure = f"{self.baseFilename}: {getattr(problem, 'strerror', None) or problem}"

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as exc:
            self.failure = self.failure or f"{self.baseFilename}: {exc.strerror or exc}"

    def close(self) -> None:
        try:
            super().close()
        except OSError as exc:
            self.failure = self.failure or f"{self.baseFilename}: {exc.strerror or exc}"


@contextlib.contextmanager
def _log_to(path: Path) -> Iterator[_LogFile]:
    """Append this refresh's log lines to the log file in the user data directory: the run's
    own and the collectors' (a host that could not be reached, a retry). Nothing else prints
    them: what the screen gets is the report's one line per source."""
    handler = _LogFile(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    collectors = logging.getLogger("collectors")
    before = (log.level, collectors.level, collectors.propagate)
    for logger in (log, collectors):
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    collectors.propagate = False
    try:
        yield handler
    finally:
        for logger in (log, collectors):
            logger.removeHandler(handler)
        log.setLevel(before[0])
        collectors.setLevel(before[1])
        collectors.propagate = before[2]
        handler.close()
