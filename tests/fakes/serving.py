"""What every fake host shares: a reply, scripted faults, and a real `http.server` on
127.0.0.1 (port 0) in a daemon thread.

A fake subclasses `FakeServer` and implements `handle(method, target, headers, body) ->
Reply` under its own lock; `ReplyHandler` writes the reply as the real host would (no body on
204 or 304, a reset connection for `Reply(0, reset=True)`, a real-time delay to trip a client's
read timeout). Faults are built with the fake's own `Fault` class methods and kept in a
`FaultScript` until they are used up.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class Reply:
    """One answer as the handler writes it."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # real seconds to wait before answering
    reset: bool = False  # drop the connection instead of answering
    drip: float = 0.0  # real seconds between the body's bytes (a body that never ends)


@dataclass(frozen=True)
class BaseFault:
    """Something going wrong, as a test scripts it; each fake adds its own class methods."""

    kind: str
    status: int = 0
    seconds: float = 0.0
    value: str = ""

    @classmethod
    def connection_reset(cls) -> Self:
        return cls("reset")

    @classmethod
    def truncated_json(cls) -> Self:
        return cls("truncated")

    @classmethod
    def html_page(cls) -> Self:
        return cls("html", 200)

    @classmethod
    def answer(cls, status: int, data: Any) -> Self:
        """Any JSON answer, e.g. a repository object with a hostile `full_name`."""
        return cls("answer", status, value=json.dumps(data))

    @classmethod
    def raw(cls, status: int, body: bytes) -> Self:
        """Any bytes as a JSON answer (`Content-Type: application/json`): text that is not
        UTF-8, JSON nested 200,000 deep, a body larger than the client reads."""
        return cls("raw", status, value=body.decode("latin-1"))

    def raw_body(self) -> bytes:
        return self.value.encode("latin-1")


def retry_after_text(retry_after: float | str | None) -> str:
    """A `Retry-After` value as a test gives it: whole seconds, an HTTP date, or '' for none."""
    if isinstance(retry_after, float | int):
        return str(int(retry_after))
    return "" if retry_after is None else str(retry_after)


@dataclass
class _Scripted:
    pattern: re.Pattern
    fault: BaseFault
    times: int | None
    method: str


class FaultScript:
    """Faults waiting for the requests whose `path?query` they match (callers hold the lock)."""

    def __init__(self) -> None:
        self._items: list[_Scripted] = []

    def add(self, pattern: str, fault: BaseFault, times: int | None, method: str = "GET") -> None:
        self._items.append(_Scripted(re.compile(pattern), fault, times, method))

    def take(self, method: str, target: str) -> Any:
        """The first fault matching the request, used once (None: no fault)."""
        for item in self._items:
            if item.method == method and item.pattern.search(target):
                if item.times is not None:
                    item.times -= 1
                    if item.times <= 0:
                        self._items.remove(item)
                return item.fault
        return None


def target_of(path: str, query: str) -> str:
    """`path?query`, as faults and `served()` patterns see a request."""
    return path + ("?" + query if query else "")


class ReplyHandler(BaseHTTPRequestHandler):
    """Hands each request to `server.fake.handle` and writes its `Reply`."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def do_GET(self) -> None:
        self._serve("GET")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.fake.handle(method, self.path, self.headers, body)  # type: ignore[attr-defined]
        if reply.delay:
            time.sleep(reply.delay)  # real time: the client's read timeout must fire
        try:
            if reply.reset:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.status not in (204, 304):
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.status not in (204, 304) and reply.drip:
                for index in range(len(reply.body)):
                    self.wfile.write(reply.body[index : index + 1])
                    self.wfile.flush()
                    time.sleep(reply.drip)
            elif reply.status not in (204, 304):
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the tests read the fake's `log` instead

    def handle(self) -> None:
        # A client that timed out or reset the connection is a scripted fault, not an error.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError, TimeoutError):
            super().handle()


class FakeServer:
    """Start, stop and address a fake; subclasses set `handler` and implement `handle`."""

    handler: type[BaseHTTPRequestHandler] = ReplyHandler
    host = "127.0.0.1"

    def __init__(self) -> None:
        self.log: list[Any] = []
        self._faults = FaultScript()
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Reply:
        raise NotImplementedError

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> Self:
        server = ThreadingHTTPServer((self.host, 0), self.handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()
