"""The indicators' values: the pure function that computes every indicator of the catalogue
(metrics.catalogue) for each project from the stored tables, on its own repositories only and
over one window for everyone.

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
from metrics.catalogue import CATALOGUE, Indicator
from metrics.overview import overview
from metrics.packages import download_share_growth, latest_dependents, latest_scorecards
from registry.projects import Project

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
    """The periods indicators look at; the Claims page lets the user change them.

    Every git indicator uses the same window for every project: the `activity_months` that
    end on `end`, the data's as-of day (by default the newest commit in the data), never a
    window ending at each project's own newest commit."""

    activity_months: int = 12
    growth_months: int = 12
    end: pd.Timestamp | None = None


STALE_DAYS = 180  # a history ending this long before the window's end is stale
GIT_INDICATORS = (
    "contributors_all_time",
    "active_contributors",
    "new_contributors",
    "bus_factor",
    "elephant_factor",
    "affiliation_known_share",
    "independent_share",
    "maintainer_retention",
    "days_since_last_commit",
    "maintained_weeks",
    "public_review_share",
    "second_person_share",
)


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
    parts = (_github_pypi, _download_share, _git, _truck, _releases, _issue_activity, _deps_dev)
    for part in parts:
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
        left_out = _named(row["notes"])
        stars, forks = row["stars"], row["forks"]
        per_star = forks / stars if pd.notna(stars) and pd.notna(forks) and stars else None
        counted, _, total = str(row["repos_counted"]).partition(" of ")
        # a project figure that leaves out some of its repositories or packages is partial
        repos_q = "partial" if counted != total else "ok"
        packages_q = "partial" if any(pkg in left_out for pkg in p.packages) else "ok"
        repos_c = f"GitHub: {counted} of {total} main repositories" if total else ""
        counted_packages = [pkg for pkg in p.packages if pkg not in left_out]
        packages_c = (
            f"PyPI: {len(counted_packages)} of {len(p.packages)} packages" if p.packages else ""
        )
        gh_notes = row["github_notes"]
        rows += [
            # each growth row carries only its own side's notes
            _row(p, "star_growth", row["star_growth_12m"], gh, gh_notes, repos_q, repos_c),
            _row(p, "forks_per_star", per_star, gh, "", repos_q, repos_c),
            _row(
                p,
                "monthly_downloads",
                row["monthly_downloads"],
                py,
                f"made of {row['downloads_made_of']}" if row["downloads_made_of"] else "",
                packages_q,
                packages_c,
            ),
            _row(
                p,
                "download_growth",
                row["download_growth_12m"] if row["download_growth_same_method"] else None,
                py,
                row["pypi_notes"],
                packages_q,
                packages_c,
            ),
        ]
    return rows


def _download_share(projects, tables, windows: Windows) -> list[dict]:
    downloads, totals = tables["package_downloads"], tables.get("download_totals")
    if totals is None or totals.empty:
        return []
    by_package = _by(downloads[downloads["series"] == "monthly"], "package")
    totals = totals[totals["series"] == "monthly"]
    rows = []
    for p in projects:
        if not p.packages:
            continue
        mine = _rows_of(by_package, p.packages, downloads)
        found = download_share_growth(mine, totals, p.packages, windows.growth_months)
        rows.append(_row(p, "download_share_growth", found.value, found.as_of, found.note))
    return rows


