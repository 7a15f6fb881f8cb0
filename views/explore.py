"""The Explore page's view: one metric for any archive repositories or packages beside
tracked projects, linear or log, absolute or indexed, by date or aligned by age, with a note
per line saying where its data ends and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from metrics.compare import method_changes
from metrics.explore import (
    DOWNLOADS,
    METRIC_LABELS,
    YEARLY_SUFFIX,
    DataEnd,
    chart_frame,
    data_end,
    download_lines,
    repo_line,
)
from metrics.series import AGE
from models.events import Event
from store.archive import ArchiveEntry
from views.base import ChartView, series_chart


@dataclass(frozen=True)
class ExploreSettings:
    """The page's settings; the defaults are the page's defaults."""

    metric: str = "stars"  # 'stars', 'forks', 'open_issues' or 'downloads'
    log_scale: bool = False
    relative: bool = False  # indexed: 100 × value / the line's first value
    aligned: bool = False  # x = days since the line's first observation


@dataclass(frozen=True, eq=False)
class Subject:
    """One repository or package to draw: its rows as the store's tables hold them
    (`repo_snapshots` or `package_downloads` columns) and where its data ends."""

    label: str
    kind: str  # 'repo' or 'package'
    rows: pd.DataFrame
    ends: list[DataEnd] = field(default_factory=list)
    origin: str = "archive"  # 'archive' or 'tracked'


@dataclass(frozen=True)
class ExploreView:
    chart: ChartView
    ends: list[DataEnd]  # one per line drawn, in the legend's order
    skipped: list[str]  # subjects without this metric, in words


def explore_view(subjects: list[Subject], settings: ExploreSettings) -> ExploreView:
    """The chart of `settings.metric` for the subjects that have it."""
    kind = "package" if settings.metric == DOWNLOADS else "repo"
    lines, ends, skipped = [], [], []
    for subject in subjects:
        if subject.kind != kind:
            what = "downloads" if kind == "package" else METRIC_LABELS[settings.metric].lower()
            noun = "repository" if subject.kind == "repo" else "package"
            skipped.append(f"{subject.label} is a {noun}: it has no {what}.")
            continue
        if kind == "repo":
            lines.append(repo_line(subject.rows, settings.metric, subject.label))
        else:
            lines.append(download_lines(subject.rows, subject.label))
        ends.extend(subject.ends)
    frame = chart_frame(lines, kind=kind, relative=settings.relative, aligned=settings.aligned)
    label = METRIC_LABELS[settings.metric]
    y_title = f"{label} (first = 100)" if settings.relative else label
    title = label + (" by age (days since first observation)" if settings.aligned else "")
    figure = series_chart(
        by_age(frame) if settings.aligned else frame,
        title,
        y_title,
        log_scale=settings.log_scale,
        markers=kind == "package",
        hover_format=",.1f" if settings.relative else ",.0f",
        x_title=AGE_AXIS if settings.aligned else None,
        events=counting_changes([s for s in subjects if s.kind == "package"])
        if kind == "package"
        else (),
    )
    data = frame.dropna(subset=["value"])
    if settings.aligned:
        data = data.drop(columns=["date"])
    shown = set(data["series"])
    return ExploreView(
        ChartView(f"explore-{settings.metric}", figure, data.reset_index(drop=True)),
        [e for e in ends if e.series in shown or e.reason in {"no data", "renamed"}],
        skipped,
    )


AGE_AXIS = "days since first observation"


def counting_changes(subjects: list[Subject]) -> list[Event]:
    """Where the download counting changed (2024-11: pip only to all installers; 2025-07:
    another source) in the packages' monthly windows: one marker per change, however many
    packages share it."""
    seen: dict[object, Event] = {}
    for subject in subjects:
        rows = subject.rows
        if rows.empty or not {"installers", "method", "period_end"} <= set(rows.columns):
            continue
        monthly = rows[rows["series"] == "monthly"] if "series" in rows else rows
        for event in method_changes(monthly):
            seen.setdefault((event.when, event.label), event)
    return sorted(seen.values(), key=lambda e: e.when)


def by_age(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame aligned by age (with `age_days`) as `series_chart` plots it: x = the age."""
    return frame.drop(columns="date").rename(columns={AGE: "date"})


ARCHIVE_NAMES = {"repo": "GitHub ranking archive", "package": "top-PyPI archive"}


def archive_subject(entry: ArchiveEntry, rows: pd.DataFrame, archive_end: date) -> Subject:
    """An archive series as a Subject, with where each of its lines ends and why."""
    name = ARCHIVE_NAMES[entry.kind]
    ends = []
    if entry.is_former_name:
        ends.append(
            data_end(
                entry.name,
                entry.kind,
                entry.last_seen,
                archive_end,
                archive_name=name,
                renamed_to=entry.series,
            )
        )
    if entry.kind == "repo":
        last = rows.loc[rows["quality"] == "ok", "date"].max() if len(rows) else None
        ends.append(_end(entry.series, "repo", last, archive_end, name))
    else:
        for series, label, yearly in (
            ("monthly", entry.series, False),
            ("yearly", entry.series + YEARLY_SUFFIX, True),
        ):
            part = rows[rows["series"] == series]
            if len(part) or not yearly:
                last = part["snapshot"].max() if len(part) else None
                ends.append(_end(label, "package", last, archive_end, name, yearly=yearly))
    return Subject(entry.series, entry.kind, rows, ends, "archive")


def tracked_subject(label: str, kind: str, rows: pd.DataFrame) -> Subject:
    """A tracked repository or package (the store's rows): its data ends at the last stored
    observation, and a refresh extends it."""
    column = "date" if kind == "repo" else "period_end"
    last = rows[column].max() if len(rows) else None
    if last is None or pd.isna(last):
        end = DataEnd(label, None, "no data", f"{label}: no stored data yet (tracked).")
    else:
        end = DataEnd(
            label,
            pd.Timestamp(last).date(),
            "last refresh",
            f"{label}: tracked; the last stored observation is {pd.Timestamp(last):%Y-%m-%d} "
            "(a refresh adds newer days).",
        )
    return Subject(label, kind, rows, [end], "tracked")


def _end(label, kind, last, archive_end, name, *, yearly=False) -> DataEnd:
    day = None if last is None or pd.isna(last) else pd.Timestamp(last).date()
    return data_end(label, kind, day, archive_end, archive_name=name, yearly=yearly)
