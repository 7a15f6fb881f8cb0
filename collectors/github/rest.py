"""The REST requests of one repository, and what their answers mean for the store.

`RepoCollection` collects one repository part by part (snapshot, star history, contributors,
releases or tags, commit activity, issue activity), keeping the rows gathered so far when a
later part fails. It asks only for what `StoredState` says is new, and writes nothing itself:
`frames_to_write()` hands the rows to collectors.github.refresh, which publishes them.

    SourceError
    ├── GitHubDataError        (collectors.github.client)
    └── RepoUnavailableError   the repository itself cannot be had (404, 410, 451, 409):
                               marked for the day, its stored history kept
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from collectors.github.activity import GITHUB_BOT_PATTERNS, bot_check, summarize_activity
from collectors.github.client import (
    SOURCE_GRAPHQL,
    SOURCE_SEARCH,
    GitHubDataError,
    plain_words,
)
from collectors.github.graphql import (
    COUNTS_QUERY,
    count_queries,
    run_query,
    sample,
    sample_queries,
    search_counts,
)
from collectors.github.rows import (
    GITHUB_MAX_COUNT,
    activity_rows,
    commit_activity_marker,
    commit_activity_rows,
    commit_date,
    contributor_rows,
    github_time,
    json_int,
    release_rows,
    repository_rows,
    snapshot_marker,
    snapshot_rows,
    tag_rows,
    week_start,
)
from collectors.github.settings import CollectorSettings
from collectors.github.star_history import collect_star_history
from collectors.github.stored import StoredState
from collectors.http import (
    HttpClient,
    ResponseFormatError,
    ServerError,
    StatusError,
    UnsafeUrlError,
)
from collectors.identity import Pseudonymizer
from collectors.sourcerun import day
from errors import SourceError
from registry.names import github_repo_problem, repo_key
from store.schema import TABLES

LIST_PAGE = 100
_SHA = re.compile(r"[0-9a-f]{40}")


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
        self.today = day(now)
        self.is_bot = bot_check(GITHUB_BOT_PATTERNS)
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
                self.problem(f"{label}: {plain_words(exc)}")

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
        doubts: list[str] = []
        snapshot = snapshot_rows(self.repo, data, open_prs, self.now, doubts)
        if fresh or (self.key, self.today) not in self.known.snapshot_keys:
            self.add("repo_snapshots", snapshot)
        repository = repository_rows(self.repo, data, self.now, doubts)
        if not response.from_cache or self.key not in self.known.repositories:
            self.add("repositories", repository)
        for doubt in doubts:
            self.problem(f"repository: GitHub's {doubt}")
        if data.get("archived") is True:
            self.note("archived on GitHub (read-only)")
        return RepoInfo(
            stars=json_int(data.get("stargazers_count"), GITHUB_MAX_COUNT),
            created_at=github_time(data.get("created_at"), self.now),
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
        """Open pull requests from one 1-item page: the `last` link's page number is the count.

        Only if the page holds one item, as asked: a server (or proxy) that ignores
        `per_page` answers more, and its last page number is not the count. Then the last
        page is read too and the count is (pages - 1) x page size + the items on the last
        page, and the message says so."""
        try:
            response = self.client.get(self.path("/pulls"), {"state": "open", "per_page": 1})
            items = response.json_list()
        except (StatusError, ResponseFormatError) as exc:
            self.problem(f"open pull requests: {plain_words(exc)}")
            return None, False
        fresh = not response.from_cache
        last = response.links.get("last")
        if not last:
            return len(items), fresh
        page = parse_qs(urlsplit(last).query).get("page", [""])[0]
        pages = int(page) if page.isdigit() and len(page) < 10 else None
        if pages is None or not items:
            self.problem("open pull requests: GitHub's page links cannot be read; not counted")
            return None, False
        if len(items) == 1:
            return pages, fresh
        try:
            tail = self.client.get(last)
            rest = tail.json_list()
        except (StatusError, ResponseFormatError, UnsafeUrlError) as exc:
            self.problem(
                f"open pull requests: GitHub ignored per_page=1 ({len(items)} a page) and "
                f"its last page could not be read: {plain_words(exc)}; not counted"
            )
            return None, False
        if not 0 < len(rest) <= len(items):
            self.problem(
                f"open pull requests: GitHub ignored per_page=1 ({len(items)} a page) and "
                f"its last page holds {len(rest)}; not counted"
            )
            return None, False
        count = (pages - 1) * len(items) + len(rest)
        self.note(
            f"open pull requests: GitHub ignored per_page=1 and answered {len(items)} a page; "
            f"counted {count:,} from its {pages} pages"
        )
        return count, fresh or not tail.from_cache

    def star_history(self, info: RepoInfo) -> None:
        """Weekly retained stars (see collectors.github.star_history)."""
        collect_star_history(self, info)

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
            dated.append((name, commit_date(commit)))
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
            week = week_start(self.today)
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
        data = run_query(self.client, COUNTS_QUERY, queries)
        counts = {name: json_int((data.get(name) or {}).get("issueCount")) for name in queries}
        samples = {
            stream: sample(self.client, query, self.settings.sample_pages)
            for stream, query in sample_queries(self.listed_as, start, end).items()
        }
        summaries = [
            summarize_activity("issue", counts, samples, self.is_bot),
            summarize_activity("pull_request", counts, samples, self.is_bot),
        ]
        return activity_rows(self.repo, start, end, summaries, self.now, SOURCE_GRAPHQL)

    def _activity_search(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        counts, incomplete = search_counts(self.client, count_queries(self.listed_as, start, end))
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
