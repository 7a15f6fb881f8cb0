"""One summary row per project: the Overview page's table, as a pure function of frames.

Definitions (shown on the Data page too):
- *Stars, forks, open issues*: the sum over the project's repositories of each one's latest
  usable observation. A repository whose latest observation is more than `stale_days` older
  than the project's newest is left out of the sum and named in `notes`: adding a 2024
  value to a 2026 one would describe no real day.
- *Star growth, 12 months*: that sum divided by the same repositories' sum 12 months before
  each one's latest observation (the last observation up to `tolerance_days` before that
  day), minus 1. Missing when any of the repositories has no observation then.
- *Monthly downloads*: the latest about-monthly window, summed over the project's packages
  that have that very window (`window_days` long). *Download growth* compares downloads per
  day with the window ending about 12 months earlier, only when both were counted the same
  way: across a change in counting (2024-11, 2025-07) it is missing and `pypi_notes` says why.
- `github_notes` and `pypi_notes` explain the GitHub and the PyPI figures apart; `notes` is
  both, for the Overview's list.
- *A total over projects* (`dated_total`) adds only figures of the same day; the projects
  whose latest figure is older are named with their day, never silently added.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metrics.series import relative_change, usable, with_rate
from registry.projects import Project

COLUMNS = [
    "project_id",
    "project",
    "group",
    "stars",
    "forks",
    "open_issues",
    "star_growth_12m",
    "github_as_of",
    "repos_counted",
    "monthly_downloads",
    "downloads_period",
    "window_days",
    "downloads_per_day",
    "download_growth_12m",
    "download_growth_same_method",
    "downloads_made_of",
    "pypi_as_of",
    "github_notes",
    "pypi_notes",
    "notes",
]


def overview(
    projects: Iterable[Project],
    snapshots: pd.DataFrame,
    downloads: pd.DataFrame,
    *,
    stale_days: int = 7,
    growth_days: int = 365,
    tolerance_days: int = 31,
) -> pd.DataFrame:
    """The Overview table: one row per project, missing values left missing (never zero)."""
    repos = latest_with_earlier(
        usable(snapshots)[["repo", "date", "stars", "forks", "open_issues"]],
        "repo",
        "date",
        ["stars"],
        growth_days,
        tolerance_days,
    ).set_index("repo")
    monthly = downloads[downloads["series"] == "monthly"]
    packages = latest_with_earlier(
        with_rate(
            usable(monthly)[
                [
                    "package",
                    "period_start",
                    "period_end",
                    "downloads",
                    "window_days",
                    "installers",
                    "method",
                    "quality",
                ]
            ]
        ),
        "package",
        "period_end",
        ["per_day", "installers", "method"],
        growth_days,
        tolerance_days,
    ).set_index("package")
    repo_rows = repos.to_dict("index")  # a few hundred rows at most: plain Python is fastest
    package_rows = packages.to_dict("index")
    rows = []
    for project in projects:
        github, github_notes = _github_part(project, repo_rows, stale_days)
        pypi, pypi_notes = _pypi_part(project, package_rows)
        rows.append(
            {
                "project_id": project.id,
                "project": project.name,
                "group": project.group,
                **github,
                **pypi,
                "github_notes": "; ".join(github_notes),
                "pypi_notes": "; ".join(pypi_notes),
                "notes": "; ".join(github_notes + pypi_notes),
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("stars", "forks", "open_issues", "monthly_downloads", "window_days"):
        frame[column] = frame[column].astype("Int64")
    for column in ("star_growth_12m", "downloads_per_day", "download_growth_12m"):
        frame[column] = frame[column].astype("float64")
    for column in ("github_as_of", "pypi_as_of"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def latest_with_earlier(
    frame: pd.DataFrame, by: str, x: str, carry: list[str], growth_days: int, tolerance_days: int
) -> pd.DataFrame:
    """Each series' latest row, plus `earlier_<col>` for `carry` columns taken from its last
    row in [latest - growth_days - tolerance_days, latest - growth_days] (missing if none)."""
    frame = frame.sort_values(x)
    latest = frame.groupby(by, sort=False).tail(1)
    target = latest[[by, x]].assign(
        _target=(latest[x] - pd.Timedelta(days=growth_days)).astype(frame[x].dtype)
    )
    earlier = pd.merge_asof(
        target.sort_values("_target").drop(columns=x),
        frame[[by, x, *carry]].rename(columns={c: f"earlier_{c}" for c in carry}),
        left_on="_target",
        right_on=x,
        by=by,
        direction="backward",
        tolerance=pd.Timedelta(days=tolerance_days),
    )
    return latest.merge(earlier.drop(columns=["_target", x]), on=by, how="left")


def _github_part(project: Project, repos: dict, stale_days: int) -> tuple[dict, list[str]]:
    # family repositories add community evidence only, never the project's stars or forks
    names = list(project.main_repo_names)
    notes = [f"{n}: no observations in the data" for n in names if n not in repos]
    mine = {n: repos[n] for n in names if n in repos}
    if not mine:
        return {
            "stars": pd.NA,
            "forks": pd.NA,
            "open_issues": pd.NA,
            "star_growth_12m": np.nan,
            "github_as_of": pd.NaT,
            "repos_counted": f"0 of {len(names)}" if names else "",
        }, notes
    as_of = max(r["date"] for r in mine.values())
    current = {n: r for n, r in mine.items() if r["date"] >= as_of - pd.Timedelta(days=stale_days)}
    for name, row in mine.items():
        if name not in current:
            notes.append(f"{name}: last observed {row['date']:%Y-%m-%d}, not counted")
    growth = np.nan
    if all(pd.notna(r["earlier_stars"]) for r in current.values()):
        growth = relative_change(
            _sum(r["stars"] for r in current.values()),
            _sum(r["earlier_stars"] for r in current.values()),
        )
    else:
        notes.append("no observation about 12 months earlier for star growth")
    return {
        "stars": _sum(r["stars"] for r in current.values()),
        "forks": _sum(r["forks"] for r in current.values()),
        "open_issues": _sum(r["open_issues"] for r in current.values()),
        "star_growth_12m": growth,
        "github_as_of": as_of,
        "repos_counted": f"{len(current)} of {len(names)}",
    }, notes


def _pypi_part(project: Project, packages: dict) -> tuple[dict, list[str]]:
    # no rows is not "never listed": the shipped data may have been built before
    # projects.toml named the package (the Data page says which)
    notes = [
        f"{p}: no monthly downloads in the data (see the Data page)"
        for p in project.packages
        if p not in packages
    ]
    mine = {p: packages[p] for p in project.packages if p in packages}
    if not mine:
        return {
            "monthly_downloads": pd.NA,
            "downloads_period": None,
            "window_days": pd.NA,
            "downloads_per_day": np.nan,
            "download_growth_12m": np.nan,
            "download_growth_same_method": False,
            "downloads_made_of": "",
            "pypi_as_of": pd.NaT,
        }, notes
    last_end = max(r["period_end"] for r in mine.values())
    current = {p: r for p, r in mine.items() if r["period_end"] == last_end}
    for package in mine:
        if package not in current:
            notes.append(f"{package}: not in the latest top-downloads list, not counted")
    rows = list(current.values())
    growth = np.nan
    same_method = False
    if all(pd.notna(r["earlier_per_day"]) for r in rows):
        growth = relative_change(
            sum(r["per_day"] for r in rows), sum(r["earlier_per_day"] for r in rows)
        )
        if any(
            (r["earlier_installers"], r["earlier_method"]) != (r["installers"], r["method"])
            for r in rows
        ):
            # growth across a change in counting would mix methods: not a figure
            growth = np.nan
            notes.append(
                "download counting method changed within the 12 months: no growth figure "
                "(see Data page)"
            )
        else:
            same_method = True
    else:
        notes.append("no download window about 12 months earlier for growth")
    if made_of := _made_of(current):
        notes.append(f"downloads made of {made_of}")
    return {
        "monthly_downloads": _sum(r["downloads"] for r in rows),
        "downloads_period": _period_label(rows[0]["period_start"], rows[0]["period_end"]),
        "window_days": max(int(r["window_days"]) for r in rows),
        "downloads_per_day": float(sum(r["per_day"] for r in rows)),
        "download_growth_12m": growth,
        "download_growth_same_method": same_method,
        "downloads_made_of": made_of,
        "pypi_as_of": last_end,
    }, notes


def _made_of(rows: dict) -> str:
    """What a several-package total is made of: 'tiktoken 99.9%, gpt-oss 0.1%' ('' for
    one package), so a figure never hides that one package carries it."""
    if len(rows) < 2:
        return ""
    total = sum(float(r["downloads"]) for r in rows.values())
    if total <= 0:
        return ""
    shares = sorted(((float(r["downloads"]) / total, p) for p, r in rows.items()), reverse=True)
    return ", ".join(f"{p} {share:.1%}" for share, p in shares)  # as charts.labels.percent


@dataclass(frozen=True)
class DatedTotal:
    """A total over projects of figures of one day, and the projects left out of it."""

    value: object  # the sum, or pd.NA when no project has a figure
    day: pd.Timestamp | None  # the day every added figure is from
    period: str  # that day in words: '2026-08-22', or the window's 'Mar 2026'
    counted: int  # projects added
    older: list[tuple[str, object, str]]  # (project, figure, its day in words), left out


def dated_total(table: pd.DataFrame, value: str, day: str, period: str = "") -> DatedTotal:
    """The sum of `value` over the rows whose `day` is the newest one; the rows with an
    older figure are listed, not added: a 2024 figure plus 2026 ones describes no day.
    `period`, when given, is the column that names each row's day in words."""
    dated = table.dropna(subset=[value, day])
    if dated.empty:
        return DatedTotal(pd.NA, None, "", 0, [])
    words = dated[period] if period else dated[day].dt.strftime("%Y-%m-%d")
    newest = dated[day].max()
    same = dated[day] == newest
    older = dated[~same].assign(_words=words[~same]).sort_values(day)
    return DatedTotal(
        _sum(dated.loc[same, value]),
        newest,
        str(words[same].iloc[0]),
        int(same.sum()),
        list(zip(older["project"], older[value], older["_words"], strict=True)),
    )


def _sum(values: Iterable) -> object:
    """Sum of known values; missing (not zero) when none is known."""
    known = [v for v in values if pd.notna(v)]
    return sum(known) if known else pd.NA


def _period_label(start: pd.Timestamp, end: pd.Timestamp) -> str:
    if start.day == 1 and (end + pd.Timedelta(days=1)).day == 1 and start.month == end.month:
        return f"{start:%b %Y}"
    return f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"


def repository_facts(projects: Iterable[Project], repositories: pd.DataFrame) -> pd.DataFrame:
    """Project, repository, language and the owners' description (missing when unknown)."""
    known = repositories.set_index("repo")
    rows = [
        {
            "project": project.name,
            "repository": repo.full_name,
            "role": repo.role,
            "language": known["language"].get(repo.full_name, pd.NA),
            "description": known["description"].get(repo.full_name, pd.NA),
        }
        for project in projects
        for repo in project.repos
    ]
    return pd.DataFrame(rows, columns=["project", "repository", "role", "language", "description"])
