"""The GitHub collector: what GitHub says about each tracked repository, as tidy rows.

This room knows what the answers mean; `collectors.http.HttpClient` does the talking (auth,
retries, rate limits, ETags). Per repository, each refresh collects:

    part               endpoint (REST unless said)                        table
    snapshot           /repos/{o}/{r}, /pulls?state=open&per_page=1        repo_snapshots,
                                                                           repositories
    star history       /stargazers/history?per_page=30 (weekly buckets)    star_history
    contributors       /contributors?anon=1&per_page=100 (capped)          contributors
    releases           /releases (tags + their commits when none)          releases
    commit activity    /stats/commit_activity (202 while computing)        commit_activity
    issue/PR activity  GraphQL search with a token; REST search counts     issue_activity
                       without one (GraphQL refuses anonymous requests)

Incremental: every GET is conditional (a 304 costs no rate-limit point and its rows are not
written again), star history stops at the first week already stored, releases stop at the
first release already stored, tags already dated are not dated again, and issue activity is
computed once per window of complete days. A value GitHub refuses, has not computed, or does
not have is stored as null with quality 'restricted', 'pending' or 'missing' — never zero —
and such a marker never replaces a stored value.

Errors of its own (the rest come from collectors.http):

    SourceError
    ├── GitHubDataError        GitHub answered, but not with what its documentation
    │                          promises (GraphQL errors, a rename to an invalid name)
    └── RepoUnavailableError   the repository itself cannot be had (404, 410, 451, 409):
                               marked for the day, its stored history kept

`refresh_github()` is the one entry point: it collects every tracked repository, publishing
one atomic write per repository (its rows and its collection_runs row together), so a run
stopped by the rate limit, a crash or a kill keeps every repository finished before it.
"""

from __future__ import annotations

import re
import secrets
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from collectors.git import DEFAULT_BOT_PATTERNS, Pseudonymizer, bot_matcher, load_or_create_key
from collectors.http import (
    HttpClient,
    HttpError,
    RateLimitError,
    ResponseFormatError,
    ServerError,
    StatusError,
    TransportError,
    UnsafeUrlError,
)
from errors import SourceError
from registry.names import github_repo_problem, repo_key
from registry.projects import Registry
from store.catalog import user_data_dir
from store.schema import (
    COLLECTION_RUNS,
    COMMIT_ACTIVITY,
    CONTRIBUTORS,
    ISSUE_ACTIVITY,
    RELEASES,
    REPO_SNAPSHOTS,
    REPOSITORIES,
    STAR_HISTORY,
    TABLES,
    Table,
)
from store.segments import SegmentStore

GITHUB_API = "https://api.github.com"
API_VERSION = "2022-11-28"  # pinned: supported until 2028-03-10 (apis.md A.1)
USER_AGENT = "oss-ai-dashboard/0.1 (open-source AI ecosystem-health dashboard)"
SOURCE_REST = f"github:rest@{API_VERSION}"
SOURCE_SEARCH = f"github:search@{API_VERSION}"
SOURCE_GRAPHQL = "github:graphql"
COLLECTOR = "github"

HISTORY_PAGE = 30  # /stargazers/history serves at most 30 weeks per page
LIST_PAGE = 100
_SHA = re.compile(r"[0-9a-f]{40}")

# GitHub logins of automation accounts, on top of the git collector's patterns.
GITHUB_BOT_PATTERNS = (*DEFAULT_BOT_PATTERNS, r"-bot$", r"mergebot$", r"^copybara-service")


class GitHubDataError(SourceError):
    """GitHub answered, but not with what its documentation promises."""


@dataclass(frozen=True)
class CollectorSettings:
    """How much each part may fetch; the defaults keep one repository under 60 requests cold."""

    window_days: int = 28  # issue/PR activity: this many complete days, ending yesterday
    contributor_pages: int = 5  # 500 entries: GitHub links only 500 e-mails to accounts anyway
    release_pages: int = 5
    tag_dates_per_run: int = 20  # one request per tag: spread a long tag list over refreshes
    history_max_pages: int = 100  # GitHub's own page cap for /stargazers/history
    stats_attempts: int = 4  # 202 answers tolerated before recording 'pending'
    stats_first_delay: float = 2.0  # then 4, 8 s
    sample_pages: int = 2  # GraphQL pages (100 items) per stream for the medians


# ----- configuration helpers -----------------------------------------------------------------


def token_from(env: Mapping[str, str]) -> str | None:
    """The GitHub token from a mapping the caller chooses (os.environ, Streamlit secrets)."""
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        value = env.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def default_cache_path() -> Path:
    """Where the GitHub validator cache lives: in the user data directory."""
    return user_data_dir() / "http-cache" / "github.json"


def github_client(
    token: str | None,
    *,
    base_url: str = GITHUB_API,
    cache_path: Path | str | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    max_wait_seconds: float = 900.0,
    reserve: int | None = None,
    connect_timeout: float = 5.0,
    read_timeout: float = 30.0,
    max_retries: int = 3,
) -> HttpClient:
    """An HttpClient set up the way GitHub asks: pinned API version, a real User-Agent,
    its JSON media type. Works without a token (60 requests an hour)."""
    return HttpClient(
        base_url,
        token=token,
        user_agent=USER_AGENT,
        api_version=API_VERSION,
        accept="application/vnd.github+json",
        name="GitHub",
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_retries=max_retries,
        max_wait_seconds=max_wait_seconds,
        reserve=reserve,
        cache_path=cache_path if cache_path is not None else default_cache_path(),
        clock=clock,
        sleep=sleep,
    )


# ----- what the store already has ------------------------------------------------------------


