"""`HttpClient`: one API host, every request a collector makes to it.

The exchange is a loop of small steps: `_send` (budget, validators, the request; transport
failures retried with jittered backoff) and `_answer` (one handler per kind of status: 304
from the validator cache, redirects on the API host only, rate limits as the policy reads
them, 5xx retried, other 4xx raised, 2xx returned and remembered).
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from collectors.http.cache import CacheEntry, ValidatorCache
from collectors.http.errors import (
    ServerError,
    StatusError,
    TransportError,
    UnsafeUrlError,
    path_of,
    rate_limit_error,
    reason_words,
    strip_query,
    transport_problem,
)
from collectors.http.pager import Pager
from collectors.http.policy import (
    LimitSignal,
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
MAX_BACKOFF = 30.0


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
    - `policy`: the service's rate-limit rules (`RetryAfterPolicy` unless given).
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
        resource = self.policy.resource_for(ex.url)
        self._respect_budget(resource, ex.url)
        entry = self.cache.lookup(ex.key) if ex.conditional else None
        headers = self._headers(ex.accept, entry, json_body=ex.body is not None)
        try:
            raw = self._session.request(
                ex.method,
                ex.url,
                headers=headers,
                data=ex.body,
                timeout=self.timeout,
                allow_redirects=False,
            )
            content = raw.content  # read now: a cut-off body is a transport failure
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
        self._note_budget(raw.headers, resource)
        log.debug("%s %s -> %s", ex.method, path_of(ex.url), raw.status_code)
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
        response = HttpResponse(
            status=status,
            url=ex.url,
            headers=CaseInsensitiveDict(raw.headers),
            body=content,
            source=self.name,
            redirects=tuple(ex.redirects),
        )
        if ex.method == "GET" and status == 200:
            self._remember(ex.key, raw, content)
        return response

    def _transport_failed(self, ex: _Exchange, exc: Exception) -> None:
        """Back off before the next try, or raise TransportError once the tries are spent."""
        ex.failures += 1
        if ex.failures > self.max_retries:
            raise TransportError(
                self.name,
                self._redact(
                    f"could not get an answer for {path_of(ex.url)} after "
                    f"{ex.failures} tries: {transport_problem(exc)}"
                ),
                url=strip_query(ex.url),
            ) from None
        self._retry_after_failure(ex.failures, None)

    def _not_modified(
        self, ex: _Exchange, raw: requests.Response, entry: CacheEntry | None
    ) -> HttpResponse | None:
        """A 304: the stored answer, or None to ask again in full if its body was lost."""
        self._count("not_modified")
        if entry is not None and entry.body is not None:
            return self._cached_answer(ex.url, raw, entry, ex.redirects)
        log.info("cached answer for %s is missing; asking again in full", path_of(ex.url))
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

    # ----- rate limits ---------------------------------------------------------------------

    def _note_budget(self, headers: Mapping[str, str], guessed: str) -> None:
        budget = self.policy.budget(headers, guessed)
        if budget is None:
            return
        self._budgets[budget.resource] = budget
        for meter in self._meters:
            meter.remaining[budget.resource] = budget.remaining

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

    def _wait_for_limit(self, signal: LimitSignal, url: str, status: int, limited: int) -> None:
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
        self, wait: float, kind: str, resource: str, url: str, status: int | None, *, after: int = 0
    ) -> None:
        reset_at = datetime.fromtimestamp(self.clock() + wait, UTC)
        raise rate_limit_error(
            self.name, reset_at, wait, kind, resource, url, status, self.max_wait_seconds, after
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


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
