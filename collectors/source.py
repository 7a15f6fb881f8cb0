"""The Source interface: a source lists its targets and collects one target into rows; one
runner does the rest, the same way for every source.

    class PyPI(Source):                       what differs per source
        name, label, provenance               who it is, what its rows are stamped with
        targets(projects)                     the units of work (a package, a repository...)
        key(target)                           the validated name; raises SourceError first
        prepare(store)                        read what is stored, once per run
        current(key, last_success, now)       why nothing can be new yet (or None)
        collect(client, key, target, now)     one target's rows: Collected(frames, message)

    run_source(source, projects, store, client, now=..., force=...) -> SourceSummary

The runner, per target: validate the name (a bad one is 'failed' and costs no request),
stop when a rate limit stopped the source ('skipped'), skip when the stored data is as new
as the source allows ('skipped', counted as current) unless `force`, collect while the
client measures requests, 304s and waits, and publish the rows with their collection_runs
row in one atomic write. Each target is an independent unit of work: a different executor
could run many at once. A failure costs only its own target; a rate limit stops the
source cleanly and says when to resume; a host that cannot be reached at all (no network,
nothing listening) or the run's time limit stops it too, in one line, and the targets after
it are recorded as skipped without a request.
"""

from __future__ import annotations

import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from collectors.http import HostUnreachableError, HttpClient, RateLimitError, StatusError, Usage
from collectors.sourcerun import (
    HALTING,
    SourceSummary,
    TargetOutcome,
    halt_note,
    last_success,
    new_run_id,
    not_tried,
    plain,
    stamp,
    utc,
)
from errors import SourceError
from registry.projects import Project, Registry
from store.segments import SegmentStore


@dataclass(frozen=True)
class Target:
    """One unit of work: `listed` is the name as the registry lists it (not yet checked)."""

    project: str  # project id; '' for a target that serves every project
    listed: object
    kind: str = ""  # for sources with several kinds of target ('package', 'repo')


@dataclass
class Collected:
    """One target's new rows (table -> frame), a plain-words message, and run notes."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    message: str | None = None
    notes: list[str] = field(default_factory=list)


class Source(ABC):
    """What one outside source does; `run_source` does everything else."""

    name: str  # the collector's name in collection_runs ('pypi')
    label: str  # who answers, in messages ('PyPI')
    provenance: str  # the `source` column of its collection_runs rows ('pypi:json')

    @abstractmethod
    def targets(self, projects: Sequence[Project]) -> list[Target]:
        """The units of work for the chosen projects, in order."""

    def key(self, target: Target) -> str:
        """The target's validated name. Raises SourceError (before any request)."""
        return str(target.listed)

    def needs_network(self, key: str) -> bool:
        """Whether collecting `key` asks the source's host (a local folder does not): when
        the host could not be reached, only targets that need it are left out."""
        return True

    def prepare(self, store: SegmentStore) -> None:  # noqa: B027 - optional hook
        """Read what the store already holds, once per run."""

    def current(self, key: str, last: pd.Timestamp | None, now: pd.Timestamp) -> str | None:
        """Why nothing new can exist yet for `key` (skipped, counted as current), or None.
        `last` is when it last refreshed successfully."""
        return None

    @abstractmethod
    def collect(self, client: HttpClient, key: str, target: Target, now: pd.Timestamp) -> Collected:
        """One target's rows. Raises SourceError subclasses (HttpError, ...)."""

    def failure(self, exc: SourceError, key: str) -> str:
        """A failed target's message in plain words."""
        if isinstance(exc, StatusError) and exc.status == 404:
            return f"{self.label} has no {key!r} (404)"
        return plain(exc, self.label)

    def stopped(self, exc: RateLimitError) -> str:
        """The message when a rate limit stops the source for this run."""
        return (
            f"{self.label} asked this run to slow down; refresh again after "
            f"{exc.reset_at:%Y-%m-%d %H:%M} UTC"
        )


