"""The Compare page's views: one metric over time for chosen projects and any archive
repositories or packages (the page shows the metric picked in its radio; the export writes
every metric for the tracked projects), by date or aligned by age."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from metrics.compare import METRICS, Metric, compare
from metrics.explore import YEARLY_SUFFIX, DataEnd
from metrics.series import usable
from registry import Project, Registry
from views.base import ChartView, series_chart
from views.explore import AGE_AXIS, Subject, by_age

ARCHIVE_MARK = " (archive)"  # an archive line's label: never taken for a tracked one


@dataclass(frozen=True)
class CompareSettings:
    """The page's settings; the defaults are the page's defaults."""

    start: dt.date | None = None  # None: the first day the metric has data
    end: dt.date | None = None  # None: the last day it has data
    relative: bool = False  # indexed: each line divided by its first value (start = 100)
    log_scale: bool = False
    aligned: bool = False  # x = days since each line's first observation in the data


@dataclass(frozen=True)
class CompareView:
    """One metric's chart ('<metric key>') and what the page says under it."""

    chart: ChartView
    resolution: str | None  # 'weekly'/'monthly' when thinned to fit, else None
    missing: list[str]  # subjects with no data, in words
    ends: list[DataEnd] = field(default_factory=list)  # where each archive line's data ends


def date_range(
    metric: Metric,
    snapshots: pd.DataFrame,
    downloads: pd.DataFrame,
    archive: Sequence[Subject] = (),
) -> tuple[dt.date, dt.date] | None:
    """The first and last day the metric's chart has data for (the archive series' days
    included); None when it has none."""
    days = []
    tables = [(snapshots, downloads)] + [(s.rows, s.rows) for s in _matching(metric, archive)]
    for table in tables:
        source, x = _source(metric, *table)
        if len(source):
            days += [source[x].min(), source[x].max()]
    if not days:
        return None
    return min(days).date(), max(days).date()


def compare_view(
    projects: Iterable[Project],
    metric: Metric,
    snapshots: pd.DataFrame,
    downloads: pd.DataFrame,
    settings: CompareSettings = CompareSettings(),
    archive: Sequence[Subject] = (),
) -> CompareView:
    """One metric over the settings' date range for the projects, one line per repository
    or package, and one per archive series (labelled '<name> (archive)'); a table without
    data gives an empty chart. An archive series of the other kind (a package for stars, a
    repository for downloads) is named in `missing`."""
    first, last = date_range(metric, snapshots, downloads, archive) or (None, None)
    start, end = settings.start or first, settings.end or last
    matching = _matching(metric, archive)
    result = compare(
        projects,
        metric,
        snapshots,
        downloads,
        extra=[(s.label + ARCHIVE_MARK, s.rows) for s in matching],
        start=pd.Timestamp(start) if start else None,
        end=pd.Timestamp(end) if end else None,
        relative=settings.relative,
        aligned=settings.aligned,
    )
    period = f", {start:%Y-%m-%d} to {end:%Y-%m-%d}" if start and end else ""
    age = " by age" if settings.aligned else ""
    figure = series_chart(
        by_age(result.frame) if settings.aligned else result.frame,
        f"{metric.label}{age}{period}",
        f"{metric.label} (start = 100)" if settings.relative else metric.label,
        log_scale=settings.log_scale,
        markers=metric.table == "package_downloads",
        events=result.events,
        x_title=AGE_AXIS if settings.aligned else None,
    )
    data = result.frame.dropna(subset=["value"])
    if "window_days" in data:  # the blank rows that break lines made it a float
        data = data.astype({"window_days": "int64"})
    missing = list(result.missing)
    for subject in archive:
        if subject not in matching:
            noun = "repository" if subject.kind == "repo" else "package"
            missing.append(
                f"{subject.label}{ARCHIVE_MARK} is a {noun}: it has no {metric.label.lower()}"
            )
    # the 365-day download lines are not compared; a line without data is in `missing`
    ends = [
        e
        for s in matching
        for e in s.ends
        if not e.series.endswith(YEARLY_SUFFIX) and e.reason != "no data"
    ]
    chart = ChartView(metric.key, figure, data.reset_index(drop=True))
    return CompareView(chart, result.resolution, missing, ends)


def _matching(metric: Metric, archive: Sequence[Subject]) -> list[Subject]:
    """The archive series that have this metric: repositories for stars, forks and open
    issues, packages for downloads."""
    kind = "repo" if metric.table == "repo_snapshots" else "package"
    return [s for s in archive if s.kind == kind]


def default_views(registry: Registry, tables: Mapping[str, pd.DataFrame]) -> list[ChartView]:
    """Every metric for all tracked projects over its whole range, linear, absolute."""
    snapshots, downloads = tables["repo_snapshots"], tables["package_downloads"]
    return [compare_view(registry, m, snapshots, downloads).chart for m in METRICS.values()]


def _source(
    metric: Metric, snapshots: pd.DataFrame, downloads: pd.DataFrame
) -> tuple[pd.DataFrame, str]:
    """The rows the metric's chart can plot: usable snapshots, or usable monthly windows
    (the 365-day series is never plotted, so it never stretches the date range)."""
    if metric.table == "repo_snapshots":
        return usable(snapshots), "date"
    return usable(downloads[downloads["series"] == "monthly"]), "period_end"
