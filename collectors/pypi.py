"""The PyPI collector: every release of each tracked package, and what PyPI says about it.

This room knows what PyPI's answers mean; `collectors.http.HttpClient` does the talking
(retries, ETags, redirects). Per package, one request:

    GET /pypi/{name}/json          -> releases (subject_kind 'package'), packages
    GET /simple/{name}/            only when the JSON has no `releases` (PyPI deprecated it):
                                      the index's PEP 700 `versions` and file upload times

- Names are checked (PEP 508) and normalized (PEP 503) before any URL is built; a bad name
  is refused with PackageNameError and costs no request.
- A 301 to the canonical name is followed; the canonical name is stored and asked for
  directly next time, so a warm refresh is one conditional request (304 when unchanged).
- A release's `published_at` is its first file's upload time; a version without files has
  none (null, quality 'missing'), and so has one whose upload times cannot be true (before
  1980, after today, or not a time at all). `yanked` means every file is yanked.
  `prerelease` follows PEP 440; a legacy version PEP 440 cannot parse keeps it null.
- Only new or changed rows are written: a 304, or a 200 with nothing new, writes none.
- A package already refreshed today is skipped (0 requests) unless `force=True`.
- The GitHub repository named in the project URLs is recorded and compared with
  data/projects.toml (`repo_agrees`); it is reported, never used to choose a repository.

`refresh_pypi()` is the entry point; one atomic write per package (its rows and its
collection_runs row), so a failure or a kill keeps every package finished before it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

import pandas as pd
from packaging.version import InvalidVersion, Version

from collectors.http import (
    HttpClient,
    HttpResponse,
    ResponseFormatError,
    StatusError,
)
from collectors.source import (
    Collected,
    Source,
    Target,
    package_targets,
    refresh_source,
)
from collectors.sourcerun import (
    FUTURE_SLACK,
    PackageNameError,
    SourceSummary,
    checked_package,
    day,
    json_client,
    parse_time,
    plain,
    plausible_count,
    table_frame,
)
from errors import SourceError
from registry.names import github_repo_problem, normalize_pypi_name, pypi_name_problem
from registry.projects import Project, Registry
from store.schema import PACKAGES, RELEASES
from store.segments import SegmentStore

PYPI = "https://pypi.org"
COLLECTOR = "pypi"
SOURCE_JSON = "pypi:json"
SOURCE_SIMPLE = "pypi:simple-v1"
SIMPLE_ACCEPT = "application/vnd.pypi.simple.v1+json"

# Labels of project URLs that name the source repository, best first (compared after
# lower-casing and turning punctuation into spaces).
REPO_LABELS = ("source", "source code", "repository", "code", "github", "homepage", "home page")
_GITHUB_URL = re.compile(
    r"^\s*(?:git\+)?(?:https?|git|ssh)?:?/*(?:git@)?(?:www\.)?github\.com[/:]"
    r"([^/\s?#]+)/([^/\s?#]+)",
    re.IGNORECASE,
)
# github.com/<these>/... are site pages, not repositories.
_NOT_OWNERS = frozenset(
    {"sponsors", "orgs", "apps", "marketplace", "features", "topics", "settings", "about", "site"}
)
LICENCE_TEXT_MAX = 100  # a longer `license` field is the licence's whole text, not its name


# ----- the client ----------------------------------------------------------------------------


def pypi_client(*, base_url: str = PYPI, **options: Any) -> HttpClient:
    """An HttpClient for pypi.org (JSON API and simple index).
    Options as `sourcerun.json_client`."""
    return json_client("PyPI", base_url, **options)


# ----- the entry point -----------------------------------------------------------------------


def refresh_pypi(
    registry: Registry, store: SegmentStore, client: HttpClient, **options: Any
) -> SourceSummary:
    """Refresh every tracked package (or those of `projects`, by id) from PyPI into `store`:
    releases and facts; a package refreshed today is skipped unless `force` (see `PyPI`)."""
    return refresh_source(PyPI(registry), registry, store, client, **options)


class PyPI(Source):
    """Each package's releases and facts from PyPI's JSON API (the simple index as fallback)."""

    name, label, provenance = COLLECTOR, "PyPI", SOURCE_JSON

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.known = _Known(RELEASES.empty(), PACKAGES.empty())

    def targets(self, projects: Sequence[Project]) -> list[Target]:
        return package_targets(projects)

    def key(self, target: Target) -> str:
        return checked_package(target.listed)

    def prepare(self, store: SegmentStore) -> None:
        self.known = _Known.read(store)

    def current(self, key: str, last: pd.Timestamp | None, now: pd.Timestamp) -> str | None:
        if last is not None and day(last) == day(now):
            return "already refreshed today; PyPI is asked at most once a day"
        return None

    def collect(self, client: HttpClient, key: str, target: Target, now: pd.Timestamp) -> Collected:
        project = self.registry.get(target.project) if target.project else None
        frames = _collect(client, key, project, self.known, now)
        return Collected(frames, _describe(frames))

    def failure(self, exc: SourceError, key: str) -> str:
        if isinstance(exc, StatusError) and exc.status == 404:
            return f"PyPI has no project named {key!r} (404)"
        return plain(exc, "PyPI")


def _describe(frames: dict[str, pd.DataFrame]) -> str | None:
    releases = len(frames.get("releases", ()))
    if not frames:
        return "unchanged since the last refresh"
    return f"{releases} new or changed release(s)" if releases else None


# ----- what the store already has ------------------------------------------------------------


class _Known:
    """Stored releases and the latest packages row per package, to write only what changed."""

    def __init__(self, releases: pd.DataFrame, packages: pd.DataFrame) -> None:
        releases = releases[releases["subject_kind"] == "package"]
        self.releases = {str(k): g.set_index("version") for k, g in releases.groupby("subject")}
        latest = packages.sort_values(["date", "fetched_at"], kind="stable")
        latest = latest.drop_duplicates("package", keep="last")
        self.packages = {str(row["package"]): row for _, row in latest.iterrows()}

    @classmethod
    def read(cls, store: SegmentStore) -> _Known:
        return cls(store.read("releases").frame, store.read("packages").frame)

    def canonical(self, package: str) -> str | None:
        row = self.packages.get(package)
        name = row["canonical_name"] if row is not None else None
        valid = isinstance(name, str) and not pypi_name_problem(name)
        return name if valid and normalize_pypi_name(name) == package else None


_RELEASE_VALUES = ("published_at", "prerelease", "yanked", "quality")
_PACKAGE_VALUES = tuple(
    c for c in PACKAGES.column_names if c not in ("date", "source", "fetched_at", "quality")
)


def _values(row: Any, columns: Iterable[str]) -> tuple:
    return tuple(None if pd.isna(row[c]) else row[c] for c in columns)


# ----- one package ---------------------------------------------------------------------------


def _collect(
    client: HttpClient, name: str, project: Project, known: _Known, now: pd.Timestamp
) -> dict[str, pd.DataFrame]:
    """One package's new or changed rows. Raises HttpError subclasses."""
    asked = known.canonical(name) or name
    try:
        response = client.get(f"/pypi/{quote(asked, safe='')}/json")
    except StatusError as exc:
        if exc.status != 404:
            raise
        # Warehouse answers 404 both for an unknown project and for one without releases;
        # the index tells them apart.
        return _without_releases(client, name, project, known, now, exc)
    try:
        data = response.json_object()
    except ResponseFormatError:
        if not response.from_cache:
            raise
        # The remembered body is damaged: ask once more in full.
        response = client.get(f"/pypi/{quote(asked, safe='')}/json", conditional=False)
        data = response.json_object()
    info = data.get("info")
    if not isinstance(info, dict):
        raise ResponseFormatError(
            "PyPI",
            f"answered JSON without an `info` object for {name!r}",
            url=response.url,
            status=response.status,
        )
    source = SOURCE_JSON
    releases = data.get("releases")
    if isinstance(releases, dict):
        versions = versions_from_json(releases)
    else:
        versions = versions_from_simple(_simple_index(client, name))
        source = SOURCE_SIMPLE
    release_frame = release_rows(name, versions, now, source)
    package_frame = package_rows(name, data, response, project, versions, now)
    frames = {
        "releases": _changed_releases(release_frame, known.releases.get(name)),
        "packages": _changed_package(package_frame, known.packages.get(name)),
    }
    return {k: v for k, v in frames.items() if len(v)}


