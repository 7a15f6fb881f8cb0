"""`HttpClient`: one API host, every request a collector makes to it.

The exchange is a loop of small steps: `_send` (the run's deadline, budget, validators, the
request, its body read within a size cap and a per-request deadline; transport failures
retried with jittered backoff, except a host that cannot be reached at all, which is tried
once per run) and `_answer` (one handler per kind of status: 304 from the validator cache,
redirects on the API host only, rate limits as the policy reads them, 5xx retried, other 4xx
raised, 2xx checked as JSON, a body cut short asked again, then returned and remembered).
Budgets, waits and counting are the `Pacing` mixin (collectors/http/pacing.py).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from collectors.http.body import (
    _UNSET,
    MAX_BODY_BYTES,
    REQUEST_SECONDS,
    BodyTooLargeError,
    BodyTooSlowError,
    is_json_type,
    parse_json,
    read_body,
)
from collectors.http.cache import CacheEntry, ValidatorCache
from collectors.http.errors import (
    HostUnreachableError,
    RequestDeadlineError,
    ResponseFormatError,
    ServerError,
    StatusError,
    TransportError,
    UnsafeUrlError,
    duration,
    path_of,
    reason_words,
    size_words,
    strip_query,
)
from collectors.http.pacing import MAX_BACKOFF, Pacing
from collectors.http.pager import Pager
from collectors.http.policy import (
    RateLimitPolicy,
    RetryAfterPolicy,
    api_message,
    retry_after_seconds,
)
from collectors.http.response import Budget, HttpResponse, Redirect, Usage

log = logging.getLogger("collectors.http")

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
_RETRY: Any = object()  # "ask again" from a check of the body
__all__ = ["MAX_BACKOFF", "MAX_REDIRECTS", "REDIRECT_STATUSES", "RETRY_STATUSES", "HttpClient"]


@dataclass
class _Exchange:
    """One request as it goes: where it is sent now, and what has happened so far."""

    method: str
    url: str
    accept: str
    body: bytes | None
    conditional: bool
    failures: int = 0  # transport errors and 5xx so far
    limited: int = 0  # rate-limit answers so far
    redirects: list[Redirect] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The validator-cache key: method, URL and Accept header, never a credential."""
        return f"{self.method} {self.url} accept={self.accept}"


