"""One refresh: run the chosen collectors for the chosen projects, under the refresh lock.

The CLI (`cli.py refresh`), the scheduler and the app's "Refresh now" button all call `run`,
so they behave the same: one refresh at a time per user data directory (a second one is told
"already running"), every source's outcome per target in one report, and a log file.

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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from errors import DashboardError
from registry import Registry
from store import SegmentStore

SOURCES = ("github", "git", "pypi", "pypistats", "depsdev", "top-pypi")
# Sources run once for all chosen projects, not project by project: their collectors read
# what is stored once and pace their own requests.
RUN_WIDE = frozenset({"pypi", "pypistats", "depsdev", "top-pypi"})
OK, PARTIAL, FAILED, ALREADY_RUNNING = 0, 3, 4, 5
SUCCEEDED = ("ok", "current")
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
    # 'ok', 'current' (nothing asked: the stored data is as new as the source allows),
    # 'partial', 'failed' or 'skipped'
    status: str
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
    sources: Sequence[str] = SOURCES
    projects: Sequence[str] | None = None  # project ids; None = all
    github_token: str | None = None  # passed in explicitly, never read here from the env
    # source -> base URL, to point a source at another server (the fakes in tests, GHES)
    api_urls: dict[str, str] = field(default_factory=dict)
    force: bool = False  # ask sources that are polite about cadence (PyPI side) anyway
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


def parse_api_urls(items: Sequence[str]) -> dict[str, str]:
    """'source=URL' items (command line, OSSAI_API_URLS) -> {source: URL}; ValueError if bad."""
    urls = {}
    for item in items:
        source, sep, url = item.strip().partition("=")
        if not sep or source not in SOURCES or not url.startswith(("http://", "https://")):
            raise ValueError(
                f"{item!r}: expected SOURCE=http(s)://... with SOURCE one of {', '.join(SOURCES)}"
            )
        urls[source] = url
    return urls


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
        steps = [
            (source, project)
            for source in options.sources
            for project in ([None] if source in RUN_WIDE else projects)
        ]
        log.info(
            "refresh %s: %d projects, sources %s",
            report.run_id,
            len(projects),
            ",".join(options.sources),
        )
        stopped: dict[str, str] = {}
        for done, (source, project) in enumerate(steps, start=1):
            label = project.name if project else "all projects"
            if progress:
                progress(done - 1, len(steps), f"{source}: {label}")
            chosen = [project] if project else projects
            if source in stopped:
                report.outcomes += _all(source, chosen, "skipped", stopped[source])
                continue
            try:
                outcomes, stop = _COLLECTORS[source](
                    _Step(registry, chosen, store, options, data_dir, now, clients)
                )
            except DashboardError as exc:
                outcomes, stop = _all(source, chosen, "failed", str(exc)), None
            except Exception as exc:  # a bug in one source must not cost the others' data
                log.exception("%s %s: unexpected error", source, label)
                problem = f"unexpected error ({type(exc).__name__}); details in {LOG_FILE}"
                outcomes, stop = _all(source, chosen, "failed", problem), None
            if stop:
                stopped[source] = stop
                report.notes.append(stop)
            report.outcomes += outcomes
            for item in outcomes:
                log.info(
                    "%s %s %s: %s%s",
                    source,
                    label,
                    item.target,
                    item.status,
                    f" ({item.message})" if item.message else "",
                )
        if progress:
            progress(len(steps), len(steps), "done")
        report.finished_at = pd.Timestamp.now(tz="UTC")
        log.info("refresh %s finished: exit code %d", report.run_id, report.exit_code)
        return report


def _all(source: str, projects: Sequence, status: str, message: str) -> list[Outcome]:
    """The same outcome for every target a source has in the projects."""
    if source == "top-pypi":
        from collectors.toppypi import TARGET

        return [Outcome(source, "all projects", TARGET, status, message=message)]
    out = []
    for project in projects:
        if source in ("pypi", "pypistats"):
            targets: tuple[str, ...] = project.packages
        elif source == "depsdev":
            targets = (*project.packages, *project.repo_names)
        else:
            targets = project.repo_names
        out += [Outcome(source, project.name, t, status, message=message) for t in targets]
    return out


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
    projects: list[Any]  # one project, or all chosen ones for a run-wide source
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
            **({"base_url": options.api_urls["github"]} if "github" in options.api_urls else {}),
            cache_path=data_dir / "http-cache" / "github.json",
        ),
    )
    summary = github.refresh_github(
        step.registry, step.store, client, now=step.now, projects=[step.projects[0].id], ids=ids
    )
    client.flush()
    outcomes = [
        Outcome(
            "github",
            step.projects[0].name,
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
        list(step.projects[0].repo_names),
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
            step.projects[0].name,
            r.repo,
            r.status,
            r.new_commits + r.new_releases,
            message=r.message,
        )
        for r in rows
    ], None


def _package_source(step: _Step, source: str):
    """PyPI JSON, pypistats.org or deps.dev for the chosen projects' packages (and repos)."""
    from collectors import depsdev, pypi, pypistats

    make, collect = {
        "pypi": (pypi.pypi_client, pypi.refresh_pypi),
        "pypistats": (pypistats.pypistats_client, pypistats.refresh_pypistats),
        "depsdev": (depsdev.depsdev_client, depsdev.refresh_depsdev),
    }[source]
    client = step.clients.get(source, lambda: make(**_client_options(step, source)))
    summary = collect(
        step.registry,
        step.store,
        client,
        now=step.now,
        projects=[p.id for p in step.projects],
        force=step.options.force,
    )
    names = {p.id: p.name for p in step.projects}
    return _outcomes(source, names, summary)


def _top_pypi(step: _Step):
    """The monthly top-PyPI dump, kept for the tracked packages and the cohort's."""
    from collectors import toppypi
    from store.catalog import DEFAULT_DATA, Catalog

    members = Catalog(DEFAULT_DATA, step.data_dir).read("cohort_members").frame
    wanted = {p for project in step.registry for p in project.packages}
    wanted |= set(members.loc[members["kind"] == "package", "name"])
    client = step.clients.get(
        "top-pypi", lambda: toppypi.top_pypi_client(**_client_options(step, "top-pypi"))
    )
    summary = toppypi.refresh_top_pypi(
        step.store, client, now=step.now, force=step.options.force, packages=sorted(wanted)
    )
    return _outcomes("top-pypi", {}, summary)


def _client_options(step: _Step, source: str) -> dict[str, Any]:
    options: dict[str, Any] = {"cache_path": step.data_dir / "http-cache" / f"{source}.json"}
    if source in step.options.api_urls:
        options["base_url"] = step.options.api_urls[source]
    return options


def _outcomes(source: str, names: dict[str, str], summary) -> tuple[list[Outcome], str | None]:
    """The report's rows for a PyPI-side summary; `names` maps project ids to names."""
    outcomes = [
        Outcome(
            source,
            names.get(o.project, o.project or "all projects"),
            o.target,
            "current" if o.current else o.status,
            o.rows_written,
            o.requests,
            o.not_modified,
            o.message,
        )
        for o in summary.outcomes
    ]
    stop = summary.notes[-1] if summary.stopped_by is not None and summary.notes else None
    return outcomes, stop


_COLLECTORS = {
    "github": _github,
    "git": _git,
    "pypi": lambda step: _package_source(step, "pypi"),
    "pypistats": lambda step: _package_source(step, "pypistats"),
    "depsdev": lambda step: _package_source(step, "depsdev"),
    "top-pypi": _top_pypi,
}


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
