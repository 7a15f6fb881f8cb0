"""api.deps.dev in the fake PyPI-side hosts: packages with their versions, a version's
dependents, and projects with their OpenSSF scorecard; camelCase JSON, `404` {"error": ...}
for unknown keys, percent-encoded project ids."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from registry.names import normalize_pypi_name
from tests.fakes.pypi.answers import iso, json_reply
from tests.fakes.pypi.world import HOSTILE, FakeProject
from tests.fakes.serving import Reply


class DepsdevRoutes:
    """api.deps.dev's routes of `FakePackageHosts` (a mixin: it holds the state)."""

    projects: dict[str, FakeProject]
    scorecards: dict[str, dict | None]

    def _depsdev(self, path: str) -> Reply:
        raw = path
        match = re.fullmatch(r"/v3alpha/systems/(?i:pypi)/packages/([^/]+)/versions/([^/]+)"
                             r":dependents", raw)  # fmt: skip
        if match:
            project = self.projects.get(normalize_pypi_name(unquote(match.group(1))))
            version = unquote(match.group(2))
            counts = project.dependents.get(version) if project and project.on_depsdev else None
            if counts is None:
                return _not_found("version")
            if isinstance(counts, dict):
                return json_reply(200, counts)
            total, direct, indirect = counts
            return json_reply(200, {"dependentCount": total, "directDependentCount": direct,
                               "indirectDependentCount": indirect})  # fmt: skip
        match = re.fullmatch(r"/v3/systems/(?i:pypi)/packages/([^/]+)", raw)
        if match:
            project = self.projects.get(normalize_pypi_name(unquote(match.group(1))))
            if project is None or not project.on_depsdev or not project.releases:
                return _not_found("package")
            return json_reply(200, _package_json(project))
        match = re.fullmatch(r"/v3/projects/([^/]+)", raw)
        if match:
            key = unquote(match.group(1))
            repo = key.removeprefix("github.com/").lower()
            if not key.startswith("github.com/") or repo not in self.scorecards:
                return _not_found("project")
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
            return json_reply(200, data)
        return _not_found("path")


def _package_json(project: FakeProject) -> dict:
    versions = []
    for version, files in project.releases.items():
        when = min((f.uploaded for f in files), default=None)
        versions.append(
            {
                "versionKey": {"system": "PYPI", "name": project.key, "version": version},
                "publishedAt": iso(when).replace(".000000", "") if when else None,
                "isDefault": version == project.latest,
                "isDeprecated": False,
            }
        )
    return {"packageKey": {"system": "PYPI", "name": project.key}, "versions": versions}


def _not_found(what: str) -> Reply:
    return json_reply(
        404, {"code": 5, "error": f"{what} not found", "message": f"{what} not found"}
    )


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
