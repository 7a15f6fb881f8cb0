"""The replies the fake PyPI-side hosts share (JSON, HTML pages, strong `ETag`s with `304`)
and the faults a test scripts with `FakePackageHosts.fail(pattern, Fault.xxx(), times=n)`:
any status (5xx, 404), pypistats' HTML `429` with or without `Retry-After`, a connection
reset, JSON cut short, an HTML page with 200, and any JSON answer."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.fakes.serving import BaseFault, Reply, retry_after_text


@dataclass(frozen=True)
class Fault(BaseFault):
    """Something going wrong, as a test scripts it."""

    @classmethod
    def http_error(cls, status: int) -> Fault:
        return cls("error", status)

    @classmethod
    def too_many(cls, retry_after: float | str | None = None) -> Fault:
        """pypistats' 429: an HTML page, with Retry-After (seconds or a date) or without."""
        return cls("429", 429, value=retry_after_text(retry_after))


def fault_reply(fault: Fault) -> Reply:
    """The answer a fault replaces the host's own with (all but `truncated`)."""
    if fault.kind == "error":
        return html_reply(fault.status, f"<h1>{fault.status} Error</h1>")
    if fault.kind == "429":
        reply = html_reply(429, "<h1>Too Many Requests</h1><p>5 per 1 second</p>")
        if fault.value:
            reply.headers["Retry-After"] = fault.value
        return reply
    if fault.kind == "reset":
        return Reply(0, reset=True)
    if fault.kind == "html":
        return html_reply(200, "<h1>Service temporarily unavailable</h1>")
    if fault.kind == "answer":
        return Reply(fault.status, fault.value.encode(), {"Content-Type": "application/json"})
    if fault.kind == "raw":
        return Reply(fault.status, fault.raw_body(), {"Content-Type": "application/json"})
    raise ValueError(fault.kind)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def json_reply(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


def html_reply(status: int, text: str) -> Reply:
    page = f"<!doctype html><html><body>{text}</body></html>".encode()
    return Reply(status, page, {"Content-Type": "text/html; charset=utf-8"})


def conditional(reply: Reply, headers: Any) -> Reply:
    etag = '"' + hashlib.sha256(reply.body).hexdigest()[:32] + '"'
    reply.headers["ETag"] = etag
    if headers.get("If-None-Match") == etag:
        kept = {k: v for k, v in reply.headers.items() if k != "Content-Type"}
        return Reply(304, b"", kept)
    return reply
