"""The comparison cohort: popular open source in general, chosen by a stated rule.

Pure functions over the archives' rows; the build script applies them once and stores the
members with the rule in words, so every page can say who is in the cohort and why.
"""

from __future__ import annotations

import re
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
            "side": "cohort",
            "status": "member",
            "reason": None,
            "source": source,
            "fetched_at": pd.Timestamp(as_of).tz_localize("UTC"),
            "quality": "ok",
        }
    )
    return COHORT_MEMBERS.conform(frame)


def members_of(members: pd.DataFrame, side: str = "cohort") -> pd.DataFrame:
    """The members of one side ('cohort' or 'group'); rows written before the group had a
    rule (no side, no status) are cohort members."""
    sides = members["side"].fillna("cohort") if "side" in members else "cohort"
    status = members["status"].fillna("member") if "status" in members else "member"
    return members[(sides == side) & (status == "member")]


def cohort_projects(members: pd.DataFrame, group: str, side: str = "cohort") -> list[Project]:
    """Members of one side as one-repository or one-package projects, so every page treats
    them exactly like the tracked projects."""
    projects = []
    prefix = "cohort" if side == "cohort" else "group"
    for row in members_of(members, side).sort_values(["kind", "rank"]).itertuples(index=False):
        is_repo = row.kind == "repo"
        projects.append(
            Project(
                id=f"{prefix}-{row.kind}-{row.name}",
                name=row.name,
                group=group,
                repos=(RepoRef(row.name),) if is_repo else _package_repo(row.repo),
                packages=() if is_repo else (row.name,),
            )
        )
    return projects


# What "names AI" means in a repository's description (its owners' own words, from the
# GitHub ranking archive). Word-bounded, case-insensitive; stated on the Methods page.
AI_TERMS = re.compile(
    r"machine learning|deep learning|neural|\bLLMs?\b|large language|artificial intelligence|"
    r"\bAI\b|\btransformers?\b|diffusion|computer vision|natural language|\bNLP\b|"
    r"reinforcement learning|language models?",
    re.IGNORECASE,
)
STALE_DAYS = 180  # a value older than this at the data's as-of day leaves the medians


def pypi_name(repo_name: str) -> str:
    """A repository's name as a PyPI project name (PEP 503 normalized)."""
    return re.sub(r"[-_.]+", "-", repo_name).lower()


def pool_members(
    repos: pd.DataFrame,
    downloads: pd.DataFrame,
    rule: CohortRule,
    facts: Mapping[str, PackageFacts],
    histories: Mapping[str, str | None],
    *,
    tracked_packages: set[str],
    tracked_repos: set[str],
    source: str,
) -> pd.DataFrame:
    """Both comparison sides under the pool rule, every checked candidate with its outcome.

    `repos` is the ranking archive's repository list (`repo`, `description`); `downloads`
    the `package_downloads` rows (monthly series); `facts` what PyPI says of each package
    looked up; `histories` maps a lower-case 'owner/name' to None when its full history is in
    the data, else to why not. A candidate is a package of the latest monthly snapshot named
    like a repository of the archive. Candidates are taken in download order. A candidate
    PyPI was not asked about stops the walk on the cohort side once the cohort is full (the
    look-up bound); on the group side it raises MissingFactsError when its archive
    description names AI, since the rule cannot then be applied honestly.
    """
    monthly = downloads[downloads["series"] == "monthly"]
    if monthly.empty or not (rule.group_top or rule.pypi_top):
        return COHORT_MEMBERS.empty()
    last_end = monthly["period_end"].max()
    latest = monthly[monthly["period_end"] == last_end]
    latest = latest.sort_values("downloads", ascending=False, kind="stable")
    by_name: dict[str, list[str]] = {}
    for repo in repos["repo"]:
        by_name.setdefault(pypi_name(str(repo).split("/")[-1]), []).append(str(repo))
    described = {
        str(r).lower(): bool(AI_TERMS.search(str(d))) if isinstance(d, str) else False
        for r, d in zip(repos["repo"], repos["description"], strict=True)
    }
    rows: list[dict] = []
    seen_repos: dict[str, str] = {}
    count = {"group": 0, "cohort": 0}
    wanted = {"group": rule.group_top, "cohort": rule.pypi_top}
    for package, value in zip(latest["package"], latest["downloads"], strict=True):
        archive = by_name.get(package)
        if not archive:
            continue
        any_ai = any(described.get(r.lower(), False) for r in archive)
        known = facts.get(package)
        if known is None:
            if any_ai and count["group"] < wanted["group"]:
                raise MissingFactsError(package)
            if count["cohort"] < wanted["cohort"]:
                raise MissingFactsError(package)
            continue  # beyond the cohort's depth only AI-described candidates are asked
        linked = known.repo
        match = next((r for r in archive if linked and r.lower() == linked.lower()), None)
        # AI: PyPI's classifier, or the linked repository's description (any same-named
        # repository's when PyPI links none of them: the candidate was asked about as AI)
        ai_words = described.get(match.lower(), False) if match is not None else any_ai
        side = "group" if known.is_ai or ai_words else "cohort"
        reason = ""
        if match is None:
            reason = (
                f"PyPI links {linked}, not the archive's {', '.join(archive)}"
                if linked
                else "PyPI names no GitHub repository"
            )
        elif side == "cohort" and (package in tracked_packages or match.lower() in tracked_repos):
            reason = "a tracked project's package or repository"
        elif match.lower() in seen_repos:
            reason = f"same repository as {seen_repos[match.lower()]}"
        elif count[side] >= wanted[side]:
            reason = f"beyond the first {wanted[side]} members"
        elif histories.get(match.lower(), "its full git history was not sought") is not None:
            reason = histories.get(match.lower()) or "its full git history was not sought"
        if match is not None and match.lower() not in seen_repos and not reason:
            seen_repos[match.lower()] = package
        if reason.startswith("beyond"):
            if count["group"] >= wanted["group"] and count["cohort"] >= wanted["cohort"]:
                break
            continue
        if not reason:
            count[side] += 1
        rows.append(
            {
                "kind": "package",
                "name": package,
                "rank": len(rows) + 1,
                "measure": "monthly downloads",
                "value": value,
                "as_of": latest["fetched_at"].max().tz_localize(None),
                "rule": rule.describe(),
                "repo": match if match is not None else linked,
                "side": side,
                "status": "excluded" if reason else "member",
                "reason": reason or None,
                "source": source,
                "fetched_at": latest["fetched_at"].max(),
                "quality": "ok",
            }
        )
    return COHORT_MEMBERS.conform(pd.DataFrame(rows, columns=COHORT_MEMBERS.column_names))


def _package_repo(repo: object) -> tuple[RepoRef, ...]:
    return (RepoRef(str(repo)),) if isinstance(repo, str) and repo else ()


def with_git_history(
    members: pd.DataFrame,
    commits: pd.DataFrame | None = None,
    *,
    counts: pd.Series | None = None,
) -> pd.DataFrame:
    """The members with `commits`: how many commits of each member's repository the data
    holds (missing, not zero, when it holds none or the member names no repository).
    `counts` (commits per repository, counted elsewhere) stands for the `commits` frame."""
    if counts is None:
        has = commits is not None and len(commits)
        counts = commits["repo"].value_counts() if has else pd.Series(dtype="int64")
    repo = members["repo"].where(members["kind"] == "package", members["name"])
    found = repo.map(counts)
    return members.assign(commits=found.where(found > 0).astype("Int64"))
