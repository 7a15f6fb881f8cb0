"""The indicator catalogue: every named metric a claim can use, with its definition, and the
pure function that computes it for each project from the stored tables.

An indicator has a value or is missing; a missing value carries the reason and the collector
or refresh that would supply it, so "insufficient data" can say what to do about it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metrics import community
from metrics.overview import overview
from metrics.packages import latest_dependents, latest_scorecards
from registry.projects import Project


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    unit: str  # 'count', 'share', 'ratio', 'hours', 'days', 'score'
    definition: str
    source: str  # where its data comes from
    supplied_by: str  # what fills it when missing
    caveats: str = ""
    why: str = ""  # why it measures the claims that use it, where that is not obvious


def _ind(*args: str, caveats: str = "", why: str = "") -> Indicator:
    return Indicator(*args, caveats=caveats, why=why)


CATALOGUE: dict[str, Indicator] = {
    i.id: i
    for i in (
        _ind(
            "active_contributors",
            "Active contributors",
            "count",
            "People who authored or co-authored at least one non-merge commit in the last "
            "{activity_months} months before the newest commit (bots excluded).",
            "git history",
            "a git refresh of the project's repositories",
            caveats="People are counted by e-mail address (after .mailmap); one person with two "
            "unmapped addresses counts twice.",
        ),
        _ind(
            "new_contributors",
            "New contributors",
            "count",
            "People whose first contribution ever falls in the last {activity_months} months.",
            "git history",
            "a git refresh of the project's repositories",
        ),
        _ind(
            "bus_factor",
            "Contributor absence (bus) factor",
            "count",
            "The fewest people whose contributions make half of all contributions in the last "
            "{activity_months} months (CHAOSS).",
            "git history",
            "a git refresh of the project's repositories",
        ),
        _ind(
            "elephant_factor",
            "Elephant factor",
            "count",
            "The fewest organizations (author e-mail domains) making half of the affiliated "
            "commits in the last {activity_months} months (CHAOSS); public mail domains belong "
            "to no organization.",
            "git history",
            "a git refresh of the project's repositories",
            caveats="Many people commit from personal or GitHub no-reply addresses, so the "
            "affiliated commits can be a small share of all commits.",
        ),
        _ind(
            "independent_share",
            "Share of commits from independent addresses",
            "share",
            "Authored commits in the last {activity_months} months from public mail providers "
            "(gmail.com, users.noreply.github.com, ...) divided by all authored commits.",
            "git history",
            "a git refresh of the project's repositories",
            caveats="A no-reply address hides an employer as well as it hides an individual: "
            "an upper bound on independent work.",
        ),
        _ind(
            "maintainer_retention",
            "Core contributors still active",
            "share",
            "Of the 10 people with the most contributions ever, the share who contributed in "
            "the last {activity_months} months.",
            "git history",
            "a git refresh of the project's repositories",
        ),
        _ind(
            "days_since_last_commit",
            "Days since the last commit",
            "days",
            "Days from the newest commit on the default branch of the project's main "
            "repositories to the day the git data was read.",
            "git history",
            "a git refresh of the project's repositories",
        ),
        _ind(
            "releases",
            "Releases",
            "count",
            "Releases in the last {activity_months} months (no pre-releases, no yanked "
            "versions): the PyPI releases of the project's packages, or the tags of its main "
            "repositories when it has no package on PyPI.",
            "PyPI release histories, git tags",
            "a PyPI refresh (cli.py refresh --sources pypi) or a git refresh",
            caveats="A project with several packages counts each package's releases.",
        ),
        _ind(
            "median_days_between_releases",
            "Median days between releases",
            "days",
            "The median gap in days between consecutive release days (as counted for "
            "Releases; several versions on one day count once) over the last 24 months.",
            "PyPI release histories, git tags",
            "a PyPI refresh (cli.py refresh --sources pypi) or a git refresh",
        ),
        _ind(
            "public_review_share",
            "Changes through public pull requests",
            "share",
            "Of the changes that landed on the default branch in the last {activity_months} "
            "months (commits on its first-parent chain, bots left out), the share that arrived "
            "through a public pull request (named by GitHub's merge or squash message, or a "
            "'Pull Request resolved' trailer) or carry a review trailer (Reviewed-by, "
            "Approved-by, ...).",
            "git history",
            "a git refresh of the project's repositories",
            caveats="Pull requests merged with GitHub's rebase button, or reviewed elsewhere "
            "(GitLab, Gerrit without a Reviewed-on trailer), leave no mark in the message, so the "
            "share is a lower bound. It says that a change could be seen and discussed before it "
            "landed, not that anyone did.",
            why="Transparency is about how work is done, not only about the code being public. "
            "A change that arrives as a public pull request is visible, with its discussion and "
            "review, before it becomes part of the project; a change pushed straight to the "
            "branch is visible only afterwards. The share of changes that went through the open "
            "process is therefore the most direct trace of working in the open that git history "
            "keeps, and it can be computed offline for every project and cohort member.",
        ),
        _ind(
            "star_growth",
            "Star growth",
            "share",
            "Stars now divided by stars {growth_months} months before, minus 1, over the "
            "repositories observed on the project's latest day.",
            "GitHub ranking archive, GitHub refreshes",
            "a GitHub refresh (the archive lists only top-100 repositories)",
        ),
        _ind(
            "monthly_downloads",
            "Monthly downloads",
            "count",
            "PyPI downloads of the project's packages in the latest monthly window.",
            "Top PyPI packages archive, PyPI refreshes",
            "a PyPI refresh (the archive lists only the top packages)",
            caveats="Downloads include CI systems and mirrors: they measure use, not users.",
        ),
        _ind(
            "download_growth",
            "Download growth",
            "share",
            "Downloads per day in the latest monthly window divided by the window "
            "{growth_months} months before, minus 1.",
            "Top PyPI packages archive, PyPI refreshes",
            "a PyPI refresh",
            caveats="Counting changed in 2024-11 (pip only to all installers) and 2025-07 "
            "(BigQuery to ClickHouse); growth across those dates mixes methods.",
        ),
        _ind(
            "forks_per_star",
            "Forks per star",
            "ratio",
            "Forks divided by stars on the project's latest day.",
            "GitHub ranking archive, GitHub refreshes",
            "a GitHub refresh",
        ),
        _ind(
            "first_response_hours",
            "Time to first response",
            "hours",
            "Median hours from an issue's opening to the first comment by someone other than "
            "its author (bots excluded), over the latest collected window.",
            "GitHub issue activity",
            "a GitHub refresh (issue and PR activity)",
        ),
        _ind(
            "newcomer_first_response_hours",
            "Time to first response for newcomers",
            "hours",
            "As time to first response, for issues opened by first-time contributors.",
            "GitHub issue activity",
            "a collector that separates newcomers' issues (not built yet)",
        ),
        _ind(
            "closure_ratio",
            "Issue closure ratio",
            "ratio",
            "Issues closed divided by issues opened in the latest collected window.",
            "GitHub issue activity",
            "a GitHub refresh (issue and PR activity)",
        ),
        _ind(
            "pr_close_hours",
            "Time to close pull requests",
            "hours",
            "Median hours from a pull request's opening to its closing (merged or not) in the "
            "latest collected window.",
            "GitHub issue activity",
            "a GitHub refresh (issue and PR activity)",
        ),
        _ind(
            "scorecard",
            "OpenSSF Scorecard",
            "score",
            "The OpenSSF Scorecard overall score (0-10) of the project's repository.",
            "deps.dev",
            "a deps.dev refresh (cli.py refresh --sources depsdev)",
        ),
        _ind(
            "dependents",
            "Dependent packages",
            "count",
            "Packages that depend on the latest stable version of the project's package, "
            "directly or indirectly (deps.dev). With several packages, the largest count: "
            "their dependents overlap, so they are not added.",
            "deps.dev",
            "a PyPI and deps.dev refresh (cli.py refresh --sources pypi,depsdev)",
        ),
    )
}

COLUMNS = [
    "project_id",
    "project",
    "group",
    "indicator",
    "value",
    "as_of",
    "quality",
    "note",
    "coverage",
]


@dataclass(frozen=True)
class Windows:
    """The periods indicators look at; the Claims page lets the user change them."""

    activity_months: int = 12
    growth_months: int = 12


def describe(indicator: Indicator, windows: Windows) -> str:
    """The definition with the current windows filled in."""
    return indicator.definition.format(
        activity_months=windows.activity_months, growth_months=windows.growth_months
    )


def compute(
    projects: Iterable[Project], tables: Mapping[str, pd.DataFrame], windows: Windows = Windows()
) -> pd.DataFrame:
    """Every catalogue indicator for every project, long format (one row per value).

    Missing values stay missing, with a note saying why and what would supply them.
    """
    projects = list(projects)
    rows: list[dict] = []
    for part in (_github_pypi, _git, _releases, _issue_activity, _deps_dev):
        rows += part(projects, tables, windows)
    # a computed row counts when it has a value or says why it has none
    found = {(r["project_id"], r["indicator"]) for r in rows if pd.notna(r["value"]) or r["note"]}
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame = frame[[(r.project_id, r.indicator) in found for r in frame.itertuples()]]
    missing = [
        {
            "project_id": p.id,
            "project": p.name,
            "group": p.group,
            "indicator": i.id,
            "value": np.nan,
            "as_of": pd.NaT,
            "quality": "missing",
            "note": f"missing: needs {i.supplied_by}",
            "coverage": "",
        }
        for p in projects
        for i in CATALOGUE.values()
        if (p.id, i.id) not in found
    ]
    out = pd.concat([frame, pd.DataFrame(missing, columns=COLUMNS)], ignore_index=True)
    out["value"] = out["value"].astype("float64")
    out["as_of"] = pd.to_datetime(out["as_of"])
    return out


def _row(
    project: Project,
    indicator: str,
    value,
    as_of,
    note: str = "",
    quality: str = "ok",
    coverage: str = "",
) -> dict:
    return {
        "project_id": project.id,
        "project": project.name,
        "group": project.group,
        "indicator": indicator,
        "value": np.nan if value is None or pd.isna(value) else float(value),
        "as_of": as_of,
        "quality": quality,
        "note": note,
        "coverage": coverage,
    }


def _github_pypi(projects, tables, windows: Windows) -> list[dict]:
    days = windows.growth_months * 365 // 12
    table = overview(
        projects, tables["repo_snapshots"], tables["package_downloads"], growth_days=days
    ).set_index("project_id")
    rows = []
    for p in projects:
        row = table.loc[p.id]
        gh, py = row["github_as_of"], row["pypi_as_of"]
        stars, forks = row["stars"], row["forks"]
        per_star = forks / stars if pd.notna(stars) and pd.notna(forks) and stars else None
        counted, _, total = str(row["repos_counted"]).partition(" of ")
        # a project figure that leaves out some of its repositories or packages is partial
        repos_q = "partial" if counted != total else "ok"
        packages_q = "partial" if any(f"{pkg}: " in row["notes"] for pkg in p.packages) else "ok"
        repos_c = f"GitHub: {counted} of {total} main repositories" if total else ""
        counted_packages = [pkg for pkg in p.packages if f"{pkg}: " not in row["notes"]]
        packages_c = (
            f"PyPI: {len(counted_packages)} of {len(p.packages)} packages" if p.packages else ""
        )
        gh_notes = row["github_notes"]
        rows += [
            # each growth row carries only its own side's notes
            _row(p, "star_growth", row["star_growth_12m"], gh, gh_notes, repos_q, repos_c),
            _row(p, "forks_per_star", per_star, gh, "", repos_q, repos_c),
            _row(p, "monthly_downloads", row["monthly_downloads"], py, "", packages_q, packages_c),
            _row(
                p,
                "download_growth",
                row["download_growth_12m"],
                py,
                row["pypi_notes"],
                packages_q,
                packages_c,
            ),
        ]
    return rows


def _by(frame: pd.DataFrame, *keys: str) -> dict:
    """The frame split once by `keys` (a dict of groups): far cheaper than masking the whole
    frame again for each of dozens of projects."""
    if frame.empty:
        return {}
    key = list(keys) if len(keys) > 1 else keys[0]
    return dict(tuple(frame.groupby(key, sort=False, observed=True)))


def _rows_of(groups: dict, keys: Iterable, like: pd.DataFrame) -> pd.DataFrame:
    parts = [groups[k] for k in keys if k in groups]
    return pd.concat(parts) if parts else like.iloc[0:0]


_UNREAD_COMMIT_COLUMNS = ["files_changed", "lines_added", "lines_deleted", "source", "quality"]


def _git(projects, tables, windows: Windows) -> list[dict]:
    # Only the columns read below: every per-project slice copies each column it carries.
    commits = tables["commits"].drop(columns=_UNREAD_COMMIT_COLUMNS, errors="ignore")
    read_on = commits["committed_at"].max() if len(commits) else pd.NaT
    by_repo = _by(commits, "repo")
    # Who contributed is worked out once for every commit, then split by repository: per
    # project it would be redone for each of dozens of projects over the same rows.
    everyone = community.contributions(commits) if len(commits) else None
    contribs_by_repo = _by(everyone, "repo") if everyone is not None else {}
    rows = []
    for p in projects:
        mine = _rows_of(by_repo, p.repo_names, commits)
        if mine.empty:
            continue
        coverage = community.GitCoverage(
            tuple(r for r in p.repo_names if r in by_repo),
            tuple(r for r in p.repo_names if r not in by_repo),
        )
        quality, covers = ("partial" if coverage.partial else "ok"), coverage.text()
        contribs = _rows_of(contribs_by_repo, p.repo_names, everyone)
        end = mine["authored_at"].max()
        start = end - pd.DateOffset(months=windows.activity_months)
        recent = contribs[contribs["when"] > start]
        authors = recent[recent["role"] == "author"]
        orgs = authors[~authors["domain"].isin(community.NO_ORGANIZATION)]
        first = contribs.groupby("person")["when"].min()
        top = contribs.groupby("person").size().nlargest(10).index
        as_of = end.tz_convert("UTC").tz_localize(None).normalize()
        review_share = community.public_review_share(mine, start)
        own = mine[mine["repo"].isin(p.main_repo_names)]

        row = functools.partial(_git_row, p, as_of=as_of, quality=quality, coverage=covers)

        rows += [
            row("active_contributors", recent["person"].nunique()),
            row("new_contributors", int((first > start).sum())),
            row(
                "bus_factor",
                community.absence_factor(recent.groupby("person").size()),
                ""
                if len(recent)
                else f"no contributions in the last {windows.activity_months} months",
            ),
            row(
                "elephant_factor",
                community.absence_factor(orgs.groupby("domain").size()),
                "" if len(orgs) else "no commits from organization addresses in the window",
            ),
            row(
                "independent_share",
                (authors["domain"] == "independent").mean() if len(authors) else None,
                "" if len(authors) else "no authored commits in the window",
            ),
            row("maintainer_retention", len(set(top) & set(recent["person"])) / len(top)),
            row(
                "days_since_last_commit",
                (read_on - own["committed_at"].max()).days if len(own) else None,
                ""
                if len(own)
                else "no git history of the project's main repositories: a family "
                "repository's pace says nothing of the project's own",
            ),
            row(
                "public_review_share",
                review_share,
                ""
                if review_share is not None
                else "the git data does not record how changes landed: needs a git refresh",
            ),
        ]
    return rows


def _git_row(
    project: Project, indicator: str, value, note: str = "", *, as_of, quality, coverage
) -> dict:
    return _row(project, indicator, value, as_of, note, quality, coverage)


def _releases(projects, tables, windows: Windows) -> list[dict]:
    """Release counts and cadence from PyPI (or tags), for every project that has any."""
    releases = tables["releases"][
        ["subject_kind", "subject", "published_at", "prerelease", "yanked", "fetched_at"]
    ]
    by_subject = _by(releases, "subject_kind", "subject")
    rows = []
    for p in projects:
        subjects = [("package", n) for n in p.packages] + [("repo", n) for n in p.main_repo_names]
        mine = _rows_of(by_subject, subjects, releases)
        rel, source = community.project_releases(p.main_repo_names, p.packages, mine)
        pace = community.release_pace(rel, windows.activity_months)
        if pace is None:
            continue
        gap = pace.median_gap_days
        rows += [
            _row(p, "releases", pace.releases, pace.read_on, source),
            _row(
                p,
                "median_days_between_releases",
                gap,
                pace.read_on,
                source if gap is not None else "fewer than two release days in 24 months",
            ),
        ]
    return rows


def _issue_activity(projects, tables, windows: Windows) -> list[dict]:
    activity = tables["issue_activity"]
    rows = []
    for p in projects:
        mine = activity[activity["repo"].isin(p.repo_names)]
        if mine.empty:
            continue
        latest = mine[mine["window_end"] == mine["window_end"].max()]
        issues = latest[latest["kind"] == "issue"]
        pulls = latest[latest["kind"] == "pull_request"]
        as_of = latest["window_end"].max()
        opened, closed = issues["opened"].sum(), issues["closed"].sum()
        rows += [
            _row(
                p, "first_response_hours", issues["median_hours_to_first_response"].median(), as_of
            ),
            _row(p, "closure_ratio", closed / opened if opened else None, as_of),
            _row(p, "pr_close_hours", pulls["median_hours_to_close"].median(), as_of),
        ]
    return rows


def _deps_dev(projects, tables, windows: Windows) -> list[dict]:
    cards, dependents = tables["scorecards"], tables["package_dependents"]
    rows = []
    for p in projects:
        overall = latest_scorecards(cards, p.repo_names)
        overall = overall[overall["check"] == "overall"]
        scored = overall.dropna(subset=["score"])
        if len(overall):
            left_out = sorted(set(p.repo_names) - set(scored["repo"]))
            rows.append(
                _row(
                    p,
                    "scorecard",
                    scored["score"].mean() if len(scored) else None,
                    overall["date"].max(),
                    (f"mean of {len(scored)} repositories; " if len(scored) > 1 else "")
                    + (f"no scorecard for {', '.join(left_out)}" if left_out else ""),
                    "partial" if len(scored) and left_out else "ok",
                )
            )
        counts = latest_dependents(dependents, p.packages)
        counted = counts.dropna(subset=["dependents"])
        if len(counts):
            largest = counted.loc[counted["dependents"].idxmax()] if len(counted) else None
            rows.append(
                _row(
                    p,
                    "dependents",
                    largest["dependents"] if largest is not None else None,
                    counts["date"].max(),
                    f"{largest['package']} {largest['version']}"
                    if largest is not None
                    else "deps.dev has no dependent count for " + ", ".join(counts["package"]),
                )
            )
    return rows


def a_year_earlier(tables: Mapping[str, pd.DataFrame], months: int = 12) -> dict[str, pd.DataFrame]:
    """The tables as they stood `months` before each one's newest row: indicators computed on
    them give each indicator's value a year earlier, for the trend."""
    columns = {
        "repo_snapshots": "date",
        "package_downloads": "period_end",
        "commits": "authored_at",
        "releases": "published_at",
        "issue_activity": "window_end",
        "package_dependents": "date",
        "scorecards": "date",
    }
    out = dict(tables)
    for name, column in columns.items():
        frame = tables[name]
        if len(frame):
            cutoff = frame[column].max() - pd.DateOffset(months=months)
            earlier = frame[frame[column] <= cutoff]
            if name == "releases":
                # a release list read today, as it would have been read a year ago
                earlier = earlier.assign(fetched_at=earlier["fetched_at"].clip(upper=cutoff))
            out[name] = earlier
    return out
