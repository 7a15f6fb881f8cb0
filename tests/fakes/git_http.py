"""A real smart-HTTP git server on 127.0.0.1: `git http-backend` (the CGI program git ships)
behind `http.server` in a daemon thread, serving every repository under one folder.

It speaks what a git host speaks (protocol v2 when the client asks for it, partial-clone
filters unless told to refuse them) and counts the bytes it sends, so tests can clone from it
and the git bench can compare a full clone with a treeless one. It never leaves the machine.

    with GitHttpServer(folder) as server:          # serves folder/<name>.git
        url = server.url_for("acme.git")
        ...
        server.bytes_sent                           # bytes of every answer so far
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

_CHUNK = 1 << 16


@dataclass(frozen=True)
class Served:
    """One request as the server answered it."""

    method: str
    path: str
    status: int
    bytes_sent: int
    filtered: bool  # the request asked for a partial-clone filter


class _GitHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: the answer ends at close

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        server: GitHttpServer = self.server.git  # type: ignore[attr-defined]
        body = self._body()
        parts = urlsplit(self.path)
        env = server.cgi_env(
            method=method,
            path=parts.path,
            query=parts.query,
            content_type=self.headers.get("Content-Type", ""),
            length=len(body),
            protocol=self.headers.get("Git-Protocol", ""),
            encoding=self.headers.get("Content-Encoding", ""),
        )
        process = subprocess.Popen(
            ["git", "http-backend"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert process.stdin is not None and process.stdout is not None
        feeder = threading.Thread(target=_feed, args=(process.stdin, body), daemon=True)
        feeder.start()
        status, headers = _cgi_headers(process.stdout)
        sent = 0
        try:
            head = f"HTTP/1.0 {status} {'OK' if status == 200 else 'Error'}\r\n"
            head += "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
            self.wfile.write(head.encode("latin-1"))
            sent += len(head)
            while chunk := process.stdout.read(_CHUNK):
                self.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            process.stdout.close()
            process.wait()
            feeder.join()
        filtered = b"filter " in body or b"filter=" in body  # v2 'filter <spec>' / v0 capability
        server.record(Served(method, parts.path, status, sent, filtered))

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read the server's `log`


def _feed(stdin: Any, body: bytes) -> None:
    with contextlib.suppress(BrokenPipeError):
        stdin.write(body)
    with contextlib.suppress(BrokenPipeError):
        stdin.close()


def _cgi_headers(stdout: Any) -> tuple[int, list[tuple[str, str]]]:
    """The status and headers a CGI program printed before its body."""
    status, headers = 200, []
    while True:
        line = stdout.readline().decode("latin-1").rstrip("\r\n")
        if not line:
            return status, headers
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.split()[0])
        else:
            headers.append((name.strip(), value.strip()))


class GitHttpServer:
    """Smart-HTTP git for the repositories under `root`. `allow_filter=False` is a host that
    does not offer partial-clone filters (`uploadpack.allowFilter=false`: git clones in full,
    with a warning); `allow_tree_filter=False` one that offers them but refuses the tree
    filters (`uploadpackfilter.tree.allow=false`: a `--filter=tree:0` clone fails)."""

    host = "127.0.0.1"

    def __init__(
        self,
        root: Path | str,
        *,
        allow_filter: bool = True,
        allow_tree_filter: bool = True,
        pack_objects_hook: str | None = None,
    ) -> None:
        self.root = Path(root)
        self.allow_filter = allow_filter
        self.allow_tree_filter = allow_tree_filter
        # a program run as `hook git pack-objects ...` (uploadpack.packObjectsHook): the git
        # bench serves mirrors that are themselves partial clones, and lets git skip the
        # objects they lack
        self.pack_objects_hook = pack_objects_hook
        self.log: list[Served] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def url_for(self, name: str) -> str:
        return f"{self.url}/{name}"

    @property
    def bytes_sent(self) -> int:
        with self._lock:
            return sum(s.bytes_sent for s in self.log)

    def record(self, served: Served) -> None:
        with self._lock:
            self.log.append(served)

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    def cgi_env(
        self,
        *,
        method: str,
        path: str,
        query: str,
        content_type: str,
        length: int,
        protocol: str,
        encoding: str,
    ) -> dict[str, str]:
        """The environment `git http-backend` runs in for one request."""
        config = {
            "uploadpack.allowFilter": "true" if self.allow_filter else "false",
            "uploadpackfilter.tree.allow": "true" if self.allow_tree_filter else "false",
            # a lazy fetch asks for single objects by id, as GitHub allows
            "uploadpack.allowAnySHA1InWant": "true",
            "safe.directory": "*",  # the repositories may belong to another user
        }
        if self.pack_objects_hook:
            config["uploadpack.packObjectsHook"] = self.pack_objects_hook
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(length),
            "REMOTE_ADDR": self.host,
            "GIT_CONFIG_COUNT": str(len(config)),
        }
        for n, (key, value) in enumerate(config.items()):
            env[f"GIT_CONFIG_KEY_{n}"] = key
            env[f"GIT_CONFIG_VALUE_{n}"] = value
        if protocol:
            env["GIT_PROTOCOL"] = protocol
        if encoding:
            env["HTTP_CONTENT_ENCODING"] = encoding
        return env

    def start(self) -> Self:
        server = ThreadingHTTPServer((self.host, 0), _GitHandler)
        server.daemon_threads = True
        server.git = self  # type: ignore[attr-defined]
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
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