@dataclass
class StoredState:
    """What earlier refreshes stored, so this one asks only for what is new.

    Everything is keyed by `repo_key` (GitHub names are case-insensitive).
    """

    snapshot_keys: set[tuple[str, pd.Timestamp]] = field(default_factory=set)
    repositories: set[str] = field(default_factory=set)
    star_weeks: dict[str, list[pd.Timestamp]] = field(default_factory=dict)  # with values
    star_keys: set[tuple[str, pd.Timestamp]] = field(default_factory=set)  # any row
    contributor_repos: set[str] = field(default_factory=set)
    release_versions: dict[str, set[str]] = field(default_factory=dict)  # dated ones
    commit_week_keys: set[tuple[str, pd.Timestamp]] = field(default_factory=set)
    commit_repos: set[str] = field(default_factory=set)  # with values
    issue_windows: set[tuple[str, str, pd.Timestamp, pd.Timestamp]] = field(default_factory=set)

    @classmethod
    def read(cls, store: SegmentStore) -> StoredState:
        state = cls()
        snaps = store.read("repo_snapshots").frame
        state.snapshot_keys = set(zip(snaps["repo"].map(repo_key), snaps["date"], strict=True))
        repos = store.read("repositories").frame
        state.repositories = set(repos["repo"].map(repo_key))
        stars = store.read("star_history").frame
        state.star_keys = set(zip(stars["repo"].map(repo_key), stars["week_start"], strict=True))
        valued = stars[stars["stars_gained"].notna()]
        for key, weeks in valued.groupby(valued["repo"].map(repo_key))["week_start"]:
            state.star_weeks[key] = sorted(weeks)
        contributors = store.read("contributors").frame
        state.contributor_repos = set(contributors["repo"].map(repo_key))
        releases = store.read("releases").frame
        dated = releases[(releases["subject_kind"] == "repo") & releases["published_at"].notna()]
        for key, versions in dated.groupby(dated["subject"].map(repo_key))["version"]:
            state.release_versions[key] = set(versions)
        weeks = store.read("commit_activity").frame
        state.commit_week_keys = set(
            zip(weeks["repo"].map(repo_key), weeks["week_start"], strict=True)
        )
        state.commit_repos = set(weeks.loc[weeks["commits"].notna(), "repo"].map(repo_key))
        activity = store.read("issue_activity").frame
        activity = activity[activity["quality"].isin(["ok", "partial", "lower_bound"])]
        state.issue_windows = set(
            zip(
                activity["repo"].map(repo_key),
                activity["kind"],
                activity["window_start"],
                activity["window_end"],
                strict=True,
            )
        )
        return state


# ----- outcomes ------------------------------------------------------------------------------


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
    listed_as: str | None = None  # GitHub's current name, when it differs (a rename)


@dataclass
class RefreshSummary:
    """A whole run: per-repository outcomes, and why it stopped early if it did."""

    run_id: str
    started_at: pd.Timestamp
    finished_at: pd.Timestamp
    outcomes: list[RepoOutcome]
    stopped_by: RateLimitError | None = None

    @property
    def resume_at(self) -> datetime | None:
        """When the rate limit that stopped the run lifts (None if it was not stopped)."""
        return self.stopped_by.reset_at if self.stopped_by else None

    @property
    def requests(self) -> int:
        return sum(o.requests for o in self.outcomes)

    @property
    def not_modified(self) -> int:
        return sum(o.not_modified for o in self.outcomes)

    @property
    def rows_written(self) -> int:
        return sum(o.rows_written for o in self.outcomes)

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
    ids: Pseudonymizer | None = None,
) -> RefreshSummary:
    """Refresh every tracked repository (or those of `projects`, by id) into `store`.

    One atomic publish per repository: its rows and its collection_runs row together. A
    repository that fails is recorded with the reason and the others go on; a rate limit
    too long to wait for stops the run cleanly (the rest are recorded as skipped, with when
    to resume). Raises KeyError for an unknown project id and StoreError when the store
    cannot be written.
    """
    settings = settings or CollectorSettings()
    now = _utc(now)
    ids = ids or Pseudonymizer(load_or_create_key(user_data_dir()))
    run_id = f"github-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    started = _stamp(client.clock())
    known = StoredState.read(store)
    outcomes: list[RepoOutcome] = []
    stopped: RateLimitError | None = None
    for project_id, repo in _targets(registry, projects):
        if stopped is not None:
            outcomes.append(_skipped(project_id, repo, stopped))
            continue
        problem = github_repo_problem(repo)
        if problem:
            outcome = RepoOutcome(project_id, repo, "failed", f"not refreshed: {problem}")
            store.append({"collection_runs": _run_frame(run_id, outcome, started, started, now)})
            outcomes.append(outcome)
            continue
        outcome, stopped = _refresh_one(
            project_id, repo, store, client, known, settings, ids, now, run_id
        )
        outcomes.append(outcome)
    skipped = [o for o in outcomes if o.status == "skipped"]
    if skipped:
        at = _stamp(client.clock())
        store.append(
            {"collection_runs": pd.concat([_run_frame(run_id, o, at, at, now) for o in skipped])}
        )
    return RefreshSummary(run_id, started, _stamp(client.clock()), outcomes, stopped)


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
) -> tuple[RepoOutcome, RateLimitError | None]:
    started = _stamp(client.clock())
    collection = RepoCollection(client, repo, known, settings, ids, now)
    stopped: RateLimitError | None = None
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
        except (HttpError, GitHubDataError) as exc:
            failed = _plain(exc)
    frames = collection.frames_to_write()
    rows = sum(len(f) for f in frames.values())
    if failed is not None:
        # 'partial' once the repository itself was read: what came after it is kept.
        status = "partial" if collection.snapshot_taken else "failed"
        messages = [failed, *collection.messages()]
    else:
        status = "partial" if collection.has_problems else "ok"
        messages = collection.messages()
    outcome = RepoOutcome(
        project=project_id,
        repo=repo,
        status=status,
        message="; ".join(messages) or None,
        rows_written=rows,
        requests=usage.requests,
        not_modified=usage.not_modified,
        retries=usage.retries,
        wait_seconds=round(usage.wait_seconds, 3),
        rate_limit_remaining=usage.rate_limit_remaining,
        listed_as=collection.listed_as if collection.renamed else None,
    )
    frames["collection_runs"] = _run_frame(run_id, outcome, started, _stamp(client.clock()), now)
    store.append(frames)
    client.flush()
    return outcome, stopped


def _skipped(project_id: str, repo: str, stopped: RateLimitError) -> RepoOutcome:
    return RepoOutcome(
        project_id,
        repo,
        "skipped",
        "not refreshed: GitHub's rate limit was used up earlier in this run; it lifts at "
        f"{stopped.reset_at:%Y-%m-%d %H:%M} UTC, refresh again after that",
    )


