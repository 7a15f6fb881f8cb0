"""The deps.dev collector: how many packages depend on each tracked package, and the OpenSSF
Scorecard of each tracked repository.

    GET /v3alpha/systems/pypi/packages/{name}/versions/{version}:dependents
                                            -> package_dependents (latest stable version)
    GET /v3/systems/pypi/packages/{name}    only when the store knows no stable release yet
    GET /v3/projects/github.com%2F{owner}%2F{repo}
                                            -> scorecards ('overall' and one row per check)

The version counted is the latest stable release (PEP 440 final, not yanked) among the
releases the PyPI collector stored; without them, deps.dev's default version. The repositories
are those data/projects.toml lists for the project (all of them); the repository PyPI links to
is reported by the PyPI collector, never used to choose.

What deps.dev does not have is a marker row — null value, quality 'missing' — never a zero:
an unknown package, version or project (404), a project without a `scorecard`, an answer
without dependent counts, a check that did not run (negative score).

Cadence: Scorecard runs once a week and deps.dev's dependent counts move slowly, so a package
or repository is asked at most once every `CADENCE_DAYS` days (0 requests otherwise) unless
`force=True`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import pandas as pd
from packaging.version import InvalidVersion, Version

from collectors.http import HttpClient, RateLimitError, StatusError
from collectors.source import Collected, Source, Target, refresh_source
from collectors.sourcerun import (
    PackageNameError,
    SourceSummary,
    checked_package,
    day,
    json_client,
    plausible_count,
    plausible_time,
    table_frame,
)
from registry.names import github_repo_problem
from registry.projects import Project, Registry
from store.schema import PACKAGE_DEPENDENTS, SCORECARDS
from store.segments import SegmentStore

DEPSDEV = "https://api.deps.dev"
COLLECTOR = "depsdev"
SOURCE_DEPENDENTS = "deps.dev:v3alpha:dependents"
SOURCE_PACKAGE = "deps.dev:v3:package"
SOURCE_PROJECT = "deps.dev:v3:project"
CADENCE_DAYS = 7


def depsdev_client(*, base_url: str = DEPSDEV, **options: Any) -> HttpClient:
    """An HttpClient for api.deps.dev. Options as `sourcerun.json_client`."""
    options.setdefault("read_timeout", 30.0)
    return json_client("deps.dev", base_url, **options)


def refresh_depsdev(
    registry: Registry, store: SegmentStore, client: HttpClient, **options: Any
) -> SourceSummary:
    """Dependents of each tracked package and Scorecards of each tracked repository, one
    atomic write per target (see `DepsDev`)."""
    return refresh_source(DepsDev(), registry, store, client, **options)


class DepsDev(Source):
    """Dependents of packages and Scorecards of repositories, at most once a week each."""

    name, label, provenance = COLLECTOR, "deps.dev", SOURCE_PROJECT

    def __init__(self) -> None:
        self.stable: dict[str, str] = {}

    def targets(self, projects: Sequence[Project]) -> list[Target]:
        out = []
        for project in projects:
            out += [Target(project.id, name, "package") for name in project.packages]
            out += [Target(project.id, name, "repo") for name in project.repo_names]
        return out

    def key(self, target: Target) -> str:
        if target.kind == "package":
            return checked_package(target.listed)
        return _checked_repo(target.listed)

    def prepare(self, store: SegmentStore) -> None:
        self.stable = latest_stable_versions(store.read("releases").frame)

    def current(self, key: str, last: pd.Timestamp | None, now: pd.Timestamp) -> str | None:
        if last is not None and now - last < pd.Timedelta(days=CADENCE_DAYS):
            return (
                f"asked {(now - last).days} day(s) ago; deps.dev is asked at most once every "
                f"{CADENCE_DAYS} days (Scorecard runs weekly)"
            )
        return None

    def collect(self, client: HttpClient, key: str, target: Target, now: pd.Timestamp) -> Collected:
        if target.kind == "package":
            frame, note = _dependents(client, key, self.stable.get(key), now)
            return Collected({"package_dependents": frame}, note)
        frame, note = _scorecard(client, key, now)
        return Collected({"scorecards": frame}, note)

    def stopped(self, exc: RateLimitError) -> str:
        return (
            f"deps.dev asked this run to slow down; stopped this source, refresh again after "
            f"{exc.reset_at:%Y-%m-%d %H:%M} UTC"
        )


def _checked_repo(name: object) -> str:
    problem = github_repo_problem(name)
    if problem:
        raise PackageNameError("deps.dev", problem)
    return str(name)


# ----- dependents ----------------------------------------------------------------------------


def latest_stable_versions(releases: pd.DataFrame) -> dict[str, str]:
    """Package -> its highest PEP 440 final release that is not yanked (from stored rows)."""
    final = releases["prerelease"].eq(False).fillna(False).astype(bool)
    yanked = releases["yanked"].eq(True).fillna(False).astype(bool)
    rows = releases[(releases["subject_kind"] == "package") & final & ~yanked]
    out: dict[str, str] = {}
    for package, versions in rows.groupby("subject")["version"]:
        best = _highest(list(versions))
        if best is not None:
            out[str(package)] = best
    return out


def _highest(versions: list[str]) -> str | None:
    parsed = []
    for text in versions:
        try:
            parsed.append((Version(text), text))
        except InvalidVersion:
            continue
    return max(parsed)[1] if parsed else None


def _default_version(client: HttpClient, package: str) -> str | None:
    """deps.dev's default version of a package, or its highest stable one; None if unknown."""
    try:
        data = client.get(f"/v3/systems/pypi/packages/{quote(package, safe='')}").json_object()
    except StatusError as exc:
        if exc.status == 404:
            return None
        raise
    versions = [v for v in data.get("versions") or [] if isinstance(v, dict)]
    stable = []
    for item in versions:
        key = item.get("versionKey") if isinstance(item.get("versionKey"), dict) else {}
        text = key.get("version")
        if not isinstance(text, str):
            continue
        if item.get("isDefault") is True:
            return text
        try:
            if not Version(text).is_prerelease:
                stable.append(text)
        except InvalidVersion:
            continue
    return _highest(stable)


