"""The sources a refresh can run, registered once: adding a source is one module (a
`collectors.source.Source`) and one line in SOURCES.

Each entry turns one step of a refresh (a source, the chosen projects, the store, the
settings) into report outcomes. Sources written to the Source interface (every one but
GitHub) run through `interface(...)`; GitHub keeps its own runner, which spends one hourly
budget across repositories and knows renames, adapted here to the same outcomes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from collectors import depsdev, git, github, pypi, pypistats, toppypi
from collectors.source import LocalClient, Source, Target, run_source
from collectors.sourcerun import SourceSummary
from registry import Project, Registry
from service.shards import Shard
from settings import Settings
from store import DEFAULT_DATA, Catalog, SegmentStore


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
    conditional: int = 0  # requests that carried a validator (ETag / Last-Modified)


class Clients(contextlib.AbstractContextManager):
    """One HTTP client per source for the whole run, so what one project's requests learnt
    (a rate limit hit, the budget left, a host that cannot be reached) is known to the next
    project's; closed at the end. `run_deadline` (epoch seconds on `clock`) is when the run
    must stop; `clock` and `sleep` are every client's (the real ones unless given)."""

    def __init__(
        self,
        run_deadline: float | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._open: dict[str, Any] = {}
        self.run_deadline = run_deadline
        self.clock = clock
        self.sleep = sleep

    def unreachable(self) -> dict[str, Any]:
        """Source -> the HostUnreachableError of each source whose host could not be reached
        (sources whose client never got an answer at all)."""
        return {
            source: client.unreachable
            for source, client in self._open.items()
            if getattr(client, "unreachable", None) is not None and not client.answers
        }

    def reached(self) -> bool:
        """Some source's host answered in this run."""
        return any(getattr(client, "answers", 0) for client in self._open.values())

    def get(self, source: str, make: Callable[[], Any]) -> Any:
        if source not in self._open:
            self._open[source] = make()
        return self._open[source]

    def __exit__(self, *exc: object) -> None:
        for client in self._open.values():
            client.close()


@dataclass(frozen=True)
class Step:
    """Everything one source needs for one step of a run."""

    source: str
    registry: Registry
    projects: list[Project]  # one project, or all chosen ones for a run-wide source
    store: SegmentStore
    settings: Settings
    now: pd.Timestamp
    clients: Clients
    force: bool = False
    git_locations: dict[str, str] | None = None
    shard: Shard | None = None  # refresh --shard K/N: only this shard's targets

    def owns(self, target: Target) -> bool:
        return self.shard is None or self.shard.owns(self.source, target)

    def client_options(self) -> dict[str, Any]:
        """The validator cache in the user data folder, the network limits, the run's
        deadline, clock and sleep, and another server if one is set."""
        limits = self.settings.network
        options: dict[str, Any] = {
            "cache_path": self.settings.data.http_cache(self.source),
            "max_body_bytes": limits.max_body_bytes,
            "request_seconds": limits.request_seconds,
            "run_deadline": self.clients.run_deadline,
            "clock": self.clients.clock,
            "sleep": self.clients.sleep,
        }
        if self.source in self.settings.api_urls:
            options["base_url"] = self.settings.api_urls[self.source]
        return options


Result = tuple[list[Outcome], str | None]  # outcomes, and why the source stopped (if it did)


@dataclass(frozen=True)
class Entry:
    """A registered source: how to run one step, and what its targets are (for reports of
    a step that failed as a whole)."""

    run: Callable[[Step], Result]
    targets: Callable[[Step], list[tuple[str, str]]]  # (project name, target)
    per_project: bool = False  # run project by project (else once for all chosen projects)
    takes_url: bool = True  # can be pointed at another server (OSSAI_API_URLS, --api-url)


def interface(
    make_source: Callable[[Step], Source],
    make_client: Callable[..., Any],
    *,
    takes_url: bool = True,
) -> Entry:
    """The entry of a source written to the Source interface."""

    def run(step: Step) -> Result:
        client = step.clients.get(step.source, lambda: make_client(**step.client_options()))
        source, only = make_source(step), None if step.shard is None else step.owns
        summary = run_source(
            source, step.projects, step.store, client, now=step.now, force=step.force, only=only
        )
        return summary_outcomes(step, summary)

    def targets(step: Step) -> list[tuple[str, str]]:
        names = {p.id: p.name for p in step.projects}
        return [
            (names.get(t.project, "all projects"), str(t.listed))
            for t in make_source(step).targets(step.projects)
            if step.owns(t)
        ]

    return Entry(run, targets, takes_url=takes_url)


def summary_outcomes(step: Step, summary: SourceSummary) -> Result:
    """The report's rows for a Source-interface summary."""
    names = {p.id: p.name for p in step.projects}
    outcomes = [
        Outcome(
            step.source,
            names.get(o.project, o.project or "all projects"),
            o.target,
            "current" if o.current else o.status,
            o.rows_written,
            o.requests,
            o.not_modified,
            o.message,
            o.conditional,
        )
        for o in summary.outcomes
    ]
    stop = summary.notes[-1] if summary.stopped_early and summary.notes else None
    return outcomes, stop


def _repos(step: Step) -> list[tuple[str, str]]:
    return [(p.name, r) for p in step.projects for r in p.repo_names]


def _github(step: Step) -> Result:
    settings, project = step.settings, step.projects[0]
    ids = git.Pseudonymizer(git.load_or_create_key(settings.data.key_folder))
    client = step.clients.get(
        "github",
        lambda: github.github_client(settings.github_token, **step.client_options()),
    )
    summary = github.refresh_github(
        step.registry, step.store, client, now=step.now, projects=[project.id], ids=ids
    )
    client.flush()
    outcomes = [
        Outcome(
            "github",
            project.name,
            o.repo,
            o.status,
            o.rows_written,
            o.requests,
            o.not_modified,
            o.message,
            o.conditional,
        )
        for o in summary.outcomes
    ]
    return outcomes, summary.lines()[-1] if summary.stopped_early else None


def _git(step: Step) -> git.Git:
    settings = step.settings
    return git.Git(
        git.Pseudonymizer(git.load_or_create_key(settings.data.key_folder)),
        mirrors=settings.data.git_mirrors,
        locations=step.git_locations,
        bot_patterns=(*git.DEFAULT_BOT_PATTERNS, *step.registry.git.extra_bot_patterns),
        env=settings.git_env,
    )


def _dump_packages(step: Step) -> Sequence[str]:
    """The tracked packages and the cohort's: what the top-PyPI dump is kept for."""
    members = Catalog(DEFAULT_DATA, step.settings.data.store).read("cohort_members").frame
    wanted = {p for project in step.registry for p in project.packages}
    return sorted(wanted | set(members.loc[members["kind"] == "package", "name"]))


SOURCES: dict[str, Entry] = {
    "github": Entry(_github, _repos, per_project=True),
    "git": interface(_git, lambda **o: LocalClient(o["clock"], o["sleep"]), takes_url=False),
    "pypi": interface(lambda step: pypi.PyPI(step.registry), pypi.pypi_client),
    "pypistats": interface(lambda step: pypistats.PyPIStats(), pypistats.pypistats_client),
    "depsdev": interface(lambda step: depsdev.DepsDev(), depsdev.depsdev_client),
    "top-pypi": interface(
        lambda step: toppypi.TopPyPI(_dump_packages(step)), toppypi.top_pypi_client
    ),
}