def _run_frame(
    run_id: str,
    outcome: RepoOutcome,
    started: pd.Timestamp,
    finished: pd.Timestamp,
    now: pd.Timestamp,
) -> pd.DataFrame:
    row = {
        "run_id": run_id,
        "collector": COLLECTOR,
        "target": outcome.repo,
        "started_at": started,
        "finished_at": finished,
        "status": outcome.status,
        "requests": outcome.requests,
        "not_modified": outcome.not_modified,
        "retries": outcome.retries,
        "wait_seconds": float(outcome.wait_seconds),
        "rate_limit_remaining": outcome.rate_limit_remaining,
        "rows_written": outcome.rows_written,
        "message": outcome.message,
        "source": SOURCE_REST,
        "fetched_at": now,
        "quality": "ok",
    }
    return COLLECTION_RUNS.conform(pd.DataFrame([row]))


# ----- one repository ------------------------------------------------------------------------


class RepoUnavailableError(SourceError):
    """GitHub says the repository itself cannot be had (404, 410, 451, 409)."""


@dataclass(frozen=True)
class RepoInfo:
    """The few facts of the repository object the other parts need."""

    stars: int | None
    created_at: pd.Timestamp | None


@dataclass(frozen=True)
class _Note:
    text: str
    problem: bool


_PART_ERRORS = (StatusError, ServerError, ResponseFormatError, UnsafeUrlError, GitHubDataError)