def _dependents(
    client: HttpClient, package: str, version: str | None, now: pd.Timestamp
) -> tuple[pd.DataFrame, str | None]:
    source = SOURCE_DEPENDENTS
    if version is None:
        version = _default_version(client, package)
        source = f"{SOURCE_DEPENDENTS}+{SOURCE_PACKAGE}"
    if version is None:
        frame = dependents_frame(package, "", None, now, source)
        return frame, f"deps.dev does not know the package {package!r}; marked missing"
    path = (
        f"/v3alpha/systems/pypi/packages/{quote(package, safe='')}"
        f"/versions/{quote(version, safe='')}:dependents"
    )
    try:
        data = client.get(path).json_object()
    except StatusError as exc:
        if exc.status != 404:
            raise
        frame = dependents_frame(package, version, None, now, source)
        return frame, f"deps.dev has no dependents count for {package} {version}; marked missing"
    frame = dependents_frame(package, version, data, now, source)
    if frame["dependents"].isna().all():
        return frame, f"deps.dev gave no dependents count for {package} {version}; marked missing"
    return frame, None


def dependents_frame(
    package: str, version: str, data: dict | None, now: pd.Timestamp, source: str
) -> pd.DataFrame:
    """One `package_dependents` row: counts as given; absent ones null (never zero)."""
    data = data or {}
    counts = {
        "dependents": _count(data.get("dependentCount")),
        "direct_dependents": _count(data.get("directDependentCount")),
        "indirect_dependents": _count(data.get("indirectDependentCount")),
    }
    given = sum(v is not None for v in counts.values())
    quality = "ok" if given == 3 else ("partial" if given else "missing")
    row = {
        "package": package,
        "version": version,
        "date": day(now),
        **counts,
        "source": source,
        "fetched_at": now,
        "quality": quality,
    }
    return table_frame(PACKAGE_DEPENDENTS, [row])


# ----- scorecards ----------------------------------------------------------------------------


def _scorecard(client: HttpClient, repo: str, now: pd.Timestamp) -> tuple[pd.DataFrame, str | None]:
    owner, name = repo.split("/")
    key = quote(f"github.com/{owner}/{name}", safe="")
    try:
        data = client.get(f"/v3/projects/{key}").json_object()
    except StatusError as exc:
        if exc.status != 404:
            raise
        return scorecard_rows(repo, None, now), f"deps.dev does not know {repo}; marked missing"
    frame = scorecard_rows(repo, data.get("scorecard"), now)
    if frame["score"].isna().all():
        return frame, f"deps.dev has no Scorecard for {repo}; marked missing"
    return frame, None


def scorecard_rows(repo: str, card: Any, now: pd.Timestamp) -> pd.DataFrame:
    """`scorecards` rows: 'overall' plus each check; a check that did not run is null."""
    base = {"repo": repo, "date": day(now), "source": SOURCE_PROJECT, "fetched_at": now}
    if not isinstance(card, dict):
        row = {
            **base,
            "check": "overall",
            "score": None,
            "scorecard_date": None,
            "scorecard_version": None,
            "reason": "no scorecard",
            "quality": "missing",
        }
        return table_frame(SCORECARDS, [row])
    ran = plausible_time(card.get("date"), now)
    scorecard = card.get("scorecard") if isinstance(card.get("scorecard"), dict) else {}
    version = scorecard.get("version") if isinstance(scorecard.get("version"), str) else None
    common = {**base, "scorecard_date": ran, "scorecard_version": version}
    overall = _score(card.get("overallScore"))
    rows = [
        {**common, "check": "overall", "score": overall, "reason": None,
         "quality": "ok" if overall is not None else "missing"}
    ]  # fmt: skip
    for check in card.get("checks") or []:
        if not isinstance(check, dict) or not isinstance(check.get("name"), str):
            continue
        if not check["name"] or check["name"] == "overall":
            continue
        score = _score(check.get("score"))
        reason = check.get("reason") if isinstance(check.get("reason"), str) else None
        rows.append(
            {**common, "check": check["name"], "score": score, "reason": reason,
             "quality": "ok" if score is not None else "missing"}
        )  # fmt: skip
    frame = table_frame(SCORECARDS, rows)
    return frame


def _score(value: Any) -> float | None:
    """A 0-10 score; negative (the check did not run), absent or not a number -> None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value <= 10 else None


def _count(value: Any) -> int | None:
    # uint32 counts may arrive as numbers or (from some JSON encoders) as strings; a
    # negative or astronomically large one is not plausible (null, never shown).
    if isinstance(value, str) and value.isdigit() and len(value) <= 13:
        value = int(value)
    return plausible_count(value)
