"""Recorded answers: save what PyPI answered once, then answer from the saves offline.

Two `requests` transport adapters, mounted on the session of an ordinary
`collectors.http.HttpClient`, so the project's own collector runs unchanged on top of them:

    RecordingAdapter(folder)   live: passes each request to a real HTTPAdapter and saves the
                               answer (200, a redirect, or a 404/410 "not there") to `folder`
    ReplayAdapter(folder)      offline: answers only from `folder`; anything not recorded
                               raises NotRecordedError naming the URL. It holds no network
                               adapter at all, so it cannot open a socket.

The folder (data/inputs/pypi/ for the default data):

    NAME.json.gz   one per package (PEP 503 name): {"package": NAME, "answers": {path:
                   {"status", "headers", "body" | "text"}}}; every path that belongs to the
                   package (its JSON API URL, the canonical name a redirect leads to, its
                   simple index page). Paths, fields and headers sorted, each body in
                   the order PyPI served it (`project_urls`' order matters), gzip with
                   mtime 0: the same answers always give the same bytes.
    index.json     {"format": 1, "trim": TRIM_NOTE, "packages": {NAME: {"read_at": UTC ISO
                   time of its last answer, "paths": [...], "raw_bytes": size as served}}}

Trimming (TRIM_NOTE): a raw JSON answer is up to 10 MB (aiohttp), too big to commit, so
only what `collectors.pypi` reads is kept and replay serves the trimmed body:

    /pypi/NAME/json   `info`: name, version, summary, license, license_expression,
                      classifiers, requires_python, project_urls, home_page (a `license` that
                      is a whole licence text, longer than pypi.LICENCE_TEXT_MAX or on several
                      lines, is dropped: the collector ignores it);
                      `last_serial`; `releases`: version -> per file only
                      `upload_time_iso_8601` (else `upload_time`) and `yanked`.
                      Dropped: description, urls, digests, file names, sizes, vulnerabilities,
                      ownership and the other info fields.
    /simple/NAME/     `name`, `versions`, `meta._last-serial`, and per file `filename`,
                      `upload-time`, `yanked` (the file name says which version it belongs to).

Headers kept: Content-Type, ETag, Last-Modified, Location (made relative when it stays on the
same host, so a recording does not depend on the host it was made against), Link and
X-PyPI-Last-Serial. Not recorded: 304s, 5xx, 429 and other passing failures.

Names: a path is saved under a file only when it names a valid PyPI project (PEP 508,
checked before any request is passed on), and the file is checked to lie inside the folder,
so a hostile name (`../x`, `%2e%2e%2fx`) can neither be asked for nor written.

Errors (under errors.SourceError):

    RecordingError(problem)             a path that cannot be recorded, a damaged file
    └── NotRecordedError(url)           replay was asked for something never recorded
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict

from collectors.pypi import LICENCE_TEXT_MAX
from errors import SourceError
from files import atomic_write
from registry.names import normalize_pypi_name, pypi_name_problem

INDEX = "index.json"
SUFFIX = ".json.gz"
FORMAT = 1
SOURCE = "recorded PyPI answers"
KEPT_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Link", "Location", "X-PyPI-Last-Serial")
RECORDED_STATUSES = frozenset({200, 301, 302, 303, 307, 308, 404, 410})

INFO_KEYS = (
    "name",
    "version",
    "summary",
    "license",
    "license_expression",
    "classifiers",
    "requires_python",
    "project_urls",
    "home_page",
)
TRIM_NOTE = (
    "trimmed to what collectors/pypi.py reads: info (name, version, summary, license unless "
    "a whole licence text, license_expression, classifiers, requires_python, project_urls, "
    "home_page), last_serial, and per release file only upload_time_iso_8601 (else "
    "upload_time) and yanked; simple index: name, versions, meta._last-serial, per file "
    "filename, upload-time, yanked"
)

_PACKAGE_PATH = re.compile(r"/pypi/([^/?#]+)/json/?|/simple/([^/?#]+)/")


class RecordingError(SourceError):
    """A recorded folder cannot answer or be written as asked."""

    def __init__(self, problem: str) -> None:
        super().__init__(SOURCE, problem)


class NotRecordedError(RecordingError):
    """Replay was asked for an answer that was never recorded; `url` names it."""

    def __init__(self, url: str, folder: Path) -> None:
        super().__init__(
            f"no recorded answer for GET {url} in {folder}; record it live with "
            "`python scripts/pypi_inputs.py --live` (replay never uses the network)"
        )
        self.url = url


# ----- names and files -----------------------------------------------------------------------


def package_of(path: str) -> str:
    """The PEP 503 name of the package a PyPI path belongs to. Raises RecordingError for a
    path that is not one package's JSON or index page, or whose name is not valid."""
    match = _PACKAGE_PATH.fullmatch(urlsplit(path).path)
    if not match:
        raise RecordingError(f"{path!r} is not a package's /pypi/NAME/json or /simple/NAME/")
    name = unquote(match.group(1) or match.group(2))
    problem = pypi_name_problem(name)
    if problem:
        raise RecordingError(f"{path!r}: {problem}")
    return normalize_pypi_name(name)


