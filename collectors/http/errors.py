"""The HTTP client's errors, and the plain words its messages are made of.

    DashboardError
    └── SourceError(source, problem)
        └── HttpError(url, status)                an exchange gave no usable answer
            ├── TransportError                    no answer at all: refused, reset, timed out
            │   │                                 (after the retries)
            │   ├── HostUnreachableError(host, reason)
            │   │                                 the host cannot be reached at all (its name
            │   │                                 does not resolve, it refuses connections):
            │   │                                 tried once, then every later request to it in
            │   │                                 the run fails at once without a try
            │   └── RequestDeadlineError          one answer took longer than its deadline
            ├── RunDeadlineError                  the run's time limit is reached: the caller
            │                                     stops cleanly, like for a rate limit
            ├── ServerError(status)               5xx after the retries
            ├── StatusError(status, api_message)  4xx that retrying cannot fix: 400, 401,
            │                                     403 (forbidden), 404, 409, 410, 422, 451
            ├── RateLimitError(reset_at, resource, kind)
            │                                     the budget is spent and waiting for it would
            │                                     take longer than allowed: the caller stops
            │                                     cleanly and says when it can resume
            ├── ResponseFormatError               the answer is not the JSON asked for (an HTML
            │                                     page, JSON cut short, broken or nested too
            │                                     deep, text that is not UTF-8, an object for a
            │                                     list, a body over the size limit)
            └── UnsafeUrlError                    a Link or Location points off the API host

Every one carries structured fields; no message ever contains the token.
"""

from __future__ import annotations

import errno
from datetime import datetime
from urllib.parse import urlsplit

import requests
import urllib3

from errors import SourceError


class HttpError(SourceError):
    """An HTTP exchange gave no usable answer. `url` never carries credentials."""

    def __init__(self, source: str, problem: str, *, url: str, status: int | None = None) -> None:
        super().__init__(source, problem)
        self.url = url
        self.status = status


class TransportError(HttpError):
    """No answer: the connection failed, was reset or timed out, after the retries."""


class HostUnreachableError(TransportError):
    """The host cannot be reached at all: `reason` is 'resolve' (its name does not resolve:
    this machine is probably offline), 'refused' (nothing listens there) or 'unreachable'
    (no route, or connecting timed out after the retries). The client remembers it for the
    run: later requests to the same host fail at once without trying again."""

    def __init__(self, source: str, problem: str, *, url: str, host: str, reason: str) -> None:
        super().__init__(source, problem, url=url)
        self.host = host
        self.reason = reason

    @property
    def offline(self) -> bool:
        """The host name could not be resolved: most likely there is no network at all."""
        return self.reason == "resolve"


class RequestDeadlineError(TransportError):
    """One answer took longer than the per-request deadline (a body dripping in slowly)."""


class RunDeadlineError(HttpError):
    """The run's time limit was reached before this request: the caller stops cleanly."""


class ServerError(HttpError):
    """The server kept answering 5xx, after the retries."""


class StatusError(HttpError):
    """A 4xx answer that retrying cannot fix; `api_message` is the server's own words."""

    def __init__(
        self, source: str, problem: str, *, url: str, status: int, api_message: str = ""
    ) -> None:
        super().__init__(source, problem, url=url, status=status)
        self.api_message = api_message


class RateLimitError(HttpError):
    """The rate-limit budget is spent and waiting would take longer than allowed.

    `reset_at` is when the budget is back (UTC); `kind` is 'primary' (the hourly budget),
    'secondary' (too many requests too fast) or 'reserve' (we stopped before the limit to
    leave a reserve); `resource` names the bucket ('core', 'search', 'graphql').
    """

    def __init__(
        self,
        source: str,
        problem: str,
        *,
        url: str,
        status: int | None,
        reset_at: datetime,
        resource: str,
        kind: str,
    ) -> None:
        super().__init__(source, problem, url=url, status=status)
        self.reset_at = reset_at
        self.resource = resource
        self.kind = kind


class ResponseFormatError(HttpError):
    """The answer arrived but is not the JSON that was asked for."""


class UnsafeUrlError(HttpError):
    """A Link or Location URL points to another host; it was not followed."""


# ----- words for messages --------------------------------------------------------------------


def path_of(url: str) -> str:
    """The path and query of a URL: what a message names (never the host's credentials)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def reason_words(status: int, reason: str | None) -> str:
    known = {
        400: "Bad Request",
        401: "Unauthorized (the token is missing, wrong or expired)",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        410: "Gone",
        422: "Unprocessable",
        451: "Unavailable For Legal Reasons",
    }
    return known.get(status) or reason or ""


def transport_problem(exc: Exception) -> str:
    if isinstance(exc, requests.ConnectTimeout):
        return "connecting timed out"
    if isinstance(exc, requests.Timeout):
        return "it timed out"
    text = str(exc).lower()
    if "reset" in text or "aborted" in text or "remotedisconnected" in text:
        return "the connection was reset"
    if "refused" in text:
        return "the connection was refused"
    if "name or service" in text or "resolve" in text:
        return "the host name could not be resolved"
    return "the connection failed"


def unreachable_reason(exc: BaseException) -> str | None:
    """'resolve', 'refused' or 'unreachable' when `exc` says the host cannot be connected to
    at all (retrying in the same run would only meet the same); else None."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, urllib3.exceptions.NameResolutionError):
            return "resolve"
        if isinstance(item, OSError) and item.errno is not None:
            if item.errno == errno.ECONNREFUSED:
                return "refused"
            if item.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
                return "unreachable"
        if item.__class__.__name__ == "gaierror":
            return "resolve"
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None)]
        todo += [a for a in getattr(item, "args", ()) if isinstance(a, BaseException)]
    return None


UNREACHABLE_WORDS = {
    "resolve": "its host name could not be resolved",
    "refused": "it refused the connection (nothing is listening there)",
    "unreachable": "it could not be connected to (no route to it, or connecting timed out)",
}


def size_words(size: int) -> str:
    """A byte count in plain words (MB above a megabyte)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):,.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:,.0f} KB"
    return f"{size:,} bytes"


def strip_query(url: str) -> str:
    """The URL without its query: what an error's `url` field keeps."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def duration(seconds: float) -> str:
    seconds = max(round(seconds), 0)
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def rate_limit_error(
    source: str,
    reset_at: datetime,
    wait: float,
    kind: str,
    resource: str,
    url: str,
    status: int | None,
    max_wait_seconds: float,
    after: int = 0,
) -> RateLimitError:
    """The RateLimitError that stops a run, in plain words: which limit, when it lifts, and
    why we do not wait (longer than allowed, or `after` waits that did not help)."""
    if after:
        # The wait was short but did not help: say so, not "longer than we may wait".
        limit = (
            f"still limited after waiting as told {after} times (the server's clock or "
            "budget disagrees with its headers)"
        )
    else:
        limit = f"longer than the {duration(max_wait_seconds)} this run may wait"
    why = {
        "primary": "the hourly request budget is used up",
        "secondary": "the server keeps asking us to slow down (secondary rate limit)",
        "reserve": "only the reserve of the request budget is left",
    }[kind]
    return RateLimitError(
        source,
        f"{why} ({resource}); it is back at {reset_at:%Y-%m-%d %H:%M} UTC, in "
        f"{duration(wait)}, {limit}",
        url=strip_query(url),
        status=status,
        reset_at=reset_at,
        resource=resource,
        kind=kind,
    )