def _named(notes: str) -> set[str]:
    """The exact names a notes text speaks of ('numpy: no observations…; …' -> {'numpy'}):
    a package named 'packaging' must not match a note about 'pypa/packaging'."""
    return {part.split(": ", 1)[0].strip() for part in str(notes or "").split("; ") if ": " in part}


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
    window_end = windows.end if windows.end is not None else community.data_end(commits)
    if window_end is None:
        return [row for p in projects for row in _no_history(p, tables)]
    window_end = pd.Timestamp(window_end)
    window_end = window_end.tz_localize("UTC") if window_end.tzinfo is None else window_end
    start = window_end - pd.DateOffset(months=windows.activity_months)
    # Each repository's rows are found once (positions, not copies) and taken, up to the
    # window's end, when a project needs them; who contributed is worked out per repository
    # then. Splitting every commit and every contribution up front held four copies of the
    # table at once (7.6 GB for 5.8M commits), and cutting the whole table at the window's
    # end one more; now memory is the table plus the largest project's share.
    split = community.ByRepo(commits)
    as_of = window_end.tz_convert("UTC").tz_localize(None) - pd.Timedelta(days=1)
    rows = []
    for p in projects:
        # A project is judged on its own repositories only: a family repository's people
        # and pace are not the project's (they keep their own rows on Community).
        main = p.main_repo_names
        cut = {r: split.rows([r]) for r in main}
        cut = {r: f[f["authored_at"] < window_end] for r, f in cut.items()}
        present = {r: f for r, f in cut.items() if len(f)}
        coverage = community.GitCoverage(tuple(present), tuple(r for r in main if r not in present))
        mine = pd.concat(present.values()) if present else commits.iloc[0:0]
        if mine.empty:
            rows += _no_history(p, tables)
            continue
        quality, covers = ("partial" if coverage.partial else "ok"), coverage.text()
        newest = mine["committed_at"].max()
        note = ""
        if newest < window_end - pd.Timedelta(days=STALE_DAYS):
            quality = "stale"
            note = (
                f"history ends {newest:%Y-%m-%d}, over {STALE_DAYS} days before the window's "
                f"end ({as_of:%Y-%m-%d}): a stale copy or an inactive project, which the data "
                "cannot tell apart, so it is left out of the medians"
            )
        # a repository's contributions are its commits' own: worked out per repository
        contribs = pd.concat([community.contributions(rows) for rows in present.values()])
        recent = contribs[contribs["when"] > start]
        authors = recent[recent["role"] == "author"]
        first = contribs.groupby("person")["when"].min()
        review_share = community.public_review_share(mine, start)
        second = community.second_person_share(mine, start)
        known = authors[~authors["domain"].isin(community.NO_ORGANIZATION)]

        row = functools.partial(_git_row, p, as_of=as_of, quality=quality, coverage=covers)
        why_empty = note or f"no contributions in the {windows.activity_months} months"
        if note:
            # a copy that ends early says nothing about the window: never a zero
            rows += [
                row("contributors_all_time", contribs["person"].nunique(), note),
                row(
                    "days_since_last_commit",
                    (as_of - newest.tz_convert("UTC").tz_localize(None).normalize()).days,
                    note,
                ),
                *(
                    row(i, None, note)
                    for i in GIT_INDICATORS
                    if i not in ("contributors_all_time", "days_since_last_commit")
                ),
            ]
            continue
        rows += [
            row("contributors_all_time", contribs["person"].nunique(), note),
            row("active_contributors", recent["person"].nunique(), note),
            row("new_contributors", int((first > start).sum()), note),
            row(
                "bus_factor",
                community.absence_factor(recent.groupby("person").size()),
                note if len(recent) else why_empty,
            ),
            row(
                "elephant_factor",
                community.elephant_factor(authors["domain"]),
                note or _elephant_note(authors, known),
            ),
            row(
                "affiliation_known_share",
                len(known) / len(authors) if len(authors) else None,
                note if len(authors) else why_empty,
            ),
            row(
                "independent_share",
                authors["domain"].isin(community.NO_ORGANIZATION).mean() if len(authors) else None,
                note if len(authors) else why_empty,
            ),
            row(
                "maintainer_retention",
                community.core_retention(contribs, recent["person"]),
                note,
            ),
            row(
                "days_since_last_commit",
                (as_of - newest.tz_convert("UTC").tz_localize(None).normalize()).days,
                note,
            ),
            row(
                "maintained_weeks",
                community.active_weeks(mine, window_end),
                note,
            ),
            row(
                "public_review_share",
                review_share,
                note
                if review_share is not None
                else "the git data does not record how changes landed: needs a git refresh",
            ),
            row(
                "second_person_share",
                second,
                note
                if second is not None
                else "the git data does not record who merged: needs a git refresh",
            ),
        ]
    return rows


