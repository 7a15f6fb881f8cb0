"""The fake GitHub API as one object: its repositories, what a test scripts, what it served,
and the request path from the wire to a route (faults, credentials, budget, conditional
answer, charge). `start()` serves it on 127.0.0.1 (port 0) in a thread; `url` is its base URL.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.clock import FakeClock
from tests.fakes.github.answers import error_reply
from tests.fakes.github.graphql import IssueSearch
from tests.fakes.github.limits import MODIFIERS, Bucket, Fault, RateLimits, modify
from tests.fakes.github.rest import RestRoutes, conditional
from tests.fakes.github.world import FakeRepo
from tests.fakes.serving import FakeServer, Reply, ReplyHandler, target_of

TEST_TOKEN = "test-token-not-a-secret"  # any non-empty token is accepted, except BAD_TOKEN
BAD_TOKEN = "expired-token"


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


class _Handler(ReplyHandler):
    """GitHub also takes POSTs (GraphQL)."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self._serve("POST")


class FakeGitHub(RestRoutes, IssueSearch, RateLimits, FakeServer):
    """The fake API. `start()` serves it on 127.0.0.1; `url` is its base URL."""

    handler = _Handler
    log: list[Logged]

    def __init__(
        self,
        repos: list[FakeRepo] | None = None,
        *,
        clock: FakeClock | None = None,
        admin_tokens: tuple[str, ...] = (),
        core_limit: tuple[int, int] = (60, 5000),  # without, with a token
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__()
        self.host = host
        self.clock = clock or FakeClock()
        self.admin_tokens = admin_tokens
        self.core_limit = core_limit
        self._repos: dict[int, FakeRepo] = {}
        self._names: dict[str, int] = {}
        self._moved: dict[str, int] = {}
        for repo in repos or []:
            self.add(repo)
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._stats_calls: Counter[int] = Counter()
        self.authorizations: list[str] = []  # raw header values, in memory only

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
            self._faults.add(pattern, fault, times, method)

    # ----- what was served -----------------------------------------------------------------

    def served(self, pattern: str = "", method: str | None = None) -> list[Logged]:
        rx = re.compile(pattern)
        return [
            e
            for e in self.log
            if rx.search(target_of(e.path, e.query)) and (method is None or e.method == method)
        ]

    def points(self, resource: str | None = None) -> int:
        """Rate-limit points charged (a 304 costs none)."""
        return sum(e.charged for e in self.log if resource in (None, e.resource))

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
            fault = self._faults.take(method, target_of(path, parts.query))
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
        if fault is not None and fault.kind not in MODIFIERS:
            return self._fault_reply(fault, token, resource, headers)
        if token == BAD_TOKEN:
            return error_reply(401, "Bad credentials")
        if path != "/rate_limit":
            limited = self._limited(token, resource)
            if limited is not None:
                return limited
        reply = self._route(method, path, raw_query, query, body, token)
        if reply.status == 200 and method == "GET":
            reply = conditional(reply, headers)
        if fault is not None:
            reply = modify(reply, fault)
        return reply