class LocalClient:
    """The client of a source that makes no HTTP requests of its own (git reads local folders
    and runs `git fetch`): it measures nothing and caches nothing, so the runner treats every
    source alike. `clock` and `sleep` are the run's (the real ones unless given)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.unreachable: Exception | None = None  # set by a source whose host was unreachable
        self.answers = 0  # remote hosts that answered (git fetches that worked)

    @contextlib.contextmanager
    def measure(self) -> Iterator[Usage]:
        yield Usage()

    def flush(self) -> None:
        """Nothing to save."""

    def close(self) -> None:
        """Nothing to close."""


def chosen_projects(registry: Registry, ids: Iterable[str] | None) -> list[Project]:
    """The projects with these ids, in the order given (all when None). Raises KeyError."""
    return list(registry) if ids is None else [registry.get(i) for i in ids]


def package_targets(projects: Sequence[Project]) -> list[Target]:
    """One target per package of each project, as listed."""
    return [Target(project.id, name) for project in projects for name in project.packages]


def refresh_source(
    source: Source,
    registry: Registry,
    store: SegmentStore,
    client: HttpClient,
    *,
    now: datetime | pd.Timestamp,
    projects: Iterable[str] | None = None,
    force: bool = False,
) -> SourceSummary:
    """`run_source` for the registry's projects with these ids (all when None).
    Raises KeyError for an unknown project id and StoreError when the store cannot be written."""
    chosen = chosen_projects(registry, projects)
    return run_source(source, chosen, store, client, now=now, force=force)


def run_source(
    source: Source,
    projects: Sequence[Project],
    store: SegmentStore,
    client: HttpClient,
    *,
    now: datetime | pd.Timestamp,
    force: bool = False,
    only: Callable[[Target], bool] | None = None,
) -> SourceSummary:
    """Run `source` for the chosen projects into `store`; one atomic write per target.
    With `only`, just the targets it accepts (a shard's share of a refresh).

    Raises StoreError when the store cannot be written; every source failure is reported in
    the summary, not raised.
    """
    now = utc(now)
    summary = SourceSummary(source.name, new_run_id(source.name, now), stamp(client.clock()))
    done = last_success(store, source.name)
    source.prepare(store)
    for target in source.targets(projects):
        if only is not None and not only(target):
            continue
        started = stamp(client.clock())
        outcome = TargetOutcome(target.project, str(target.listed), "ok")
        collected = Collected()
        try:
            key: str | None = source.key(target)
            outcome.target = str(key)
        except SourceError as exc:
            outcome.status, outcome.message = "failed", f"not refreshed: {exc.problem}"
            key = None
        if key is None:
            pass
        elif summary.stopped_by is not None:
            outcome.status, outcome.message = "skipped", source.stopped(summary.stopped_by)
        elif summary.halted_by is not None and (
            not isinstance(summary.halted_by, HostUnreachableError) or source.needs_network(key)
        ):
            outcome.status, outcome.message = "skipped", not_tried(source.label, summary.halted_by)
        elif not force and (why := source.current(key, done.get(key.lower()), now)):
            outcome.status, outcome.current, outcome.message = "skipped", True, why
        else:
            with client.measure() as usage:
                try:
                    collected = source.collect(client, key, target, now)
                    outcome.message = collected.message
                except RateLimitError as exc:
                    summary.stopped_by = exc
                    summary.notes.append(source.stopped(exc))
                    outcome.status, outcome.message = "failed", source.stopped(exc)
                except HALTING as exc:
                    summary.halted_by = exc
                    summary.notes.append(halt_note(source.name, exc))
                    outcome.status, outcome.message = "failed", source.failure(exc, key)
                except SourceError as exc:
                    outcome.status, outcome.message = "failed", source.failure(exc, key)
            outcome.count(usage)
            summary.notes += collected.notes
        frames = {name: frame for name, frame in collected.frames.items() if len(frame)}
        summary.publish(store, client, outcome, frames, started, now, source.provenance)
    summary.finished_at = stamp(client.clock())
    return summary
