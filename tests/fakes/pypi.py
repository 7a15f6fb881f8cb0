"""Faithful fakes of the PyPI-side hosts: one real HTTP server on 127.0.0.1 (port 0) in a
thread, routing by path the way each real host answers (shared/reference/apis.md C, D):

    /pypi/{name}/json                    pypi.org JSON API: `301` to the canonical name (an
                                         absolute Location), `404` {"message": "Not Found"}
                                         (also for a project with no releases, as Warehouse
                                         does), `ETag`, `X-PyPI-Last-Serial`, JSON
    /simple/{name}/                      the index: PEP 691 JSON (`versions`, `files`) when
                                         Accept asks for application/vnd.pypi.simple.v1+json,
                                         HTML otherwise; `301` to the normalized name
    /api/packages/{name}/overall         pypistats.org: `with_mirrors` and `without_mirrors`
                                         (or one of them with `mirrors=`), sorted by category
                                         then date, only the 180 days ending "yesterday" of
                                         the fake clock; `404` for an unknown package
    /v3/..., /v3alpha/...                api.deps.dev: camelCase JSON, `404` {"error": ...}
                                         for unknown keys, percent-encoded project ids
    /top-pypi-packages/*.min.json        the top-PyPI dump on GitHub Pages, with `ETag`

Faults a test scripts with `FakePackageHosts.fail(pattern, Fault.xxx(), times=n)`: any
status (5xx, 404), pypistats' HTML `429` with or without `Retry-After`, a connection reset,
JSON cut short, an HTML page with 200, and any JSON answer.

Also here: projects with hundreds of releases (yanked, pre-releases, legacy versions, a
version without files), a project without releases, a several-MB project, the default
project list for the benchmark, and the pytest fixtures (`pytest_plugins =
["tests.fakes.pypi"]`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from collectors import depsdev, pypi, pypistats, toppypi
from collectors.http import HttpClient
from registry import Registry, parse_registry
from registry.names import normalize_pypi_name
from tests.fakes.github import FakeClock

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
DAY = 86400.0
PYPISTATS_DAYS = 180
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes" \u202e'


# ----- the world -----------------------------------------------------------------------------


@dataclass
class FakeFile:
    filename: str
    uploaded: datetime
    yanked: bool = False
    size: int = 100_000
    packagetype: str = "bdist_wheel"


@dataclass
class FakeProject:
    """One PyPI project as every fake host sees it."""

    name: str  # canonical spelling, e.g. "Alpha.Lib"
    releases: dict[str, list[FakeFile]]  # version -> files (a version may have none)
    latest: str = ""  # info.version ('' when there is no release)
    summary: str | None = "A package"
    project_urls: Any = None
    home_page: str | None = None
    license: str | None = None
    license_expression: str | None = None
    classifiers: list[str] = field(default_factory=list)
    requires_python: str | None = ">=3.10"
    serial: int = 1000
    json_has_releases: bool = True  # False: the JSON API dropped `releases` (deprecated)
    daily_base: int = 10_000  # pypistats downloads on an average day
    daily_gaps: set[date] = field(default_factory=set)  # days pypistats leaves out
    on_pypistats: bool = True
    dependents: dict[str, tuple[int, int, int] | dict] = field(default_factory=dict)
    on_depsdev: bool = True

    @property
    def key(self) -> str:
        return normalize_pypi_name(self.name)

    def downloads(self, day: date) -> int:
        """Downloads without mirrors on a day: deterministic, so a day never changes."""
        n = day.toordinal()
        weekly = 1.0 + 0.25 * math.sin(2 * math.pi * (n % 7) / 7)
        growth = 1.0 + (n - date(2024, 1, 1).toordinal()) / 2000
        return int(self.daily_base * weekly * growth) + n % 97


def make_project(
    name: str,
    *,
    versions: int,
    files: int = 3,
    start: datetime = datetime(2019, 1, 10, tzinfo=UTC),
    end: datetime = NOW - timedelta(days=20),
    yanked_every: int = 0,
    pre_every: int = 0,
    legacy: tuple[str, ...] = (),
    empty: tuple[str, ...] = (),
    **extra: Any,
) -> FakeProject:
    """A project with `versions` releases spread from `start` to `end`, each with `files`
    files uploaded over a few hours (the first upload is the release's time)."""
    key = normalize_pypi_name(name).replace("-", "_")
    releases: dict[str, list[FakeFile]] = {}
    span = (end - start).total_seconds()
    latest = ""
    for i in range(versions):
        when = (start + timedelta(seconds=span * i / max(versions - 1, 1))).replace(microsecond=0)
        major, minor, patch = i // 50, (i // 10) % 5, i % 10
        version = f"{major}.{minor}.{patch}"
        if pre_every and i % pre_every == pre_every - 1:
            version += "rc1"
        yanked = bool(yanked_every) and i % yanked_every == yanked_every // 2
        uploads = [
            FakeFile(
                f"{key}-{version}-cp3{10 + k % 4}-cp3{10 + k % 4}-manylinux_2_17_x86_64.whl",
                when + timedelta(minutes=7 * (files - k)),  # not in upload order
                yanked=yanked,
            )
            for k in range(files - 1)
        ]
        uploads.append(FakeFile(f"{key}-{version}.tar.gz", when, yanked, 2_000_000, "sdist"))
        releases[version] = uploads
        if not yanked and "rc" not in version:
            latest = version
    for offset, version in enumerate(legacy):
        when = start - timedelta(days=30 * (offset + 1))
        releases[version] = [FakeFile(f"{key}-{version}.tar.gz", when, False, 5_000, "sdist")]
    for version in empty:
        releases[version] = []
    return FakeProject(name=name, releases=releases, latest=latest, **extra)


def alpha_project() -> FakeProject:
    """Hundreds of releases: yanked ones, pre-releases, legacy versions, one without files;
    requested by its normalized name it answers 301 to 'Alpha.Lib'."""
    project = make_project(
        "Alpha.Lib",
        versions=320,
        files=4,
        yanked_every=25,
        pre_every=6,
        legacy=("0.1-beta-final", "2004d", "latest"),
        empty=("0.0.1",),
        summary="Alpha: fast arrays",
        project_urls={
            "Documentation": "https://alpha.readthedocs.io",
            "Bug Tracker": "https://github.com/alpha-org/alpha-lib/issues",
            "Source Code": "https://github.com/Alpha-Org/Alpha-Lib.git",
            "Funding": "https://github.com/sponsors/alpha-org",
        },
        license_expression="BSD-3-Clause",
        daily_base=50_000,
    )
    project.dependents = {project.latest: (51_234, 6_000, 45_234)}
    return project


def beta_project() -> FakeProject:
    """A plain project; licence only as a classifier, repository only as home page."""
    project = make_project(
        "beta-kit",
        versions=40,
        files=2,
        summary="Beta kit",
        home_page="https://github.com/beta-org/beta-kit/tree/main/python",
        license="\n".join(["Permission is hereby granted, free of charge..."] * 30),
        classifiers=["License :: OSI Approved :: MIT License", "Programming Language :: Python"],
        daily_base=8_000,
    )
    project.dependents = {project.latest: {"dependentCount": 120, "directDependentCount": 20}}
    return project


def gamma_project() -> FakeProject:
    """A project that exists on PyPI but has never had a release."""
    return FakeProject(name="gamma", releases={}, latest="", summary=None, on_pypistats=False)


SMALL_REGISTRY = """
[[projects]]
id = "alpha"
name = "Alpha"
group = "Test"
repos = [{ name = "alpha-org/alpha-lib", formerly = ["alpha-org/alpha"] }, "alpha-org/alpha-docs"]
packages = ["alpha.lib"]

[[projects]]
id = "beta"
name = "Beta"
group = "Test"
repos = ["beta-org/beta"]
packages = ["beta-kit"]

[[projects]]
id = "gamma"
name = "Gamma"
group = "Test"
repos = ["gamma-org/gamma"]
packages = ["gamma"]

[[projects]]
id = "ghost"
name = "Ghost"
group = "Test"
repos = ["ghost-org/ghost"]
packages = ["no-such-package"]
"""


def scorecard(repo: str, overall: float = 6.8, *, skipped: tuple[str, ...] = ()) -> dict:
    """deps.dev's `scorecard` object for a repository: four checks, some maybe not run."""
    checks = []
    for index, check in enumerate(("Maintained", "Code-Review", "Fuzzing", "Signed-Releases")):
        checks.append(
            {
                "name": check,
                "documentation": {
                    "shortDescription": f"What {check} measures.",
                    "url": f"https://github.com/ossf/scorecard/blob/main/docs/checks.md#{check}",
                },
                "score": -1 if check in skipped else (10 - 3 * index) % 11,
                "reason": "check did not run" if check in skipped else f"{check}: {HOSTILE}",
                "details": [],
            }
        )
    return {
        "date": "2026-11-16T00:00:00Z",
        "repository": {"name": f"github.com/{repo}", "commit": "0e322af8" * 5},
        "scorecard": {"version": "v5.0.0", "commit": "ea7e27ed" * 5},
        "checks": checks,
        "overallScore": overall,
        "metadata": [],
    }


def small_scorecards() -> dict[str, dict | None]:
    """Repo (lower case) -> scorecard, or None for a known project without one."""
    return {
        "alpha-org/alpha-lib": scorecard("alpha-org/alpha-lib", skipped=("Fuzzing",)),
        "alpha-org/alpha-docs": None,
        "beta-org/beta": scorecard("beta-org/beta", 4.2),
    }


# The default projects' packages, with plausible sizes (versions, files per version).
DEFAULT_FACTS: dict[str, tuple[str, int, int, str]] = {
    "tensorflow": ("tensorflow", 160, 20, "https://github.com/tensorflow/tensorflow"),
    "torch": ("torch", 50, 24, "https://github.com/pytorch/pytorch"),
    "transformers": ("transformers", 190, 2, "https://github.com/huggingface/transformers"),
    "scikit-learn": ("scikit-learn", 70, 25, "https://github.com/scikit-learn/scikit-learn"),
    "opencv-python": ("opencv-python", 110, 20, "https://github.com/opencv/opencv-python"),
    "keras": ("keras", 90, 2, "https://github.com/keras-team/keras"),
    "diffusers": ("diffusers", 60, 2, "https://github.com/huggingface/diffusers"),
    "gpt-oss": ("gpt-oss", 8, 2, "https://github.com/openai/gpt-oss"),
    "tiktoken": ("tiktoken", 25, 30, "https://github.com/openai/tiktoken"),
}


def default_world(packages: list[str]) -> list[FakeProject]:
    world = []
    for name in packages:
        canonical, versions, files, source = DEFAULT_FACTS.get(
            name, (name, 20, 2, f"https://github.com/example/{name}")
        )
        project = make_project(
            canonical,
            versions=versions,
            files=files,
            pre_every=7,
            yanked_every=40,
            project_urls={"Homepage": source, "Source": source},
            license_expression="Apache-2.0",
            daily_base=1_000_000,
        )
        project.dependents = {project.latest: (10_000, 2_000, 8_000)}
        world.append(project)
    return world


def top_dump(
    snapshot: str, rows: list[tuple[str, int]], *, last_update_time: str = "08:12:41"
) -> dict:
    """The top-pypi-packages `.min.json` shape for one snapshot."""
    return {
        "last_update": f"{snapshot} {last_update_time}",
        "query": {
            "bytes_billed": 0,
            "bytes_processed": 0,
            "cached": False,
            "estimated_cost": "0.00",
        },
        "rows": [{"download_count": count, "project": name} for name, count in rows],
    }


# ----- faults --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """Something going wrong, as a test scripts it."""

    kind: str
    status: int = 0
    value: str = ""

    @classmethod
    def http_error(cls, status: int) -> Fault:
        return cls("error", status)

    @classmethod
    def too_many(cls, retry_after: float | str | None = None) -> Fault:
        """pypistats' 429: an HTML page, with Retry-After (seconds or a date) or without."""
        value = "" if retry_after is None else str(retry_after)
        if isinstance(retry_after, float | int):
            value = str(int(retry_after))
        return cls("429", 429, value)

    @classmethod
    def connection_reset(cls) -> Fault:
        return cls("reset")

    @classmethod
    def truncated_json(cls) -> Fault:
        return cls("truncated")

    @classmethod
    def html_page(cls) -> Fault:
        return cls("html", 200)

    @classmethod
    def answer(cls, status: int, data: Any) -> Fault:
        return cls("answer", status, json.dumps(data))


@dataclass
class _Scripted:
    pattern: re.Pattern
    fault: Fault
    times: int | None


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False


@dataclass
class Logged:
    """One request as served."""

    service: str  # 'pypi', 'pypistats', 'depsdev' or 'top-pypi'
    path: str
    query: str
    status: int
    accept: str
    user_agent: str


# ----- the server ----------------------------------------------------------------------------


class FakePackageHosts:
    """pypi.org, pypistats.org, api.deps.dev and the top-PyPI dump behind one base URL."""

    def __init__(
        self,
        projects: list[FakeProject] | None = None,
        *,
        clock: FakeClock | None = None,
        scorecards: dict[str, dict | None] | None = None,
        dump: dict | None = None,
    ) -> None:
        self.clock = clock or FakeClock(NOW)
        self.projects: dict[str, FakeProject] = {}
        for project in projects or []:
            self.add(project)
        self.scorecards = dict(scorecards or {})
        self.dump = dump
        self.log: list[Logged] = []
        self._faults: list[_Scripted] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._body_cache: dict[tuple, bytes] = {}

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
            self._faults.append(_Scripted(re.compile(pattern), fault, times))

    # ----- running -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakePackageHosts:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakePackageHosts:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def served(self, service: str | None = None, pattern: str = "") -> list[Logged]:
        rx = re.compile(pattern)
        return [
            e
            for e in self.log
            if (service is None or e.service == service)
            and rx.search(e.path + ("?" + e.query if e.query else ""))
        ]

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    # ----- handling ------------------------------------------------------------------------

    def handle(self, target: str, headers: Any) -> Reply:
        with self._lock:
            parts = urlsplit(target)
            path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
            service = _service(path)
            fault = self._take_fault(path + ("?" + parts.query if parts.query else ""))
            if fault is not None and fault.kind not in ("truncated",):
                reply = _fault_reply(fault)
            else:
                reply = self._route(service, path, query, headers)
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

    def _take_fault(self, target: str) -> Fault | None:
        for item in self._faults:
            if item.pattern.search(target):
                if item.times is not None:
                    item.times -= 1
                    if item.times <= 0:
                        self._faults.remove(item)
                return item.fault
        return None

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
            if self.dump is None:
                return _html(404, "File not found")
            return _conditional(_json(200, self.dump), headers)
        return _html(404, "Not Found")

    # PyPI JSON API
    def _pypi(self, path: str, headers: Any) -> Reply:
        match = re.fullmatch(r"/pypi/([^/]+)/json/?", path)
        if not match:
            return _json(404, {"message": "Not Found"})
        asked = unquote(match.group(1))
        project = self.projects.get(normalize_pypi_name(asked))
        if project is None or not project.releases:
            return _json(404, {"message": "Not Found"})
        if asked != project.name:
            return Reply(301, b"", {"Location": f"{self.url}/pypi/{project.name}/json"})
        key = ("json", project.key, project.serial, len(project.releases))
        body = self._body_cache.get(key)
        if body is None:
            body = json.dumps(_pypi_json(project, self.url)).encode()
            self._body_cache[key] = body
        reply = Reply(200, body, _pypi_headers(project, "application/json"))
        return _conditional(reply, headers)

    def _simple(self, path: str, headers: Any) -> Reply:
        match = re.fullmatch(r"/simple/([^/]+)/", path)
        if not match:
            return _html(404, "Not Found")
        asked = unquote(match.group(1))
        project = self.projects.get(normalize_pypi_name(asked))
        if project is None:
            return _html(404, "Not Found")
        if asked != project.key:
            return Reply(301, b"", {"Location": f"{self.url}/simple/{project.key}/"})
        if SIMPLE_JSON not in (headers.get("Accept") or ""):
            links = "".join(
                f'<a href="https://files.example/{f.filename}">{f.filename}</a><br/>'
                for files in project.releases.values()
                for f in files
            )
            return Reply(200, f"<html><body>{links}</body></html>".encode(), {
                "Content-Type": "text/html; charset=utf-8"})  # fmt: skip
        body = json.dumps(_simple_json(project)).encode()
        return _conditional(Reply(200, body, _pypi_headers(project, SIMPLE_JSON)), headers)

    # pypistats.org
    def _pypistats(self, path: str, query: dict) -> Reply:
        match = re.fullmatch(r"/api/packages/([^/]+)/overall", path)
        if not match:
            return _html(404, "Not Found")
        # The server turns '.' and '_' into '-' but does not lower-case.
        asked = re.sub(r"[._]+", "-", unquote(match.group(1)))
        project = next(
            (p for p in self.projects.values() if p.key == asked and p.on_pypistats), None
        )
        if project is None:
            return _html(404, "<h1>Not Found</h1>")
        yesterday = datetime.fromtimestamp(self.clock(), UTC).date() - timedelta(days=1)
        days = [yesterday - timedelta(days=n) for n in range(PYPISTATS_DAYS - 1, -1, -1)]
        days = [d for d in days if d not in project.daily_gaps]
        mirrors = query.get("mirrors")
        categories = {"true": ["with_mirrors"], "false": ["without_mirrors"]}.get(
            mirrors or "", ["with_mirrors", "without_mirrors"]
        )
        data = [
            {
                "category": category,
                "date": d.isoformat(),
                "downloads": project.downloads(d) + (137 if category == "with_mirrors" else 0),
            }
            for category in categories
            for d in days
        ]
        return _json(200, {"data": data, "package": asked, "type": "overall_downloads"})

    # deps.dev
    def _depsdev(self, path: str) -> Reply:
        raw = path
        match = re.fullmatch(r"/v3alpha/systems/(?i:pypi)/packages/([^/]+)/versions/([^/]+)"
                             r":dependents", raw)  # fmt: skip
        if match:
            project = self.projects.get(normalize_pypi_name(unquote(match.group(1))))
            version = unquote(match.group(2))
            counts = project.dependents.get(version) if project and project.on_depsdev else None
            if counts is None:
                return _depsdev_404("version")
            if isinstance(counts, dict):
                return _json(200, counts)
            total, direct, indirect = counts
            return _json(200, {"dependentCount": total, "directDependentCount": direct,
                               "indirectDependentCount": indirect})  # fmt: skip
        match = re.fullmatch(r"/v3/systems/(?i:pypi)/packages/([^/]+)", raw)
        if match:
            project = self.projects.get(normalize_pypi_name(unquote(match.group(1))))
            if project is None or not project.on_depsdev or not project.releases:
                return _depsdev_404("package")
            return _json(200, _depsdev_package(project))
        match = re.fullmatch(r"/v3/projects/([^/]+)", raw)
        if match:
            key = unquote(match.group(1))
            repo = key.removeprefix("github.com/").lower()
            if not key.startswith("github.com/") or repo not in self.scorecards:
                return _depsdev_404("project")
            card = self.scorecards[repo]
            data: dict[str, Any] = {
                "projectKey": {"id": key},
                "openIssuesCount": 120,
                "starsCount": 5200,
                "forksCount": 900,
                "license": "BSD-3-Clause",
                "description": HOSTILE,
                "homepage": "",
            }
            if card is not None:
                data["scorecard"] = card
            return _json(200, data)
        return _depsdev_404("path")


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


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _file_json(project: FakeProject, version: str, f: FakeFile) -> dict:
    digest = hashlib.sha256(f.filename.encode()).hexdigest()
    return {
        "comment_text": "",
        "digests": {"blake2b_256": digest, "md5": digest[:32], "sha256": digest},
        "downloads": -1,
        "filename": f.filename,
        "has_sig": False,
        "md5_digest": digest[:32],
        "packagetype": f.packagetype,
        "python_version": "source" if f.packagetype == "sdist" else "cp312",
        "requires_python": project.requires_python,
        "size": f.size,
        "upload_time": f.uploaded.strftime("%Y-%m-%dT%H:%M:%S"),
        "upload_time_iso_8601": _iso(f.uploaded),
        "url": f"https://files.pythonhosted.org/packages/{digest[:2]}/{digest[2:4]}/{f.filename}",
        "yanked": f.yanked,
        "yanked_reason": "broken build" if f.yanked else None,
        "core-metadata": {"sha256": digest},
    }


def _pypi_json(project: FakeProject, base: str) -> dict:
    info = {
        "author": "Maintainers",
        "author_email": "maintainers@example.org",
        "bugtrack_url": None,
        "classifiers": project.classifiers,
        "description": f"# {project.name}\n\n{HOSTILE}\n" + "Long description. " * 50,
        "description_content_type": "text/markdown",
        "docs_url": None,
        "download_url": None,
        "downloads": {"last_day": -1, "last_month": -1, "last_week": -1},
        "dynamic": None,
        "home_page": project.home_page,
        "keywords": "",
        "license": project.license,
        "license_expression": project.license_expression,
        "license_files": None,
        "maintainer": None,
        "maintainer_email": None,
        "name": project.name,
        "package_url": f"{base}/project/{project.name}/",
        "platform": None,
        "project_url": f"{base}/project/{project.name}/",
        "project_urls": project.project_urls,
        "provides_extra": None,
        "release_url": f"{base}/project/{project.name}/{project.latest}/",
        "requires_dist": ["numpy>=1.23", "packaging"],
        "requires_python": project.requires_python,
        "summary": project.summary,
        "version": project.latest,
        "yanked": False,
        "yanked_reason": None,
    }
    data: dict[str, Any] = {
        "info": info,
        "last_serial": project.serial,
        "urls": [
            _file_json(project, project.latest, f) for f in project.releases.get(project.latest, [])
        ],
        "vulnerabilities": [],
        "ownership": {"roles": [{"role": "Owner", "user": "someone"}], "organization": None},
    }
    if project.json_has_releases:
        data["releases"] = {
            version: [_file_json(project, version, f) for f in files]
            for version, files in project.releases.items()
        }
    return data


def _simple_json(project: FakeProject) -> dict:
    files = []
    for files_of in project.releases.values():
        for f in files_of:
            digest = hashlib.sha256(f.filename.encode()).hexdigest()
            files.append(
                {
                    "filename": f.filename,
                    "url": f"https://files.pythonhosted.org/packages/{digest[:8]}/{f.filename}",
                    "hashes": {"sha256": digest},
                    "requires-python": project.requires_python,
                    "size": f.size,
                    "upload-time": _iso(f.uploaded),
                    "yanked": "broken build" if f.yanked else False,
                    "core-metadata": {"sha256": digest},
                    "data-dist-info-metadata": {"sha256": digest},
                }
            )
    return {
        "meta": {"api-version": "1.1", "_last-serial": project.serial},
        "name": project.key,
        "versions": list(project.releases),
        "files": files,
    }


def _depsdev_package(project: FakeProject) -> dict:
    versions = []
    for version, files in project.releases.items():
        when = min((f.uploaded for f in files), default=None)
        versions.append(
            {
                "versionKey": {"system": "PYPI", "name": project.key, "version": version},
                "publishedAt": _iso(when).replace(".000000", "") if when else None,
                "isDefault": version == project.latest,
                "isDeprecated": False,
            }
        )
    return {"packageKey": {"system": "PYPI", "name": project.key}, "versions": versions}


def _pypi_headers(project: FakeProject, content_type: str) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "X-PyPI-Last-Serial": str(project.serial),
        "Cache-Control": "max-age=900, public",
        "X-Cache": "MISS, HIT",
        "Access-Control-Allow-Origin": "*",
    }


