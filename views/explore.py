"""The Explore page's view: one metric for any archive repositories or packages beside
tracked projects, linear or log, absolute or indexed, by date or aligned by age, with a note
per line saying where its data ends and why."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from errors import StoreError
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
from views.methods import Block, Section


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


SEARCH_NEEDS_APP = (
    "Searching these names and charting any of them, beside the tracked projects, needs the "
    "dashboard itself (`./dev run`, then the Explore page): a static report cannot search. "
    "What follows is what Explore holds, and where each tracked project's repositories and "
    "packages appear in it."
)
ARCHIVE_COLUMNS = ["title", "url", "as_of", "coverage", "licence", "notes"]


def archive_summary(sources, counts) -> str:
    """What the archives hold and how old they are, in one paragraph (outside text: the
    manifest's titles and addresses are shown as written)."""
    repo, package = sources["repo"], sources["package"]
    return (
        f"{counts['repository_names']:,} repository names ({counts['repository_series']:,} "
        f"series once renames and case variants are joined) from the {ARCHIVE_NAMES['repo']} "
        f"({repo.url}, daily to {repo.as_of:%Y-%m-%d}) and {counts['packages']:,} packages "
        f"from the {ARCHIVE_NAMES['package']} ({package.url}, to {package.as_of:%Y-%m-%d}). "
        "A name appears only while it is in the archive's top lists: a missing day is "
        "unknown, never zero."
    )


def tracked_in_archive(registry, archive) -> pd.DataFrame:
    """Each tracked project's repositories and packages as the archive holds them: the span
    of its series (every former name included), the names it was listed under, and its
    latest value (stars, or downloads per day); a name the archive never listed says so.
    Raises StoreError when the archive cannot be read."""
    rows = []
    for project in registry:
        for kind, names in (("repo", project.repo_names), ("package", project.packages)):
            for name in names:
                entry = archive.entry(name, kind)
                row = {"project": project.name, "archive": ARCHIVE_NAMES[kind], "name": name}
                if entry is None:
                    rows.append({**row, "in_archive": "never listed"})
                    continue
                listed = archive.names_of(entry)["name"]
                rows.append(
                    {
                        **row,
                        "in_archive": f"{entry.series_first:%Y-%m-%d} to "
                        f"{entry.series_last:%Y-%m-%d}",
                        "listed_as": "; ".join(listed) if len(listed) > 1 else "",
                        "latest": entry.latest,
                        "latest_is": "stars" if kind == "repo" else "downloads per day",
                    }
                )
    columns = ["project", "archive", "name", "in_archive", "listed_as", "latest", "latest_is"]
    return pd.DataFrame(rows).reindex(columns=columns)


def explore_sections(archive, registry) -> list[Section]:
    """The Explore page as a static report can show it: what the archives hold (their
    sources, as-of days, licences, how many names), that searching needs the app, and the
    tracked projects' place in the archives. An archive that cannot be read is said so."""
    try:
        sources, counts = archive.sources(), archive.manifest()["counts"]
        tracked = tracked_in_archive(registry, archive)
    except StoreError as exc:
        said = (
            "The embedded archive cannot be read, so Explore can chart only tracked "
            f"projects: {exc}"
        )
        return [Section("What Explore holds", "archives", [Block("text", said)])]
    listed = pd.DataFrame(
        [{"archive": ARCHIVE_NAMES[k], **dataclasses.asdict(s)} for k, s in sorted(sources.items())]
    )
    return [
        Section(
            "What Explore holds",
            "archives",
            [
                Block("text", archive_summary(sources, counts)),
                Block("markdown", SEARCH_NEEDS_APP),
                Block("table", table=listed[["archive", *ARCHIVE_COLUMNS]]),
            ],
        ),
        Section(
            "The tracked projects in the archives",
            "tracked",
            [
                Block(
                    "markdown",
                    "Each tracked repository and package: the days its series spans in the "
                    "archive (former names and case variants joined), the names it was listed "
                    "under, and its value on the last of those days. Explore charts these "
                    "series whole; the Compare and Projects pages draw the tracked projects' "
                    "stored history.",
                ),
                Block("table", table=tracked),
            ],
        ),
    ]