class RepoCollection:
    """Collects one repository. Rows gathered so far survive a failure part-way.

    `repo` is the registry's name (the key every row is stored under, so a project's history
    stays joined); `listed_as` is the name GitHub uses now, which URLs are built from.
    Raises RateLimitError (stop the run), TransportError (stop this repository) and
    RepoUnavailableError; a failure of one part is noted and the next part runs.
    """

    def __init__(
        self,
        client: HttpClient,
        repo: str,
        known: StoredState,
        settings: CollectorSettings,
        ids: Pseudonymizer,
        now: pd.Timestamp,
    ) -> None:
        self.client = client
        self.repo = repo
        self.key = repo_key(repo)
        self.listed_as = repo
        self.known = known
        self.settings = settings
        self.ids = ids
        self.now = now
        self.today = _day(now)
        self.is_bot = _bot_check(GITHUB_BOT_PATTERNS)
        self.snapshot_taken = False
        self._frames: dict[str, list[pd.DataFrame]] = defaultdict(list)
        self._notes: list[_Note] = []

    # ----- bookkeeping ---------------------------------------------------------------------

    @property
    def renamed(self) -> bool:
        return repo_key(self.listed_as) != self.key

    @property
    def has_problems(self) -> bool:
        return any(n.problem for n in self._notes)

    def messages(self) -> list[str]:
        return [n.text for n in self._notes]

    def note(self, text: str) -> None:
        self._notes.append(_Note(text, problem=False))

    def problem(self, text: str) -> None:
        self._notes.append(_Note(text, problem=True))

    def add(self, table: str, frame: pd.DataFrame) -> None:
        if len(frame):
            self._frames[table].append(frame)

    def frames_to_write(self) -> dict[str, pd.DataFrame]:
        """Each table's rows, one row per key (the last gathered wins)."""
        out = {}
        for name, parts in self._frames.items():
            frame = pd.concat(parts, ignore_index=True)
            frame = frame[~TABLES[name].duplicated_keys(frame)]
            out[name] = frame.reset_index(drop=True)
        return out

    def path(self, suffix: str = "") -> str:
        owner, name = self.listed_as.split("/")
        return f"/repos/{owner}/{name}{suffix}"

    # ----- the parts -----------------------------------------------------------------------

    def collect(self) -> None:
        info = self.snapshot()
        self.snapshot_taken = True
        parts: Sequence[tuple[str, Callable[[RepoInfo], None]]] = (
            ("star history", self.star_history),
            ("contributors", self.contributors),
            ("releases", self.releases),
            ("commit activity", self.commit_activity),
            ("issue activity", self.issue_activity),
        )
        for label, part in parts:
            try:
                part(info)
            except _PART_ERRORS as exc:
                self.problem(f"{label}: {_plain(exc)}")

    def snapshot(self) -> RepoInfo:
        """The repository object -> today's snapshot and the repositories row."""
        try:
            response = self.client.get(self.path())
        except StatusError as exc:
            self._mark_unavailable(exc)
            raise
        data = response.json_object()
        self._follow_rename(data, response.redirects)
        open_prs, prs_fresh = self._open_prs()
        fresh = not response.from_cache or prs_fresh
        if fresh or (self.key, self.today) not in self.known.snapshot_keys:
            self.add("repo_snapshots", snapshot_rows(self.repo, data, open_prs, self.now))
        if not response.from_cache or self.key not in self.known.repositories:
            self.add("repositories", repository_rows(self.repo, data, self.now))
        if data.get("archived") is True:
            self.note("archived on GitHub (read-only)")
        return RepoInfo(
            stars=_int(data.get("stargazers_count")), created_at=_time(data.get("created_at"))
        )

    def _mark_unavailable(self, exc: StatusError) -> None:
        reasons = {
            404: (
                "missing",
                "not found on GitHub (404): deleted, made private, or renamed without a redirect",
            ),
            410: ("missing", "gone from GitHub (410)"),
            451: ("restricted", "GitHub blocks access to it for legal reasons (451)"),
            409: ("missing", "GitHub says the repository is empty or not set up (409)"),
        }
        if exc.status not in reasons:
            return
        quality, words = reasons[exc.status]
        if (self.key, self.today) not in self.known.snapshot_keys:
            self.add("repo_snapshots", snapshot_marker(self.repo, self.now, quality))
        raise RepoUnavailableError(
            "GitHub", f"{words}; nothing was overwritten, its stored history is kept"
        ) from None

    def _follow_rename(self, data: dict, redirects: Sequence[Any]) -> None:
        current = data.get("full_name")
        if not isinstance(current, str) or repo_key(current) == self.key:
            return
        problem = github_repo_problem(current)
        if problem:
            raise GitHubDataError(
                "GitHub", f"named the repository {current[:120]!r}, which is not valid: {problem}"
            )
        self.listed_as = current
        how = "followed GitHub's 301 redirect" if any(r.status == 301 for r in redirects) else ""
        self.note(
            f"renamed on GitHub to {current}{' (' + how + ')' if how else ''}; rows stay under "
            f'{self.repo}: in data/projects.toml write {{ name = "{current}", '
            f'formerly = ["{self.repo}"] }}'
        )

    def _open_prs(self) -> tuple[int | None, bool]:
        """Open pull requests from one 1-item page: the `last` link's page number is the count."""
        try:
            response = self.client.get(self.path("/pulls"), {"state": "open", "per_page": 1})
            items = response.json_list()
        except (StatusError, ResponseFormatError) as exc:
            self.problem(f"open pull requests: {_plain(exc)}")
            return None, False
        last = response.links.get("last")
        if last:
            page = parse_qs(urlsplit(last).query).get("page", [""])[0]
            count = int(page) if page.isdigit() else None
        else:
            count = len(items)
        return count, not response.from_cache

    def star_history(self, info: RepoInfo) -> None:
        """Weekly retained stars from /stargazers/history; only new weeks once complete."""
        stored = self.known.star_weeks.get(self.key, [])
        created = _day(info.created_at) if info.created_at is not None else None
        complete = bool(stored) and (created is None or stored[0] <= created + pd.Timedelta(days=7))
        newest = stored[-1] if complete else None
        pager = self.client.pages(
            self.path("/stargazers/history"),
            {"per_page": HISTORY_PAGE},
            max_pages=self.settings.history_max_pages,
        )
        buckets: list[WeekBucket] = []
        fresh = False
        cut_short = False  # a problem ended the listing; already reported
        try:
            for page in pager:
                items = parse_history(page.json_list())
                fresh |= not page.from_cache
                buckets.extend(items)
                if not items:
                    break
                weeks = [b.week for b in items]
                newest_first = weeks == sorted(weeks, reverse=True)
                if newest is not None and newest_first and min(weeks) <= newest:
                    break  # everything older is stored already
        except StatusError as exc:
            if not buckets and exc.status in (401, 403, 404, 410):
                self._star_history_refused(exc.status)
                return
            if not buckets:
                raise
            why = "GitHub's pagination limit (422)" if exc.status == 422 else _plain(exc)
            cut_short = True
            self.problem(
                f"star history: stopped after page {pager.pages_read} at {why}; "
                f"kept the {len(buckets)} weeks before it"
            )
        except (UnsafeUrlError, ResponseFormatError) as exc:
            if not buckets:
                raise
            cut_short = True
            self.problem(f"star history: {_plain(exc)}; kept the {len(buckets)} weeks before it")
        if not buckets:
            if info.stars:
                self._star_history_marker("restricted")
                self.problem(
                    f"star history: GitHub answered no weeks for a repository with "
                    f"{info.stars:,} stars; recorded as restricted, not as zero"
                )
            return
        if fresh or not complete:
            self.add("star_history", star_history_rows(self.repo, buckets, self.now))
        oldest = min(b.week for b in buckets)
        reaches_creation = created is None or oldest <= created + pd.Timedelta(days=7)
        if not complete and not reaches_creation and not cut_short:
            self.problem(
                f"star history: reaches back only to {oldest:%Y-%m-%d}, not to the "
                f"repository's creation ({created:%Y-%m-%d}): GitHub gave no link to "
                "older weeks; the next refresh asks again"
            )

    def _star_history_refused(self, status: int) -> None:
        quality = "missing" if status in (404, 410) else "restricted"
        self._star_history_marker(quality)
        verb = "does not serve" if quality == "missing" else "refused"
        self.problem(
            f"star history: GitHub {verb} /stargazers/history ({status}); recorded as "
            f"{quality}, not as zero (the stargazer list itself is admin-only since 2026)"
        )

    def _star_history_marker(self, quality: str) -> None:
        week = _week_start(self.today)
        if (self.key, week) not in self.known.star_keys:
            self.add("star_history", star_history_marker(self.repo, week, self.now, quality))

    def contributors(self, info: RepoInfo) -> None:
        """The contributor list (anonymous included), capped at `contributor_pages` pages."""
        pager = self.client.pages(
            self.path("/contributors"),
            {"anon": "1", "per_page": LIST_PAGE},
            max_pages=self.settings.contributor_pages,
        )
        entries: list[dict] = []
        fresh = False
        try:
            for page in pager:
                if page.status == 204:
                    self.note("contributors: none (the repository is empty)")
                    return
                entries.extend(e for e in page.json_list() if isinstance(e, dict))
                fresh |= not page.from_cache
        except StatusError as exc:
            if exc.status == 403 and not entries:
                self.problem(
                    "contributors: GitHub will not list the contributors of a history this "
                    "large (403); nothing recorded"
                )
                return
            if exc.status == 409:
                self.note("contributors: none (GitHub says the repository is empty)")
                return
            if not (exc.status == 422 and entries):
                raise
            pager.truncated = True
        if not entries or (not fresh and self.key in self.known.contributor_repos):
            return
        capped = pager.truncated
        self.add(
            "contributors",
            contributor_rows(self.repo, entries, self.ids, self.now, capped=capped),
        )
        if capped:
            self.note(
                f"contributors: GitHub's list goes on past the {len(entries):,} entries read; "
                "the count is a lower bound"
            )

    def releases(self, info: RepoInfo) -> None:
        """Releases newest first, stopping at the first one already stored; tags if none."""
        known = self.known.release_versions.get(self.key, set())
        items: list[dict] = []
        seen_any = False
        for page in self.client.pages(
            self.path("/releases"),
            {"per_page": LIST_PAGE},
            max_pages=self.settings.release_pages,
        ):
            batch = [r for r in page.json_list() if isinstance(r, dict)]
            seen_any |= bool(batch)
            if page.from_cache and known:
                break  # unchanged since the last refresh
            items.extend(batch)
            if any(r.get("tag_name") in known for r in batch):
                break  # older releases are stored already
        if not seen_any:
            self.tags(known)
            return
        self.add("releases", release_rows(self.repo, items, self.now))

    def tags(self, known: set[str]) -> None:
        """Tags as releases (for repositories that publish none), dated by their commit."""
        tags: list[tuple[str, str]] = []
        try:
            for page in self.client.pages(
                self.path("/tags"), {"per_page": LIST_PAGE}, max_pages=self.settings.release_pages
            ):
                for item in page.json_list():
                    name = item.get("name") if isinstance(item, dict) else None
                    sha = (item.get("commit") or {}).get("sha") if isinstance(item, dict) else None
                    if isinstance(name, str) and isinstance(sha, str):
                        tags.append((name, sha))
        except StatusError as exc:
            if exc.status == 409:
                self.note("releases: none (GitHub says the repository is empty)")
                return
            raise
        todo = [(name, sha) for name, sha in tags if name not in known]
        dated: list[tuple[str, pd.Timestamp | None]] = []
        for name, sha in todo[: self.settings.tag_dates_per_run]:
            if not _SHA.fullmatch(sha):
                continue  # never build a URL from a value that is not a commit id
            try:
                commit = self.client.get(self.path(f"/commits/{sha}")).json_object()
            except StatusError as exc:
                if exc.status == 409:
                    self.note("releases: none (GitHub says the repository is empty)")
                    return
                self.problem(f"releases: tag {name[:60]!r} could not be dated ({exc.status})")
                continue
            dated.append((name, _commit_date(commit)))
        self.add("releases", tag_rows(self.repo, dated, self.now))
        if len(todo) > len(dated):
            self.note(
                f"releases: no GitHub releases; dated {len(dated)} of {len(todo)} new tags, "
                "the rest follow on the next refreshes"
            )

    def commit_activity(self, info: RepoInfo) -> None:
        """Weekly commits for the last year; 'pending' while GitHub computes them."""
        response = self.client.get_when_ready(
            self.path("/stats/commit_activity"),
            attempts=self.settings.stats_attempts,
            first_delay=self.settings.stats_first_delay,
        )
        if response.status == 202:
            week = _week_start(self.today)
            if (self.key, week) not in self.known.commit_week_keys:
                self.add("commit_activity", commit_activity_marker(self.repo, week, self.now))
            self.problem(
                f"commit activity: GitHub was still computing it after "
                f"{self.settings.stats_attempts} tries; recorded as pending, not as zero"
            )
            return
        if response.status == 204:
            self.note("commit activity: none (the repository is empty)")
            return
        weeks = response.json_list()
        if response.from_cache and self.key in self.known.commit_repos:
            return
        self.add("commit_activity", commit_activity_rows(self.repo, weeks, self.now))

    def issue_activity(self, info: RepoInfo) -> None:
        """Issue and PR activity over the last `window_days` complete days (once a day)."""
        end = self.today - pd.Timedelta(days=1)
        start = end - pd.Timedelta(days=self.settings.window_days - 1)
        if all(
            (self.key, kind, start, end) in self.known.issue_windows
            for kind in ("issue", "pull_request")
        ):
            return
        if self.client.authenticated:
            rows = self._activity_graphql(start, end)
        else:
            rows = self._activity_search(start, end)
        self.add("issue_activity", rows)

    # ----- issue activity: GraphQL with a token, search counts without ---------------------

    def _activity_graphql(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        queries = count_queries(self.listed_as, start, end)
        data = self._graphql(COUNTS_QUERY, queries)
        counts = {name: _int((data.get(name) or {}).get("issueCount")) for name in queries}
        samples: dict[str, tuple[list[dict], int | None]] = {}
        for stream, query in sample_queries(self.listed_as, start, end).items():
            samples[stream] = self._sample(query)
        summaries = [
            summarize_activity("issue", counts, samples, self.is_bot),
            summarize_activity("pull_request", counts, samples, self.is_bot),
        ]
        return activity_rows(self.repo, start, end, summaries, self.now, SOURCE_GRAPHQL)

    def _sample(self, query: str) -> tuple[list[dict], int | None]:
        nodes: list[dict] = []
        total: int | None = None
        cursor: str | None = None
        for _ in range(self.settings.sample_pages):
            data = self._graphql(SAMPLE_QUERY, {"q": query, "cursor": cursor})
            search = data.get("search")
            if not isinstance(search, dict):
                raise GitHubDataError("GitHub", "GraphQL search answered without results")
            total = _int(search.get("issueCount"))
            nodes.extend(n for n in search.get("nodes") or [] if isinstance(n, dict))
            info = search.get("pageInfo") or {}
            cursor = info.get("endCursor")
            if not info.get("hasNextPage") or not isinstance(cursor, str):
                break
        return nodes, total

    def _graphql(self, query: str, variables: dict[str, Any]) -> dict:
        response = self.client.post_json("/graphql", {"query": query, "variables": variables})
        body = response.json_object()
        errors = body.get("errors")
        if errors:
            kinds = {e.get("type") for e in errors if isinstance(e, dict)}
            if "RATE_LIMITED" in kinds:
                budget = self.client.budget("graphql")
                reset = budget.reset if budget else self.client.clock() + 3600
                raise RateLimitError(
                    "GitHub",
                    "GraphQL points are used up (graphql)",
                    url=response.url,
                    status=200,
                    reset_at=datetime.fromtimestamp(reset, UTC),
                    resource="graphql",
                    kind="primary",
                )
            first = next((e for e in errors if isinstance(e, dict)), {})
            raise GitHubDataError(
                "GitHub", f"GraphQL answered an error: {str(first.get('message', ''))[:200]}"
            )
        data = body.get("data")
        if not isinstance(data, dict):
            raise GitHubDataError("GitHub", "GraphQL answered without data")
        return data

    def _activity_search(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        counts: dict[str, int | None] = {}
        incomplete = False
        for name, query in count_queries(self.listed_as, start, end).items():
            data = self.client.get("/search/issues", {"q": query, "per_page": 1}).json_object()
            counts[name] = _int(data.get("total_count"))
            incomplete |= data.get("incomplete_results") is True
        self.note(
            "issue activity: counts only; response and close times need a token (GitHub's "
            "GraphQL API does not answer without one)"
        )
        if incomplete:
            self.problem("issue activity: GitHub's search timed out; counts may be low")
        summaries = [
            summarize_activity("issue", counts, {}, self.is_bot),
            summarize_activity("pull_request", counts, {}, self.is_bot),
        ]
        return activity_rows(self.repo, start, end, summaries, self.now, SOURCE_SEARCH)


# ----- GraphQL queries -----------------------------------------------------------------------
# Cost (GitHub's formula: connections' requests / 100, at least 1): the counts query is 1
# point; a sample page asks 100 items with 20 comments and 20 reviews each: about 2 points.

COUNTS_QUERY = """
query IssueCounts($issuesOpened: String!, $issuesClosed: String!, $prsOpened: String!,
                  $prsClosed: String!, $prsMerged: String!) {
  rateLimit { cost remaining resetAt }
  issuesOpened: search(query: $issuesOpened, type: ISSUE, first: 1) { issueCount }
  issuesClosed: search(query: $issuesClosed, type: ISSUE, first: 1) { issueCount }
  prsOpened: search(query: $prsOpened, type: ISSUE, first: 1) { issueCount }
  prsClosed: search(query: $prsClosed, type: ISSUE, first: 1) { issueCount }
  prsMerged: search(query: $prsMerged, type: ISSUE, first: 1) { issueCount }
}
"""

SAMPLE_QUERY = """
query IssueSample($q: String!, $cursor: String) {
  rateLimit { cost remaining resetAt }
  search(query: $q, type: ISSUE, first: 100, after: $cursor) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes {
      __typename
      ... on Issue {
        number createdAt closedAt
        author { __typename login }
        comments(first: 20) { nodes { createdAt author { __typename login } } }
      }
      ... on PullRequest {
        number createdAt closedAt mergedAt
        author { __typename login }
        comments(first: 20) { nodes { createdAt author { __typename login } } }
        reviews(first: 20) { nodes { submittedAt author { __typename login } } }
      }
    }
  }
}
"""


def count_queries(repo: str, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, str]:
    """Search queries whose totals are the window's counts (GitHub ranges are inclusive)."""
    span = f"{start:%Y-%m-%d}..{end:%Y-%m-%d}"
    return {
        "issuesOpened": f"repo:{repo} is:issue created:{span}",
        "issuesClosed": f"repo:{repo} is:issue closed:{span}",
        "prsOpened": f"repo:{repo} is:pr created:{span}",
        "prsClosed": f"repo:{repo} is:pr closed:{span}",
        "prsMerged": f"repo:{repo} is:pr merged:{span}",
    }


def sample_queries(repo: str, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, str]:
    """The items the medians are computed from: newest first, a few pages each."""
    span = f"{start:%Y-%m-%d}..{end:%Y-%m-%d}"
    return {
        "issue_created": f"repo:{repo} is:issue created:{span} sort:created-desc",
        "issue_closed": f"repo:{repo} is:issue closed:{span} sort:updated-desc",
        "pull_request_created": f"repo:{repo} is:pr created:{span} sort:created-desc",
        "pull_request_closed": f"repo:{repo} is:pr closed:{span} sort:updated-desc",
    }


# ----- pure: answers to rows -----------------------------------------------------------------


@dataclass(frozen=True)
class WeekBucket:
    """One week of /stargazers/history: stars given that week and still held."""

    week: pd.Timestamp  # start of the week, as a UTC day
    total: int
    consistent: bool  # the per-day split adds up to the total


def parse_history(items: list) -> list[WeekBucket]:
    """Weekly buckets from one page; malformed entries are refused, not guessed."""
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise GitHubDataError("GitHub", "star history has an entry that is not an object")
        week = _int(item.get("week"))
        days = item.get("days")
        days_ok = isinstance(days, list) and all(_int(d) is not None for d in days)
        total = _int(item.get("total"))
        if total is None and days_ok:
            total = sum(days)  # some answers omit `total`: the days add up to it
        if week is None or total is None:
            raise GitHubDataError("GitHub", "star history has a week without a date or a total")
        consistent = not days_ok or sum(days) == total
        out.append(WeekBucket(_day(pd.Timestamp(week, unit="s", tz="UTC")), total, consistent))
    return out


def star_history_rows(repo: str, buckets: list[WeekBucket], now: pd.Timestamp) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "repo": repo,
            "week_start": [b.week for b in buckets],
            "stars_gained": [b.total for b in buckets],
            "source": SOURCE_REST,
            "fetched_at": now,
            "quality": ["ok" if b.consistent else "anomalous" for b in buckets],
        }
    )
    frame = frame.sort_values("week_start").drop_duplicates("week_start", keep="first")
    return _table_frame(STAR_HISTORY, frame)