def _without_releases(
    client: HttpClient,
    name: str,
    project: Project,
    known: _Known,
    now: pd.Timestamp,
    not_found: StatusError,
) -> dict[str, pd.DataFrame]:
    """A project the JSON API does not serve: from the index if it lists it, else 404."""
    try:
        index = _simple_index(client, name)
    except StatusError as exc:
        if exc.status == 404:
            raise not_found from None
        raise
    versions = versions_from_simple(index)
    meta = index.get("meta") if isinstance(index.get("meta"), dict) else {}
    data = {"info": {"name": _str(index.get("name"))}, "last_serial": meta.get("_last-serial")}
    frame = package_rows(name, data, None, project, versions, now, source=SOURCE_SIMPLE)
    frames = {
        "releases": _changed_releases(
            release_rows(name, versions, now, SOURCE_SIMPLE), known.releases.get(name)
        ),
        "packages": _changed_package(frame, known.packages.get(name)),
    }
    return {k: v for k, v in frames.items() if len(v)}


def _simple_index(client: HttpClient, name: str) -> dict:
    response = client.get(f"/simple/{quote(name, safe='')}/", accept=SIMPLE_ACCEPT)
    return response.json_object()


def _changed_releases(frame: pd.DataFrame, stored: pd.DataFrame | None) -> pd.DataFrame:
    """The rows that are new, or whose values differ from the stored ones."""
    if stored is None or frame.empty:
        return frame
    values = list(_RELEASE_VALUES)
    old = stored[values].add_suffix("_stored")
    joined = frame.join(old, on="version")
    keep = ~frame["version"].isin(stored.index)
    for column in values:
        a, b = joined[column], joined[f"{column}_stored"]
        same = (a == b).fillna(False).astype(bool) | (a.isna() & b.isna())
        keep |= ~same
    return frame[keep.to_numpy()].reset_index(drop=True)