def answers_file(folder: Path, package: str) -> Path:
    """Where a package's answers live. Raises RecordingError for a name that is not a valid
    PyPI name or would lead outside `folder`."""
    problem = pypi_name_problem(package)
    if problem:
        raise RecordingError(problem)
    root = Path(folder).resolve()
    path = (root / f"{normalize_pypi_name(package)}{SUFFIX}").resolve()
    if path.parent != root:
        raise RecordingError(f"{package!r} would be stored outside {root}")
    return path


def encode_answers(package: str, answers: dict[str, dict]) -> bytes:
    """Deterministic bytes of a package's answers: paths, answer fields and headers in sorted
    order, each body in the order it was served (gzip with mtime 0).

    A body's own key order is kept, not sorted: `project_urls` is stored by the collector as
    JSON text in PyPI's order, and that order decides which repository link is found first.
    """
    ordered = {
        path: {
            key: (dict(sorted(value.items())) if key == "headers" else value)
            for key, value in sorted(answers[path].items())
        }
        for path in sorted(answers)
    }
    text = json.dumps(
        {"answers": ordered, "package": package}, separators=(",", ":"), ensure_ascii=False
    )
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def read_answers(folder: Path, package: str) -> dict[str, dict]:
    """A package's recorded answers, path -> answer ({} when none is recorded).
    Raises RecordingError for a bad name or a damaged file."""
    path = answers_file(folder, package)
    try:
        data = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, EOFError, ValueError) as exc:
        raise RecordingError(f"{path} cannot be read ({exc})") from None
    answers = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(answers, dict):
        raise RecordingError(f"{path} holds no `answers` object")
    return answers


def write_index(folder: Path, index: dict[str, dict]) -> None:
    """Write index.json (sorted, deterministic) atomically."""
    text = json.dumps(
        {"format": FORMAT, "trim": TRIM_NOTE, "packages": index},
        indent=1,
        sort_keys=True,
        ensure_ascii=False,
    )
    data = (text + "\n").encode("utf-8")
    atomic_write(Path(folder) / INDEX, lambda handle: handle.write(data))


def read_index(folder: Path) -> dict[str, dict]:
    """index.json's packages: name -> {"read_at", "paths", "raw_bytes"} ({} when absent).
    Raises RecordingError for a damaged index."""
    path = Path(folder) / INDEX
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise RecordingError(f"{path} cannot be read ({exc})") from None
    packages = data.get("packages") if isinstance(data, dict) else None
    if not isinstance(packages, dict):
        raise RecordingError(f"{path} holds no `packages` object")
    return packages


def read_time(entry: dict) -> datetime:
    """An index entry's `read_at` as an aware UTC datetime. Raises RecordingError."""
    try:
        moment = datetime.fromisoformat(str(entry["read_at"]).replace("Z", "+00:00"))
        return moment.astimezone(UTC)
    except (KeyError, ValueError) as exc:
        raise RecordingError(f"index entry without a valid read_at ({exc})") from None


# ----- trimming (pure) -----------------------------------------------------------------------


def trim_answer(path: str, body: Any) -> Any:
    """The part of a PyPI answer the collector reads (see the module docstring); anything
    unexpected is kept as it is, so the collector meets it in replay as it did live."""
    if not isinstance(body, dict):
        return body
    route = urlsplit(path).path
    if route.startswith("/pypi/"):
        return _trim_json(body)
    if route.startswith("/simple/"):
        return _trim_simple(body)
    return body


def _trim_json(body: dict) -> dict:
    if "info" not in body:  # an error answer ({"message": "Not Found"}): small, kept
        return body
    out: dict[str, Any] = {"info": body["info"]}
    info = body["info"]
    if isinstance(info, dict):
        out["info"] = {k: info[k] for k in INFO_KEYS if k in info}
        text = info.get("license")
        text = text.strip() if isinstance(text, str) else ""
        # as pypi.licence_of: a (stripped) text that is long or has several lines is unused
        if len(text) > LICENCE_TEXT_MAX or "\n" in text:
            del out["info"]["license"]
    if "last_serial" in body:
        out["last_serial"] = body["last_serial"]
    if "releases" in body:
        releases = body["releases"]
        out["releases"] = (
            {v: _trim_files(files) for v, files in releases.items()}
            if isinstance(releases, dict)
            else releases
        )
    return out


def _trim_files(files: Any) -> Any:
    if not isinstance(files, list):
        return files
    return [_trim_file(f) if isinstance(f, dict) else f for f in files]


def _trim_file(item: dict) -> dict:
    out = {}
    if item.get("upload_time_iso_8601"):
        out["upload_time_iso_8601"] = item["upload_time_iso_8601"]
    elif "upload_time" in item:
        out["upload_time"] = item["upload_time"]
    if "yanked" in item:
        out["yanked"] = item["yanked"]
    return out


