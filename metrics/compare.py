"""The Compare page's series: one line per repository or package, on a common footing.

Repository metrics come from daily snapshots; downloads are per day over each monthly window
(x = the window's last day), so windows of 22 to 31 days compare, and the yearly series is
never mixed in. Lines break across gaps longer than a week (daily) or 45 days (monthly).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from metrics.series import break_gaps, indexed, thin, usable, with_rate
from models.events import Event
from registry.projects import Project


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    table: str
    column: str
    max_gap_days: int


METRICS = {
    m.key: m
    for m in (
        Metric("stars", "Stars", "repo_snapshots", "stars", 7),
        Metric("forks", "Forks", "repo_snapshots", "forks", 7),
        Metric("open_issues", "Open issues + PRs", "repo_snapshots", "open_issues", 7),
        Metric(
            "downloads", "Downloads per day (monthly windows)", "package_downloads", "per_day", 45
        ),
    )
}
MAX_POINTS = 20_000


@dataclass(frozen=True)
class Comparison:
    frame: pd.DataFrame  # columns: date, series, value
    events: list[Event]
    resolution: str | None  # 'weekly'/'monthly' when thinned to fit, else None
    missing: list[str]  # subjects with no data, in words


def compare(
    projects: Iterable[Project],
    metric: Metric,
    snapshots: pd.DataFrame,
    downloads: pd.DataFrame,
    *,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    relative: bool = False,
) -> Comparison:
    """Series for the chosen projects and metric, ready for `history_chart`."""
    labels: dict[str, str] = {}
    for project in projects:
        subjects = project.main_repo_names if metric.table == "repo_snapshots" else project.packages
        for subject in subjects:
            labels[subject] = project.name if len(subjects) == 1 else f"{project.name} · {subject}"
    if metric.table == "repo_snapshots":
        rows = usable(snapshots)
        rows = rows[rows["repo"].isin(labels)].rename(columns={"repo": "subject"})
        rows = rows.assign(x=rows["date"])
        events: list[Event] = []
    else:
        rows = with_rate(usable(downloads[downloads["series"] == "monthly"]))
        rows = rows[rows["package"].isin(labels)].rename(columns={"package": "subject"})
        rows = rows.assign(x=rows["period_end"])
    missing = [f"{labels[s]} ({s}): no data" for s in labels if s not in set(rows["subject"])]
    if start is not None:
        rows = rows[rows["x"] >= start]
    if end is not None:
        rows = rows[rows["x"] <= end]
    if metric.table == "package_downloads":
        events = method_changes(rows)
    frame = pd.DataFrame(
        {
            "date": rows["x"],
            "series": rows["subject"].map(labels),
            "value": rows[metric.column].astype("float64"),
        }
    ).dropna(subset=["value"])
    if relative and len(frame):
        frame = indexed(frame, "value", "series", "date", frame["date"].min())
    frame, resolution = thin(frame, "series", "date", MAX_POINTS)
    frame = break_gaps(frame, "series", "date", metric.max_gap_days)
    return Comparison(frame.reset_index(drop=True), events, resolution, missing)


def method_changes(downloads: pd.DataFrame) -> list[Event]:
    """Where the download counting changed (installers counted, or data source)."""
    if downloads.empty:
        return []
    periods = downloads.sort_values("period_end").drop_duplicates("period_end", keep="last")
    events = []
    previous = None
    for row in periods.itertuples(index=False):
        current = (row.installers, row.method)
        if previous is not None and current != previous:
            if current[0] != previous[0]:
                text = f"counts {row.installers} installers from here (was {previous[0]})"
            else:
                text = f"counted by {row.method} from here (was {previous[1]})"
            events.append(Event(row.period_end, text))
        previous = current
    return events