def _json(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


def _html(status: int, text: str) -> Reply:
    page = f"<!doctype html><html><body>{text}</body></html>".encode()
    return Reply(status, page, {"Content-Type": "text/html; charset=utf-8"})


def _depsdev_404(what: str) -> Reply:
    return _json(404, {"code": 5, "error": f"{what} not found", "message": f"{what} not found"})


def _conditional(reply: Reply, headers: Any) -> Reply:
    etag = '"' + hashlib.sha256(reply.body).hexdigest()[:32] + '"'
    reply.headers["ETag"] = etag
    if headers.get("If-None-Match") == etag:
        kept = {k: v for k, v in reply.headers.items() if k != "Content-Type"}
        return Reply(304, b"", kept)
    return reply


def _fault_reply(fault: Fault) -> Reply:
    if fault.kind == "error":
        return _html(fault.status, f"<h1>{fault.status} Error</h1>")
    if fault.kind == "429":
        reply = _html(429, "<h1>Too Many Requests</h1><p>5 per 1 second</p>")
        if fault.value:
            reply.headers["Retry-After"] = fault.value
        return reply
    if fault.kind == "reset":
        return Reply(0, reset=True)
    if fault.kind == "html":
        return _html(200, "<h1>Service temporarily unavailable</h1>")
    if fault.kind == "answer":
        return Reply(fault.status, fault.value.encode(), {"Content-Type": "application/json"})
    raise ValueError(fault.kind)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        reply = self.server.fake.handle(self.path, self.headers)  # type: ignore[attr-defined]
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
            if reply.status != 304:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.status != 304:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        with contextlib.suppress(ConnectionResetError, BrokenPipeError, TimeoutError):
            super().handle()


# ----- clients and fixtures ------------------------------------------------------------------


def clients_for(
    hosts: FakePackageHosts, clock: FakeClock, folder: Path, **options: Any
) -> dict[str, HttpClient]:
    """Each source's own client, pointed at the fake, with the fake's clock and sleep."""
    options.setdefault("read_timeout", 10.0)
    options.setdefault("connect_timeout", 2.0)
    common = {"base_url": hosts.url, "clock": clock, "sleep": clock.sleep, **options}
    return {
        "pypi": pypi.pypi_client(cache_path=folder / "pypi.json", **common),
        "pypistats": pypistats.pypistats_client(cache_path=folder / "pypistats.json", **common),
        "depsdev": depsdev.depsdev_client(cache_path=folder / "depsdev.json", **common),
        "top-pypi": toppypi.top_pypi_client(cache_path=folder / "top-pypi.json", **common),
    }


def small_world() -> list[FakeProject]:
    return [alpha_project(), beta_project(), gamma_project()]


@pytest.fixture
def pypi_clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def package_hosts(pypi_clock: FakeClock) -> Iterator[FakePackageHosts]:
    """Healthy fake PyPI-side hosts with alpha (many releases), beta, gamma (no releases)."""
    with FakePackageHosts(small_world(), clock=pypi_clock, scorecards=small_scorecards()) as hosts:
        yield hosts


@pytest.fixture
def package_registry() -> Registry:
    return parse_registry(SMALL_REGISTRY, "projects.toml")


@pytest.fixture
def source_clients(
    package_hosts: FakePackageHosts, pypi_clock: FakeClock, user_data_dir: Path
) -> Iterator[dict[str, HttpClient]]:
    clients = clients_for(package_hosts, pypi_clock, user_data_dir / "http-cache")
    yield clients
    for client in clients.values():
        client.close()
