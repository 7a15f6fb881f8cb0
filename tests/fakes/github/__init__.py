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

The package, by job:
- `world`: repositories and their lives, the small and the default worlds;
- `answers`: the published example payloads and the JSON/error replies built from them;
- `rest`: REST routes, pagination, `Link`, `ETag`/`Last-Modified` and `304`;
- `graphql`: GraphQL issue queries and REST issue search;
- `limits`: budgets, `x-ratelimit-*`, and the scripted `Fault`s;
- `server`: `FakeGitHub`, tying them together on `tests.fakes.serving`;
- `fixtures`: the collector's client pointed at the fake, and the pytest fixtures (import them
  with `pytest_plugins = ["tests.fakes.github"]`).

`FakeClock` (injected clock and sleep) lives in `tests.fakes.clock` and is re-exported here.
"""

from tests.fakes.clock import NOW, FakeClock
from tests.fakes.github.answers import DOCS, PAYLOADS
from tests.fakes.github.fixtures import (
    TEST_IDS,
    anonymous_client,
    cache_file,
    client_for,
    fake_clock,
    github_client,
    github_server,
    rate_limited_github,
    refresh,
    refreshed_yesterday,
    tracked_registry,
)
from tests.fakes.github.limits import Bucket, Fault
from tests.fakes.github.server import BAD_TOKEN, TEST_TOKEN, FakeGitHub, Logged
from tests.fakes.github.world import (
    DEFAULT_WORLD_FACTS,
    SMALL_REGISTRY,
    WEEK,
    FakeIssue,
    FakeRepo,
    default_world,
    make_repo,
    small_world,
    week_of,
)
from tests.fakes.serving import Reply

__all__ = [
    "BAD_TOKEN",
    "DEFAULT_WORLD_FACTS",
    "DOCS",
    "NOW",
    "PAYLOADS",
    "SMALL_REGISTRY",
    "TEST_IDS",
    "TEST_TOKEN",
    "WEEK",
    "Bucket",
    "FakeClock",
    "FakeGitHub",
    "FakeIssue",
    "FakeRepo",
    "Fault",
    "Logged",
    "Reply",
    "anonymous_client",
    "cache_file",
    "client_for",
    "default_world",
    "fake_clock",
    "github_client",
    "github_server",
    "make_repo",
    "rate_limited_github",
    "refresh",
    "refreshed_yesterday",
    "small_world",
    "tracked_registry",
    "week_of",
]
