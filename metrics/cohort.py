"""The comparison cohort: popular open source in general, chosen by a stated rule.

Pure functions over the archives' rows; the build script applies them once and stores the
members with the rule in words, so every page can say who is in the cohort and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from errors import DashboardError
from registry.projects import CohortRule, Project, RepoRef
from store.schema import COHORT_MEMBERS


def cohort_repos(
    daily: pd.DataFrame, rule: CohortRule, exclude: set[str], source: str
) -> pd.DataFrame:
    """The rule's GitHub members from raw ranking rows (`date, repo, stars, language`).

    `exclude` holds case-folded names (the tracked projects' repositories and former names).
    """
    if rule.github_top == 0 or daily.empty:
        return COHORT_MEMBERS.empty()
    keys = daily["repo"].str.lower()
    first_seen = daily.groupby(keys)["date"].min()
    last_day = daily["date"].max()
    latest = daily[daily["date"] == last_day].assign(key=keys)
    if rule.github_languages:
        latest = latest[latest["language"].isin(rule.github_languages)]
    if rule.github_listed_since is not None:
        since = pd.Timestamp(rule.github_listed_since)
        latest = latest[latest["key"].map(first_seen) <= since]
    latest = latest[~latest["key"].isin(exclude)]
    top = latest.nlargest(rule.github_top, "stars", keep="first")
    return _members("repo", top["repo"], top["stars"], "stars", last_day, rule, source)


def cohort_packages(
    downloads: pd.DataFrame,
    rule: CohortRule,
    exclude: set[str],
    source: str,
    facts: Mapping[str, PackageFacts] | None = None,
) -> pd.DataFrame:
    """The rule's PyPI members from `package_downloads` rows (monthly series).

    `facts` is what PyPI says of each package (its GitHub repository, whether it is
    classified as AI). With `rule.pypi_exclude_ai`, a package classified as AI is left out;
    a candidate PyPI was not asked about raises MissingFactsError, since the rule cannot be
    applied to it honestly.
    """
    monthly = downloads[downloads["series"] == "monthly"]
    if rule.pypi_top == 0 or monthly.empty:
        return COHORT_MEMBERS.empty()
    first_seen = monthly.groupby("package")["fetched_at"].min().dt.tz_localize(None)
    last_end = monthly["period_end"].max()
    latest = monthly[monthly["period_end"] == last_end]
    if rule.pypi_listed_since is not None:
        since = pd.Timestamp(rule.pypi_listed_since)
        latest = latest[latest["package"].map(first_seen) <= since]
    latest = latest[~latest["package"].isin(exclude)]
    ranked = latest.sort_values("downloads", ascending=False, kind="stable")
    chosen = []
    for name in ranked["package"]:
        if len(chosen) == rule.pypi_top:
            break
        known = (facts or {}).get(name)
        if facts is not None and known is None:
            raise MissingFactsError(name)
        if rule.pypi_exclude_ai and known is not None and known.is_ai:
            continue
        chosen.append(name)
    top = ranked.set_index("package").loc[chosen].reset_index()
    as_of = top["fetched_at"].max().tz_localize(None) if len(top) else last_end
    members = _members(
        "package", top["package"], top["downloads"], "monthly downloads", as_of, rule, source
    )
    members["repo"] = [(facts or {}).get(n, PackageFacts()).repo or pd.NA for n in members["name"]]
    return COHORT_MEMBERS.conform(members)


@dataclass(frozen=True)
class PackageFacts:
    """What PyPI's metadata says of a package that the cohort rule needs."""

    repo: str | None = None  # 'owner/name' on GitHub, from its project URLs
    is_ai: bool = False  # classified with AI_CLASSIFIER


class MissingFactsError(DashboardError):
    """A cohort candidate whose PyPI metadata was never recorded."""

    def __init__(self, package: str) -> None:
        super().__init__(
            f"the cohort rule reaches {package!r}, whose PyPI metadata is not recorded: "
            f"record it first (python scripts/pypi_inputs.py --live --extra {package})"
        )
        self.package = package


def _members(kind, names, values, measure, as_of, rule: CohortRule, source: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "kind": kind,
            "name": names.to_numpy(),
            "rank": range(1, len(names) + 1),
            "measure": measure,
            "value": values.to_numpy(),
            "as_of": as_of,
            "rule": rule.describe(),
            "repo": None,
            "source": source,
            "fetched_at": pd.Timestamp(as_of).tz_localize("UTC"),
            "quality": "ok",
        }
    )
    return COHORT_MEMBERS.conform(frame)


def cohort_projects(members: pd.DataFrame, group: str) -> list[Project]:
    """Cohort members as one-repository or one-package projects, so every page treats them
    exactly like the tracked projects."""
    projects = []
    for row in members.sort_values(["kind", "rank"]).itertuples(index=False):
        is_repo = row.kind == "repo"
        projects.append(
            Project(
                id=f"cohort-{row.kind}-{row.name}",
                name=row.name,
                group=group,
                repos=(RepoRef(row.name),) if is_repo else _package_repo(row.repo),
                packages=() if is_repo else (row.name,),
            )
        )
    return projects


def _package_repo(repo: object) -> tuple[RepoRef, ...]:
    return (RepoRef(str(repo)),) if isinstance(repo, str) and repo else ()


def with_git_history(members: pd.DataFrame, commits: pd.DataFrame) -> pd.DataFrame:
    """The members with `commits`: how many commits of each member's repository the data
    holds (missing, not zero, when it holds none or the member names no repository)."""
    counts = commits["repo"].value_counts() if len(commits) else pd.Series(dtype="int64")
    repo = members["repo"].where(members["kind"] == "package", members["name"])
    found = repo.map(counts)
    return members.assign(commits=found.where(found > 0).astype("Int64"))
