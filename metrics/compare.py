"""The Compare page's series: one line per repository or package, on a common footing.

Repository metrics come from daily snapshots; downloads are per day over each monthly window
(x = the window's last day), so windows of 22 to 31 days compare, and the yearly series is
never mixed in. Lines break across gaps longer than a week (daily) or 45 days (monthly).

Archive series (any repository or package of the public archives, not only tracked projects
and cohort members) come in as rows of the same shape, one labelled line each. *Aligned by
age*: x is the days since the line's first observation in the data (its whole history, not
the date range: a range that starts later starts a line at its age then).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from metrics.series import aligned_by_age, break_gaps, indexed, thin, usable, with_rate
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
    # columns: date, series, value; window_days for downloads; age_days when aligned by age
    frame: pd.DataFrame
    events: list[Event]
    resolution: str | None  # 'weekly'/'monthly' when thinned to fit, else None
    missing: list[str]  # subjects with no data, in words


def compare(
    projects: Iterable[Project],
    metric: Metric,
    snapshots: pd.DataFrame,
    downloads: pd.DataFrame,
    *,
    extra: Sequence[tuple[str, pd.DataFrame]] = (),
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    relative: bool = False,
    aligned: bool = False,
) -> Comparison:
    """Series for the chosen projects and metric, ready for `history_chart`.

    `extra` adds labelled lines from rows shaped like the metric's table (an archive
    repository's snapshots or an archive package's download windows); `aligned` adds
    `age_days` (metrics.series.aligned_by_age from each line's first observation).
    """
    labels: dict[str, str] = {}
    for project in projects:
        subjects = project.main_repo_names if metric.table == "repo_snapshots" else project.packages
        for subject in subjects:
            labels[subject] = project.name if len(subjects) == 1 else f"{project.name} · {subject}"
    key = "repo" if metric.table == "repo_snapshots" else "package"
    tracked = _plottable(metric, snapshots if key == "repo" else downloads)
    tracked = tracked[tracked[key].isin(labels)]
    present = set(tracked[key].unique())  # once: not per label (100 labels x 300k rows)
    missing = [f"{labels[s]} ({s}): no data" for s in labels if s not in present]
    parts = [tracked.assign(label=tracked[key].map(labels))]
    for label, table in extra:
        parts.append(_plottable(metric, table).assign(label=label))
        if parts[-1].empty and key == "package" and len(table):
            missing.append(f"{label}: no monthly download windows (365-day ones only)")
        elif parts[-1].empty:
            missing.append(f"{label}: no data")
    keep = ["x", "label", metric.column]
    if key == "package":
        keep += ["window_days", "period_end", "installers", "method"]
    rows = pd.concat([p[keep] for p in parts if len(p)] or [parts[0][keep]], ignore_index=True)
    columns = {
        "date": rows["x"],
        "series": rows["label"].astype(object),
        "value": rows[metric.column].astype("float64"),
    }
    if key == "package":  # each value keeps its window
        columns["window_days"] = rows["window_days"].astype("int64")
    frame = pd.DataFrame(columns).dropna(subset=["value"])
    first = frame.groupby("series")["date"].min()  # before the date range: the whole history
    in_range = pd.Series(True, index=rows.index)
    if start is not None:
        in_range &= rows["x"] >= start
    if end is not None:
        in_range &= rows["x"] <= end
    frame = frame[in_range[frame.index]]
    events: list[Event] = []
    if key == "package" and not aligned:  # dated events mean nothing on an axis of ages
        events = method_changes(rows[in_range])
    if relative and len(frame):
        frame = indexed(frame, "value", "series", "date", frame["date"].min())
    frame, resolution = thin(frame, "series", "date", MAX_POINTS)
    frame = break_gaps(frame, "series", "date", metric.max_gap_days)
    if aligned:
        frame = aligned_by_age(frame, first=first)
    return Comparison(frame.reset_index(drop=True), events, resolution, missing)


def _plottable(metric: Metric, table: pd.DataFrame) -> pd.DataFrame:
    """The rows a metric's line can plot, with `x`: usable snapshots by day, or usable
    monthly download windows with their per-day rate at the window's last day."""
    if metric.table == "repo_snapshots":
        rows = usable(table)
        return rows.assign(x=rows["date"])
    rows = with_rate(usable(table[table["series"] == "monthly"]))
    return rows.assign(x=rows["period_end"])


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
