"""What the client hands back: answers, redirects followed, budgets seen, and the cost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from requests.utils import parse_header_links

from collectors.http.body import _UNSET, parse_json
from collectors.http.errors import ResponseFormatError, path_of


@dataclass
class Usage:
    """What a run (or a part of it) cost: filled in by the client as it goes."""

    requests: int = 0
    conditional: int = 0  # requests sent with a validator (If-None-Match / If-Modified-Since)
    not_modified: int = 0
    retries: int = 0
    wait_seconds: float = 0.0  # spent waiting for rate limits (and pacing before them)
    backoff_seconds: float = 0.0  # spent between retries after failures
    remaining: dict[str, int] = field(default_factory=dict)  # bucket -> budget left, last seen
    redirects: list[Redirect] = field(default_factory=list)

    @property
    def rate_limit_remaining(self) -> int | None:
        """The core budget left after the last answer that reported it (else any bucket's)."""
        if "core" in self.remaining:
            return self.remaining["core"]
        return min(self.remaining.values()) if self.remaining else None


@dataclass(frozen=True)
class Redirect:
    """One redirect that was followed: 301 means the resource moved for good (a rename)."""

    status: int
    from_url: str
    to_url: str


@dataclass(frozen=True)
class Budget:
    """A rate-limit bucket as the server last reported it."""

    resource: str
    limit: int | None
    remaining: int
    reset: float  # epoch seconds


@dataclass(frozen=True)
class HttpResponse:
    """An answer: fresh, or the cached body of a 304 (`from_cache`)."""

    status: int
    url: str
    headers: Mapping[str, str]
    body: bytes
    source: str
    from_cache: bool = False
    redirects: tuple[Redirect, ...] = ()
    # the body already read as JSON by the client (it checks every JSON answer before it is
    # cached), so a large answer is parsed once
    parsed: Any = field(default=_UNSET, compare=False, repr=False)

    @property
    def links(self) -> dict[str, str]:
        """`Link` header relations -> URL (unchecked: use HttpClient to follow them)."""
        value = self.headers.get("link") or ""
        out: dict[str, str] = {}
        for item in parse_header_links(value) if value else ():
            rel, url = item.get("rel"), item.get("url")
            if rel and url:
                out[rel] = url
        return out

    def json(self) -> Any:
        """The body as JSON (None for an empty 204). Raises ResponseFormatError."""
        if self.status == 204 or not self.body:
            return None
        kind = (self.headers.get("content-type") or "").split(";")[0].strip().lower()
        if kind and not (kind == "application/json" or kind.endswith("+json")):
            what = "an HTML page" if "html" in kind else f"{kind!r} content"
            raise self._format_error(
                f"answered {what} instead of JSON for {path_of(self.url)} "
                "(a proxy, login page or outage page may be in the way)"
            )
        if self.parsed is not _UNSET:
            return self.parsed
        data, problem = parse_json(self.body)
        if problem is not None:
            raise self._format_error(f"answered {problem.words} for {path_of(self.url)}")
        return data

    def json_list(self) -> list:
        """The body as a JSON list ([] for a 204). Raises ResponseFormatError otherwise."""
        data = self.json()
        if data is None:
            return []
        if not isinstance(data, list):
            raise self._unexpected(data, "a list")
        return data

    def json_object(self) -> dict:
        """The body as a JSON object. Raises ResponseFormatError otherwise."""
        data = self.json()
        if not isinstance(data, dict):
            raise self._unexpected(data, "an object")
        return data

    def _unexpected(self, data: Any, expected: str) -> ResponseFormatError:
        return self._format_error(
            f"answered {_describe_json(data)} where {expected} was expected for {path_of(self.url)}"
        )

    def _format_error(self, problem: str) -> ResponseFormatError:
        """An answer whose body is not what was asked for, from this response."""
        return ResponseFormatError(self.source, problem, url=self.url, status=self.status)


def _describe_json(data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return f"an error ({data['message'][:120]!r})"
    if data is None:
        return "nothing"
    return f"a JSON {type(data).__name__}"
