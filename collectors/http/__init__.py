"""The one HTTP client every collector shares: the room for talking HTTP, and only HTTP.

It does authentication, timeouts, retries with jittered backoff, rate-limit waits, conditional
requests with its own small validator cache, `Link` pagination, redirects, and request
accounting. It never knows what a repository, a release or a package is: collectors do. Nor
does it know any one service's rate-limit conventions: a `RateLimitPolicy` is handed in
(`RetryAfterPolicy` by default; GitHub's is `collectors.github.client.GitHubPolicy`).

    errors.py    the error hierarchy (HttpError and its kinds) and the words of messages
    response.py  HttpResponse, Redirect, Budget, Usage
    body.py      reading a body within a size cap and a deadline; JSON and what is wrong
                 with it (cut short, broken, not UTF-8, nested too deep)
    cache.py     ValidatorCache: ETag / Last-Modified and the body per URL
    policy.py    RateLimitPolicy, RetryAfterPolicy, LimitSignal
    pacing.py    Pacing: budgets, waits, backoff and request accounting (HttpClient's mixin)
    client.py    HttpClient
    pager.py     Pager: `Link: rel="next"` on the API host only

Errors it raises, under the project's one hierarchy (`errors.py`); every one carries
structured fields and no message ever contains the token:

    SourceError
    └── HttpError(url, status)
        ├── TransportError        no answer at all, after the retries
        │   ├── HostUnreachableError  the host name does not resolve or it refuses
        │   │                     connections: tried once, then remembered for the run
        │   └── RequestDeadlineError  one answer took longer than `request_seconds`
        ├── RunDeadlineError      the run's time limit (`run_deadline`) is reached
        ├── ServerError           5xx after the retries
        ├── StatusError           4xx that retrying cannot fix (api_message: the server's words)
        ├── RateLimitError        waiting for the budget would take too long (reset_at,
        │                         resource, kind): the caller stops cleanly
        ├── ResponseFormatError   not the JSON asked for (or over `max_body_bytes`)
        └── UnsafeUrlError        a Link or Location points off the API host
"""

from __future__ import annotations

from collectors.http.body import MAX_BODY_BYTES, REQUEST_SECONDS, JsonProblem, parse_json
from collectors.http.cache import CACHE_FORMAT, CACHE_KEEP_SECONDS, CacheEntry, ValidatorCache
from collectors.http.client import (
    MAX_BACKOFF,
    MAX_REDIRECTS,
    REDIRECT_STATUSES,
    RETRY_STATUSES,
    HttpClient,
)
from collectors.http.errors import (
    UNREACHABLE_WORDS,
    HostUnreachableError,
    HttpError,
    RateLimitError,
    RequestDeadlineError,
    ResponseFormatError,
    RunDeadlineError,
    ServerError,
    StatusError,
    TransportError,
    UnsafeUrlError,
)
from collectors.http.pager import Pager
from collectors.http.policy import (
    SECONDARY_DEFAULT_WAIT,
    LimitSignal,
    RateLimitPolicy,
    RetryAfterPolicy,
    api_message,
    int_header,
    retry_after_seconds,
)
from collectors.http.response import Budget, HttpResponse, Redirect, Usage

__all__ = [
    "CACHE_FORMAT",
    "CACHE_KEEP_SECONDS",
    "MAX_BACKOFF",
    "MAX_BODY_BYTES",
    "MAX_REDIRECTS",
    "REDIRECT_STATUSES",
    "REQUEST_SECONDS",
    "RETRY_STATUSES",
    "SECONDARY_DEFAULT_WAIT",
    "UNREACHABLE_WORDS",
    "Budget",
    "CacheEntry",
    "HostUnreachableError",
    "HttpClient",
    "HttpError",
    "HttpResponse",
    "JsonProblem",
    "LimitSignal",
    "Pager",
    "RateLimitError",
    "RateLimitPolicy",
    "Redirect",
    "RequestDeadlineError",
    "ResponseFormatError",
    "RetryAfterPolicy",
    "RunDeadlineError",
    "ServerError",
    "StatusError",
    "TransportError",
    "UnsafeUrlError",
    "Usage",
    "ValidatorCache",
    "api_message",
    "int_header",
    "parse_json",
    "retry_after_seconds",
]