class HttpClient(Pacing):
    """One API host: every request a collector makes to it goes through here.

    - `token` is passed in (never read from the environment here) and sent only to the API
      host, as `Authorization: Bearer`; a token is refused over plain http to a non-local host.
    - `clock` (epoch seconds) and `sleep` are injected so tests never wait for real.
    - `max_wait_seconds`: the longest single wait for a rate limit; a longer one raises
      RateLimitError so the caller can stop cleanly.
    - `reserve`: budget points never spent (None: 2% of the bucket, at least 2). Within twice
      the reserve, requests are spaced out so the budget lasts until the reset.
    - `cache_path`: the validator cache file (None keeps validators in memory only).
    - `policy`: the service's rate-limit rules (`RetryAfterPolicy` unless given).
    - `max_body_bytes`: the largest body read (None: no limit); a larger one is refused.
    - `request_seconds`: the longest one answer may take to arrive, body included (measured
      on `monotonic`, real time: a body dripping in slowly is cut there).
    - `run_deadline`: when the run must stop (epoch seconds on `clock`; None: never). A
      request after it raises RunDeadlineError, and the caller stops cleanly.
    A host whose name does not resolve, or that refuses connections, is tried once: the
    HostUnreachableError is remembered (`unreachable`) and every later request of the run
    raises it again at once, without trying.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        user_agent: str,
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
        policy: RateLimitPolicy | None = None,
        max_body_bytes: int | None = MAX_BODY_BYTES,
        request_seconds: float | None = REQUEST_SECONDS,
        run_deadline: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("base_url must be an http(s) URL with a host")
        if token and parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ValueError("refusing to send a token over plain http to a non-local host")
        self.base_url = base_url.rstrip("/")
        self.name = name or parts.hostname
        self._origin = (parts.scheme, parts.hostname.lower(), parts.port)
        self.__token = token or None
        self.user_agent = user_agent
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
        self.policy: RateLimitPolicy = policy or RetryAfterPolicy()
        self._budgets: dict[str, Budget] = {}
        self.usage = Usage()
        self._meters: list[Usage] = [self.usage]
        self.max_body_bytes = max_body_bytes
        self.request_seconds = request_seconds
        self.run_deadline = run_deadline
        self.monotonic = monotonic
        self.host = parts.hostname
        self.unreachable: HostUnreachableError | None = None
        self.answers = 0  # answers received (of any status): the host was reached

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
                url=strip_query(url),
            )
        return url

    # ----- the exchange --------------------------------------------------------------------

    def _exchange(
        self, method: str, url: str, accept: str | None, body: bytes | None, conditional: bool
    ) -> HttpResponse:
        ex = _Exchange(method, url, accept or self.accept, body, conditional)
        while True:
            sent = self._send(ex)
            if sent is None:
                continue  # a transport failure, retried after a backoff
            raw, content, entry = sent
            answer = self._answer(ex, raw, content, entry)
            if answer is not None:
                return answer

    def _send(self, ex: _Exchange) -> tuple[requests.Response, bytes, CacheEntry | None] | None:
        """Send the request once; None when it failed in a way worth retrying."""
        if self.unreachable is not None:
            raise self._still_unreachable(ex.url)
        self._check_run_deadline(ex.url)
        resource = self.policy.resource_for(ex.url)
        self._respect_budget(resource, ex.url)
        entry = self.cache.lookup(ex.key) if ex.conditional else None
        headers = self._headers(ex.accept, entry, json_body=ex.body is not None)
        started = self.monotonic()
        try:
            raw = self._session.request(
                ex.method,
                ex.url,
                headers=headers,
                data=ex.body,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
        except _RETRIED_TRANSPORT_ERRORS as exc:
            self._count("requests")
            self._transport_failed(ex, exc)
            return None
        except requests.RequestException as exc:
            self._count("requests")
            raise TransportError(
                self.name,
                self._redact(f"the request for {path_of(ex.url)} failed: {type(exc).__name__}"),
                url=strip_query(ex.url),
            ) from None
        self._count("requests")
        if entry is not None and (entry.etag or entry.last_modified):
            self._count("conditional")
        self.answers += 1
        self._note_budget(raw.headers, resource)
        log.debug("%s %s -> %s", ex.method, path_of(ex.url), raw.status_code)
        try:
            # read now: a cut-off body is a transport failure, a huge or slow one refused
            content = read_body(
                raw,
                max_bytes=self.max_body_bytes,
                deadline_seconds=self.request_seconds,
                started=started,
                monotonic=self.monotonic,
            )
        except BodyTooLargeError as exc:
            limit = size_words(self.max_body_bytes or 0)
            raise ResponseFormatError(
                self.name,
                f"answered {'a body declared as ' if exc.declared else 'more than '}"
                f"{size_words(exc.size)} for {path_of(ex.url)}; refused: answers are read "
                f"up to {limit} (the max_body_bytes setting)",
                url=strip_query(ex.url),
                status=raw.status_code,
            ) from None
        except BodyTooSlowError as exc:
            raise RequestDeadlineError(
                self.name,
                f"the answer for {path_of(ex.url)} was still arriving after "
                f"{duration(exc.seconds)} ({size_words(exc.received)} so far); cut off at "
                "the per-request deadline (the request_seconds setting)",
                url=strip_query(ex.url),
            ) from None
        except _RETRIED_TRANSPORT_ERRORS as exc:
            self._transport_failed(ex, exc)
            return None
        return raw, content, entry

    def _answer(
        self, ex: _Exchange, raw: requests.Response, content: bytes, entry: CacheEntry | None
    ) -> HttpResponse | None:
        """What one answer means: the response to return, or None to ask again."""
        status = raw.status_code
        if status == 304:
            return self._not_modified(ex, raw, entry)
        if status in REDIRECT_STATUSES:
            self._redirected(ex, raw)
            return None
        if status in (403, 429):
            signal = self.policy.limit_signal(
                status, raw.headers, content, self.policy.resource_for(ex.url), self.clock()
            )
            if signal is not None:
                ex.limited += 1
                self._wait_for_limit(signal, ex.url, status, ex.limited)
                return None
        if status in RETRY_STATUSES:
            self._server_failed(ex, raw)
            return None
        if 400 <= status < 600:
            raise self._status_error(ex.url, raw, content)
        parsed = _UNSET
        if content and status != 204 and is_json_type(raw.headers.get("Content-Type"), ex.accept):
            # Parse before anything is cached: a broken body must never be remembered with
            # the ETag of the whole one (every later 304 would hand it back).
            parsed = self._checked_json(ex, status, content)
            if parsed is _RETRY:
                return None
        response = HttpResponse(
            status=status,
            url=ex.url,
            headers=CaseInsensitiveDict(raw.headers),
            body=content,
            source=self.name,
            redirects=tuple(ex.redirects),
            parsed=parsed,
        )
        if ex.method == "GET" and status == 200:
            self._remember(ex.key, raw, content)
        return response

    def _checked_json(self, ex: _Exchange, status: int, content: bytes) -> Any:
        """The body as JSON; _RETRY to ask again when it was cut short (as a 5xx is retried);
        ResponseFormatError, saying what is wrong, when it cannot be JSON or stays cut."""
        data, problem = parse_json(content)
        if problem is None:
            return data
        if problem.kind == "cut_short":
            ex.failures += 1
            if ex.failures <= self.max_retries:
                log.info("%s: %s; asking again", path_of(ex.url), problem.words)
                self._retry_after_failure(ex.failures, None)
                return _RETRY
        tries = f" ({ex.failures} tries)" if problem.kind == "cut_short" else ""
        raise ResponseFormatError(
            self.name,
            f"answered {problem.words} for {path_of(ex.url)}{tries}",
            url=strip_query(ex.url),
            status=status,
        )

    def _not_modified(
        self, ex: _Exchange, raw: requests.Response, entry: CacheEntry | None
    ) -> HttpResponse | None:
        """A 304: the stored answer, or None to ask again in full if its body was lost or is
        not the JSON it should be (a cache written before bodies were checked)."""
        self._count("not_modified")
        if entry is not None and entry.body is not None:
            parsed = _UNSET
            if is_json_type(entry.content_type, ex.accept):
                parsed, problem = parse_json(entry.body.encode("utf-8"))
                if problem is not None:
                    log.info("cached answer for %s is %s", path_of(ex.url), problem.words)
                    parsed = _RETRY
            if parsed is not _RETRY:
                return self._cached_answer(ex.url, raw, entry, ex.redirects, parsed)
        log.info("cached answer for %s is missing or damaged; asking again", path_of(ex.url))
        self.cache.forget(ex.key)
        self._count("retries")
        ex.conditional = False
        return None

    def _redirected(self, ex: _Exchange, raw: requests.Response) -> None:
        ex.url = self._follow(ex.url, raw, ex.redirects)
        if raw.status_code == 303:
            ex.method, ex.body = "GET", None

    def _server_failed(self, ex: _Exchange, raw: requests.Response) -> None:
        """A 5xx: back off before the next try, or raise ServerError once they are spent."""
        ex.failures += 1
        status = raw.status_code
        if ex.failures > self.max_retries:
            raise ServerError(
                self.name,
                f"kept failing with {status}{' ' + raw.reason if raw.reason else ''} "
                f"for {path_of(ex.url)} "
                f"({ex.failures} tries); the service may be having trouble",
                url=strip_query(ex.url),
                status=status,
            )
        self._retry_after_failure(ex.failures, retry_after_seconds(raw.headers, self.clock()))

    def _status_error(self, url: str, raw: requests.Response, content: bytes) -> StatusError:
        status = raw.status_code
        message = self._redact(api_message(content))
        return StatusError(
            self.name,
            self._redact(
                f"answered {status} {reason_words(status, raw.reason)} for {path_of(url)}"
                + (f": {message}" if message else "")
            ),
            url=strip_query(url),
            status=status,
            api_message=message,
        )

    def _headers(self, accept: str, entry: CacheEntry | None, *, json_body: bool) -> dict:
        headers = {"User-Agent": self.user_agent, "Accept": accept}
        headers.update(self.policy.request_headers())
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
        self,
        url: str,
        raw: requests.Response,
        entry: CacheEntry,
        redirects: list[Redirect],
        parsed: Any = _UNSET,
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
            parsed=parsed,
        )

    def _follow(self, url: str, raw: requests.Response, redirects: list[Redirect]) -> str:
        location = raw.headers.get("Location")
        if not location:
            raise StatusError(
                self.name,
                f"answered {raw.status_code} without a Location for {path_of(url)}",
                url=strip_query(url),
                status=raw.status_code,
            )
        target = self.checked_url(urljoin(url, location), what="redirect")
        if len(redirects) >= MAX_REDIRECTS:
            raise StatusError(
                self.name,
                f"redirected more than {MAX_REDIRECTS} times from {path_of(url)}",
                url=strip_query(url),
                status=raw.status_code,
            )
        hop = Redirect(raw.status_code, url, target)
        redirects.append(hop)
        for meter in self._meters:
            meter.redirects.append(hop)
        log.info("%s moved (%s) to %s", path_of(url), raw.status_code, path_of(target))
        return target

    def _redact(self, text: str) -> str:
        """Defence in depth: a server or library that echoes the token gets it blanked."""
        if self.__token and self.__token in text:
            text = text.replace(self.__token, "[token]")
        return text


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
