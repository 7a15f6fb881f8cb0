"""A scripted transport for `requests`: unit tests of the HTTP client without any socket.

Mount `ScriptedAdapter` on a `requests.Session` and queue answers (or exceptions); every
request the client sends is recorded with its headers, so a test can check what went out.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


@dataclass
class Sent:
    """One request as the adapter received it."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # JSON-able, bytes, or None
    headers: dict[str, str] = field(default_factory=dict)


class ScriptedAdapter(BaseAdapter):
    """Answers requests from a queue; an Exception in the queue is raised instead."""

    def __init__(self) -> None:
        super().__init__()
        self.queue: deque[Answer | Exception] = deque()
        self.sent: list[Sent] = []

    def answer(self, status: int = 200, body: Any = None, **headers: str) -> ScriptedAdapter:
        """Queue an answer; header names use '_' for '-' (x_ratelimit_remaining=...)."""
        self.queue.append(
            Answer(status, body, {k.replace("_", "-"): v for k, v in headers.items()})
        )
        return self

    def fail(self, error: Exception) -> ScriptedAdapter:
        self.queue.append(error)
        return self

    def send(self, request, **kwargs) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        self.sent.append(Sent(request.method, request.url, dict(request.headers), body))
        if not self.queue:
            raise AssertionError(f"unexpected request: {request.method} {request.url}")
        item = self.queue.popleft()
        if isinstance(item, Exception):
            raise item
        response = requests.Response()
        response.status_code = item.status
        response.url = request.url
        response.request = request
        headers = dict(item.headers)
        if isinstance(item.body, bytes):
            content = item.body
        elif item.body is None:
            content = b""
        else:
            content = json.dumps(item.body).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        response._content = content
        response.headers = CaseInsensitiveDict(headers)
        response.reason = {200: "OK", 304: "Not Modified"}.get(item.status, "")
        return response

    def close(self) -> None:
        pass


def scripted_session() -> tuple[requests.Session, ScriptedAdapter]:
    session = requests.Session()
    adapter = ScriptedAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session, adapter
