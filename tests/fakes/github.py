"""A faithful fake GitHub API: a real HTTP server on 127.0.0.1 (port 0) in a thread.

What it does like GitHub (shared/reference/apis.md, sections A, B and D):
- answers shaped like GitHub's published examples (`github_payloads/`, used as templates);
- `Link` pagination with numeric `/repositories/{id}/...` URLs carrying `per_page`; no `Link`
  when everything fits on one page; a page past the last answers `[]`;
- `x-ratelimit-*` headers per caller and bucket (core 60/h without a token, 5,000/h with one;
  search 10 or 30 a minute; graphql 5,000 points, token required), decremented per answer;
  `304 Not Modified` is free; an empty bucket answers 403 (GraphQL: 200 with RATE_LIMITED);
- weak `ETag`s from the body, `Last-Modified` on repositories; `If-None-Match` /
  `If-Modified-Since` -> 304 without a body (and without `Link`);
- renamed repositories: `301` to `/repositories/{id}`; unknown ones 404; blocked ones 451;
  empty ones 204 (contributors, stats) and 409 (commits, tags);
- the 2026 stargazer restriction (`/stargazers` gives non-admins `[]`, 403 or 404) and
  `/stargazers/history` (weekly buckets, newest first, 30 a page, at most 100 pages);
- `/stats/commit_activity` answers 202 while "computing", then 200;
- GraphQL `IssueCounts` / `IssueSample` (the collector's two queries) over the repository's
  issues, and REST `/search/issues` totals.

Faults a test can script (`FakeGitHub.fail(pattern, Fault.xxx(...), times=n)`): primary limit
(reset soon or far), secondary limit with or without `Retry-After` (seconds or an HTTP date),
5xx, connection reset, a slow answer (timeout), truncated JSON, an HTML page with 200, a JSON
error object for a list, 202 forever, 404/409/422/451, no `Link`, a `Link` or redirect to
another host, and an error message that echoes the Authorization header.

Also here: `FakeClock` (injected clock and sleep), small and realistic worlds of repositories,
and the pytest fixtures (import them with `pytest_plugins = ["tests.fakes.github"]`).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import json
import math
import random
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pandas as pd
import pytest

from collectors import github as github_collector
from collectors.git import Pseudonymizer
from collectors.github import RefreshSummary, refresh_github
from collectors.http import HttpClient
from registry import Registry, parse_registry
from store import SegmentStore

PAYLOADS = Path(__file__).resolve().parent / "github_payloads"
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday: one day back stays in the week
WEEK = 7 * 86400
TEST_TOKEN = "test-token-not-a-secret"  # any non-empty token is accepted, except BAD_TOKEN
BAD_TOKEN = "expired-token"
DOCS = "https://docs.github.com/rest"


# ----- clock ---------------------------------------------------------------------------------


class FakeClock:
    """Epoch seconds that move only when something sleeps: tests never wait for real."""

    def __init__(self, start: float | datetime = NOW) -> None:
        self.now = start.timestamp() if isinstance(start, datetime) else float(start)
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    @property
    def slept(self) -> float:
        return sum(self.sleeps)

    def timestamp(self) -> pd.Timestamp:
        return pd.Timestamp(self.now, unit="s", tz="UTC")


# ----- the world -----------------------------------------------------------------------------


@dataclass
class FakeIssue:
    number: int
    is_pr: bool
    author: str | None  # None: a deleted account ("ghost")
    author_is_bot: bool
    created_at: datetime
    closed_at: datetime | None = None
    merged_at: datetime | None = None
    comments: list[tuple[str | None, bool, datetime]] = field(default_factory=list)
    reviews: list[tuple[str | None, bool, datetime]] = field(default_factory=list)


@dataclass
class FakeRepo:
    full_name: str
    id: int
    created_at: datetime
    star_weeks: dict[int, list[int]]  # week start (epoch, Sunday) -> stars per day
    contributor_count: int = 10
    anonymous_count: int = 0
    bots: tuple[str, ...] = ()
    releases: list[dict] = field(default_factory=list)  # newest first
    tags: list[tuple[str, str, datetime]] = field(default_factory=list)  # name, sha, date
    issues: list[FakeIssue] = field(default_factory=list)
    open_prs: int = 0
    open_issues: int = 0
    forks: int = 0
    subscribers: int = 0
    description: str | None = "A repository"
    language: str | None = "Python"
    homepage: str | None = None
    license_spdx: str | None = "MIT"
    topics: tuple[str, ...] = ()
    default_branch: str = "main"
    archived: bool = False
    state: str = "ok"  # 'ok', 'empty' (no commits), 'missing' (404), 'blocked' (451)
    stats_pending: int = 1  # 202 answers before the first 200; -1: forever
    stargazer_list: str = "empty"  # what non-admins get from /stargazers: 'empty', '403', '404'
    former_names: tuple[str, ...] = ()

    def weeks_until(self, now: float) -> list[tuple[int, list[int]]]:
        """Weekly buckets up to `now`; the current week counts only the days begun so far."""
        out = []
        for week, days in sorted(self.star_weeks.items()):
            if week <= now:
                elapsed = int((now - week) // 86400) + 1
                out.append((week, [n if i < elapsed else 0 for i, n in enumerate(days)]))
        return out

    def stars(self, now: float) -> int:
        return sum(sum(d) for _, d in self.weeks_until(now))

    def contributor(self, index: int) -> dict:
        """The index-th entry of /contributors?anon=1 (most contributions first)."""
        users = self.contributor_count + len(self.bots)
        if index < len(self.bots):
            login = self.bots[index]
            return _user(login, 9_000_000 + index, "Bot", contributions=5_000 - index)
        if index < users:
            n = index - len(self.bots)
            return _user(f"dev{n:04d}", 1_000_000 + n, "User", contributions=max(4_000 - n, 1))
        n = index - users
        return {
            "email": f"person{n:04d}@example.org",
            "name": f"Person {n}",
            "type": "Anonymous",
            "contributions": max(50 - n // 10, 1),
        }


def week_of(moment: datetime) -> int:
    """The Sunday 00:00 UTC starting the week of `moment`, as epoch seconds."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((day - timedelta(days=(day.weekday() + 1) % 7)).timestamp())