def star_history_marker(
    repo: str, week: pd.Timestamp, now: pd.Timestamp, quality: str
) -> pd.DataFrame:
    """A null week saying why there is no star history: never a zero."""
    row = {
        "repo": repo,
        "week_start": week,
        "stars_gained": None,
        "source": SOURCE_REST,
        "fetched_at": now,
        "quality": quality,
    }
    return _table_frame(STAR_HISTORY, pd.DataFrame([row]))


def snapshot_rows(repo: str, data: dict, open_prs: int | None, now: pd.Timestamp) -> pd.DataFrame:
    """Today's counters from the repository object (`subscribers_count` is the watchers)."""
    licence = data.get("license") if isinstance(data.get("license"), dict) else {}
    topics = data.get("topics") if isinstance(data.get("topics"), list) else []
    row = {
        "repo": repo,
        "date": _day(now),
        "stars": _int(data.get("stargazers_count")),
        "forks": _int(data.get("forks_count")),
        "open_issues": _int(data.get("open_issues_count")),
        "open_prs": open_prs,
        "watchers": _int(data.get("subscribers_count")),
        "archived": data.get("archived") if isinstance(data.get("archived"), bool) else None,
        "license": _str(licence.get("spdx_id")),
        "default_branch": _str(data.get("default_branch")),
        "topics": ",".join(t for t in topics if isinstance(t, str)) or None,
        "pushed_at": _time(data.get("pushed_at")),
        "listed_as": _str(data.get("full_name")) or repo,
        "source": SOURCE_REST,
        "fetched_at": now,
        "quality": "ok",
    }
    return _table_frame(REPO_SNAPSHOTS, pd.DataFrame([row]))


