"""Talking to GitHub: the client set up the way GitHub asks, and GitHub's rate-limit rules.

`collectors.http.HttpClient` is generic; what is GitHub's own lives here and is handed to it
as a `GitHubPolicy`: the pinned API version header, which budget bucket a path counts against
(core, search, graphql), the `x-ratelimit-*` headers that report a bucket, and how a 403/429
says "slow down" (a primary limit at zero remaining, a secondary limit by `Retry-After` or by
its message). Also the source labels every row carries and the collector's own error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from collectors.http import (
    SECONDARY_DEFAULT_WAIT,
    Budget,
    HttpClient,
    LimitSignal,
    api_message,
    int_header,
    retry_after_seconds,
)
from collectors.sourcerun import plain
from errors import SourceError

GITHUB_API = "https://api.github.com"
API_VERSION = "2022-11-28"  # pinned: supported until 2028-03-10 (apis.md A.1)
USER_AGENT = "oss-ai-dashboard/0.1 (open-source AI ecosystem-health dashboard)"
SOURCE_REST = f"github:rest@{API_VERSION}"
SOURCE_SEARCH = f"github:search@{API_VERSION}"
SOURCE_GRAPHQL = "github:graphql"
COLLECTOR = "github"


class GitHubDataError(SourceError):
    """GitHub answered, but not with what its documentation promises."""


class GitHubPolicy:
    """GitHub's rate-limit conventions, for `HttpClient(policy=...)`.

    - Buckets: `/search/...` counts against 'search', `/graphql` against 'graphql', the rest
      against 'core' (the answer's `x-ratelimit-resource` wins when it names one).
    - A bucket is reported by `x-ratelimit-remaining`, `-reset` (epoch seconds), `-limit`.
    - Primary limit: a 403/429 with `x-ratelimit-remaining: 0` waits until the reset.
    - Secondary limit: `Retry-After` (seconds or an HTTP date); else a 429, or a 403 whose
      message speaks of a rate limit or abuse, waits 60 s ("at least one minute").
    """

    def __init__(self, api_version: str | None = API_VERSION) -> None:
        self.api_version = api_version

    def request_headers(self) -> dict[str, str]:
        return {"X-GitHub-Api-Version": self.api_version} if self.api_version else {}

    def resource_for(self, url: str) -> str:
        path = urlsplit(url).path
        if path.startswith("/search/"):
            return "search"
        if path.startswith("/graphql"):
            return "graphql"
        return "core"

    def budget(self, headers: Mapping[str, str], resource: str) -> Budget | None:
        remaining = int_header(headers, "x-ratelimit-remaining")
        reset = int_header(headers, "x-ratelimit-reset")
        if remaining is None or reset is None:
            return None
        resource = headers.get("x-ratelimit-resource") or resource
        limit = int_header(headers, "x-ratelimit-limit")
        return Budget(resource, limit, remaining, float(reset))

    def limit_signal(
        self, status: int, headers: Mapping[str, str], content: bytes, resource: str, now: float
    ) -> LimitSignal | None:
        resource = headers.get("x-ratelimit-resource") or resource
        retry_after = retry_after_seconds(headers, now)
        if retry_after is not None:
            return LimitSignal("secondary", retry_after, resource)
        if headers.get("x-ratelimit-remaining") == "0":
            reset = int_header(headers, "x-ratelimit-reset")
            wait = (reset - now + 1.0) if reset is not None else SECONDARY_DEFAULT_WAIT
            return LimitSignal("primary", max(wait, 1.0), resource)
        message = api_message(content).lower()
        if status == 429 or "rate limit" in message or "abuse" in message:
            return LimitSignal("secondary", SECONDARY_DEFAULT_WAIT, resource)
        return None


def github_client(token: str | None, *, base_url: str = GITHUB_API, **options: Any) -> HttpClient:
    """An HttpClient set up the way GitHub asks: pinned API version, a real User-Agent,
    its JSON media type, its rate-limit rules. Works without a token (60 requests an hour).
    `options` as HttpClient's (`cache_path`: the validator cache file, None keeps validators
    in memory only; `max_wait_seconds` 900 and `read_timeout` 30 unless given)."""
    options.setdefault("max_wait_seconds", 900.0)
    options.setdefault("read_timeout", 30.0)
    return HttpClient(
        base_url,
        token=token,
        user_agent=USER_AGENT,
        accept="application/vnd.github+json",
        name="GitHub",
        policy=GitHubPolicy(),
        **options,
    )


def plain_words(exc: SourceError) -> str:
    """An error's problem in plain words, starting with "GitHub" where GitHub said it.

    `collectors.sourcerun.plain` with one addition: a GitHubDataError about a name GitHub
    gave ("named the repository ...") is GitHub's word too, though not an HTTP error."""
    if isinstance(exc, GitHubDataError) and exc.problem.startswith("named"):
        return f"GitHub {exc.problem}"
    return plain(exc, "GitHub")
