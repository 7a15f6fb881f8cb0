"""The Project page's views: one project's indicator table, and its stars, downloads,
releases and Scorecard checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from charts.labels import figure_text, percent
from charts.packages import release_timeline_chart, scorecard_chart
from claims.profile import project_profile
from metrics import packages
from metrics.compare import METRICS, compare, method_changes
from metrics.indicators import CATALOGUE
from metrics.series import relative_change
from registry import Project, Registry
from views.base import ChartView, series_chart

WINDOWED = "monthly_downloads"  # a count over a window of 22 to 31 days


def profile_table(
    project: Project,
    now: pd.DataFrame,
    before: pd.DataFrame,
    cohort_ids: Sequence[str],
    downloads: pd.DataFrame,
) -> pd.DataFrame:
    """`claims.profile.project_profile` with each figure in words (`value_shown`,
    `a_year_earlier_shown`, `change_shown`). Monthly downloads count over windows of 22 to
    31 days: both values name their window's length, and the change compares downloads per
    day (in per cent), never two totals over windows of different length."""
    profile = project_profile(project.id, now, before, cohort_ids)
    shown = {
        f"{column}_shown": [
            figure_text(value, unit, signed=column == "change")
            for value, unit in zip(profile[column], profile["unit"], strict=True)
        ]
        for column in ("value", "a_year_earlier", "change")
    }
    profile = profile.assign(**shown)
    at = profile.index[profile["indicator"] == CATALOGUE[WINDOWED].title]
    if len(at):
        mine = before[(before["project_id"] == project.id) & (before["indicator"] == WINDOWED)]
        then = mine["as_of"].iloc[0] if len(mine) else None
        row = profile.loc[at[0]].to_dict()
        days = (
            packages.window_days(downloads, project.packages, row["as_of"]),
            packages.window_days(downloads, project.packages, then),
        )
        update = _per_day(row, *days)
        profile.loc[at[0], list(update)] = list(update.values())
    return profile


def _per_day(row: dict, days_now: int | None, days_then: int | None) -> dict:
    """The monthly-downloads row's shown figures with their windows' lengths, and its change
    as the change in downloads per day."""
    now_shown, then_shown = row["value_shown"], row["a_year_earlier_shown"]
    change = float("nan")
    if days_now and now_shown:
        now_shown += f" in {days_now} days"
    if days_then and then_shown:
        then_shown += f" in {days_then} days"
    if days_now and days_then:
        change = relative_change(row["value"] / days_now, row["a_year_earlier"] / days_then)
    note = row["note"]
    if days_now and days_then and days_now != days_then and not note:
        note = f"windows of {days_now} and {days_then} days: the change compares downloads per day"
    return {
        "value_shown": now_shown,
        "a_year_earlier_shown": then_shown,
        "change": change,
        "change_shown": f"per day: {percent(change, signed=True)}" if pd.notna(change) else "",
        "note": note,
    }


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
    cards = packages.latest_scorecards(tables["scorecards"], project.main_repo_names)
    if cards["check"].ne("overall").any():
        figure = scorecard_chart(cards, f"{project.name}: OpenSSF Scorecard checks")
        out.append(ChartView(f"{project.id}-scorecard", figure, cards))
    return out


def default_views(registry: Registry, tables: Mapping[str, pd.DataFrame]) -> list[ChartView]:
    """Every tracked project's charts (the page shows one project, chosen in a select box)."""
    return [view for project in registry for view in project_views(project, tables)]
