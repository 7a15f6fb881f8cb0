"""Pacing: the client's rate-limit budgets, waits, retries after failures, the run's
deadline and request accounting.

A mixin of `HttpClient` (collectors.http.client), kept apart so each file stays readable:
it reads the budget an answer reports, stops at the reserve or slows down near it, waits for
a rate limit when that is short enough (else raises RateLimitError so the caller stops
cleanly), backs off with jitter between retries, remembers a host that cannot be reached at
all (tried once per run), stops at the run's deadline, and counts every request, retry and
wait into each active `Usage` meter.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from collectors.http.errors import (
    UNREACHABLE_WORDS,
    HostUnreachableError,
    RunDeadlineError,
    TransportError,
    duration,
    path_of,
    rate_limit_error,
    strip_query,
    transport_problem,
    unreachable_reason,
)
from collectors.http.policy import LimitSignal, RateLimitPolicy
from collectors.http.response import Budget, Usage

log = logging.getLogger("collectors.http")

MAX_BACKOFF = 30.0


class Pacing:
    """Budgets, waits and counting (state is set up by HttpClient.__init__)."""

    name: str
    policy: RateLimitPolicy
    max_retries: int
    backoff_base: float
    max_wait_seconds: float
    reserve: int | None
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    _rng: random.Random
    _budgets: dict[str, Budget]
    _meters: list[Usage]
    host: str
    unreachable: HostUnreachableError | None
    run_deadline: float | None

    def _redact(self, text: str) -> str:
        return text  # HttpClient blanks its token

    # ----- failures of the exchange --------------------------------------------------------

    def _transport_failed(self, ex: Any, exc: Exception) -> None:
        """Back off before the next try, or raise TransportError once the tries are spent.
        A host that cannot be reached at all is not tried again (HostUnreachableError)."""
        ex.failures += 1
        reason = unreachable_reason(exc)
        if reason is None and isinstance(exc, requests.ConnectTimeout):
            if ex.failures <= self.max_retries:
                self._retry_after_failure(ex.failures, None)
                return
            reason = "unreachable"  # no connection after every try: down for this run
        if reason is not None:
            tries = f" ({ex.failures} tries)" if ex.failures > 1 else ""
            problem = f"could not reach {self.host}: {UNREACHABLE_WORDS[reason]}{tries}"
            if reason == "resolve":
                problem += "; this machine appears to be offline (or its DNS is not working)"
            self.unreachable = HostUnreachableError(
                self.name, problem, url=strip_query(ex.url), host=self.host, reason=reason
            )
            log.warning("%s: %s", self.name, problem)
            raise self._still_unreachable(ex.url)
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

    def _still_unreachable(self, url: str) -> HostUnreachableError:
        """The remembered HostUnreachableError, for this request (which is not sent)."""
        first = self.unreachable
        assert first is not None
        return HostUnreachableError(
            self.name, first.problem, url=strip_query(url), host=first.host, reason=first.reason
        )

    def _check_run_deadline(self, url: str) -> None:
        if self.run_deadline is not None and self.clock() >= self.run_deadline:
            raise RunDeadlineError(
                self.name,
                f"this refresh reached its time limit before {path_of(url)} was asked "
                "(the run_seconds setting); what was collected is kept",
                url=strip_query(url),
            )

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
        if self.run_deadline is not None and self.clock() + wait > self.run_deadline:
            raise RunDeadlineError(
                self.name,
                f"waiting {duration(wait)} for the {resource} rate limit would pass this "
                "refresh's time limit (the run_seconds setting); what was collected is kept",
                url=strip_query(url),
            )
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
