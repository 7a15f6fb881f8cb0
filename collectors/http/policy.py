"""Rate-limit policies: how a service reports its budget and says "slow down".

The client is generic; what differs between services is handed to it as a `RateLimitPolicy`:

- `request_headers()`: headers the service asks every request to carry (an API version);
- `resource_for(url)`: which budget bucket a request counts against;
- `budget(headers, resource)`: the bucket an answer's headers report, or None;
- `limit_signal(status, headers, content, resource, now)`: how a 403/429 asks us to wait
  (a `LimitSignal`), or None when it is a plain refusal.

`RetryAfterPolicy` (the default) knows only HTTP's own convention: `Retry-After`, and a 429
without it waits a minute. GitHub's rules are `collectors.github.client.GitHubPolicy`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Protocol

from collectors.http.response import Budget

SECONDARY_DEFAULT_WAIT = 60.0  # "wait at least one minute" when no Retry-After is given


@dataclass(frozen=True)
class LimitSignal:
    """How a 403/429 asked us to slow down: the seconds to wait and which kind of limit."""

    kind: str  # 'primary' (the budget is spent until its reset) or 'secondary' (too fast)
    wait: float
    resource: str


class RateLimitPolicy(Protocol):
    """What a service's rate limits look like on the wire (see the module docstring)."""

    def request_headers(self) -> dict[str, str]: ...

    def resource_for(self, url: str) -> str: ...

    def budget(self, headers: Mapping[str, str], resource: str) -> Budget | None: ...

    def limit_signal(
        self, status: int, headers: Mapping[str, str], content: bytes, resource: str, now: float
    ) -> LimitSignal | None: ...


class RetryAfterPolicy:
    """HTTP's own convention only: honour `Retry-After`; a 429 without it waits a minute.
    No budget headers are read, so every request counts against one bucket, 'core'."""

    def request_headers(self) -> dict[str, str]:
        return {}

    def resource_for(self, url: str) -> str:
        return "core"

    def budget(self, headers: Mapping[str, str], resource: str) -> Budget | None:
        return None

    def limit_signal(
        self, status: int, headers: Mapping[str, str], content: bytes, resource: str, now: float
    ) -> LimitSignal | None:
        retry_after = retry_after_seconds(headers, now)
        if retry_after is not None:
            return LimitSignal("secondary", retry_after, resource)
        if status == 429:
            return LimitSignal("secondary", SECONDARY_DEFAULT_WAIT, resource)
        return None


def int_header(headers: Mapping[str, str], name: str) -> int | None:
    """A header's integer value, or None when it is absent or not a number."""
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """`Retry-After` as seconds from now: either a number of seconds or an HTTP date."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return SECONDARY_DEFAULT_WAIT
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0) + 1.0


def api_message(content: bytes) -> str:
    """The `message` of a JSON error body (the server's own words), or ''."""
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return message.strip()[:300] if isinstance(message, str) else ""
