"""An answer's body: read within a size cap and a deadline, and read as JSON, with what went
wrong in plain words.

`read_body` reads a streamed `requests.Response` chunk by chunk as the bytes arrive, so a body
over the size limit is refused without being held whole in memory (a declared
`Content-Length` over it is refused before reading anything), and a body that drips in slowly
is cut at the per-request deadline. `parse_json` tells apart the ways a body can fail to be
JSON, because they call for different things: a body cut short may be a passing fault (asked
again), while text that is not UTF-8, JSON broken in the middle or nested deeper than any
real answer is what the server sends (reported at once, never cached).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import urllib3

MAX_BODY_BYTES = 32 * 1024 * 1024  # the largest answer read (PyPI's biggest JSON is ~10 MB)
REQUEST_SECONDS = 120.0  # the longest one answer may take to arrive, body included
_CHUNK = 64 * 1024


class BodyTooLargeError(Exception):
    """The body is (or says it is) larger than the limit."""

    def __init__(self, size: int, declared: bool) -> None:
        super().__init__(size)
        self.size = size
        self.declared = declared


class BodyTooSlowError(Exception):
    """The body had not arrived when the per-request deadline passed."""

    def __init__(self, received: int, seconds: float) -> None:
        super().__init__(received)
        self.received = received
        self.seconds = seconds


def read_body(
    response: requests.Response,
    *,
    max_bytes: int | None,
    deadline_seconds: float | None,
    started: float,
    monotonic: Callable[[], float] = time.monotonic,
) -> bytes:
    """The whole body of a streamed response, within `max_bytes` and before `started +
    deadline_seconds` (monotonic). Raises BodyTooLargeError, BodyTooSlowError, or the `requests`
    exception a cut-off or timed-out transfer gives (as `Response.content` would)."""
    stream = getattr(response, "raw", None)
    already_read = getattr(response, "_content", False) is not False
    if already_read or stream is None or not hasattr(stream, "read1"):
        # an adapter that answered from memory or read the body itself (the test fakes, the
        # recording adapter of collectors.recorded)
        content = response.content
        if max_bytes is not None and len(content) > max_bytes:
            raise BodyTooLargeError(len(content), declared=False)
        return content
    try:
        declared = int(response.headers.get("Content-Length") or -1)
    except ValueError:
        declared = -1
    if max_bytes is not None and declared > max_bytes:
        response.close()
        raise BodyTooLargeError(declared, declared=True)
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if deadline_seconds is not None and monotonic() - started > deadline_seconds:
                raise BodyTooSlowError(size, deadline_seconds)
            chunk = stream.read1(_CHUNK, decode_content=True)
            if not chunk:
                break  # the end of the body (read1 gives b"" only then)
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise BodyTooLargeError(size, declared=False)
            chunks.append(chunk)
    except (BodyTooLargeError, BodyTooSlowError):
        response.close()
        raise
    except urllib3.exceptions.ReadTimeoutError as exc:
        response.close()
        raise requests.ReadTimeout(str(exc)) from None
    except urllib3.exceptions.DecodeError as exc:
        response.close()
        raise requests.exceptions.ContentDecodingError(str(exc)) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        response.close()
        raise requests.exceptions.ChunkedEncodingError(str(exc)) from None
    body = b"".join(chunks)
    # Read whole: mark it so, so that close() hands the connection back to the pool for the
    # next request (keep-alive) instead of closing it.
    response._content = body
    response._content_consumed = True
    response.close()
    return body


# ----- JSON ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JsonProblem:
    """Why a body is not JSON: `kind` is 'cut_short', 'broken', 'not_utf8' or 'too_deep'."""

    kind: str
    words: str  # "JSON that is cut short", ... (what the server "answered")


_UNSET: Any = object()


def parse_json(body: bytes) -> tuple[Any, JsonProblem | None]:
    """The body as JSON, or why it is not (never raises for a bad body)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = body[exc.start : exc.start + 1].hex()
        return None, JsonProblem(
            "not_utf8",
            f"text that is not valid UTF-8 (byte 0x{bad} at position {exc.start:,} of "
            f"{len(body):,}), so it cannot be JSON",
        )
    try:
        return json.loads(text), None
    except RecursionError:
        return None, JsonProblem(
            "too_deep", "JSON nested too deeply to read (more than about 1,000 levels)"
        )
    except json.JSONDecodeError as exc:
        end = len(text.rstrip())
        if exc.pos >= end or exc.msg.startswith("Unterminated string"):
            return None, JsonProblem("cut_short", f"JSON that is cut short ({len(body):,} bytes)")
        return None, JsonProblem(
            "broken",
            f"JSON that is broken ({exc.msg.lower()} at character {exc.pos:,} of {len(text):,})",
        )


def is_json_type(content_type: str | None, accept: str) -> bool:
    """An answer meant as JSON: its Content-Type says so, or it has none and JSON was asked."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if not kind:
        kind = accept.split(",")[0].split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")