def make_repo(
    full_name: str,
    repo_id: int,
    created: datetime,
    *,
    stars: int,
    contributors: int = 10,
    anonymous: int = 0,
    bots: tuple[str, ...] = ("dependabot[bot]",),
    releases: int = 3,
    tags: int = 0,
    issues_per_window: int = 12,
    prs_per_window: int = 18,
    now: datetime = NOW,
    **extra: Any,
) -> FakeRepo:
    """A repository with a deterministic, plausible life from `created` to a little past `now`."""
    rng = random.Random(f"{full_name}-{repo_id}")
    first, last = week_of(created), week_of(now + timedelta(days=60))
    weeks = list(range(first, last + WEEK, WEEK))
    served = [w for w in weeks if w <= now.timestamp()]
    # Stars arrive fast after launch, then steadily with noise; scaled to `stars` by now.
    weights = [(1.0 + 4.0 * math.exp(-i / 12.0)) * rng.uniform(0.6, 1.4) for i in range(len(weeks))]
    scale = stars / sum(weights[: len(served)]) if served else 0.0
    star_weeks = {}
    for week, weight in zip(weeks, weights, strict=True):
        total = int(weight * scale)
        split = [total // 7] * 7
        for i in range(total % 7):
            split[i] += 1
        star_weeks[week] = split
    release_list = []
    span = max((now - created).days, 1)
    for i in range(releases):
        published = (created + timedelta(days=span * (i + 1) / (releases + 1))).replace(
            microsecond=0
        )
        pre = i % 4 == 3
        tag = f"v{1 + i // 4}.{i % 4}.0" + ("rc1" if pre else "")
        release_list.append(
            {"id": repo_id * 1000 + i, "tag_name": tag, "prerelease": pre, "published": published}
        )
    release_list.reverse()
    tag_list = []
    for i in range(tags):
        when = (created + timedelta(days=span * (i + 1) / (tags + 1))).replace(microsecond=0)
        name = f"{i // 3}.{i % 3}" + ("b1" if i % 5 == 4 else "")
        sha = hashlib.sha1(f"{full_name}:{name}".encode()).hexdigest()
        tag_list.append((name, sha, when))
    tag_list.reverse()
    issues = _issues(rng, now, issues_per_window, prs_per_window, bots)
    open_prs = extra.pop("open_prs", sum(1 for i in issues if i.is_pr and i.closed_at is None))
    open_issues = extra.pop(
        "open_issues", sum(1 for i in issues if not i.is_pr and i.closed_at is None)
    )
    return FakeRepo(
        full_name=full_name,
        id=repo_id,
        created_at=created,
        star_weeks=star_weeks,
        contributor_count=contributors,
        anonymous_count=anonymous,
        bots=bots,
        releases=release_list,
        tags=tag_list,
        issues=issues,
        open_prs=open_prs,
        open_issues=open_issues,
        forks=extra.pop("forks", stars // 6),
        subscribers=extra.pop("subscribers", max(stars // 40, 1)),
        **extra,
    )


def _issues(
    rng: random.Random, now: datetime, issues: int, prs: int, bots: tuple[str, ...]
) -> list[FakeIssue]:
    """About 70 days of issues and PRs (28-day windows see some opened before them)."""
    out: list[FakeIssue] = []
    total = int((issues + prs) * 2.5)
    for number in range(1, total + 1):
        is_pr = rng.random() < prs / max(issues + prs, 1)
        created = now - timedelta(days=rng.uniform(0.5, 70.0))
        by_bot = is_pr and bots and rng.random() < 0.15
        author = bots[0].removesuffix("[bot]") if by_bot else f"dev{rng.randrange(200):04d}"
        item = FakeIssue(number, is_pr, author, bool(by_bot), created)
        # The author first, sometimes a bot, then (usually) a maintainer.
        when = created + timedelta(hours=rng.uniform(0.1, 2.0))
        item.comments.append((author, bool(by_bot), when))
        if rng.random() < 0.3:
            item.comments.append(("github-actions", True, created + timedelta(minutes=5)))
        if rng.random() < 0.85:
            reply = created + timedelta(hours=rng.expovariate(1 / 20.0))
            responder = (f"maint{rng.randrange(8)}", False, reply)
            (item.reviews if is_pr and rng.random() < 0.5 else item.comments).append(responder)
        if rng.random() < 0.6:
            closed = created + timedelta(hours=rng.expovariate(1 / 100.0))
            if closed < now:
                item.closed_at = closed
                if is_pr and rng.random() < 0.7:
                    item.merged_at = closed
        out.append(item)
    return out


def small_world(now: datetime = NOW) -> list[FakeRepo]:
    """Three small repositories, cheap enough for an unauthenticated cold refresh."""
    return [
        make_repo(
            "octo-org/alpha",
            101,
            datetime(2024, 2, 10, 9, 30, tzinfo=UTC),
            stars=1500,
            contributors=130,
            anonymous=40,
            releases=12,
            now=now,
            topics=("ml", "python"),
            description="Alpha: a library",
        ),
        make_repo(
            "octo-org/beta",
            102,
            datetime(2025, 1, 5, 15, 0, tzinfo=UTC),
            stars=300,
            contributors=20,
            releases=0,
            tags=6,
            now=now,
            license_spdx=None,
        ),
        make_repo(
            "octo-org/gamma",
            103,
            datetime(2025, 9, 1, 8, 0, tzinfo=UTC),
            stars=80,
            contributors=8,
            bots=(),
            releases=3,
            issues_per_window=4,
            prs_per_window=5,
            now=now,
        ),
    ]


SMALL_REGISTRY = """
[[projects]]
id = "alpha"
name = "Alpha"
group = "Test"
repos = ["octo-org/alpha"]

[[projects]]
id = "beta"
name = "Beta"
group = "Test"
repos = ["octo-org/beta"]

[[projects]]
id = "gamma"
name = "Gamma"
group = "Test"
repos = ["octo-org/gamma"]
"""

# The default project list with realistic ages and sizes (late 2026, rounded): created,
# stars, contributors (linked accounts), anonymous e-mails, releases, tags, issues and PRs
# opened in 28 days.
DEFAULT_WORLD_FACTS: dict[str, tuple] = {
    "tensorflow/tensorflow": ("2015-11-07", 192_000, 3_600, 1_500, 230, 0, 150, 260),
    "pytorch/pytorch": ("2016-08-13", 96_000, 4_000, 1_800, 60, 0, 450, 1_800),
    "huggingface/transformers": ("2018-10-29", 150_000, 3_000, 400, 200, 0, 250, 450),
    "scikit-learn/scikit-learn": ("2010-08-17", 63_000, 3_000, 900, 60, 0, 100, 200),
    "opencv/opencv": ("2012-07-19", 84_000, 1_700, 600, 40, 0, 80, 150),
    "keras-team/keras": ("2015-03-28", 63_000, 1_400, 300, 80, 0, 50, 100),
    "CompVis/stable-diffusion": ("2022-08-10", 71_000, 20, 5, 0, 0, 10, 2),
    "AUTOMATIC1111/stable-diffusion-webui": ("2022-08-22", 156_000, 600, 50, 15, 0, 60, 20),
    "huggingface/diffusers": ("2022-05-30", 31_000, 1_000, 80, 60, 0, 80, 250),
    "openai/gpt-2": ("2019-02-11", 24_000, 15, 3, 0, 4, 0, 0),
    "openai/gpt-oss": ("2025-08-05", 19_000, 80, 5, 5, 0, 30, 40),
}


def default_world(repos: list[str], now: datetime = NOW) -> list[FakeRepo]:
    """The tracked repositories with realistic ages and sizes (unknown names get small ones)."""
    world = []
    for index, name in enumerate(repos):
        facts = DEFAULT_WORLD_FACTS.get(name, ("2020-01-01", 1_000, 20, 0, 5, 0, 5, 5))
        created, stars, people, anon, releases, tags, issues, prs = facts
        world.append(
            make_repo(
                name,
                10_000 + index,
                datetime.fromisoformat(created).replace(tzinfo=UTC),
                stars=stars,
                contributors=people,
                anonymous=anon,
                releases=releases,
                tags=tags,
                issues_per_window=issues,
                prs_per_window=prs,
                archived=name == "openai/gpt-2",
                now=now,
            )
        )
    return world


# ----- faults --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """Something going wrong, as a test scripts it. Build with the class methods."""

    kind: str
    status: int = 0
    seconds: float = 0.0
    value: str = ""

    @classmethod
    def primary_limit(cls, reset_in: float, status: int = 403) -> Fault:
        """The hourly budget runs out now and comes back in `reset_in` seconds."""
        return cls("primary", status, reset_in)

    @classmethod
    def secondary_limit(cls, retry_after: float | str | None = None, status: int = 403) -> Fault:
        """'You have exceeded a secondary rate limit', with Retry-After seconds, date or none."""
        value = "" if retry_after is None else str(retry_after)
        if isinstance(retry_after, float | int):
            value = str(int(retry_after))
        return cls("secondary", status, 0.0, value)

    @classmethod
    def http_error(cls, status: int, message: str = "") -> Fault:
        return cls("error", status, 0.0, message)

    @classmethod
    def connection_reset(cls) -> Fault:
        return cls("reset")

    @classmethod
    def slow(cls, seconds: float = 0.5) -> Fault:
        """Answer only after `seconds` of real time: past a short client read timeout."""
        return cls("slow", 0, seconds)

    @classmethod
    def truncated_json(cls) -> Fault:
        return cls("truncated")

    @classmethod
    def html_page(cls) -> Fault:
        return cls("html", 200)

    @classmethod
    def error_object(cls, message: str = "Server Error") -> Fault:
        """200 with `{"message": ...}` where a list belongs."""
        return cls("object", 200, 0.0, message)

    @classmethod
    def answer(cls, status: int, data: Any) -> Fault:
        """Any JSON answer, e.g. a repository object with a hostile `full_name`."""
        return cls("answer", status, 0.0, json.dumps(data))

    @classmethod
    def accepted(cls) -> Fault:
        """202 Accepted, `{}`: still computing."""
        return cls("accepted", 202)

    @classmethod
    def no_link(cls) -> Fault:
        return cls("no_link")

    @classmethod
    def foreign_link(cls, base: str = "http://127.0.0.2:9") -> Fault:
        return cls("foreign_link", 0, 0.0, base)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Fault:
        return cls("redirect", status, 0.0, location)

    @classmethod
    def echo_authorization(cls) -> Fault:
        """A hostile proxy: 401 whose message repeats the Authorization header."""
        return cls("echo", 401)


@dataclass
class _Scripted:
    pattern: re.Pattern
    fault: Fault
    times: int | None
    method: str


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False


@dataclass
class Logged:
    """One request as served: what a test or the benchmark can count."""

    method: str
    path: str
    query: str
    status: int
    resource: str
    charged: int
    authenticated: bool


@dataclass
class _Bucket:
    limit: int
    remaining: int
    reset: float
    window: float


# ----- the server ----------------------------------------------------------------------------


class FakeGitHub:
    """The fake API. `start()` serves it on 127.0.0.1; `url` is its base URL."""

    def __init__(
        self,
        repos: list[FakeRepo] | None = None,
        *,
        clock: FakeClock | None = None,
        admin_tokens: tuple[str, ...] = (),
        core_limit: tuple[int, int] = (60, 5000),  # without, with a token
        host: str = "127.0.0.1",
    ) -> None:
        self.host = host
        self.clock = clock or FakeClock()
        self.admin_tokens = admin_tokens
        self.core_limit = core_limit
        self._repos: dict[int, FakeRepo] = {}
        self._names: dict[str, int] = {}
        self._moved: dict[str, int] = {}
        for repo in repos or []:
            self.add(repo)
        self._faults: list[_Scripted] = []
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._stats_calls: Counter[int] = Counter()
        self.log: list[Logged] = []
        self.authorizations: list[str] = []  # raw header values, in memory only
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----- set-up --------------------------------------------------------------------------

    def add(self, repo: FakeRepo) -> None:
        self._repos[repo.id] = repo
        self._names[repo.full_name.lower()] = repo.id
        for old in repo.former_names:
            self._moved[old.lower()] = repo.id

    def repo(self, full_name: str) -> FakeRepo:
        return self._repos[self._names[full_name.lower()]]

    def rename(self, old: str, new: str) -> None:
        """The owners rename a repository: the old name answers 301 from now on."""
        with self._lock:
            repo = self.repo(old)
            del self._names[old.lower()]
            repo.full_name = new
            repo.former_names = (*repo.former_names, old)
            self._names[new.lower()] = repo.id
            self._moved[old.lower()] = repo.id

    def fail(
        self, pattern: str, fault: Fault, *, times: int | None = 1, method: str = "GET"
    ) -> None:
        """Answer requests whose path?query matches `pattern` with `fault`, `times` times
        (None: every time)."""
        with self._lock:
            self._faults.append(_Scripted(re.compile(pattern), fault, times, method))

    def exhaust(self, token: str | None, resource: str = "core", reset_in: float = 7200) -> None:
        """Spend a caller's whole budget now; it comes back in `reset_in` seconds."""
        with self._lock:
            bucket = self._bucket(token, resource)
            bucket.remaining = 0
            bucket.reset = self.clock() + reset_in

    def budget(self, token: str | None, resource: str = "core") -> _Bucket:
        """A caller's bucket as the fake counts it (limit, remaining, reset)."""
        with self._lock:
            return self._bucket(token, resource)

    # ----- running -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> FakeGitHub:
        server = ThreadingHTTPServer((self.host, 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.github = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- what was served -----------------------------------------------------------------

    def served(self, pattern: str = "", method: str | None = None) -> list[Logged]:
        rx = re.compile(pattern)
        return [
            e
            for e in self.log
            if rx.search(e.path + ("?" + e.query if e.query else ""))
            and (method is None or e.method == method)
        ]

    def points(self, resource: str | None = None) -> int:
        """Rate-limit points charged (a 304 costs none)."""
        return sum(e.charged for e in self.log if resource in (None, e.resource))

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    # ----- handling ------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Reply:
        with self._lock:
            parts = urlsplit(target)
            path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
            authorization = headers.get("Authorization") or ""
            if authorization:
                self.authorizations.append(authorization)
            token = authorization.split(" ", 1)[1] if " " in authorization else None
            resource = (
                "search"
                if path.startswith("/search/")
                else "graphql"
                if path == "/graphql"
                else "core"
            )
            fault = self._take_fault(method, path, parts.query)
            reply = self._answer(
                method, path, parts.query, query, headers, body, token, resource, fault
            )
            charged = self._charge(reply, token, resource, path, body)
            self.log.append(
                Logged(method, path, parts.query, reply.status, resource, charged, bool(token))
            )
            return reply

    def _answer(
        self,
        method: str,
        path: str,
        raw_query: str,
        query: dict[str, str],
        headers: Any,
        body: bytes,
        token: str | None,
        resource: str,
        fault: Fault | None,
    ) -> Reply:
        if fault is not None and fault.kind not in {"no_link", "foreign_link", "truncated", "slow"}:
            return self._fault_reply(fault, token, resource, headers)
        if token == BAD_TOKEN:
            return _error(401, "Bad credentials")
        if path != "/rate_limit":
            limited = self._limited(token, resource)
            if limited is not None:
                return limited
        reply = self._route(method, path, raw_query, query, body, token)
        if reply.status == 200 and method == "GET":
            reply = _conditional(reply, headers)
        if fault is not None:
            reply = self._modify(reply, fault)
        return reply

    def _take_fault(self, method: str, path: str, query: str) -> Fault | None:
        target = path + ("?" + query if query else "")
        for item in self._faults:
            if item.method == method and item.pattern.search(target):
                if item.times is not None:
                    item.times -= 1
                    if item.times <= 0:
                        self._faults.remove(item)
                return item.fault
        return None

    def _fault_reply(self, fault: Fault, token: str | None, resource: str, headers: Any) -> Reply:
        if fault.kind == "primary":
            bucket = self._bucket(token, resource)
            bucket.remaining = 0
            bucket.reset = self.clock() + fault.seconds
            return _error(fault.status, _limit_message(token))
        if fault.kind == "secondary":
            reply = _error(
                fault.status,
                "You have exceeded a secondary rate limit. Please wait a few minutes before "
                "you try again.",
            )
            if fault.value:
                reply.headers["Retry-After"] = fault.value
            return reply
        if fault.kind == "error":
            return _error(fault.status, fault.value or _REASONS.get(fault.status, "Error"))
        if fault.kind == "reset":
            return Reply(0, reset=True)
        if fault.kind == "html":
            page = (
                b"<!DOCTYPE html><html><head><title>Sign in</title></head>"
                b"<body>Sign in to continue</body></html>"
            )
            return Reply(200, page, {"Content-Type": "text/html; charset=utf-8"})
        if fault.kind == "object":
            return _json(200, {"message": fault.value, "documentation_url": DOCS})
        if fault.kind == "answer":
            return Reply(fault.status, fault.value.encode(), {"Content-Type": "application/json"})
        if fault.kind == "accepted":
            return _json(202, {})
        if fault.kind == "redirect":
            return Reply(fault.status, b"", {"Location": fault.value})
        if fault.kind == "echo":
            return _error(401, f"Bad credentials: {headers.get('Authorization')}")
        raise ValueError(f"unknown fault {fault.kind}")

    def _modify(self, reply: Reply, fault: Fault) -> Reply:
        if fault.kind == "no_link":
            reply.headers.pop("Link", None)
        elif fault.kind == "foreign_link" and "Link" in reply.headers:
            reply.headers["Link"] = re.sub(
                r"<https?://[^/>]+", "<" + fault.value, reply.headers["Link"]
            )
        elif fault.kind == "truncated" and reply.body:
            reply.body = reply.body[: max(len(reply.body) // 2, 1)]
        elif fault.kind == "slow":
            reply.delay = fault.seconds
        return reply

    # ----- rate limits ---------------------------------------------------------------------

    def _bucket(self, token: str | None, resource: str) -> _Bucket:
        key = (token or "anonymous", resource)
        bucket = self._buckets.get(key)
        now = self.clock()
        if bucket is None or now >= bucket.reset:
            limit, window = {
                "core": (self.core_limit[1 if token else 0], 3600.0),
                "search": (30 if token else 10, 60.0),
                "graphql": (5000, 3600.0),
            }[resource]
            bucket = _Bucket(limit, limit, now + window, window)
            self._buckets[key] = bucket
        return bucket

    def _limited(self, token: str | None, resource: str) -> Reply | None:
        bucket = self._bucket(token, resource)
        if bucket.remaining > 0:
            return None
        if resource == "graphql":
            return _json(
                200,
                {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]},
            )
        return _error(403, _limit_message(token))

    def _charge(
        self, reply: Reply, token: str | None, resource: str, path: str, body: bytes
    ) -> int:
        if reply.reset or path == "/rate_limit":
            return 0
        bucket = self._bucket(token, resource)
        cost = 0
        if reply.status not in (304,) and bucket.remaining > 0 and not _is_limit_reply(reply):
            cost = _graphql_cost(body) if resource == "graphql" else 1
            cost = min(cost, bucket.remaining)
            bucket.remaining -= cost
        reply.headers.update(
            {
                "x-ratelimit-limit": str(bucket.limit),
                "x-ratelimit-remaining": str(bucket.remaining),
                "x-ratelimit-used": str(bucket.limit - bucket.remaining),
                "x-ratelimit-reset": str(int(bucket.reset)),
                "x-ratelimit-resource": resource,
            }
        )
        return cost

    # ----- routes --------------------------------------------------------------------------

    def _route(
        self,
        method: str,
        path: str,
        raw_query: str,
        query: dict[str, str],
        body: bytes,
        token: str | None,
    ) -> Reply:
        if method == "POST" and path == "/graphql":
            if not token:
                return _error(401, "This endpoint requires you to be authenticated.")
            return self._graphql(body)
        if method != "GET":
            return _error(404, "Not Found")
        if path == "/rate_limit":
            return self._rate_limit(token)
        if path == "/search/issues":
            return self._search(query)
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        if match:
            name = f"{match.group(1)}/{match.group(2)}".lower()
            rest = match.group(3) or ""
            if name in self._moved and name not in self._names:
                target = f"{self.url}/repositories/{self._moved[name]}{rest}"
                if raw_query:
                    target += "?" + raw_query
                reply = _json(
                    301, {"message": "Moved Permanently", "url": target, "documentation_url": DOCS}
                )
                reply.headers["Location"] = target
                return reply
            repo_id = self._names.get(name)
        else:
            match = re.fullmatch(r"/repositories/(\d+)(/.*)?", path)
            if not match:
                return _error(404, "Not Found")
            repo_id, rest = int(match.group(1)), match.group(2) or ""
        repo = self._repos.get(repo_id) if repo_id is not None else None
        if repo is None or repo.state == "missing":
            return _error(404, "Not Found")
        if repo.state == "blocked":
            return _json(
                451,
                {
                    "message": "Repository access blocked",
                    "block": {"reason": "dmca", "created_at": "2026-01-01T00:00:00Z"},
                },
            )
        return self._repo_route(repo, rest, query, token)

    def _repo_route(
        self, repo: FakeRepo, rest: str, query: dict[str, str], token: str | None
    ) -> Reply:
        now = self.clock()
        empty = repo.state == "empty"
        if rest == "":
            reply = _json(200, _repository(repo, now))
            reply.headers["Last-Modified"] = format_datetime(
                datetime.fromtimestamp(int(now) - int(now) % 86400, UTC), usegmt=True
            )
            return reply
        if rest == "/stargazers/history":
            weeks = [
                {"week": w, "total": sum(d), "days": d} for w, d in reversed(repo.weeks_until(now))
            ]
            return self._paged(
                repo, rest, query, len(weeks), lambda a, b: weeks[a:b], maximum=30, max_page=100
            )
        if rest == "/stargazers":
            return self._stargazers(repo, token)
        if rest == "/contributors":
            if empty:
                return Reply(204)
            anon = query.get("anon", "").lower() in {"1", "true"}
            users = repo.contributor_count + len(repo.bots)
            total = users + (repo.anonymous_count if anon else 0)
            return self._paged(
                repo, rest, query, total, lambda a, b: [repo.contributor(i) for i in range(a, b)]
            )
        if rest == "/releases":
            items = [_release(r) for r in repo.releases]
            return self._paged(repo, rest, query, len(items), lambda a, b: items[a:b])
        if rest == "/tags":
            if empty:
                return _error(409, "Git Repository is empty.")
            items = [_tag(repo, name, sha) for name, sha, _ in repo.tags]
            return self._paged(repo, rest, query, len(items), lambda a, b: items[a:b])
        match = re.fullmatch(r"/commits/([0-9a-f]{40})", rest)
        if match or rest == "/commits":
            if empty:
                return _error(409, "Git Repository is empty.")
            dates = {sha: when for _, sha, when in repo.tags}
            if match and match.group(1) in dates:
                return _json(200, _commit(repo, match.group(1), dates[match.group(1)]))
            return _error(422, "No commit found for SHA")
        if rest == "/stats/commit_activity":
            if empty:
                return Reply(204)
            self._stats_calls[repo.id] += 1
            if repo.stats_pending < 0 or self._stats_calls[repo.id] <= repo.stats_pending:
                return _json(202, {})
            return _json(200, _commit_activity(repo, now))
        if rest == "/pulls":
            count = repo.open_prs if query.get("state", "open") == "open" else 0
            return self._paged(
                repo, rest, query, count, lambda a, b: [_pull(repo, n) for n in range(a, b)]
            )
        return _error(404, "Not Found")

    def _paged(
        self,
        repo: FakeRepo,
        rest: str,
        query: dict[str, str],
        total: int,
        fetch: Callable[[int, int], list],
        *,
        maximum: int = 100,
        max_page: int | None = None,
    ) -> Reply:
        try:
            per_page = min(max(int(query.get("per_page", 30)), 1), maximum)
            page = max(int(query.get("page", 1)), 1)
        except ValueError:
            return _error(422, "Invalid request.")
        if max_page is not None and page > max_page:
            return _error(
                422,
                "In order to keep the API fast for everyone, pagination is limited for this "
                "resource. Check the rel=last link relation in the Link response header to see "
                "how far back you can traverse.",
            )
        start = (page - 1) * per_page
        items = fetch(start, min(start + per_page, total)) if start < total else []
        reply = _json(200, items)
        last = max(math.ceil(total / per_page), 1)
        if max_page is not None:
            last = min(last, max_page)
        if last > 1:

            def link(n: int) -> str:
                params = {**query, "per_page": str(per_page), "page": str(n)}
                return f"{self.url}/repositories/{repo.id}{rest}?{urlencode(params)}"

            rels = []
            if page > 1:
                rels += [f'<{link(page - 1)}>; rel="prev"', f'<{link(1)}>; rel="first"']
            if page < last:
                rels += [f'<{link(page + 1)}>; rel="next"', f'<{link(last)}>; rel="last"']
            if rels:
                reply.headers["Link"] = ", ".join(rels)
        return reply

    def _stargazers(self, repo: FakeRepo, token: str | None) -> Reply:
        if token in self.admin_tokens:
            return _json(200, _template("simple-user-items-default-response.json"))
        if repo.stargazer_list == "403":
            return _error(403, "Must have admin rights to Repository.")
        if repo.stargazer_list == "404":
            return _error(404, "Not Found")
        return _json(200, [])

    def _rate_limit(self, token: str | None) -> Reply:
        data = _template("rate-limit-overview.json")
        for resource in ("core", "search", "graphql"):
            bucket = self._bucket(token, resource)
            data["resources"][resource] = {
                "limit": bucket.limit,
                "remaining": bucket.remaining,
                "reset": int(bucket.reset),
                "used": bucket.limit - bucket.remaining,
            }
        data["rate"] = data["resources"]["core"]
        return _json(200, data)

    # ----- search and GraphQL --------------------------------------------------------------

    def _find(self, q: str) -> list[FakeIssue]:
        terms = q.split()
        repo_name = next((t[5:] for t in terms if t.startswith("repo:")), "")
        repo_id = self._names.get(repo_name.lower())
        if repo_id is None:
            return []
        items = [i for i in self._repos[repo_id].issues if _matches(i, terms)]
        order = next((t[5:] for t in terms if t.startswith("sort:")), "created-desc")
        if order.startswith("updated"):
            items.sort(key=lambda i: i.closed_at or i.created_at, reverse=True)
        else:
            items.sort(key=lambda i: i.created_at, reverse=True)
        return items

    def _search(self, query: dict[str, str]) -> Reply:
        found = self._find(query.get("q", ""))
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        if page * per_page > 1000:
            return _error(422, "Only the first 1000 search results are available")
        chunk = found[(page - 1) * per_page : page * per_page]
        template = _template("issue-search-result-item-paginated.json")["items"][0]
        items = []
        for issue in chunk:
            item = copy.deepcopy(template)
            item.update(
                number=issue.number,
                created_at=_iso(issue.created_at),
                closed_at=_iso(issue.closed_at),
            )
            items.append(item)
        return _json(200, {"total_count": len(found), "incomplete_results": False, "items": items})

    def _graphql(self, body: bytes) -> Reply:
        try:
            request = json.loads(body)
            query, variables = request["query"], request.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return _json(200, {"errors": [{"message": "Problems parsing JSON"}]})
        operation = re.search(r"query\s+(\w+)", query)
        name = operation.group(1) if operation else ""
        budget = {"cost": 1, "remaining": 0, "resetAt": "2026-01-01T00:00:00Z"}
        if name == "IssueCounts":
            data: dict[str, Any] = {"rateLimit": budget}
            for alias, q in variables.items():
                data[alias] = {"issueCount": len(self._find(q))}
            return _json(200, {"data": data})
        if name == "IssueSample":
            found = self._find(variables.get("q") or "")
            cursor = variables.get("cursor")
            start = int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
            chunk = found[start : start + 100]
            end = start + len(chunk)
            data = {
                "rateLimit": {**budget, "cost": 2},
                "search": {
                    "issueCount": len(found),
                    "pageInfo": {
                        "hasNextPage": end < len(found),
                        "endCursor": base64.b64encode(f"cursor:{end}".encode()).decode(),
                    },
                    "nodes": [_graphql_node(i) for i in chunk],
                },
            }
            return _json(200, {"data": data})
        return _json(200, {"errors": [{"message": f"unknown operation {name!r}"}]})


# ----- answers -------------------------------------------------------------------------------

_REASONS = {
    404: "Not Found",
    409: "Git Repository is empty.",
    410: "Gone",
    422: "Validation Failed",
    451: "Repository access blocked",
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
}


@cache
def _template_text(name: str) -> str:
    return (PAYLOADS / name).read_text()


def _template(name: str) -> Any:
    return json.loads(_template_text(name))


def _json(status: int, data: Any) -> Reply:
    return Reply(
        status,
        json.dumps(data, separators=(",", ":")).encode(),
        {"Content-Type": "application/json; charset=utf-8"},
    )


def _error(status: int, message: str) -> Reply:
    return _json(status, {"message": message, "documentation_url": DOCS})


def _limit_message(token: str | None) -> str:
    who = "for this token" if token else "for 127.0.0.1"
    return (
        f"API rate limit exceeded {who}. (But here's the good news: Authenticated requests "
        "get a higher rate limit.)"
    )


def _is_limit_reply(reply: Reply) -> bool:
    return reply.status in (403, 429) and b"rate limit" in reply.body


def _graphql_cost(body: bytes) -> int:
    return 2 if b"IssueSample" in body else 1


def _conditional(reply: Reply, headers: Any) -> Reply:
    etag = 'W/"' + hashlib.sha256(reply.body).hexdigest()[:32] + '"'
    reply.headers["ETag"] = etag
    if headers.get("If-None-Match") == etag or (
        headers.get("If-None-Match") is None
        and reply.headers.get("Last-Modified")
        and headers.get("If-Modified-Since") == reply.headers["Last-Modified"]
    ):
        return Reply(304, b"", {"ETag": etag})
    return reply


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _user(login: str, user_id: int, kind: str, **extra: Any) -> dict:
    item = _template("contributor-items-response-if-repository-contains-content.json")[0]
    text = json.dumps(item).replace("octocat", login)
    item = json.loads(text)
    item.update(id=user_id, type=kind, **extra)
    return item


def _repository(repo: FakeRepo, now: float) -> dict:
    data = _template("full-repository-default-response.json")
    owner, name = repo.full_name.split("/")
    text = json.dumps(data).replace("octocat/Hello-World", repo.full_name)
    data = json.loads(text)
    for key in ("parent", "source", "organization", "template_repository", "temp_clone_token"):
        data.pop(key, None)
    stars = repo.stars(now)
    data.update(
        id=repo.id,
        name=name,
        full_name=repo.full_name,
        fork=False,
        description=repo.description,
        homepage=repo.homepage,
        language=repo.language,
        stargazers_count=stars,
        watchers_count=stars,
        watchers=stars,
        subscribers_count=repo.subscribers,
        forks_count=repo.forks,
        forks=repo.forks,
        network_count=repo.forks,
        open_issues_count=repo.open_issues + repo.open_prs,
        open_issues=repo.open_issues + repo.open_prs,
        topics=list(repo.topics),
        archived=repo.archived,
        default_branch=repo.default_branch,
        size=0 if repo.state == "empty" else 1024,
        created_at=_iso(repo.created_at),
        # Pushes land once a day, at midnight: the object changes only when the day does.
        pushed_at=_iso(datetime.fromtimestamp(now - now % 86400, UTC)),
        updated_at=_iso(datetime.fromtimestamp(now - now % 86400, UTC)),
    )
    data["owner"]["login"] = owner
    data["license"] = (
        {
            "key": repo.license_spdx.lower(),
            "name": f"{repo.license_spdx} License",
            "spdx_id": repo.license_spdx,
            "url": f"https://api.github.com/licenses/{repo.license_spdx.lower()}",
            "node_id": "MDc6TGljZW5zZTA=",
        }
        if repo.license_spdx
        else None
    )
    return data


def _release(release: dict) -> dict:
    item = _template("release-items.json")[0]
    published = _iso(release["published"])
    item.update(
        id=release["id"],
        tag_name=release["tag_name"],
        name=release["tag_name"],
        prerelease=release["prerelease"],
        draft=False,
        created_at=published,
        published_at=published,
        assets=[],
    )
    return item


def _tag(repo: FakeRepo, name: str, sha: str) -> dict:
    item = _template("tag-items.json")[0]
    item.update(name=name)
    item["commit"] = {
        "sha": sha,
        "url": f"https://api.github.com/repos/{repo.full_name}/commits/{sha}",
    }
    return item


def _commit(repo: FakeRepo, sha: str, when: datetime) -> dict:
    item = _template("commit-items.json")[0]
    item["sha"] = sha
    item["commit"]["author"]["date"] = _iso(when)
    item["commit"]["committer"]["date"] = _iso(when)
    return item


def _commit_activity(repo: FakeRepo, now: float) -> list[dict]:
    rng = random.Random(repo.id)
    current = week_of(datetime.fromtimestamp(now, UTC))
    weeks = []
    for i in range(52):
        days = [rng.randrange(0, 12) for _ in range(7)]
        weeks.append({"days": days, "total": sum(days), "week": current - (51 - i) * WEEK})
    return weeks


def _pull(repo: FakeRepo, index: int) -> dict:
    item = _template("pull-request-simple-items.json")[0]
    item.update(number=100_000 - index, id=repo.id * 100_000 + index, state="open")
    return item


def _graphql_node(issue: FakeIssue) -> dict:
    def person(login: str | None, bot: bool) -> dict | None:
        if login is None:
            return None
        return {"__typename": "Bot" if bot else "User", "login": login}

    node: dict[str, Any] = {
        "__typename": "PullRequest" if issue.is_pr else "Issue",
        "number": issue.number,
        "createdAt": _iso(issue.created_at),
        "closedAt": _iso(issue.closed_at),
        "author": person(issue.author, issue.author_is_bot),
        "comments": {
            "nodes": [
                {"createdAt": _iso(when), "author": person(login, bot)}
                for login, bot, when in sorted(issue.comments, key=lambda c: c[2])[:20]
            ]
        },
    }
    if issue.is_pr:
        node["mergedAt"] = _iso(issue.merged_at)
        node["reviews"] = {
            "nodes": [
                {"submittedAt": _iso(when), "author": person(login, bot)}
                for login, bot, when in sorted(issue.reviews, key=lambda c: c[2])[:20]
            ]
        }
    return node


def _day_range(text: str) -> tuple[datetime, datetime]:
    """GitHub search date qualifiers: 'A..B' (inclusive days), '<A', '>=A', 'A'."""

    def day(value: str) -> datetime:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    if ".." in text:
        a, b = text.split("..")
        return day(a), day(b) + timedelta(days=1)
    if text.startswith(">="):
        return day(text[2:]), datetime.max.replace(tzinfo=UTC)
    if text.startswith("<"):
        return datetime.min.replace(tzinfo=UTC), day(text[1:])
    return day(text), day(text) + timedelta(days=1)


def _matches(issue: FakeIssue, terms: list[str]) -> bool:
    for term in terms:
        key, _, value = term.partition(":")
        if key == "is":
            if (value == "issue" and issue.is_pr) or (value == "pr" and not issue.is_pr):
                return False
            if (value == "open" and issue.closed_at) or (value == "closed" and not issue.closed_at):
                return False
        elif key in {"created", "closed", "merged"}:
            moment = {
                "created": issue.created_at,
                "closed": issue.closed_at,
                "merged": issue.merged_at,
            }[key]
            start, end = _day_range(value)
            if moment is None or not start <= moment < end:
                return False
    return True


# ----- the HTTP plumbing ---------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.github.handle(method, self.path, self.headers, body)  # type: ignore[attr-defined]
        if reply.delay:
            time.sleep(reply.delay)  # real time: the client's read timeout must fire
        try:
            if reply.reset:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.status not in (204, 304):
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.status not in (204, 304):
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the tests read `FakeGitHub.log` instead

    def handle(self) -> None:
        # A client that timed out or reset the connection is a scripted fault, not an error.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError, TimeoutError):
            super().handle()


# ----- fixtures ------------------------------------------------------------------------------


def client_for(
    server: FakeGitHub,
    clock: FakeClock,
    cache_path: Path,
    token: str | None = TEST_TOKEN,
    **options: Any,
) -> HttpClient:
    """The collector's own client, pointed at the fake, with the fake's clock and sleep."""
    options.setdefault("read_timeout", 0.25)
    options.setdefault("connect_timeout", 0.5)
    return github_collector.github_client(
        token,
        base_url=server.url,
        cache_path=cache_path,
        clock=clock,
        sleep=clock.sleep,
        **options,
    )


def refresh(
    registry: Registry, store: SegmentStore, client: HttpClient, clock: FakeClock, **options: Any
) -> RefreshSummary:
    """One refresh at the fake clock's time, with a fixed pseudonym key."""
    options.setdefault("ids", TEST_IDS)
    return refresh_github(registry, store, client, now=clock.timestamp(), **options)


TEST_IDS = Pseudonymizer(b"fixed test key, 32 bytes long!!!")


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def github_server(fake_clock: FakeClock) -> Iterator[FakeGitHub]:
    """A healthy fake GitHub with the three small repositories."""
    with FakeGitHub(small_world(), clock=fake_clock) as server:
        yield server


@pytest.fixture
def tracked_registry() -> Registry:
    return parse_registry(SMALL_REGISTRY, "projects.toml")


@pytest.fixture
def cache_file(user_data_dir: Path) -> Path:
    return user_data_dir / "http-cache" / "github.json"


@pytest.fixture
def github_client(
    github_server: FakeGitHub, fake_clock: FakeClock, cache_file: Path
) -> Iterator[HttpClient]:
    """A client with a (harmless) token, pointed at `github_server`."""
    client = client_for(github_server, fake_clock, cache_file)
    yield client
    client.close()


@pytest.fixture
def anonymous_client(
    github_server: FakeGitHub, fake_clock: FakeClock, cache_file: Path
) -> Iterator[HttpClient]:
    """A client without a token (60 requests an hour, no GraphQL)."""
    client = client_for(github_server, fake_clock, cache_file, token=None)
    yield client
    client.close()


@pytest.fixture
def rate_limited_github(github_server: FakeGitHub) -> FakeGitHub:
    """The test token's core budget is spent; it comes back in two hours."""
    github_server.exhaust(TEST_TOKEN, "core", reset_in=7200)
    return github_server


@pytest.fixture
def refreshed_yesterday(
    github_server: FakeGitHub,
    tracked_registry: Registry,
    fresh_store: SegmentStore,
    fake_clock: FakeClock,
    cache_file: Path,
) -> SegmentStore:
    """A store holding one complete refresh made a day ago; the clock is back at NOW."""
    fake_clock.now = NOW.timestamp() - 86400
    client = client_for(github_server, fake_clock, cache_file)
    summary = refresh(tracked_registry, fresh_store, client, fake_clock)
    client.close()
    assert all(o.status == "ok" for o in summary), summary.lines()
    fake_clock.now = NOW.timestamp()
    github_server.reset_log()
    return fresh_store
