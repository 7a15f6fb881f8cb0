"""Coverage: for each project, subject and kind of data, what the store has and what it lacks.

Counted per subject (repository or package):
- first, last: the first and last day with a usable observation;
- observations: how many there are;
- missing_inside: for daily series, the days between first and last on which the source
  published data but not for this subject (it fell outside the lists); for monthly series,
  the source's snapshot days in that span without this package.
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


def coverage(
    projects: Iterable[Project], tables: dict[str, pd.DataFrame], source_days: pd.DataFrame
) -> pd.DataFrame:
    """One row per (project, subject, kind of data)."""
    rows = []
    for project in projects:
        for kind, (name, column, day, _) in KINDS.items():
            frame = usable(tables[name])
            if kind in _PARTS:
                frame = _PARTS[kind](frame)
            subjects = project.packages if column == "package" else project.repo_names
            for subject in subjects:
                mine = frame[frame[column] == subject]
                rows.append(
                    {
                        "project": project.name,
                        "subject": subject,
                        "data": kind,
                        **_span(mine, day, source_days, kind, tables[name].empty),
                    }
                )
    return pd.DataFrame(rows, columns=COLUMNS)


def _span(rows: pd.DataFrame, day: str, source_days: pd.DataFrame, kind: str, empty: bool) -> dict:
    table, _, _, collector = KINDS[kind]
    if rows.empty:
        # only the archives' tables can say "never listed"; elsewhere nobody collected it yet
        if table == "repo_snapshots" and not empty:
            status = "missing: never in the archive's top-100 lists, and not refreshed yet"
        elif kind == "Monthly downloads" and not empty:
            status = "missing: never in the top-downloads lists, and not refreshed yet"
        else:
            status = f"not collected yet (needs a {collector} refresh)"
        return {
            "first": pd.NaT,
            "last": pd.NaT,
            "observations": 0,
            "missing_inside": pd.NA,
            "status": status,
        }
    days = pd.to_datetime(rows[day])
    if getattr(days.dt, "tz", None) is not None:
        days = days.dt.tz_convert("UTC").dt.tz_localize(None)
    days = days.dt.normalize()
    first, last = days.min(), days.max()
    missing = pd.NA
    sources = set(rows["source"])
    published = source_days[source_days["source"].isin(sources)]["date"]
    if kind == "Daily downloads":  # every day counts: a day without a row is a gap
        missing = int(pd.date_range(first, last).difference(days).size)
    elif len(published):
        if table == "package_downloads":
            # Source days are snapshot days; compare with the snapshot each row came from.
            seen = pd.to_datetime(rows["fetched_at"]).dt.tz_convert("UTC").dt.tz_localize(None)
            seen = seen.dt.normalize()
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
