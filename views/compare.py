"""The Compare page's views: one metric over time for chosen projects (the page shows the
metric picked in its radio; the export writes every metric)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from metrics.compare import METRICS, Metric, compare
from metrics.series import usable
from registry import Project, Registry
from views.base import ChartView, series_chart


@dataclass(frozen=True)
class CompareSettings:
    """The page's settings; the defaults are the page's defaults."""

    start: dt.date | None = None  # None: the first day the metric has data
    end: dt.date | None = None  # None: the last day it has data
    relative: bool = False  # indexed: each line divided by its first value (start = 100)
    log_scale: bool = False


@dataclass(frozen=True)
class CompareView:
    """One metric's chart ('<metric key>') and what the page says under it."""

    chart: ChartView
    resolution: str | None  # 'weekly'/'monthly' when thinned to fit, else None
    missing: list[str]  # subjects with no data, in words


def date_range(
    metric: Metric, snapshots: pd.DataFrame, downloads: pd.DataFrame
) -> tuple[dt.date, dt.date] | None:
    """The first and last day the metric's chart has data for; None when it has none."""
    source, x = _source(metric, snapshots, downloads)
    if source.empty:
        return None
    return source[x].min().date(), source[x].max().date()


def compare_view(
    projects: Iterable[Project],
    metric: Metric,
    snapshots: pd.DataFrame,
    downloads: pd.DataFrame,
    settings: CompareSettings = CompareSettings(),
) -> CompareView:
    """One metric over the settings' date range for the projects, one line per repository
    or package (a table without data gives an empty chart)."""
    first, last = date_range(metric, snapshots, downloads) or (None, None)
    start, end = settings.start or first, settings.end or last
    result = compare(
        projects,
        metric,
        snapshots,
        downloads,
        start=pd.Timestamp(start) if start else None,
        end=pd.Timestamp(end) if end else None,
        relative=settings.relative,
    )
    period = f", {start:%Y-%m-%d} to {end:%Y-%m-%d}" if start and end else ""
    figure = series_chart(
        result.frame,
        f"{metric.label}{period}",
        f"{metric.label} (start = 100)" if settings.relative else metric.label,
        log_scale=settings.log_scale,
        markers=metric.table == "package_downloads",
        events=result.events,
    )
    chart = ChartView(metric.key, figure, result.frame.dropna(subset=["value"]))
    return CompareView(chart, result.resolution, result.missing)


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