def snapshot_marker(repo: str, now: pd.Timestamp, quality: str) -> pd.DataFrame:
    """A snapshot with no counters, flagged: the repository could not be observed today."""
    row = {c: None for c in REPO_SNAPSHOTS.column_names}
    row.update(
        repo=repo,
        date=_day(now),
        listed_as=repo,
        source=SOURCE_REST,
        fetched_at=now,
        quality=quality,
    )
    return _table_frame(REPO_SNAPSHOTS, pd.DataFrame([row]))


def repository_rows(repo: str, data: dict, now: pd.Timestamp) -> pd.DataFrame:
    row = {
        "repo": repo,
        "description": _str(data.get("description")),
        "language": _str(data.get("language")),
        "homepage": _str(data.get("homepage")) or None,
        "created_at": _time(data.get("created_at")),
        "source": SOURCE_REST,
        "fetched_at": now,
        "quality": "ok",
    }
    return _table_frame(REPOSITORIES, pd.DataFrame([row]))


def contributor_rows(
    repo: str,
    entries: list[dict],
    ids: Pseudonymizer,
    now: pd.Timestamp,
    *,
    capped: bool,
) -> pd.DataFrame:
    """One row per account; an anonymous entry gets a keyed hash of its e-mail, never the
    e-mail or name itself. `capped` flags the day's list as a lower bound."""
    counts: dict[str, tuple[str, int | None]] = {}
    for entry in entries:
        kind = _str(entry.get("type")) or "User"
        contributions = _int(entry.get("contributions"))
        if kind == "Anonymous":
            secret = _str(entry.get("email")) or _str(entry.get("name"))
            if not secret:
                continue
            who = f"anon:{ids.id_for(secret)}"
        else:
            login = _str(entry.get("login"))
            if not login:
                continue
            who = login
            kind = "Bot" if kind == "Bot" or login.endswith("[bot]") else "User"
        if who in counts:  # one person under two e-mail spellings: add them up
            previous = counts[who][1] or 0
            contributions = previous + (contributions or 0)
        counts[who] = (kind, contributions)
    frame = pd.DataFrame(
        {
            "repo": repo,
            "date": _day(now),
            "contributor_id": list(counts),
            "kind": [k for k, _ in counts.values()],
            "contributions": [c for _, c in counts.values()],
            "source": f"{SOURCE_REST}:key-{ids.fingerprint}",
            "fetched_at": now,
            "quality": "lower_bound" if capped else "ok",
        }
    )
    return _table_frame(CONTRIBUTORS, frame)


