"""pypi.org in the fake PyPI-side hosts: the JSON API (`/pypi/{name}/json`: `301` to the
canonical name with an absolute Location, `404` {"message": "Not Found"} also for a project
with no releases as Warehouse does, `ETag`, `X-PyPI-Last-Serial`) and the simple index
(`/simple/{name}/`: PEP 691 JSON when Accept asks for it, HTML otherwise; `301` to the
normalized name)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import unquote

from registry.names import normalize_pypi_name
from tests.fakes.pypi.answers import conditional, html_reply, iso, json_reply
from tests.fakes.pypi.world import HOSTILE, FakeFile, FakeProject
from tests.fakes.serving import Reply

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


class PypiRoutes:
    """pypi.org's routes of `FakePackageHosts` (a mixin: it holds the state)."""

    url: str
    projects: dict[str, FakeProject]
    _body_cache: dict[tuple, bytes]

    def _pypi(self, path: str, headers: Any) -> Reply:
        match = re.fullmatch(r"/pypi/([^/]+)/json/?", path)
        if not match:
            return json_reply(404, {"message": "Not Found"})
        asked = unquote(match.group(1))
        project = self.projects.get(normalize_pypi_name(asked))
        if project is None or not project.releases:
            return json_reply(404, {"message": "Not Found"})
        if asked != project.name:
            return Reply(301, b"", {"Location": f"{self.url}/pypi/{project.name}/json"})
        key = ("json", project.key, project.serial, len(project.releases))
        body = self._body_cache.get(key)
        if body is None:
            body = json.dumps(project_json(project, self.url)).encode()
            self._body_cache[key] = body
        reply = Reply(200, body, pypi_headers(project, "application/json"))
        return conditional(reply, headers)

    def _simple(self, path: str, headers: Any) -> Reply:
        match = re.fullmatch(r"/simple/([^/]+)/", path)
        if not match:
            return html_reply(404, "Not Found")
        asked = unquote(match.group(1))
        project = self.projects.get(normalize_pypi_name(asked))
        if project is None:
            return html_reply(404, "Not Found")
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
        body = json.dumps(simple_json(project)).encode()
        return conditional(Reply(200, body, pypi_headers(project, SIMPLE_JSON)), headers)


def file_json(project: FakeProject, version: str, f: FakeFile) -> dict:
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
        "upload_time_iso_8601": iso(f.uploaded),
        "url": f"https://files.pythonhosted.org/packages/{digest[:2]}/{digest[2:4]}/{f.filename}",
        "yanked": f.yanked,
        "yanked_reason": "broken build" if f.yanked else None,
        "core-metadata": {"sha256": digest},
    }


def project_json(project: FakeProject, base: str) -> dict:
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
            file_json(project, project.latest, f) for f in project.releases.get(project.latest, [])
        ],
        "vulnerabilities": [],
        "ownership": {"roles": [{"role": "Owner", "user": "someone"}], "organization": None},
    }
    if project.json_has_releases:
        data["releases"] = {
            version: [file_json(project, version, f) for f in files]
            for version, files in project.releases.items()
        }
    return data


def simple_json(project: FakeProject) -> dict:
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
                    "upload-time": iso(f.uploaded),
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


def pypi_headers(project: FakeProject, content_type: str) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "X-PyPI-Last-Serial": str(project.serial),
        "Cache-Control": "max-age=900, public",
        "X-Cache": "MISS, HIT",
        "Access-Control-Allow-Origin": "*",
    }
