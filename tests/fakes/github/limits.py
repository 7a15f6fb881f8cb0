"""Rate limits and scripted faults of the fake GitHub.

Budgets per caller and bucket as GitHub counts them: core 60 an hour without a token and
5,000 with one, search 10 or 30 a minute, GraphQL 5,000 points (an `IssueSample` page costs
2); every answer carries `x-ratelimit-*`, a `304` is free, an empty bucket answers 403 (GraphQL:
200 with RATE_LIMITED). Faults a test scripts (`FakeGitHub.fail(pattern, Fault.xxx(...))`)
either replace the answer or change it on its way out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.fakes.clock import FakeClock
from tests.fakes.github.answers import DOCS, REASONS, error_reply, json_reply, template
from tests.fakes.serving import BaseFault, Reply, retry_after_text

# Faults that change the route's own answer rather than replace it.
MODIFIERS = frozenset({"no_link", "foreign_link", "truncated", "slow", "drip"})


@dataclass(frozen=True)
class Fault(BaseFault):
    """Something going wrong, as a test scripts it. Build with the class methods."""

    @classmethod
    def primary_limit(cls, reset_in: float, status: int = 403) -> Fault:
        """The hourly budget runs out now and comes back in `reset_in` seconds."""
        return cls("primary", status, reset_in)

    @classmethod
    def secondary_limit(cls, retry_after: float | str | None = None, status: int = 403) -> Fault:
        """'You have exceeded a secondary rate limit', with Retry-After seconds, date or none."""
        return cls("secondary", status, 0.0, retry_after_text(retry_after))

    @classmethod
    def http_error(cls, status: int, message: str = "") -> Fault:
        return cls("error", status, 0.0, message)

    @classmethod
    def slow(cls, seconds: float = 0.5) -> Fault:
        """Answer only after `seconds` of real time: past a short client read timeout."""
        return cls("slow", 0, seconds)

    @classmethod
    def drip(cls, seconds: float = 0.05) -> Fault:
        """The body arrives one byte every `seconds` of real time: no read timeout fires."""
        return cls("drip", 0, seconds)

    @classmethod
    def error_object(cls, message: str = "Server Error") -> Fault:
        """200 with `{"message": ...}` where a list belongs."""
        return cls("object", 200, 0.0, message)

    @classmethod
    def accepted(cls) -> Fault:
        """202 Accepted, `{}`: still computing."""
        return cls("accepted", 202)

    @classmethod
    def no_link(cls) -> Fault:
        return cls("no_link")

    @classmethod
    def foreign_link(cls, base: str = "http://127.0.0.2:9") -> Fault:
        return cls("foreign_link", 0, 0.0, base)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Fault:
        return cls("redirect", status, 0.0, location)

    @classmethod
    def echo_authorization(cls) -> Fault:
        """A hostile proxy: 401 whose message repeats the Authorization header."""
        return cls("echo", 401)


@dataclass
class Bucket:
    limit: int
    remaining: int
    reset: float
    window: float


class RateLimits:
    """The budgets and fault replies of `FakeGitHub` (a mixin: it holds the state)."""

    clock: FakeClock
    core_limit: tuple[int, int]
    _buckets: dict[tuple[str, str], Bucket]
    _lock: Any

    def exhaust(self, token: str | None, resource: str = "core", reset_in: float = 7200) -> None:
        """Spend a caller's whole budget now; it comes back in `reset_in` seconds."""
        with self._lock:
            bucket = self._bucket(token, resource)
            bucket.remaining = 0
            bucket.reset = self.clock() + reset_in

    def budget(self, token: str | None, resource: str = "core") -> Bucket:
        """A caller's bucket as the fake counts it (limit, remaining, reset)."""
        with self._lock:
            return self._bucket(token, resource)

    def _bucket(self, token: str | None, resource: str) -> Bucket:
        key = (token or "anonymous", resource)
        bucket = self._buckets.get(key)
        now = self.clock()
        if bucket is None or now >= bucket.reset:
            limit, window = {
                "core": (self.core_limit[1 if token else 0], 3600.0),
                "search": (30 if token else 10, 60.0),
                "graphql": (5000, 3600.0),
            }[resource]
            bucket = Bucket(limit, limit, now + window, window)
            self._buckets[key] = bucket
        return bucket

    def _limited(self, token: str | None, resource: str) -> Reply | None:
        bucket = self._bucket(token, resource)
        if bucket.remaining > 0:
            return None
        if resource == "graphql":
            return json_reply(
                200,
                {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]},
            )
        return error_reply(403, _limit_message(token))

    def _charge(
        self, reply: Reply, token: str | None, resource: str, path: str, body: bytes
    ) -> int:
        if reply.reset or path == "/rate_limit":
            return 0
        bucket = self._bucket(token, resource)
        cost = 0
        if reply.status not in (304,) and bucket.remaining > 0 and not _is_limit_reply(reply):
            cost = _graphql_cost(body) if resource == "graphql" else 1
            cost = min(cost, bucket.remaining)
            bucket.remaining -= cost
        reply.headers.update(
            {
                "x-ratelimit-limit": str(bucket.limit),
                "x-ratelimit-remaining": str(bucket.remaining),
                "x-ratelimit-used": str(bucket.limit - bucket.remaining),
                "x-ratelimit-reset": str(int(bucket.reset)),
                "x-ratelimit-resource": resource,
            }
        )
        return cost

    def _rate_limit(self, token: str | None) -> Reply:
        """`GET /rate_limit`: every bucket of the caller, free of charge."""
        data = template("rate-limit-overview.json")
        for resource in ("core", "search", "graphql"):
            bucket = self._bucket(token, resource)
            data["resources"][resource] = {
                "limit": bucket.limit,
                "remaining": bucket.remaining,
                "reset": int(bucket.reset),
                "used": bucket.limit - bucket.remaining,
            }
        data["rate"] = data["resources"]["core"]
        return json_reply(200, data)

    def _fault_reply(self, fault: Fault, token: str | None, resource: str, headers: Any) -> Reply:
        if fault.kind == "primary":
            bucket = self._bucket(token, resource)
            bucket.remaining = 0
            bucket.reset = self.clock() + fault.seconds
            return error_reply(fault.status, _limit_message(token))
        if fault.kind == "secondary":
            reply = error_reply(
                fault.status,
                "You have exceeded a secondary rate limit. Please wait a few minutes before "
                "you try again.",
            )
            if fault.value:
                reply.headers["Retry-After"] = fault.value
            return reply
        if fault.kind == "error":
            return error_reply(fault.status, fault.value or REASONS.get(fault.status, "Error"))
        if fault.kind == "reset":
            return Reply(0, reset=True)
        if fault.kind == "html":
            page = (
                b"<!DOCTYPE html><html><head><title>Sign in</title></head>"
                b"<body>Sign in to continue</body></html>"
            )
            return Reply(200, page, {"Content-Type": "text/html; charset=utf-8"})
        if fault.kind == "object":
            return json_reply(200, {"message": fault.value, "documentation_url": DOCS})
        if fault.kind == "answer":
            return Reply(fault.status, fault.value.encode(), {"Content-Type": "application/json"})
        if fault.kind == "raw":
            return Reply(fault.status, fault.raw_body(), {"Content-Type": "application/json"})
        if fault.kind == "accepted":
            return json_reply(202, {})
        if fault.kind == "redirect":
            return Reply(fault.status, b"", {"Location": fault.value})
        if fault.kind == "echo":
            return error_reply(401, f"Bad credentials: {headers.get('Authorization')}")
        raise ValueError(f"unknown fault {fault.kind}")


def modify(reply: Reply, fault: Fault) -> Reply:
    """Apply a fault that changes the route's answer (see `MODIFIERS`)."""
    if fault.kind == "no_link":
        reply.headers.pop("Link", None)
    elif fault.kind == "foreign_link" and "Link" in reply.headers:
        reply.headers["Link"] = re.sub(
            r"<https?://[^/>]+", "<" + fault.value, reply.headers["Link"]
        )
    elif fault.kind == "truncated" and reply.body:
        reply.body = reply.body[: max(len(reply.body) // 2, 1)]
    elif fault.kind == "slow":
        reply.delay = fault.seconds
    elif fault.kind == "drip":
        reply.drip = fault.seconds
    return reply


def _limit_message(token: str | None) -> str:
    who = "for this token" if token else "for 127.0.0.1"
    return (
        f"API rate limit exceeded {who}. (But here's the good news: Authenticated requests "
        "get a higher rate limit.)"
    )


def _is_limit_reply(reply: Reply) -> bool:
    return reply.status in (403, 429) and b"rate limit" in reply.body


def _graphql_cost(body: bytes) -> int:
    return 2 if b"IssueSample" in body else 1
