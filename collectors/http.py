"""The one HTTP client every collector shares: the room for talking HTTP, and only HTTP.

It does authentication, timeouts, retries with jittered backoff, rate-limit waits (GitHub's
`x-ratelimit-*` / `Retry-After` conventions, which other APIs can ignore), conditional requests
with its own small validator cache, `Link` pagination, redirects, and request accounting.
It never knows what a repository, a release or a package is: collectors do.

Errors it raises, under the project's one hierarchy (`errors.py`). Every one carries
structured fields; no message ever contains the token.

    DashboardError
    └── SourceError(source, problem)
        └── HttpError(url, status)                an exchange gave no usable answer
            ├── TransportError                    no answer at all: refused, reset, timed out
            │                                     (after the retries)
            ├── ServerError(status)               5xx after the retries
            ├── StatusError(status, api_message)  4xx that retrying cannot fix: 400, 401,
            │                                     403 (forbidden), 404, 409, 410, 422, 451
            ├── RateLimitError(reset_at, resource, kind)
            │                                     the budget is spent and waiting for it would
            │                                     take longer than allowed: the caller stops
            │                                     cleanly and says when it can resume
            ├── ResponseFormatError               the answer is not the JSON asked for (an HTML
            │                                     page, JSON cut short, an object for a list)
            └── UnsafeUrlError                    a Link or Location points off the API host

Why its own validator cache rather than requests-cache: requests-cache by default never
revalidates, and its `Vary: Authorization` handling can miss on every call (see
shared/reference/toolchain.md §5). Ours is a JSON file of ETag / Last-Modified plus the body
per URL, written atomically, never holding the token or any request header.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import parse_header_links

from errors import SourceError

log = logging.getLogger(__name__)

# Failures of the exchange itself that the same request may not meet again.
_RETRIED_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
# Statuses that mean "ask again later, the same request may work".
RETRY_STATUSES = frozenset({500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
SECONDARY_DEFAULT_WAIT = 60.0  # GitHub: "wait at least one minute" when no Retry-After is given
MAX_BACKOFF = 30.0
CACHE_FORMAT = 1
CACHE_KEEP_SECONDS = 35 * 86400  # entries unused for five weeks are dropped on save


# ----- errors --------------------------------------------------------------------------------


class HttpError(SourceError):
    """An HTTP exchange gave no usable answer. `url` never carries credentials."""

    def __init__(self, source: str, problem: str, *, url: str, status: int | None = None) -> None:
        super().__init__(source, problem)
        self.url = url
        self.status = status


class TransportError(HttpError):
    """No answer: the connection failed, was reset or timed out, after the retries."""


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


# ----- records -------------------------------------------------------------------------------


@dataclass
class Usage:
    """What a run (or a part of it) cost: filled in by the client as it goes."""

    requests: int = 0
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
            raise ResponseFormatError(
                self.source,
                f"answered {what} instead of JSON for {_path(self.url)} "
                "(a proxy, login page or outage page may be in the way)",
                url=self.url,
                status=self.status,
            )
        try:
            return json.loads(self.body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ResponseFormatError(
                self.source,
                f"answered JSON that is cut short or broken for {_path(self.url)} "
                f"({len(self.body)} bytes)",
                url=self.url,
                status=self.status,
            ) from None

    def json_list(self) -> list:
        """The body as a JSON list ([] for a 204). Raises ResponseFormatError otherwise."""
        data = self.json()
        if data is None:
            return []
        if not isinstance(data, list):
            raise ResponseFormatError(
                self.source,
                f"answered {_describe_json(data)} where a list was expected for {_path(self.url)}",
                url=self.url,
                status=self.status,
            )
        return data

    def json_object(self) -> dict:
        """The body as a JSON object. Raises ResponseFormatError otherwise."""
        data = self.json()
        if not isinstance(data, dict):
            raise ResponseFormatError(
                self.source,
                f"answered {_describe_json(data)} where an object was expected for "
                f"{_path(self.url)}",
                url=self.url,
                status=self.status,
            )
        return data


def _describe_json(data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return f"an error ({data['message'][:120]!r})"
    if data is None:
        return "nothing"
    return f"a JSON {type(data).__name__}"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# ----- the validator cache -------------------------------------------------------------------


@dataclass
class CacheEntry:
    """What is needed to ask "has it changed?" and to answer from memory when it has not."""

    etag: str | None
    last_modified: str | None
    body: str | None  # None when lost (a damaged or trimmed cache): the next 304 refetches
    content_type: str | None = None
    link: str | None = None
    used_at: float = 0.0


class ValidatorCache:
    """ETag / Last-Modified and the body per URL, in one JSON file written atomically.

    Keys are request method, URL and Accept header: never a credential. The file is readable
    only by its owner. A damaged file is set aside (renamed) and the cache starts empty, which
    only costs full answers instead of 304s.
    """

    def __init__(self, path: Path | str | None, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path) if path is not None else None
        self._clock = clock
        self._entries: dict[str, CacheEntry] | None = None
        self._dirty = False

    def _load(self) -> dict[str, CacheEntry]:
        if self._entries is not None:
            return self._entries
        self._entries = {}
        if self.path is None:
            return self._entries
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if raw.get("format") != CACHE_FORMAT or not isinstance(raw.get("entries"), dict):
                raise ValueError("not a validator cache of format 1")
            for key, item in raw["entries"].items():
                self._entries[key] = CacheEntry(
                    etag=_opt_str(item.get("etag")),
                    last_modified=_opt_str(item.get("last_modified")),
                    body=_opt_str(item.get("body")),
                    content_type=_opt_str(item.get("content_type")),
                    link=_opt_str(item.get("link")),
                    used_at=float(item.get("used_at") or 0.0),
                )
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            aside = self.path.with_name(f"{self.path.name}.damaged")
            with contextlib.suppress(OSError):
                self.path.replace(aside)
            log.warning("validator cache %s could not be read (%s); starting empty", self.path, exc)
            self._entries = {}
        return self._entries

    def lookup(self, key: str) -> CacheEntry | None:
        entry = self._load().get(key)
        now = self._clock()
        # `used_at` only decides what is old enough to drop: a day's precision is plenty,
        # and a warm refresh then rewrites nothing.
        if entry is not None and now - entry.used_at > 86400:
            entry.used_at = now
            self._dirty = True
        return entry

    def store(self, key: str, entry: CacheEntry) -> None:
        entry.used_at = self._clock()
        self._load()[key] = entry
        self._dirty = True

    def forget(self, key: str) -> None:
        if self._load().pop(key, None) is not None:
            self._dirty = True

    def save(self) -> None:
        """Write the file if anything changed (temp file, fsync, rename; mode 0600)."""
        if self.path is None or not self._dirty or self._entries is None:
            return
        horizon = self._clock() - CACHE_KEEP_SECONDS
        entries = {
            key: {
                "etag": e.etag,
                "last_modified": e.last_modified,
                "content_type": e.content_type,
                "link": e.link,
                "used_at": e.used_at,
                "body": e.body,
            }
            for key, e in self._entries.items()
            if e.used_at >= horizon
        }
        data = json.dumps({"format": CACHE_FORMAT, "entries": entries}, separators=(",", ":"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        self._dirty = False


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# ----- the client ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _LimitSignal:
    """How a 403/429 asked us to slow down: the seconds to wait and which kind of limit."""

    kind: str  # 'primary' or 'secondary'
    wait: float
    resource: str


class HttpClient:
    """One API host: every request a collector makes to it goes through here.

    - `token` is passed in (never read from the environment here) and sent only to the API
      host, as `Authorization: Bearer`; a token is refused over plain http to a non-local host.
    - `clock` (epoch seconds) and `sleep` are injected so tests never wait for real.
    - `max_wait_seconds`: the longest single wait for a rate limit; a longer one raises
      RateLimitError so the caller can stop cleanly.
    - `reserve`: budget points never spent (None: 2% of the bucket, at least 2). Within twice
      the reserve, requests are spaced out so the budget lasts until the reset.
    - `cache_path`: the validator cache file (None keeps validators in memory only).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        user_agent: str,
        api_version: str | None = None,
        accept: str = "application/json",
        name: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_retries: int = 3,
        backoff_base: float = 1.0,
        max_wait_seconds: float = 900.0,
        reserve: int | None = None,
        cache_path: Path | str | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("base_url must be an http(s) URL with a host")
        if token and parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError("refusing to send a token over plain http to a non-local host")
        self.base_url = base_url.rstrip("/")
        self.name = name or parts.hostname
        self._origin = (parts.scheme, parts.hostname.lower(), parts.port)
        self.__token = token or None
        self.user_agent = user_agent
        self.api_version = api_version
        self.accept = accept
        self.timeout = (connect_timeout, read_timeout)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.max_wait_seconds = max_wait_seconds
        self.reserve = reserve
        self.clock = clock
        self.sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self._session = session or requests.Session()
        self.cache = ValidatorCache(cache_path, clock)
        self._budgets: dict[str, Budget] = {}
        self.usage = Usage()
        self._meters: list[Usage] = [self.usage]

    # ----- public --------------------------------------------------------------------------

    def __repr__(self) -> str:
        token = "set" if self.__token else "none"
        return f"HttpClient(base_url={self.base_url!r}, token=<{token}>)"

    @property
    def authenticated(self) -> bool:
        return self.__token is not None

    def budget(self, resource: str) -> Budget | None:
        """The bucket as last reported by the server, or None if never reported."""
        return self._budgets.get(resource)

    @contextlib.contextmanager
    def measure(self) -> Iterator[Usage]:
        """A fresh Usage that counts only what happens inside the `with` block."""
        usage = Usage()
        self._meters.append(usage)
        try:
            yield usage
        finally:
            self._meters.remove(usage)

    def get(
        self,
        target: str,
        params: Mapping[str, Any] | None = None,
        *,
        accept: str | None = None,
        conditional: bool = True,
    ) -> HttpResponse:
        """GET a path (or a URL on the API host). Returns 2xx answers, and 304s as the cached
        answer (`from_cache=True`). Raises an HttpError subclass for anything else."""
        return self._exchange("GET", self._url(target, params), accept, None, conditional)

    def post_json(self, target: str, payload: Any, *, accept: str | None = None) -> HttpResponse:
        """POST a JSON body (e.g. a GraphQL query, which only reads: retried like a GET)."""
        body = json.dumps(payload).encode()
        return self._exchange("POST", self._url(target, None), accept, body, False)

    def get_when_ready(
        self,
        target: str,
        params: Mapping[str, Any] | None = None,
        *,
        attempts: int = 4,
        first_delay: float = 2.0,
    ) -> HttpResponse:
        """GET, asking again with backoff while the server answers 202 Accepted (still
        preparing the answer). Returns the last answer, which is still 202 if it never was
        ready after `attempts` tries."""
        response = self.get(target, params)
        delay = first_delay
        for _ in range(attempts - 1):
            if response.status != 202:
                break
            self._backoff(delay)
            self._count("retries")
            delay *= 2
            response = self.get(target, params)
        return response

    def pages(
        self,
        target: str,
        params: Mapping[str, Any] | None = None,
        *,
        accept: str | None = None,
        max_pages: int | None = None,
    ) -> Pager:
        """Iterate over the pages of a list, following `Link: rel="next"` on the API host."""
        return Pager(self, self._url(target, params), accept, max_pages)

    def flush(self) -> None:
        """Save the validator cache (after each repository, so a crash loses little)."""
        self.cache.save()

    def close(self) -> None:
        self.flush()
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- URLs ----------------------------------------------------------------------------

    def _url(self, target: str, params: Mapping[str, Any] | None) -> str:
        if target.startswith("/"):
            url = self.base_url + target
        else:
            url = self.checked_url(target, what="URL")
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        return url

    def checked_url(self, url: str, *, what: str) -> str:
        """`url` if it is on the API host (same scheme, host and port); else UnsafeUrlError."""
        parts = urlsplit(url)
        origin = (parts.scheme, (parts.hostname or "").lower(), parts.port)
        if origin != self._origin:
            raise UnsafeUrlError(
                self.name,
                f"a {what} pointed to another host ({parts.hostname or 'none'}); "
                "it was not followed",
                url=_strip_query(url),
            )
        return url

    # ----- the exchange --------------------------------------------------------------------

    def _exchange(
        self, method: str, url: str, accept: str | None, body: bytes | None, conditional: bool
    ) -> HttpResponse:
        accept = accept or self.accept
        failures = 0  # transport errors and 5xx so far
        limited = 0  # rate-limit answers so far
        redirects: list[Redirect] = []
        while True:
            resource = _resource_for(url)
            self._respect_budget(resource, url)
            key = f"{method} {url} accept={accept}"
            entry = self.cache.lookup(key) if conditional else None
            headers = self._headers(accept, entry, json_body=body is not None)
            try:
                raw = self._session.request(
                    method,
                    url,
                    headers=headers,
                    data=body,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
                content = raw.content  # read now: a cut-off body is a transport failure
            except _RETRIED_TRANSPORT_ERRORS as exc:
                self._count("requests")
                failures += 1
                if failures > self.max_retries:
                    raise TransportError(
                        self.name,
                        self._redact(
                            f"could not get an answer for {_path(url)} after "
                            f"{failures} tries: {_transport_problem(exc)}"
                        ),
                        url=_strip_query(url),
                    ) from None
                self._retry_after_failure(failures, None)
                continue
            except requests.RequestException as exc:
                self._count("requests")
                raise TransportError(
                    self.name,
                    self._redact(f"the request for {_path(url)} failed: {type(exc).__name__}"),
                    url=_strip_query(url),
                ) from None
            self._count("requests")
            self._note_budget(raw.headers, resource)
            status = raw.status_code
            log.debug("%s %s -> %s", method, _path(url), status)

            if status == 304:
                self._count("not_modified")
                if entry is not None and entry.body is not None:
                    return self._cached_answer(url, raw, entry, redirects)
                # The server says "unchanged" but we lost the body: ask again without validators.
                log.info("cached answer for %s is missing; asking again in full", _path(url))
                self.cache.forget(key)
                self._count("retries")
                conditional = False
                continue
            if status in REDIRECT_STATUSES:
                url = self._follow(url, raw, redirects)
                if status == 303:
                    method, body = "GET", None
                continue
            if status in (403, 429):
                signal = self._limit_signal(raw, resource)
                if signal is not None:
                    limited += 1
                    self._wait_for_limit(signal, url, status, limited)
                    continue
            if status in RETRY_STATUSES:
                failures += 1
                if failures > self.max_retries:
                    raise ServerError(
                        self.name,
                        f"kept failing with {status}{' ' + raw.reason if raw.reason else ''} "
                        f"for {_path(url)} "
                        f"({failures} tries); the service may be having trouble",
                        url=_strip_query(url),
                        status=status,
                    )
                self._retry_after_failure(failures, _retry_after_seconds(raw, self.clock()))
                continue
            if 400 <= status < 600:
                message = self._redact(_api_message(content))
                raise StatusError(
                    self.name,
                    self._redact(
                        f"answered {status} {_reason(status, raw.reason)} for {_path(url)}"
                        + (f": {message}" if message else "")
                    ),
                    url=_strip_query(url),
                    status=status,
                    api_message=message,
                )
            response = HttpResponse(
                status=status,
                url=url,
                headers=CaseInsensitiveDict(raw.headers),
                body=content,
                source=self.name,
                redirects=tuple(redirects),
            )
            if method == "GET" and status == 200:
                self._remember(key, raw, content)
            return response

    def _headers(self, accept: str, entry: CacheEntry | None, *, json_body: bool) -> dict:
        headers = {"User-Agent": self.user_agent, "Accept": accept}
        if self.api_version:
            headers["X-GitHub-Api-Version"] = self.api_version
        if self.__token:
            headers["Authorization"] = f"Bearer {self.__token}"
        if json_body:
            headers["Content-Type"] = "application/json"
        if entry is not None:
            if entry.etag:
                headers["If-None-Match"] = entry.etag
            if entry.last_modified:
                headers["If-Modified-Since"] = entry.last_modified
        return headers

    def _remember(self, key: str, raw: requests.Response, content: bytes) -> None:
        etag, modified = raw.headers.get("ETag"), raw.headers.get("Last-Modified")
        if not (etag or modified):
            return
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return
        self.cache.store(
            key,
            CacheEntry(
                etag=etag,
                last_modified=modified,
                body=text,
                content_type=raw.headers.get("Content-Type"),
                link=raw.headers.get("Link"),
            ),
        )

    def _cached_answer(
        self, url: str, raw: requests.Response, entry: CacheEntry, redirects: list[Redirect]
    ) -> HttpResponse:
        headers = CaseInsensitiveDict(raw.headers)
        # A 304 need not repeat Link or Content-Type: take them from the stored answer.
        if entry.link and "link" not in headers:
            headers["Link"] = entry.link
        if entry.content_type:
            headers["Content-Type"] = entry.content_type
        return HttpResponse(
            status=200,
            url=url,
            headers=headers,
            body=(entry.body or "").encode("utf-8"),
            source=self.name,
            from_cache=True,
            redirects=tuple(redirects),
        )

    def _follow(self, url: str, raw: requests.Response, redirects: list[Redirect]) -> str:
        location = raw.headers.get("Location")
        if not location:
            raise StatusError(
                self.name,
                f"answered {raw.status_code} without a Location for {_path(url)}",
                url=_strip_query(url),
                status=raw.status_code,
            )
        target = self.checked_url(urljoin(url, location), what="redirect")
        if len(redirects) >= MAX_REDIRECTS:
            raise StatusError(
                self.name,
                f"redirected more than {MAX_REDIRECTS} times from {_path(url)}",
                url=_strip_query(url),
                status=raw.status_code,
            )
        hop = Redirect(raw.status_code, url, target)
        redirects.append(hop)
        for meter in self._meters:
            meter.redirects.append(hop)
        log.info("%s moved (%s) to %s", _path(url), raw.status_code, _path(target))
        return target

    # ----- rate limits ---------------------------------------------------------------------

    def _note_budget(self, headers: Mapping[str, str], guessed: str) -> None:
        remaining = _int_header(headers, "x-ratelimit-remaining")
        reset = _int_header(headers, "x-ratelimit-reset")
        if remaining is None or reset is None:
            return
        resource = headers.get("x-ratelimit-resource") or guessed
        limit = _int_header(headers, "x-ratelimit-limit")
        self._budgets[resource] = Budget(resource, limit, remaining, float(reset))
        for meter in self._meters:
            meter.remaining[resource] = remaining

    def _reserve_for(self, budget: Budget) -> int:
        if self.reserve is not None:
            return self.reserve
        return max(2, (budget.limit or 0) // 50)

    def _respect_budget(self, resource: str, url: str) -> None:
        """Before sending: stop at the reserve, and slow down when close to it."""
        budget = self._budgets.get(resource)
        now = self.clock()
        if budget is None or budget.reset <= now:
            return
        reserve = self._reserve_for(budget)
        until_reset = budget.reset - now
        if budget.remaining <= reserve:
            kind = "primary" if budget.remaining == 0 else "reserve"
            self._wait_or_stop(until_reset + 1.0, kind, resource, url, None)
            del self._budgets[resource]
            return
        if budget.remaining <= 2 * reserve:
            spacing = until_reset / (budget.remaining - reserve)
            if spacing <= self.max_wait_seconds:
                log.info(
                    "%s budget low (%d left): spacing requests %.0f s apart",
                    resource,
                    budget.remaining,
                    spacing,
                )
                self._wait(spacing)

    def _limit_signal(self, raw: requests.Response, resource: str) -> _LimitSignal | None:
        """How a 403/429 says "slow down", or None when it is a plain refusal."""
        now = self.clock()
        resource = raw.headers.get("x-ratelimit-resource") or resource
        retry_after = _retry_after_seconds(raw, now)
        if retry_after is not None:
            return _LimitSignal("secondary", retry_after, resource)
        if raw.headers.get("x-ratelimit-remaining") == "0":
            reset = _int_header(raw.headers, "x-ratelimit-reset")
            wait = (reset - now + 1.0) if reset is not None else SECONDARY_DEFAULT_WAIT
            return _LimitSignal("primary", max(wait, 1.0), resource)
        message = _api_message(raw.content).lower()
        if raw.status_code == 429 or "rate limit" in message or "abuse" in message:
            return _LimitSignal("secondary", SECONDARY_DEFAULT_WAIT, resource)
        return None

    def _wait_for_limit(self, signal: _LimitSignal, url: str, status: int, limited: int) -> None:
        wait = signal.wait
        if signal.kind == "secondary":
            # Each further secondary answer doubles the wait: GitHub asks for backoff.
            wait = wait * (2 ** (limited - 1))
        if limited > self.max_retries:
            # Still limited after waiting as told: the server's clock or budget is not what
            # its headers say. Stop rather than loop.
            self._stop(wait, signal.kind, signal.resource, url, status, after=limited - 1)
        self._count("retries")
        self._wait_or_stop(wait, signal.kind, signal.resource, url, status)
        self._budgets.pop(signal.resource, None)

    def _wait_or_stop(
        self, wait: float, kind: str, resource: str, url: str, status: int | None
    ) -> None:
        if wait > self.max_wait_seconds:
            self._stop(wait, kind, resource, url, status)
        log.info("waiting %.0f s for the %s rate limit (%s)", wait, resource, kind)
        self._wait(wait)

    def _stop(
        self,
        wait: float,
        kind: str,
        resource: str,
        url: str,
        status: int | None,
        *,
        after: int = 0,
    ) -> None:
        reset_at = datetime.fromtimestamp(self.clock() + wait, UTC)
        if after:
            # The wait was short but did not help: say so, not "longer than we may wait".
            limit = (
                f"still limited after waiting as told {after} times (the server's clock or "
                "budget disagrees with its headers)"
            )
        else:
            limit = f"longer than the {_duration(self.max_wait_seconds)} this run may wait"
        why = {
            "primary": "the hourly request budget is used up",
            "secondary": "the server keeps asking us to slow down (secondary rate limit)",
            "reserve": "only the reserve of the request budget is left",
        }[kind]
        raise RateLimitError(
            self.name,
            f"{why} ({resource}); it is back at {reset_at:%Y-%m-%d %H:%M} UTC, in "
            f"{_duration(wait)}, {limit}",
            url=_strip_query(url),
            status=status,
            reset_at=reset_at,
            resource=resource,
            kind=kind,
        )

    # ----- waiting and counting ------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        self.sleep(seconds)
        for meter in self._meters:
            meter.wait_seconds += seconds

    def _backoff(self, seconds: float) -> None:
        self.sleep(seconds)
        for meter in self._meters:
            meter.backoff_seconds += seconds

    def _retry_after_failure(self, failures: int, retry_after: float | None) -> None:
        delay = self.backoff_base * 2 ** (failures - 1) * (0.5 + self._rng.random())
        delay = min(delay, MAX_BACKOFF)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_wait_seconds))
        self._count("retries")
        self._backoff(delay)

    def _count(self, what: str) -> None:
        for meter in self._meters:
            setattr(meter, what, getattr(meter, what) + 1)

    def _redact(self, text: str) -> str:
        """Defence in depth: a server or library that echoes the token gets it blanked."""
        if self.__token and self.__token in text:
            text = text.replace(self.__token, "[token]")
        return text


