"""One refresh: run the chosen collectors for the chosen projects, under the refresh lock.

The CLI (`cli.py refresh`), the scheduler and the app's "Refresh now" button all call `run`,
so they behave the same: one refresh at a time per user data directory (a second one is told
"already running"), every source's outcome per target in one report, and a log file.

Exit codes (`RefreshReport.exit_code`):
    0  every target refreshed
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from errors import DashboardError
from registry import Registry
from store import SegmentStore

SOURCES = ("github", "git")
OK, PARTIAL, FAILED, ALREADY_RUNNING = 0, 3, 4, 5
LOCK_FILE = "refresh.lock"
LOG_FILE = "refresh.log"

log = logging.getLogger("ossai.refresh")


class AlreadyRunningError(DashboardError):
    """Another refresh holds the lock for this user data directory."""

    def __init__(self, path: Path, holder: str) -> None:
        self.path = path
        self.holder = holder
        super().__init__(f"a refresh is already running ({holder}); lock: {path}")


@dataclass
class Outcome:
    """What one source did for one target (a repository or a package)."""

    source: str
    project: str
    target: str
    status: str  # 'ok', 'partial', 'failed' or 'skipped'
    rows: int = 0
    requests: int = 0
    not_modified: int = 0
    message: str | None = None


@dataclass
class RefreshReport:
    run_id: str
    started_at: pd.Timestamp
    finished_at: pd.Timestamp | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if not self.outcomes:
            return FAILED
        good = [o for o in self.outcomes if o.status == "ok"]
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
    sources: Sequence[str] = SOURCES
    projects: Sequence[str] | None = None  # project ids; None = all
    github_token: str | None = None  # passed in explicitly, never read here from the env
    github_base_url: str | None = None  # a fake server in tests
    git_locations: dict[str, str] = field(default_factory=dict)  # owner/name -> path or URL
    data_dir: Path | None = None


@contextlib.contextmanager
def refresh_lock(data_dir: Path) -> Iterator[None]:
    """Hold the refresh lock, or raise AlreadyRunningError at once (never wait)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_FILE
    with path.open("a+") as handle:
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
    options: RefreshOptions,
    *,
    progress: Callable[[int, int, str], None] | None = None,
) -> RefreshReport:
    """Refresh under the lock; returns the report. Raises AlreadyRunningError."""
    from store.catalog import user_data_dir

    data_dir = options.data_dir or user_data_dir()
    unknown = set(options.sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}; choose from {', '.join(SOURCES)}")
    projects = [p for p in registry if options.projects is None or p.id in options.projects]
    missing = set(options.projects or ()) - {p.id for p in projects}
    if missing:
        raise ValueError(f"unknown project ids {sorted(missing)}")
    with refresh_lock(data_dir), _log_to(data_dir / LOG_FILE), _Clients() as clients:
        store = SegmentStore(data_dir)
        now = pd.Timestamp.now(tz="UTC")
        report = RefreshReport(f"refresh-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}", now)
        steps = [(s, p) for s in options.sources for p in projects]
        log.info(
            "refresh %s: %d projects, sources %s",
            report.run_id,
            len(projects),
            ",".join(options.sources),
        )
        stopped: dict[str, str] = {}
        for done, (source, project) in enumerate(steps, start=1):
            if progress:
                progress(done - 1, len(steps), f"{source}: {project.name}")
            if source in stopped:
                report.outcomes += [
                    Outcome(source, project.name, repo, "skipped", message=stopped[source])
                    for repo in project.repo_names
                ]
                continue
            try:
                outcomes, stop = _COLLECTORS[source](
                    _Step(registry, project, store, options, data_dir, now, clients)
                )
            except DashboardError as exc:
                outcomes, stop = (
                    [
                        Outcome(source, project.name, repo, "failed", message=str(exc))
                        for repo in project.repo_names
                    ],
                    None,
                )
            if stop:
                stopped[source] = stop
                report.notes.append(stop)
            report.outcomes += outcomes
            for item in outcomes:
                log.info(
                    "%s %s %s: %s%s",
                    source,
                    project.name,
                    item.target,
                    item.status,
                    f" ({item.message})" if item.message else "",
                )
        if progress:
            progress(len(steps), len(steps), "done")
        report.finished_at = pd.Timestamp.now(tz="UTC")
        log.info("refresh %s finished: exit code %d", report.run_id, report.exit_code)
        return report


class _Clients(contextlib.AbstractContextManager):
    """One HTTP client per source for the whole run, so what one project's requests learnt
    (a rate limit hit, the budget left) is known to the next project's; closed at the end."""

    def __init__(self) -> None:
        self._open: dict[str, Any] = {}

    def get(self, source: str, make: Callable[[], Any]) -> Any:
        if source not in self._open:
            self._open[source] = make()
        return self._open[source]

    def __exit__(self, *exc: object) -> None:
        for client in self._open.values():
            client.close()


@dataclass(frozen=True)
class _Step:
    """Everything one source needs to refresh one project within a run."""

    registry: Registry
    project: Any
    store: SegmentStore
    options: RefreshOptions
    data_dir: Path
    now: pd.Timestamp
    clients: _Clients


def _github(step: _Step):
    from collectors import git, github

    options, data_dir = step.options, step.data_dir
    ids = git.Pseudonymizer(git.load_or_create_key(data_dir))
    client = step.clients.get(
        "github",
        lambda: github.github_client(
            options.github_token,
            **({"base_url": options.github_base_url} if options.github_base_url else {}),
            cache_path=data_dir / "http-cache" / "github.json",
        ),
    )
    summary = github.refresh_github(
        step.registry, step.store, client, now=step.now, projects=[step.project.id], ids=ids
    )
    client.flush()
    outcomes = [
        Outcome(
            "github",
            step.project.name,
            o.repo,
            o.status,
            o.rows_written,
            o.requests,
            o.not_modified,
            o.message,
        )
        for o in summary.outcomes
    ]
    stop = summary.lines()[-1] if summary.stopped_by is not None else None
    return outcomes, stop


def _git(step: _Step):
    from collectors import git

    ids = git.Pseudonymizer(git.load_or_create_key(step.data_dir))
    rows = git.refresh(
        list(step.project.repo_names),
        step.store,
        ids=ids,
        locations=step.options.git_locations,
        mirrors=step.data_dir / "git",
        now=step.now,
        run_id=f"git-{step.now:%Y%m%dT%H%M%SZ}",
        bot_patterns=(*git.DEFAULT_BOT_PATTERNS, *step.registry.git.extra_bot_patterns),
    )
    return [
        Outcome(
            "git",
            step.project.name,
            r.repo,
            r.status,
            r.new_commits + r.new_releases,
            message=r.message,
        )
        for r in rows
    ], None


_COLLECTORS = {"github": _github, "git": _git}


@contextlib.contextmanager
def _log_to(path: Path) -> Iterator[None]:
    """Append this refresh's log lines to the log file in the user data directory."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        handler.close()
