"""The fake PyPI-side hosts as one object: pypi.org, pypistats.org, api.deps.dev and the
top-PyPI dump behind one base URL, routed by path; what a test scripts and what was served.
`start()` serves it on 127.0.0.1 (port 0) in a thread; `url` is its base URL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from registry.names import normalize_pypi_name
from tests.fakes.clock import NOW, FakeClock
from tests.fakes.pypi.answers import Fault, conditional, fault_reply, html_reply
from tests.fakes.pypi.depsdev import DepsdevRoutes
from tests.fakes.pypi.dump import DumpRoute
from tests.fakes.pypi.pypi_json import PypiRoutes
from tests.fakes.pypi.pypistats import PypistatsRoutes
from tests.fakes.pypi.world import FakeFile, FakeProject
from tests.fakes.serving import FakeServer, Reply, target_of


@dataclass
class Logged:
    """One request as served."""

    service: str  # 'pypi', 'pypistats', 'depsdev' or 'top-pypi'
    path: str
    query: str
    status: int
    accept: str
    user_agent: str


class FakePackageHosts(PypiRoutes, PypistatsRoutes, DepsdevRoutes, DumpRoute, FakeServer):
    """pypi.org, pypistats.org, api.deps.dev and the top-PyPI dump behind one base URL."""

    log: list[Logged]

    def __init__(
        self,
        projects: list[FakeProject] | None = None,
        *,
        clock: FakeClock | None = None,
        scorecards: dict[str, dict | None] | None = None,
        dump: dict | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock or FakeClock(NOW)
        self.projects: dict[str, FakeProject] = {}
        for project in projects or []:
            self.add(project)
        self.scorecards = dict(scorecards or {})
        self.dump = dump
        self._body_cache: dict[tuple, bytes] = {}
        # pypistats.org and deps.dev answer with ETags too (and 304 to If-None-Match), as
        # the fake's other hosts always do; off unless a test turns it on
        self.etags = False

    def add(self, project: FakeProject) -> None:
        self.projects[project.key] = project

    def project(self, name: str) -> FakeProject:
        return self.projects[normalize_pypi_name(name)]

    def release(self, name: str, version: str, *, yanked: bool = False) -> None:
        """The maintainers upload a new version now (and the serial moves on)."""
        with self._lock:
            project = self.project(name)
            when = datetime.fromtimestamp(self.clock(), UTC).replace(microsecond=0)
            base = project.key.replace("-", "_")
            project.releases[version] = [FakeFile(f"{base}-{version}.tar.gz", when, yanked)]
            if not yanked:
                project.latest = version
            project.serial += 1
            self._body_cache.clear()

    def fail(self, pattern: str, fault: Fault, *, times: int | None = 1) -> None:
        with self._lock:
            self._faults.add(pattern, fault, times)

    def served(self, service: str | None = None, pattern: str = "") -> list[Logged]:
        rx = re.compile(pattern)
        return [
            e
            for e in self.log
            if (service is None or e.service == service) and rx.search(target_of(e.path, e.query))
        ]

    # ----- handling ------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Any, body: bytes = b"") -> Reply:
        with self._lock:
            parts = urlsplit(target)
            path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
            service = _service(path)
            fault = self._faults.take(method, target_of(path, parts.query))
            if fault is not None and fault.kind not in ("truncated",):
                reply = fault_reply(fault)
            else:
                reply = self._route(service, path, query, headers)
                if self.etags and service in ("pypistats", "depsdev") and reply.status == 200:
                    reply = conditional(reply, headers)
                if fault is not None and reply.body:
                    reply = Reply(reply.status, reply.body[: len(reply.body) // 2], reply.headers)
            self.log.append(
                Logged(
                    service,
                    path,
                    parts.query,
                    reply.status,
                    headers.get("Accept") or "",
                    headers.get("User-Agent") or "",
                )
            )
            return reply

    def _route(self, service: str, path: str, query: dict, headers: Any) -> Reply:
        if service == "pypi":
            return self._pypi(path, headers)
        if service == "simple":
            return self._simple(path, headers)
        if service == "pypistats":
            return self._pypistats(path, query)
        if service == "depsdev":
            return self._depsdev(path)
        if service == "top-pypi":
            return self._top_pypi(headers)
        return html_reply(404, "Not Found")


def _service(path: str) -> str:
    if path.startswith("/pypi/"):
        return "pypi"
    if path.startswith("/simple/"):
        return "simple"
    if path.startswith("/api/packages/"):
        return "pypistats"
    if path.startswith(("/v3/", "/v3alpha/")):
        return "depsdev"
    if path.startswith("/top-pypi-packages/"):
        return "top-pypi"
    return "other"
