"""The Project page's views: one project's stars, downloads, releases and Scorecard checks."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from charts.packages import release_timeline_chart, scorecard_chart
from metrics import packages
from metrics.compare import METRICS, compare, method_changes
from registry import Project, Registry
from views.base import ChartView, series_chart


def project_views(project: Project, tables: Mapping[str, pd.DataFrame]) -> list[ChartView]:
    """One project's charts in page order ('<id>-stars', '-downloads', '-releases',
    '-scorecard'); those without data are left out. The page draws exactly these."""
    out = []
    stars = compare([project], METRICS["stars"], tables["repo_snapshots"], pd.DataFrame())
    if not stars.frame.empty:
        figure = series_chart(stars.frame, f"{project.name}: stars", "Stars", events=stars.events)
        out.append(ChartView(f"{project.id}-stars", figure, stars.frame.dropna(subset=["value"])))
    mine = tables["package_downloads"]
    mine = mine[mine["package"].isin(project.packages)]
    history = packages.download_history(mine, project.packages)
    if not history.empty:
        figure = series_chart(
            history,
            f"{project.name}: PyPI downloads per day",
            "Downloads per day",
            events=method_changes(mine[mine["series"] == "monthly"]),
        )
        data = history.dropna(subset=["value"])
        out.append(ChartView(f"{project.id}-downloads", figure, data))
    timeline = packages.release_timeline(tables["releases"], project.packages)
    if not timeline.empty:
        figure = release_timeline_chart(timeline, f"{project.name}: releases on PyPI")
        out.append(ChartView(f"{project.id}-releases", figure, timeline))
    cards = packages.latest_scorecards(tables["scorecards"], project.repo_names)
    if cards["check"].ne("overall").any():
        figure = scorecard_chart(cards, f"{project.name}: OpenSSF Scorecard checks")
        out.append(ChartView(f"{project.id}-scorecard", figure, cards))
    return out


def default_views(registry: Registry, tables: Mapping[str, pd.DataFrame]) -> list[ChartView]:
    """Every tracked project's charts (the page shows one project, chosen in a select box)."""
    return [view for project in registry for view in project_views(project, tables)]