class Pager(Iterator[HttpResponse]):
    """Pages of a list, following `rel="next"` only on the API host.

    `truncated` is True when iteration stopped at `max_pages` although a next page existed.
    An off-host next link raises UnsafeUrlError when it would be followed, after the pages
    before it were handed out.
    """

    def __init__(
        self, client: HttpClient, url: str, accept: str | None, max_pages: int | None
    ) -> None:
        self._client = client
        self._next: str | None = url
        self._accept = accept
        self._max_pages = max_pages
        self.pages_read = 0
        self.truncated = False

    def __iter__(self) -> Pager:
        return self

    def __next__(self) -> HttpResponse:
        if self._next is None:
            raise StopIteration
        if self._max_pages is not None and self.pages_read >= self._max_pages:
            self.truncated = True
            raise StopIteration
        url = self._client.checked_url(self._next, what="next-page link")
        response = self._client.get(url, accept=self._accept)
        self.pages_read += 1
        self._next = response.links.get("next")
        return response


# ----- small pure helpers --------------------------------------------------------------------


def _resource_for(url: str) -> str:
    """Which GitHub-style budget bucket a request will most likely count against."""
    path = urlsplit(url).path
    if path.startswith("/search/"):
        return "search"
    if path.startswith("/graphql"):
        return "graphql"
    return "core"


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _retry_after_seconds(raw: requests.Response, now: float) -> float | None:
    """`Retry-After` as seconds from now: either a number of seconds or an HTTP date."""
    value = raw.headers.get("Retry-After")
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


def _api_message(content: bytes) -> str:
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return message.strip()[:300] if isinstance(message, str) else ""


def _reason(status: int, reason: str | None) -> str:
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


def _transport_problem(exc: Exception) -> str:
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


def _strip_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _duration(seconds: float) -> str:
    seconds = max(round(seconds), 0)
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
