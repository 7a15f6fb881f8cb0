"""One refresh: run the chosen sources for the chosen projects, under the refresh lock.

The CLI (`cli.py refresh`), the scheduler, the app's "Refresh now" button and the benches all
call `run` with the same `Settings`, so they behave the same: one refresh at a time per user
data directory (a second one is told "already running"), every source's outcome per target
in one report, and a log file. The sources are registered in service/sources.py.

A source whose host cannot be reached (no network, nothing listening) is tried once and
reported in one line; when no host could be reached at all, one more line says this machine
appears to be offline. The run stops asking after `settings.network.run_seconds`.

Exit codes (`RefreshReport.exit_code`):
    0  every target refreshed, or already as current as its source allows
    3  partial failure: some targets failed, were skipped or stopped early
    4  total failure: no target refreshed
    5  another refresh is already running (raised as AlreadyRunningError)
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

from errors import ConfigError, DashboardError, StoreError
from registry import Registry
from service.sources import SOURCES, Clients, Outcome, Step
from settings import Settings
from store import SegmentStore

OK, PARTIAL, FAILED, ALREADY_RUNNING = 0, 3, 4, 5
SUCCEEDED = ("ok", "current")

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

    @property
    def exit_code(self) -> int:
        if not self.outcomes:
            return FAILED
        good = [o for o in self.outcomes if o.status in SUCCEEDED]
        if len(good) == len(self.outcomes):
            return OK
        return PARTIAL if good or any(o.status == "partial" for o in self.outcomes) else FAILED

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


@dataclass
class RefreshOptions:
    """What to refresh; where and with which credentials comes from `Settings`."""

    sources: Sequence[str] | None = None  # None: the settings' sources, else every source
    projects: Sequence[str] | None = None  # project ids; None = all
    force: bool = False  # ask sources that are polite about cadence (PyPI side) anyway
    git_locations: dict[str, str] = field(default_factory=dict)  # owner/name -> path or URL


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
) -> RefreshReport:
    """Refresh under the lock; returns the report. Raises AlreadyRunningError, and
    ConfigError for an unknown source or project id (in the options or the settings)."""
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
    data = settings.data
    deadline = time.time() + settings.network.run_seconds
    with refresh_lock(data.lock), _log_to(data.log) as logfile, Clients(deadline) as clients:
        store = SegmentStore(data.store)
        now = pd.Timestamp.now(tz="UTC")
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
            )
            if source not in stopped and time.time() >= deadline:
                stopped[source] = (
                    f"{source}: not tried: this refresh reached its time limit of "
                    f"{settings.network.run_seconds / 60:.0f} min (the run_seconds setting)"
                )
                report.notes.append(stopped[source])
            if source in stopped:
                report.outcomes += _all(step, "skipped", stopped[source])
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
                stopped[source] = stop
                report.notes.append(stop)
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
        offline = _offline_line(clients)
        if offline:
            report.notes.insert(0, offline)
            log.warning(offline)
        if progress:
            progress(len(steps), len(steps), "done")
        report.finished_at = pd.Timestamp.now(tz="UTC")
        log.info("refresh %s finished: exit code %d", report.run_id, report.exit_code)
        logfile.flush()
        report.log_failure = logfile.failure
        return report


def _offline_line(clients: Clients) -> str | None:
    """One line when no source's host could be reached and at least one name could not be
    resolved: this machine appears to be offline."""
    unreachable = clients.unreachable()
    if not unreachable or clients.reached():
        return None
    if not any(exc.offline for exc in unreachable.values()):
        return None
    hosts = ", ".join(sorted({exc.host for exc in unreachable.values()}))
    return (
        f"This machine appears to be offline: no source could be reached ({hosts}); no data "
        "was changed. Refresh again once the network is back."
    )


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
    """Append this refresh's log lines to the log file in the user data directory."""
    handler = _LogFile(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        log.removeHandler(handler)
        handler.close()