def _trim_simple(body: dict) -> dict:
    out = {k: body[k] for k in ("name", "versions") if k in body}
    meta = body.get("meta")
    if isinstance(meta, dict) and "_last-serial" in meta:
        out["meta"] = {"_last-serial": meta["_last-serial"]}
    files = body.get("files")
    if isinstance(files, list):
        out["files"] = [
            {k: f[k] for k in ("filename", "upload-time", "yanked") if k in f}
            if isinstance(f, dict)
            else f
            for f in files
        ]
    elif "files" in body:
        out["files"] = files
    return out


# ----- the adapters --------------------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RecordingAdapter(BaseAdapter):
    """Passes requests to a real HTTPAdapter and saves each answer worth replaying.

    A package's file is started afresh the first time this adapter records it, and rewritten
    (atomically) after each of its answers, with its entry in index.json; other packages'
    files and entries are kept. `clock` gives the read time (UTC).
    """

    def __init__(
        self,
        folder: Path | str,
        *,
        inner: BaseAdapter | None = None,
        clock: Callable[[], datetime] = _utc_now,
        trim: Callable[[str, Any], Any] = trim_answer,
    ) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.inner = inner or HTTPAdapter()
        self.clock = clock
        self.trim = trim
        self._answers: dict[str, dict[str, dict]] = {}
        self._raw_bytes: dict[str, int] = {}

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        path = request.path_url
        package = package_of(path)  # before anything goes out
        answers_file(self.folder, package)
        response = self.inner.send(request, **kwargs)
        if request.method == "GET" and response.status_code in RECORDED_STATUSES:
            content = response.content  # read now; requests keeps it for the caller
            self._record(package, path, request.url or "", response, content)
        return response

    def _record(
        self, package: str, path: str, url: str, response: requests.Response, content: bytes
    ) -> None:
        headers = {}
        for name in KEPT_HEADERS:
            value = response.headers.get(name)
            if value is not None:
                headers[name] = _relative(value, url) if name == "Location" else value
        answer: dict[str, Any] = {"status": response.status_code, "headers": headers}
        try:
            answer["body"] = self.trim(path, json.loads(content)) if content else None
        except (ValueError, UnicodeDecodeError):
            answer["text"] = content.decode("utf-8", "replace")[:2000]
        answers = self._answers.setdefault(package, {})
        answers[path] = answer
        self._raw_bytes[package] = self._raw_bytes.get(package, 0) + len(content)
        self.folder.mkdir(parents=True, exist_ok=True)
        body = encode_answers(package, answers)
        atomic_write(answers_file(self.folder, package), lambda handle: handle.write(body))
        index = read_index(self.folder)
        index[package] = {
            "read_at": self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "paths": sorted(answers),
            "raw_bytes": self._raw_bytes[package],
        }
        write_index(self.folder, index)

    def close(self) -> None:
        self.inner.close()


class ReplayAdapter(BaseAdapter):
    """Answers GET requests from a recorded folder only; raises NotRecordedError otherwise."""

    def __init__(self, folder: Path | str) -> None:
        super().__init__()
        self.folder = Path(folder)
        self._answers: dict[str, dict[str, dict]] = {}

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        path = request.path_url
        url = request.url or path
        if request.method != "GET":
            raise NotRecordedError(f"{request.method} {url}", self.folder)
        package = package_of(path)
        if package not in self._answers:
            self._answers[package] = read_answers(self.folder, package)
        answer = self._answers[package].get(path)
        if answer is None:
            raise NotRecordedError(url, self.folder)
        response = requests.Response()
        response.status_code = int(answer["status"])
        response.url = url
        response.request = request
        headers = dict(answer.get("headers") or {})
        if "body" in answer and answer["body"] is not None:
            content = json.dumps(answer["body"], ensure_ascii=False).encode("utf-8")
        else:
            content = str(answer.get("text") or "").encode("utf-8")
        response._content = content
        headers["Content-Length"] = str(len(content))
        response.headers = CaseInsensitiveDict(headers)
        with contextlib.suppress(ValueError):
            response.reason = HTTPStatus(response.status_code).phrase
        return response

    def close(self) -> None:
        pass


def _relative(location: str, url: str) -> str:
    """A Location on the request's own host as path (and query) only."""
    target, origin = urlsplit(location), urlsplit(url)
    if not target.netloc or (target.scheme, target.netloc) == (origin.scheme, origin.netloc):
        return target.path + (f"?{target.query}" if target.query else "")
    return location


def mount(session: requests.Session, adapter: BaseAdapter) -> requests.Session:
    """Route every http(s) request of `session` through `adapter` (and nothing else)."""
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


__all__ = [
    "INDEX",
    "TRIM_NOTE",
    "NotRecordedError",
    "RecordingAdapter",
    "RecordingError",
    "ReplayAdapter",
    "answers_file",
    "encode_answers",
    "mount",
    "package_of",
    "read_answers",
    "read_index",
    "read_time",
    "trim_answer",
    "write_index",
]
