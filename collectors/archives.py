"""Collector for the two public archives shipped in `shared/datasets/`.

- EvanLi/Github-Ranking: daily top-100 lists per language, 2018-12 -> 2026-08.
- hugovk/top-pypi-packages: monthly (and, until 2021, yearly) top-N download counts.

`read_*` functions are the only I/O; the pure helpers below them turn the archives' rows into
the store's tables, handling the archives' documented caveats (see shared/datasets/README.md):
top-N truncation (absence is missing, never zero), renames and case variants (joined into one
series), one-day anomalous dips (kept but flagged), varying download windows (each row keeps
its own window and exact period), and the pip-only -> all-installers and BigQuery ->
ClickHouse changes (recorded per row in `installers` and `method`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from errors import SourceError
from registry.names import PYPI_SEPARATORS
from store.schema import PACKAGE_DOWNLOADS, REPO_SNAPSHOTS, REPOSITORIES, SOURCE_DAYS

RANKING_DAILY = "github-ranking-daily.csv.gz"
RANKING_REPOS = "github-ranking-repos.csv.gz"
PYPI_MONTHLY = "pypi-top-downloads-monthly.csv.gz"

RANKING_SOURCE = "archive:EvanLi/Github-Ranking@1f3e170"
PYPI_SOURCE = "archive:hugovk/top-pypi-packages@5501c5c"

# Methodology boundaries of the PyPI archive (shared/datasets/README.md, caveat 7).
PIP_ONLY_UNTIL = date(2024, 11, 1)  # snapshots up to this day count pip downloads only
CLICKHOUSE_FROM = date(2025, 7, 5)  # snapshots from this day count calendar months

# A value below this share of both neighbours, for one observation, is an archive glitch.
DIP_RATIO = 0.9


@dataclass(frozen=True)
class ArchiveInfo:
    """What the Data page says about each archive (from shared/datasets/README.md)."""

    source: str
    title: str
    url: str
    revision: str
    licence: str
    coverage: str
    notes: str


RANKING_INFO = ArchiveInfo(
    source=RANKING_SOURCE,
    title="GitHub ranking archive (daily top-100 repositories per language)",
    url="https://github.com/EvanLi/Github-Ranking",
    revision="1f3e1701525143b5ac563105153e380610d1ad53",
    licence=(
        "MIT License, Copyright (c) 2018 Evan Li; descriptions belong to each repository's owners"
    ),
    coverage="2018-12-18 to 2026-08-22, 2,522 days; stars, forks, open issues of listed repos",
    notes=(
        "A repository appears only on days it is in a top-100 list, so absence means "
        "'not listed', never zero. 283 days are missing (two gaps of about 76 days: "
        "2021-10/12 and 2024-10/2025-01). "
        "Some days' lists were wrong (anomalous search results). Renamed repositories start a new "
        "name; this dashboard joins known renames and case variants. Jupyter Notebook repositories "
        "are not tracked by the archive."
    ),
)

PYPI_INFO = ArchiveInfo(
    source=PYPI_SOURCE,
    title="Top PyPI packages archive (monthly download counts)",
    url="https://github.com/hugovk/top-pypi-packages",
    revision="5501c5c934df26d6f01fb1ca810845db02111c7d",
    licence="No licence stated in the repository; counts come from PyPI's public download data",
    coverage="2018-01 to 2026-04, 260 snapshots of the top 4,000-15,000 packages",
    notes=(
        "Only the top N packages per snapshot (absence means below the cut-off, not zero). "
        "Until 2024-11-01 only pip downloads were counted, all installers after; windows "
        "shrank from 30 to 22 days in 2024-12..2025-06; from 2025-07 each value is a calendar "
        "month (ClickHouse). The 365-day series ended in 2021-04. Compare daily rates, and not "
        "across the 2024-11 change."
    ),
)


# ----- I/O ---------------------------------------------------------------------------------


def read_ranking_daily(folder: Path) -> pd.DataFrame:
    """The raw daily ranking rows. Raises SourceError if the file is missing or malformed."""
    return _read_csv(
        folder / RANKING_DAILY,
        {
            "date": pa.date32(),
            "repo": pa.string(),
            "stars": pa.int64(),
            "forks": pa.int64(),
            "open_issues": pa.int64(),
            "language": pa.string(),
            "last_commit": pa.string(),
        },
    )


def read_ranking_repos(folder: Path) -> pd.DataFrame:
    """The raw per-repository summary (first/last seen, description)."""
    return _read_csv(
        folder / RANKING_REPOS,
        {
            "repo": pa.string(),
            "first_seen": pa.date32(),
            "last_seen": pa.date32(),
            "days_seen": pa.int64(),
            "latest_stars": pa.int64(),
            "latest_forks": pa.int64(),
            "language": pa.string(),
            "description": pa.string(),
        },
    )


def read_pypi_monthly(folder: Path) -> pd.DataFrame:
    """The raw PyPI top-downloads rows."""
    return _read_csv(
        folder / PYPI_MONTHLY,
        {
            "snapshot_date": pa.date32(),
            "window_days": pa.int64(),
            "project": pa.string(),
            "download_count": pa.int64(),
        },
    )


def _read_csv(path: Path, columns: dict[str, pa.DataType]) -> pd.DataFrame:
    if not path.is_file():
        raise SourceError(str(path), "archive file not found (see shared/datasets/README.md)")
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types=columns, include_columns=list(columns), strings_can_be_null=False
            ),
        )
    except (pa.ArrowException, OSError) as exc:
        raise SourceError(str(path), f"cannot be read as the documented CSV ({exc})") from None
    frame = table.to_pandas()
    for name, kind in columns.items():
        if kind == pa.date32():
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[s]")
    return frame


# ----- pure helpers -------------------------------------------------------------------------


def latest_spelling(daily: pd.DataFrame) -> dict[str, str]:
    """Case-folded name -> the spelling used on the latest day it was listed.

    GitHub names are case-insensitive, so case variants are one repository.
    """
    ordered = daily[["repo", "date"]].sort_values("date", kind="stable")
    return dict(zip(ordered["repo"].str.lower(), ordered["repo"], strict=True))


def series_names(names: pd.Series, daily: pd.DataFrame, aliases: dict[str, str]) -> pd.Series:
    """Each archive name -> its series name: a registry alias, else the latest spelling."""
    keys = names.str.lower()
    spelling = latest_spelling(daily)
    return keys.map(lambda k: aliases.get(k) or spelling.get(k)).astype("string")


def ranking_snapshots(
    daily: pd.DataFrame, aliases: dict[str, str], fetched_note: str = RANKING_SOURCE
) -> pd.DataFrame:
    """Archive rows -> `repo_snapshots` rows: one series per repository across renames.

    Rows of the same repository under two names on one day (never seen in this archive, but
    possible after a rename) keep the higher star count, the archive's own dedup rule.
    One-observation dips below DIP_RATIO of both neighbours are flagged 'anomalous'.
    """
    if daily.empty:
        return REPO_SNAPSHOTS.empty()
    frame = pd.DataFrame(
        {
            "repo": series_names(daily["repo"], daily, aliases),
            "date": daily["date"],
            "stars": daily["stars"],
            "forks": daily["forks"],
            "open_issues": daily["open_issues"],
            "listed_as": daily["repo"],
        }
    )
    frame = frame.sort_values(["repo", "date", "stars"], kind="stable")
    frame = frame.drop_duplicates(subset=["repo", "date"], keep="last")
    frame["quality"] = np.where(_one_day_dips(frame), "anomalous", "ok")
    pushed = pd.to_datetime(daily.loc[frame.index, "last_commit"], utc=True, errors="coerce")
    out = pd.DataFrame(
        {
            "repo": frame["repo"],
            "date": frame["date"],
            "stars": frame["stars"],
            "forks": frame["forks"],
            "open_issues": frame["open_issues"],
            "pushed_at": pushed,
            "listed_as": frame["listed_as"],
            "source": fetched_note,
            # The archive was collected once a day; the exact time of day is not recorded.
            "fetched_at": pd.to_datetime(frame["date"]).dt.tz_localize("UTC"),
            "quality": frame["quality"],
        }
    )
    # what the archive does not have (open PRs, watchers, licence, ...) is null, never 0
    return REPO_SNAPSHOTS.conform(REPO_SNAPSHOTS.widen(out.reset_index(drop=True)))


def _one_day_dips(frame: pd.DataFrame) -> pd.Series:
    """True where stars fall below DIP_RATIO of both the previous and the next observation."""
    by_repo = frame.groupby("repo", sort=False)["stars"]
    before, after = by_repo.shift(1), by_repo.shift(-1)
    return (frame["stars"] < DIP_RATIO * before) & (frame["stars"] < DIP_RATIO * after)


def source_days(days: pd.Series, source: str) -> pd.DataFrame:
    """`source_days` rows: every day an archive has data for."""
    days = pd.Series(sorted(pd.to_datetime(days).unique()))
    out = pd.DataFrame(
        {
            "date": days,
            "source": source,
            "fetched_at": pd.to_datetime(days).dt.tz_localize("UTC"),
            "quality": "ok",
        }
    )
    return SOURCE_DAYS.conform(out)


def ranking_repositories(
    repos: pd.DataFrame, daily_names: pd.DataFrame, aliases: dict[str, str]
) -> pd.DataFrame:
    """`repositories` rows for the given series: the description of the latest spelling."""
    repos = repos.assign(series=series_names(repos["repo"], daily_names, aliases))
    repos = repos.dropna(subset=["series"]).sort_values("last_seen")
    repos = repos.drop_duplicates(subset=["series"], keep="last")
    out = pd.DataFrame(
        {
            "repo": repos["series"],
            "description": repos["description"].replace("", pd.NA),
            "language": repos["language"].replace("", pd.NA),
            "homepage": pd.NA,
            "created_at": pd.NaT,
            "source": RANKING_SOURCE,
            "fetched_at": pd.to_datetime(repos["last_seen"]).dt.tz_localize("UTC"),
            "quality": "ok",
        }
    )
    return REPOSITORIES.conform(out.reset_index(drop=True))


def pypi_downloads(raw: pd.DataFrame, source: str = PYPI_SOURCE) -> pd.DataFrame:
    """Top-PyPI rows -> `package_downloads` rows with the exact period each value counts.

    BigQuery snapshots (before CLICKHOUSE_FROM) count the `window_days` days up to the day
    before the snapshot. ClickHouse snapshots count the previous calendar month.
    """
    if raw.empty:
        return PACKAGE_DOWNLOADS.empty()
    snap = pd.to_datetime(raw["snapshot_date"])
    window = raw["window_days"].astype("int64")
    clickhouse = snap >= pd.Timestamp(CLICKHOUSE_FROM)
    month_end = snap.dt.to_period("M").dt.start_time - pd.Timedelta(days=1)
    period_end = snap.where(clickhouse, snap - pd.Timedelta(days=1))
    period_end = period_end.where(~clickhouse, month_end)
    period_start = period_end - pd.to_timedelta(window - 1, unit="D")
    out = pd.DataFrame(
        {
            "package": raw["project"].str.replace(PYPI_SEPARATORS, "-", regex=True).str.lower(),
            "series": np.where(window >= 365, "yearly", "monthly"),
            "period_start": period_start,
            "period_end": period_end,
            "window_days": window,
            "downloads": raw["download_count"],
            "installers": np.where(snap <= pd.Timestamp(PIP_ONLY_UNTIL), "pip", "all"),
            "method": np.where(clickhouse, "clickhouse", "bigquery-pypinfo"),
            "source": source,
            "fetched_at": snap.dt.tz_localize("UTC"),
            "quality": "ok",
        }
    )
    out = out.sort_values(["package", "series", "period_end", "downloads"], kind="stable")
    out = out.drop_duplicates(
        subset=["package", "series", "period_start", "period_end"], keep="last"
    )
    return PACKAGE_DOWNLOADS.conform(out.reset_index(drop=True))