def _changed_package(frame: pd.DataFrame, stored: Any) -> pd.DataFrame:
    if stored is None or frame.empty:
        return frame
    if _values(frame.iloc[0], _PACKAGE_VALUES) == _values(stored, _PACKAGE_VALUES):
        return frame.iloc[0:0]
    return frame


# ----- pure helpers --------------------------------------------------------------------------


def versions_from_json(releases: dict) -> dict[str, list[dict]]:
    """The JSON API's `releases` -> version -> its files (only well-formed entries)."""
    out: dict[str, list[dict]] = {}
    for version, files in releases.items():
        if not isinstance(version, str) or not version:
            continue
        items = files if isinstance(files, list) else []
        out[version] = [
            {"upload_time": parse_time(f.get("upload_time_iso_8601") or f.get("upload_time")),
             "yanked": f.get("yanked") is True}
            for f in items
            if isinstance(f, dict)
        ]  # fmt: skip
    return out


def versions_from_simple(index: dict) -> dict[str, list[dict]]:
    """The simple index (PEP 691/700) -> version -> its files, matched by file name."""
    versions = [v for v in index.get("versions") or [] if isinstance(v, str) and v]
    out: dict[str, list[dict]] = {v: [] for v in versions}
    for item in index.get("files") or []:
        if not isinstance(item, dict) or not isinstance(item.get("filename"), str):
            continue
        version = version_of_file(item["filename"], versions)
        if version is None:
            continue
        yanked = item.get("yanked")
        out[version].append(
            {
                "upload_time": parse_time(item.get("upload-time")),
                "yanked": yanked is True or (isinstance(yanked, str) and bool(yanked)),
            }
        )
    return out


_ARCHIVE_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".whl", ".egg", ".exe")


def version_of_file(filename: str, versions: list[str]) -> str | None:
    """Which of `versions` a distribution file belongs to (the longest that fits), or None."""
    stem = filename
    for suffix in _ARCHIVE_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    padded = stem + "-"
    fits = [v for v in versions if f"-{v}-" in padded]
    if fits:
        return max(fits, key=len)
    # Wheels carry the normalized version (e.g. '1.0rc1' for '1.0-rc1').
    parts = stem.split("-")
    if len(parts) >= 2:
        try:
            wanted = Version(parts[1])
        except InvalidVersion:
            return None
        for v in versions:
            try:
                if Version(v) == wanted:
                    return v
            except InvalidVersion:
                continue
    return None


def prerelease_of(version: str) -> bool | None:
    """PEP 440 pre-release (or development release); None for a legacy, invalid version."""
    try:
        return Version(version).is_prerelease
    except InvalidVersion:
        return None


def release_rows(
    package: str, versions: dict[str, list[dict]], now: pd.Timestamp, source: str
) -> pd.DataFrame:
    """`releases` rows: first upload, all-files-yanked, PEP 440 pre-release."""
    rows = []
    for version, files in versions.items():
        # an upload "in the future" is not a fact yet (a wrong clock or a forged answer)
        latest = now + FUTURE_SLACK
        times = [f["upload_time"] for f in files if f["upload_time"] is not None]
        times = [t for t in times if t <= latest]
        published = min(times) if times else None
        rows.append(
            {
                "subject_kind": "package",
                "subject": package,
                "version": version,
                "published_at": published,
                "prerelease": prerelease_of(version),
                "yanked": all(f["yanked"] for f in files) if files else None,
                "source": source,
                "fetched_at": now,
                "quality": "ok" if published is not None else "missing",
            }
        )
    return table_frame(RELEASES, rows)