def release_rows(repo: str, items: list[dict], now: pd.Timestamp) -> pd.DataFrame:
    """Published releases (drafts have no date and are left out)."""
    rows = []
    for item in items:
        tag = _str(item.get("tag_name"))
        if not tag or item.get("draft") is True:
            continue
        rows.append(
            {
                "subject_kind": "repo",
                "subject": repo,
                "version": tag,
                "published_at": _time(item.get("published_at") or item.get("created_at")),
                "prerelease": item.get("prerelease")
                if isinstance(item.get("prerelease"), bool)
                else None,
                "yanked": None,
                "source": SOURCE_REST,
                "fetched_at": now,
                "quality": "ok",
            }
        )
    frame = pd.DataFrame(rows, columns=RELEASES.column_names)
    return _table_frame(RELEASES, frame.drop_duplicates("version", keep="first"))


def tag_rows(
    repo: str, tags: list[tuple[str, pd.Timestamp | None]], now: pd.Timestamp
) -> pd.DataFrame:
    """Tags as releases, dated by their commit (a tag has no date of its own in the API)."""
    rows = [
        {
            "subject_kind": "repo",
            "subject": repo,
            "version": name,
            "published_at": when,
            "prerelease": _tag_prerelease(name),
            "yanked": None,
            "source": f"{SOURCE_REST}:tags",
            "fetched_at": now,
            "quality": "ok" if when is not None else "missing",
        }
        for name, when in tags
    ]
    frame = pd.DataFrame(rows, columns=RELEASES.column_names)
    return _table_frame(RELEASES, frame.drop_duplicates("version", keep="first"))


def commit_activity_rows(repo: str, weeks: list, now: pd.Timestamp) -> pd.DataFrame:
    rows = []
    for item in weeks:
        if not isinstance(item, dict) or _int(item.get("week")) is None:
            continue
        total = _int(item.get("total"))
        days = item.get("days")
        consistent = not isinstance(days, list) or sum(_int(d) or 0 for d in days) == total
        rows.append(
            {
                "repo": repo,
                "week_start": _day(pd.Timestamp(_int(item["week"]), unit="s", tz="UTC")),
                "commits": total,
                "source": SOURCE_REST,
                "fetched_at": now,
                "quality": "ok" if consistent and total is not None else "anomalous",
            }
        )
    frame = pd.DataFrame(rows, columns=COMMIT_ACTIVITY.column_names)
    return _table_frame(COMMIT_ACTIVITY, frame.drop_duplicates("week_start", keep="last"))


def commit_activity_marker(repo: str, week: pd.Timestamp, now: pd.Timestamp) -> pd.DataFrame:
    row = {
        "repo": repo,
        "week_start": week,
        "commits": None,
        "source": SOURCE_REST,
        "fetched_at": now,
        "quality": "pending",
    }
    return _table_frame(COMMIT_ACTIVITY, pd.DataFrame([row]))


@dataclass(frozen=True)
class ActivitySummary:
    """One kind ('issue' or 'pull_request') over the window."""

    kind: str
    opened: int | None
    closed: int | None
    merged: int | None
    median_hours_to_first_response: float | None
    median_hours_to_close: float | None
    complete: bool  # the medians cover every item (not a sample), and the counts are known


