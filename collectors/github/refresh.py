"""A GitHub refresh: every tracked repository, one atomic publish each, and what it did.

`refresh_github()` is the one entry point. Per repository it runs a `RepoCollection`
(collectors.github.rest) and publishes its rows together with its collection_runs row, so a
run stopped by the rate limit, a crash or a kill keeps every repository finished before it.
A rate limit too long to wait for stops the run: the repositories after it are recorded as
skipped, with when to resume (`RefreshSummary.resume_at`). So does a GitHub that cannot be
reached at all (no network, nothing listening) or the run's time limit: one request, one line
(`RefreshSummary.halted_by`), and the rest skipped without a request.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from collectors.github.client import COLLECTOR, SOURCE_REST, GitHubDataError, plain_words
from collectors.github.rest import RepoCollection, RepoUnavailableError
from collectors.github.settings import CollectorSettings
from collectors.github.stored import StoredState
from collectors.http import HttpClient, HttpError, RateLimitError
from collectors.identity import Pseudonymizer
from collectors.sourcerun import HALTING, RunTotals, halt_note, not_tried, run_frame, stamp, utc
from registry.names import github_repo_problem, repo_key
from registry.projects import Registry
from store.plausible import without_implausible
from store.schema import TABLES
from store.segments import SegmentStore


@dataclass
class RepoOutcome:
    """What one repository's refresh did, as recorded in collection_runs."""

    project: str
    repo: str
    status: str  # 'ok', 'partial', 'failed' or 'skipped'
    message: str | None
    rows_written: int = 0
    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    wait_seconds: float = 0.0
    rate_limit_remaining: int | None = None
    conditional: int = 0  # requests that carried a validator (ETag / Last-Modified)
    listed_as: str | None = None  # GitHub's current name, when it differs (a rename)


@dataclass
class RefreshSummary(RunTotals):
    """A whole run: per-repository outcomes, and why it stopped early if it did."""

    run_id: str
    started_at: pd.Timestamp
    finished_at: pd.Timestamp
    outcomes: list[RepoOutcome]
    stopped_by: RateLimitError | None = None
    halted_by: HttpError | None = None  # the host could not be reached, or the run timed out

    def outcome(self, repo: str) -> RepoOutcome:
        for item in self.outcomes:
            if repo_key(item.repo) == repo_key(repo):
                return item
        raise KeyError(repo)

    def lines(self) -> list[str]:
        """One plain-words line per repository, then one for the run."""
        out = [f"{o.repo}: {o.status}" + (f": {o.message}" if o.message else "") for o in self]
        if self.stopped_by is not None:
            out.append(
                f"The run stopped early: GitHub's rate limit lifts at "
                f"{self.stopped_by.reset_at:%Y-%m-%d %H:%M} UTC; refresh again after that."
            )
        elif self.halted_by is not None:
            out.append(halt_note(COLLECTOR, self.halted_by))
        return out

    def __iter__(self) -> Iterator[RepoOutcome]:
        return iter(self.outcomes)


# ----- the entry point -----------------------------------------------------------------------


def refresh_github(
    registry: Registry,
    store: SegmentStore,
    client: HttpClient,
    *,
    now: datetime | pd.Timestamp,
    projects: Iterable[str] | None = None,
    settings: CollectorSettings | None = None,
    ids: Pseudonymizer,
) -> RefreshSummary:
    """Refresh every tracked repository (or those of `projects`, by id) into `store`.

    One atomic publish per repository: its rows and its collection_runs row together. A
    repository that fails is recorded with the reason and the others go on; a rate limit
    too long to wait for stops the run cleanly (the rest are recorded as skipped, with when
    to resume). Raises KeyError for an unknown project id and StoreError when the store
    cannot be written. `ids` pseudonymizes anonymous contributors: build it from the user's
    key (`collectors.identity.load_or_create_key`), as the git collector does.
    """
    settings = settings or CollectorSettings()
    now = utc(now)
    run_id = f"github-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    started = stamp(client.clock())
    known = StoredState.read(store)
    outcomes: list[RepoOutcome] = []
    stopped: RateLimitError | None = None
    halted: HttpError | None = None
    for project_id, repo in _targets(registry, projects):
        if stopped is not None:
            outcomes.append(_skipped(project_id, repo, stopped))
            continue
        if halted is not None:
            outcomes.append(RepoOutcome(project_id, repo, "skipped", not_tried("GitHub", halted)))
            continue
        problem = github_repo_problem(repo)
        if problem:
            outcome = RepoOutcome(project_id, repo, "failed", f"not refreshed: {problem}")
            store.append({"collection_runs": _run_frame(run_id, outcome, started, started, now)})
            outcomes.append(outcome)
            continue
        outcome, stopped, halted = _refresh_one(
            project_id, repo, store, client, known, settings, ids, now, run_id
        )
        outcomes.append(outcome)
    skipped = [o for o in outcomes if o.status == "skipped"]
    if skipped:
        at = stamp(client.clock())
        store.append(
            {"collection_runs": pd.concat([_run_frame(run_id, o, at, at, now) for o in skipped])}
        )
    return RefreshSummary(run_id, started, stamp(client.clock()), outcomes, stopped, halted)


