"""Coverage: for each project, subject and kind of data, what the store has and what it lacks.

Counted per subject (repository or package):
- first, last: the first and last day with a usable observation;
- observations: how many there are;
- missing_inside: for daily series, the days between first and last on which the source
  published data but not for this subject (it fell outside the lists); for monthly series,
  the source's snapshot days in that span that have monthly windows (a snapshot of only
  365-day counts is no month) without this package.
- status, when a subject has no rows: the archives' tables say "never listed" only when the
  data was built with the subject; a project (or a package) that data/projects.toml names
  but the data holds nothing of was added after the shipped data was built, and the status
  says that a rebuild (`./dev build-data`) or a refresh would add it.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from metrics.series import usable
from registry.projects import Project

# kind -> (table, subject column, day column, the collector that would supply it)
KINDS = {
    "GitHub counters (stars, forks, issues)": ("repo_snapshots", "repo", "date", "GitHub"),
    "Star history (retained stars by week)": ("star_history", "repo", "week_start", "GitHub"),
    "Releases (repositories)": ("releases", "subject", "published_at", "GitHub or git"),
    "Releases (PyPI)": ("releases", "package", "published_at", "PyPI"),
    "Commits (git history)": ("commits", "repo", "authored_at", "git"),
    "Issue and PR activity": ("issue_activity", "repo", "window_end", "GitHub"),
    "Monthly downloads": ("package_downloads", "package", "period_end", "top-PyPI"),
    "Daily downloads": ("package_downloads", "package", "period_end", "pypistats"),
    "PyPI metadata": ("packages", "package", "date", "PyPI"),
    "Dependent packages": ("package_dependents", "package", "date", "deps.dev"),
    "OpenSSF Scorecard": ("scorecards", "repo", "date", "deps.dev"),
}
# kinds that are one part of a table
_PARTS = {
    "Releases (repositories)": lambda t: t[t["subject_kind"] == "repo"],
    "Releases (PyPI)": lambda t: t[t["subject_kind"] == "package"].rename(
        columns={"subject": "package"}
    ),
    "Monthly downloads": lambda t: t[t["series"] == "monthly"],
    "Daily downloads": lambda t: t[t["series"] == "daily"],
}
COLUMNS = [
    "project",
    "subject",
    "data",
    "first",
    "last",
    "observations",
    "missing_inside",
    "status",
]


REBUILD = "`./dev build-data`"


def coverage(
    projects: Iterable[Project], tables: dict[str, pd.DataFrame], source_days: pd.DataFrame
) -> pd.DataFrame:
    """One row per (project, subject, kind of data)."""
    known = _subjects(tables)
    described = _subjects({"packages": tables.get("packages", pd.DataFrame())})
    published = _published(tables, source_days)
    rows = []
    for project in projects:
        in_data = any(s.lower() in known for s in (*project.repo_names, *project.packages))
        for kind, (name, column, day, _) in KINDS.items():
            frame = usable(tables[name])
            if kind in _PARTS:
                frame = _PARTS[kind](frame)
            subjects = project.packages if column == "package" else project.repo_names
            for subject in subjects:
                mine = frame[frame[column] == subject]
                if mine.empty:
                    unbuilt = project.name if not in_data else None
                    if column == "package" and described and subject.lower() not in described:
                        # the build records PyPI metadata for every package it was built for
                        unbuilt = unbuilt or subject
                    span = _absent(kind, tables[name].empty, unbuilt)
                else:
                    span = _span(mine, day, published[kind], kind)
                rows.append({"project": project.name, "subject": subject, "data": kind, **span})
    return pd.DataFrame(rows, columns=COLUMNS)


def _subjects(tables: dict[str, pd.DataFrame]) -> set[str]:
    """Every repository and package any of the tables holds a row of (lower case)."""
    found: set[str] = set()
    for frame in tables.values():
        for column in ("repo", "package", "subject"):
            if column in frame.columns and len(frame):
                found.update(frame[column].dropna().astype(str).str.lower().unique())
    return found


def _published(tables: dict[str, pd.DataFrame], source_days: pd.DataFrame) -> dict:
    """Per kind, the days its sources published data for some subject. A top-PyPI snapshot
    that has only 365-day counts published no monthly window: it is no missing month."""
    out: dict[str, pd.DataFrame] = {kind: source_days for kind in KINDS}
    downloads = tables["package_downloads"]
    monthly = downloads[downloads["series"] == "monthly"]
    days = _utc_days(monthly["fetched_at"])
    pairs = set(zip(monthly["source"], days, strict=True))
    keep = [
        (s, d) in pairs for s, d in zip(source_days["source"], source_days["date"], strict=True)
    ]
    out["Monthly downloads"] = source_days[keep] if len(source_days) else source_days
    return out


def _utc_days(stamps: pd.Series) -> pd.Series:
    days = pd.to_datetime(stamps)
    if getattr(days.dt, "tz", None) is not None:
        days = days.dt.tz_convert("UTC").dt.tz_localize(None)
    return days.dt.normalize()


def _absent(kind: str, empty: bool, unbuilt: str | None) -> dict:
    """The row of a subject without a usable observation, and why in words; `unbuilt` names
    the project or package the shipped data was built without, if so."""
    table, _, _, collector = KINDS[kind]
    lists = {
        "repo_snapshots": "the archive's top-100 lists",
        "package_downloads": "the top-downloads lists",
    }
    # only the archives' tables can say "never listed"; elsewhere nobody collected it yet
    if table in lists and kind != "Daily downloads" and not empty:
        if unbuilt:
            status = (
                f"missing: the shipped data was built before data/projects.toml named "
                f"{unbuilt}; a rebuild ({REBUILD}) adds what the archives hold, a "
                f"{collector} refresh the live figures"
            )
        else:
            status = (
                f"missing: never in {lists[table]} the data was built from, and not refreshed "
                f"yet (named in data/projects.toml after the build? {REBUILD} adds it)"
            )
    else:
        status = f"not collected yet (needs a {collector} refresh)"
    return {
        "first": pd.NaT,
        "last": pd.NaT,
        "observations": 0,
        "missing_inside": pd.NA,
        "status": status,
    }


def _span(rows: pd.DataFrame, day: str, source_days: pd.DataFrame, kind: str) -> dict:
    table = KINDS[kind][0]
    days = _utc_days(rows[day])
    first, last = days.min(), days.max()
    missing = pd.NA
    sources = set(rows["source"])
    published = source_days[source_days["source"].isin(sources)]["date"]
    if kind == "Daily downloads":  # every day counts: a day without a row is a gap
        missing = int(pd.date_range(first, last).difference(days).size)
    elif len(published):
        if table == "package_downloads":
            # Source days are snapshot days; compare with the snapshot each row came from.
            seen = _utc_days(rows["fetched_at"])
            lo, hi = seen.min(), seen.max()
            span = published[(published >= lo) & (published <= hi)]
            missing = int((~span.isin(set(seen))).sum())
        else:
            span = published[(published >= first) & (published <= last)]
            missing = int((~span.isin(set(days))).sum())
    return {
        "first": first,
        "last": last,
        "observations": int(days.nunique()),
        "missing_inside": missing,
        "status": "ok",
    }