def summarize_activity(
    kind: str,
    counts: Mapping[str, int | None],
    samples: Mapping[str, tuple[list[dict], int | None]],
    is_bot: Callable[[dict | None], bool],
) -> ActivitySummary:
    """Counts from the search totals; medians from the sampled items.

    First response: the earliest comment or review by someone other than the author and not
    a bot, on items opened in the window by people (bot-opened items are left out); items
    with no response yet are left out of the median. Time to close: items closed in the
    window. Closed pull requests include merged ones (GitHub's meaning of `closed:`).
    """
    prefix = "issues" if kind == "issue" else "prs"
    typename = "Issue" if kind == "issue" else "PullRequest"
    created, created_total = samples.get(f"{kind}_created", ([], None))
    closed, closed_total = samples.get(f"{kind}_closed", ([], None))
    created = [n for n in created if n.get("__typename") == typename]
    closed = [n for n in closed if n.get("__typename") == typename]
    response_hours = [
        h for h in (first_response_hours(n, is_bot) for n in created) if h is not None
    ]
    close_hours = [h for h in (hours_to_close(n) for n in closed) if h is not None]
    complete = (
        bool(samples)
        and created_total is not None
        and closed_total is not None
        and len(created) >= created_total
        and len(closed) >= closed_total
    )
    return ActivitySummary(
        kind=kind,
        opened=counts.get(f"{prefix}Opened"),
        closed=counts.get(f"{prefix}Closed"),
        merged=counts.get("prsMerged") if kind == "pull_request" else None,
        median_hours_to_first_response=_median(response_hours),
        median_hours_to_close=_median(close_hours),
        complete=complete and all(counts.get(k) is not None for k in counts),
    )


def first_response_hours(item: dict, is_bot: Callable[[dict | None], bool]) -> float | None:
    """Hours from opening to the first comment or review by another person (not a bot)."""
    opened = _time(item.get("createdAt"))
    author = item.get("author")
    if opened is None or is_bot(author):
        return None
    author_login = (author or {}).get("login")
    times = []
    for group, stamp in (("comments", "createdAt"), ("reviews", "submittedAt")):
        for node in ((item.get(group) or {}).get("nodes")) or []:
            who = node.get("author") if isinstance(node, dict) else None
            when = _time(node.get(stamp)) if isinstance(node, dict) else None
            if when is None or is_bot(who):
                continue
            if who is not None and who.get("login") == author_login:
                continue
            times.append(when)
    if not times:
        return None
    return max((min(times) - opened).total_seconds(), 0.0) / 3600.0


def hours_to_close(item: dict) -> float | None:
    opened, closed = _time(item.get("createdAt")), _time(item.get("closedAt"))
    if opened is None or closed is None:
        return None
    return max((closed - opened).total_seconds(), 0.0) / 3600.0


def activity_rows(
    repo: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    summaries: list[ActivitySummary],
    now: pd.Timestamp,
    source: str,
) -> pd.DataFrame:
    """`issue_activity` rows; 'partial' when the medians come from a sample or are absent."""
    rows = [
        {
            "repo": repo,
            "kind": s.kind,
            "window_start": start,
            "window_end": end,
            "opened": s.opened,
            "closed": s.closed,
            "merged": s.merged,
            "median_hours_to_first_response": s.median_hours_to_first_response,
            "median_hours_to_close": s.median_hours_to_close,
            "source": source,
            "fetched_at": now,
            "quality": "ok" if s.complete else "partial",
        }
        for s in summaries
    ]
    return _table_frame(ISSUE_ACTIVITY, pd.DataFrame(rows, columns=ISSUE_ACTIVITY.column_names))


# ----- small helpers -------------------------------------------------------------------------


def _table_frame(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with exactly the table's columns, in order. The store casts and checks it
    (`Table.conform`) when it is written, so that is done once, not per part."""
    if set(frame.columns) != set(table.column_names):
        raise ValueError(f"rows for {table.name} have columns {sorted(frame.columns)}")
    return frame[table.column_names].reset_index(drop=True)


def _bot_check(patterns: Sequence[str]) -> Callable[[dict | None], bool]:
    """A GraphQL author -> is it an automation account? (A deleted account is not a bot.)"""
    matches = bot_matcher(patterns)

    def is_bot(author: dict | None) -> bool:
        if not isinstance(author, dict):
            return False
        if author.get("__typename") == "Bot":
            return True
        login = author.get("login")
        return isinstance(login, str) and matches(login, "")

    return is_bot


def _commit_date(commit: dict) -> pd.Timestamp | None:
    inner = commit.get("commit") if isinstance(commit.get("commit"), dict) else {}
    for who in ("committer", "author"):
        person = inner.get(who) if isinstance(inner.get(who), dict) else {}
        when = _time(person.get("date"))
        if when is not None:
            return when
    return None


def _tag_prerelease(tag: str) -> bool | None:
    from packaging.version import InvalidVersion, Version

    text = re.sub(r"^(?:release[-_/]?|v(?=\d))", "", tag.strip(), flags=re.IGNORECASE)
    try:
        return Version(text).is_prerelease
    except InvalidVersion:
        return None


def _plain(exc: SourceError) -> str:
    """An error's problem in plain words, starting with who said it."""
    problem = exc.problem
    if problem.startswith(("answered", "kept failing", "redirected", "named")):
        return f"GitHub {problem}"
    if isinstance(exc, TransportError):
        return f"GitHub did not answer: {problem}"
    return problem


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _int(value: Any) -> int | None:
    """An integer from JSON, or None: a string or a bool is not a count."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _time(value: Any) -> pd.Timestamp | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = pd.Timestamp(value)
    except ValueError:
        return None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _utc(value: datetime | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise ValueError("`now` must carry a time zone (UTC)")
    return stamp.tz_convert("UTC")


def _stamp(epoch: float) -> pd.Timestamp:
    return pd.Timestamp(epoch, unit="s", tz="UTC")


def _day(value: pd.Timestamp | datetime | date) -> pd.Timestamp:
    """The UTC calendar day, as the store's naive midnight."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.normalize()


def _week_start(day: pd.Timestamp) -> pd.Timestamp:
    """The Sunday starting the week of `day` (GitHub's statistics weeks start on Sunday)."""
    return day - timedelta(days=(day.weekday() + 1) % 7)