def package_rows(
    package: str,
    data: dict,
    response: HttpResponse | None,
    project: Project,
    versions: dict[str, list[dict]],
    now: pd.Timestamp,
    *,
    source: str = SOURCE_JSON,
) -> pd.DataFrame:
    """Today's `packages` row from the JSON API's answer (or, for a project without
    releases, from the index: quality 'partial', as most fields are not there)."""
    info = data["info"]
    urls = project_urls_of(info)
    repo = discover_repo(info)
    listed = [r.full_name for r in project.repos]
    aliases = {n.lower() for r in project.repos for n in (r.full_name, *r.formerly)}
    serial = _int(data.get("last_serial"))
    if serial is None and response is not None:
        header = response.headers.get("x-pypi-last-serial") or ""
        serial = plausible_count(int(header)) if header.strip().isdigit() else None
    canonical = _str(info.get("name"))
    row = {
        "package": package,
        "date": day(now),
        "canonical_name": canonical,
        "latest_version": _str(info.get("version")) or None,
        "summary": _str(info.get("summary")) or None,
        "licence": licence_of(info),
        "requires_python": _str(info.get("requires_python")) or None,
        "project_urls": json.dumps(urls, ensure_ascii=False) if urls else None,
        "repo": repo,
        "registry_repos": ",".join(listed) or None,
        "repo_agrees": None if repo is None else repo.lower() in aliases,
        "release_count": len(versions),
        "yanked_count": sum(1 for files in versions.values() if files and all(
            f["yanked"] for f in files)),
        "last_serial": serial,
        "source": source,
        "fetched_at": now,
        "quality": "ok" if source == SOURCE_JSON else "partial",
    }  # fmt: skip
    return table_frame(PACKAGES, [row])


def project_urls_of(info: dict) -> dict[str, str]:
    """`project_urls` as label -> URL, keeping only text entries (the rest is not a URL)."""
    urls = info.get("project_urls")
    if not isinstance(urls, dict):
        return {}
    return {k: v for k, v in urls.items() if isinstance(k, str) and isinstance(v, str)}


def github_repo_in(url: str) -> str | None:
    """'owner/name' of a GitHub repository URL (trailing paths and '.git' dropped), or None."""
    match = _GITHUB_URL.match(url)
    if not match:
        return None
    owner, name = match.group(1), match.group(2)
    name = name.removesuffix(".git")
    if owner.lower() in _NOT_OWNERS:
        return None
    full = f"{owner}/{name}"
    return None if github_repo_problem(full) else full


def discover_repo(info: dict) -> str | None:
    """The GitHub repository the maintainers link to: Source, Repository, Code or Homepage
    first (labels compared case-insensitively), then the home page, then any other URL."""
    urls = project_urls_of(info)
    labelled = [(re.sub(r"[^a-z0-9]+", " ", k.lower()).strip(), v) for k, v in urls.items()]
    for wanted in REPO_LABELS:
        for label, url in labelled:
            if label == wanted and (repo := github_repo_in(url)):
                return repo
    home = _str(info.get("home_page"))
    if home and (repo := github_repo_in(home)):
        return repo
    for _, url in labelled:
        if repo := github_repo_in(url):
            return repo
    return None


def licence_of(info: dict) -> str | None:
    """license_expression; else `license` when it is a name, not a whole text; else the
    'License ::' classifiers' last parts."""
    expression = (_str(info.get("license_expression")) or "").strip()
    if expression:
        return expression
    text = (_str(info.get("license")) or "").strip()
    if text and len(text) <= LICENCE_TEXT_MAX and "\n" not in text:
        return text
    classifiers = info.get("classifiers") if isinstance(info.get("classifiers"), list) else []
    names = [
        c.split("::")[-1].strip()
        for c in classifiers
        if isinstance(c, str) and c.startswith("License ::")
    ]
    return "; ".join(dict.fromkeys(n for n in names if n)) or None


def _int(value: Any) -> int | None:
    """A count from JSON; a negative or astronomically large one is not plausible (None)."""
    return plausible_count(value)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


__all__ = [
    "PYPI",
    "PackageNameError",
    "discover_repo",
    "licence_of",
    "pypi_client",
    "refresh_pypi",
    "release_rows",
    "versions_from_json",
    "versions_from_simple",
]