def _truck(projects, tables, windows: Windows) -> list[dict]:
    """The truck factor of each project's own repository with the most files (computed when
    the shipped data was built; missing for a project whose history was not read then)."""
    trucks = tables.get("truck_factors")
    if trucks is None or trucks.empty:
        return []
    latest = trucks.sort_values("as_of").drop_duplicates("repo", keep="last")
    by_repo = {r.repo: r for r in latest.itertuples()}
    rows = []
    for p in projects:
        mine = [by_repo[r] for r in p.main_repo_names if r in by_repo]
        if not mine:
            continue
        largest = max(mine, key=lambda r: (r.files, r.repo))
        note = f"{largest.repo}: {largest.authors} authors of {largest.files} source files" + (
            f" (the largest of {len(mine)} repositories)" if len(mine) > 1 else ""
        )
        rows.append(_row(p, "truck_factor", largest.truck_factor, largest.as_of, note))
    return rows


def _elephant_note(authors: pd.DataFrame, known: pd.DataFrame) -> str:
    if authors.empty:
        return "no authored commits in the window"
    if len(known) * 2 < len(authors):
        return (
            f"organizations are known for {len(known) / len(authors):.0%} of the commits, less "
            "than the half the factor needs: undetermined"
        )
    return ""


def _no_history(project: Project, tables) -> list[dict]:
    """'Insufficient data' for every git indicator of a project whose own repositories have
    no history in the data, saying what would supply it."""
    histories = tables.get("git_histories")
    sizes = {}
    if histories is not None and len(histories):
        sizes = dict(zip(histories["repo"].str.lower(), histories["size_mb"], strict=True))
    parts = []
    for repo in project.main_repo_names:
        size = sizes.get(repo.lower())
        parts.append(
            f"{repo} (full history {size / 1000:.1f} GB, too large for the shipped data)"
            if size is not None and pd.notna(size)
            else repo
        )
    note = (
        "insufficient data: no git history of the project's own repositories, "
        + ", ".join(parts)
        + ". A git refresh (./dev cli refresh --sources git) brings it in as a treeless clone: "
        "commits only, a fraction of the full size"
    )
    return [
        _row(
            project,
            i,
            None,
            pd.NaT,
            note,
            "missing",
            f"git history: 0 of {len(project.main_repo_names)} main repositories",
        )
        for i in GIT_INDICATORS
    ]


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
        mine = activity[activity["repo"].isin(p.main_repo_names)]
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
        overall = latest_scorecards(cards, p.main_repo_names)
        overall = overall[overall["check"] == "overall"]
        scored = overall.dropna(subset=["score"])
        if len(overall):
            left_out = sorted(set(p.main_repo_names) - set(scored["repo"]))
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


# The column each table is cut on for its values a year earlier.
EARLIER_COLUMNS = {
    "repo_snapshots": "date",
    "package_downloads": "period_end",
    "download_totals": "period_end",
    "truck_factors": "as_of",
    "commits": "authored_at",
    "releases": "published_at",
    "issue_activity": "window_end",
    "package_dependents": "date",
    "scorecards": "date",
}


def earlier_cutoff(newest: pd.Timestamp | None, months: int = 12) -> pd.Timestamp | None:
    """The last moment a table whose newest row is `newest` is read up to, `months` earlier."""
    return None if newest is None else newest - pd.DateOffset(months=months)


def a_year_earlier(
    tables: Mapping[str, pd.DataFrame],
    months: int = 12,
    *,
    newest: Mapping[str, pd.Timestamp | None] | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables as they stood `months` before each one's newest row: indicators computed on
    them give each indicator's value a year earlier, for the trend. `newest` gives each
    table's newest value when the frames hold only part of a table (the rows of the projects
    a page shows): the cut-off is the whole table's, as it would be on all of it."""
    out = dict(tables)
    for name, column in EARLIER_COLUMNS.items():
        frame = tables.get(name)
        if frame is not None and len(frame):
            last = newest.get(name) if newest is not None else None
            cutoff = earlier_cutoff(last if last is not None else frame[column].max(), months)
            earlier = frame[frame[column] <= cutoff]
            if name == "releases":
                # a release list read today, as it would have been read a year ago
                earlier = earlier.assign(fetched_at=earlier["fetched_at"].clip(upper=cutoff))
            out[name] = earlier
    return out