def _targets(registry: Registry, projects: Iterable[str] | None) -> list[tuple[str, str]]:
    chosen = list(registry) if projects is None else [registry.get(p) for p in projects]
    return [(project.id, name) for project in chosen for name in project.repo_names]


def _refresh_one(
    project_id: str,
    repo: str,
    store: SegmentStore,
    client: HttpClient,
    known: StoredState,
    settings: CollectorSettings,
    ids: Pseudonymizer,
    now: pd.Timestamp,
    run_id: str,
) -> tuple[RepoOutcome, RateLimitError | None, HttpError | None]:
    started = stamp(client.clock())
    collection = RepoCollection(client, repo, known, settings, ids, now)
    stopped: RateLimitError | None = None
    halted: HttpError | None = None
    failed: str | None = None
    with client.measure() as usage:
        try:
            collection.collect()
        except RateLimitError as exc:
            stopped = exc
            failed = (
                f"stopped by GitHub's rate limit: {exc.problem}; kept what was collected, "
                f"refresh again after {exc.reset_at:%Y-%m-%d %H:%M} UTC"
            )
        except RepoUnavailableError as exc:
            failed = exc.problem
        except HALTING as exc:
            halted = exc
            failed = plain_words(exc)
        except (HttpError, GitHubDataError) as exc:
            failed = plain_words(exc)
    frames = collection.frames_to_write()
    refused = []  # what slipped past the row builders' checks is never written (store.plausible)
    for name in list(frames):
        frames[name], said = without_implausible(TABLES[name], frames[name], now)
        refused += [said] if said else []
    rows = sum(len(f) for f in frames.values())
    if failed is not None:
        # 'partial' once the repository itself was read: what came after it is kept.
        status = "partial" if collection.snapshot_taken else "failed"
        messages = [failed, *collection.messages(), *refused]
    else:
        status = "partial" if collection.has_problems or refused else "ok"
        messages = [*collection.messages(), *refused]
    outcome = RepoOutcome(
        project=project_id,
        repo=repo,
        status=status,
        message="; ".join(messages) or None,
        rows_written=rows,
        requests=usage.requests,
        not_modified=usage.not_modified,
        conditional=usage.conditional,
        retries=usage.retries,
        wait_seconds=round(usage.wait_seconds, 3),
        rate_limit_remaining=usage.rate_limit_remaining,
        listed_as=collection.listed_as if collection.renamed else None,
    )
    frames["collection_runs"] = _run_frame(run_id, outcome, started, stamp(client.clock()), now)
    store.append(frames)
    client.flush()
    return outcome, stopped, halted


def _skipped(project_id: str, repo: str, stopped: RateLimitError) -> RepoOutcome:
    return RepoOutcome(
        project_id,
        repo,
        "skipped",
        "not refreshed: GitHub's rate limit was used up earlier in this run; it lifts at "
        f"{stopped.reset_at:%Y-%m-%d %H:%M} UTC, refresh again after that",
    )


def _run_frame(
    run_id: str, outcome: RepoOutcome, started: pd.Timestamp, finished: pd.Timestamp, now
) -> pd.DataFrame:
    return run_frame(COLLECTOR, run_id, outcome, started, finished, now, SOURCE_REST)
