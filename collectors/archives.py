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
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from errors import SourceError
from registry.names import PYPI_SEPARATORS

# the PyPI archive's methodology boundaries (store.archive: the Data page's caveats read them)
from store.archive import CLICKHOUSE_FROM, PIP_ONLY_UNTIL
from store.schema import (
    DOWNLOAD_TOTALS,
    PACKAGE_DOWNLOADS,
    REPO_SNAPSHOTS,
    REPOSITORIES,
    SOURCE_DAYS,
)

RANKING_DAILY = "github-ranking-daily.csv.gz"
RANKING_REPOS = "github-ranking-repos.csv.gz"
PYPI_MONTHLY = "pypi-top-downloads-monthly.csv.gz"

RANKING_SOURCE = "archive:EvanLi/Github-Ranking@1f3e170"
PYPI_SOURCE = "archive:hugovk/top-pypi-packages@5501c5c"

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


TOP_N = 4000  # every monthly snapshot of the archive lists at least this many packages


def download_totals(downloads: pd.DataFrame, top_n: int = TOP_N) -> pd.DataFrame:
    """`download_totals` rows: per snapshot and series, the `top_n` largest `downloads`
    (from `pypi_downloads`) added up; a snapshot with fewer packages gives no row."""
    if downloads.empty:
        return DOWNLOAD_TOTALS.empty()
    keys = [
        "series",
        "period_start",
        "period_end",
        "window_days",
        "installers",
        "method",
        "source",
        "fetched_at",
    ]
    rows = []
    for key, part in downloads.groupby(keys, sort=True):
        if len(part) < top_n:
            continue
        top = part["downloads"].astype("float64").nlargest(top_n)
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "top_n": top_n,
                "downloads": int(top.sum()),
                "quality": "ok",
            }
        )
    return DOWNLOAD_TOTALS.conform(pd.DataFrame(rows))


# ----- the whole archive, for the Explore page ---------------------------------------------

# Archive evidence for a rename (GitHub's 301s are not available offline): name A is last
# listed on day d, name B is first listed within RENAME_MAX_GAP_DAYS after d, and B's first
# stars and forks continue A's last ones. See `detected_renames`.
RENAME_MAX_GAP_DAYS = 31


def name_spans(daily: pd.DataFrame) -> pd.DataFrame:
    """One row per archive spelling: first/last day listed and the stars, forks and language
    on those days (input rows in any order)."""
    ordered = daily.sort_values(["repo", "date"], kind="stable")
    by_name = ordered.groupby("repo", sort=True)
    first, last = by_name.head(1).set_index("repo"), by_name.tail(1).set_index("repo")
    before = by_name.nth(-2).set_index("repo").reindex(last.index)
    days = (last["date"] - before["date"]).dt.days
    return pd.DataFrame(
        {
            "first_seen": first["date"],
            "last_seen": last["date"],
            "first_stars": first["stars"],
            "first_forks": first["forks"],
            "last_stars": last["stars"],
            "last_forks": last["forks"],
            # growth a day over the last two observations (0 when falling or unknown)
            "stars_rate": ((last["stars"] - before["stars"]) / days).clip(lower=0).fillna(0.0),
            "forks_rate": ((last["forks"] - before["forks"]) / days).clip(lower=0).fillna(0.0),
            "language": last["language"],
        }
    ).rename_axis("repo")


def detected_renames(spans: pd.DataFrame) -> pd.DataFrame:
    """Pairs (former, current) whose archive evidence says one repository changed its name.

    B continues A when A is last listed before B is first listed, at most
    RENAME_MAX_GAP_DAYS apart, B's first forks are A's last forks within max(2, 1%) and B's
    first stars are A's last within -max(5, 0.5%)..+max(5, 2%), plus, upwards, 1.5 times A's
    own growth a day (over its last two observations) for each day between, and the owner or the
    repository part of the name stays the same (case-insensitive). Moves to both a new owner
    and a new name need stricter evidence: at most 3 days apart, at least 5,000 stars, the
    same language, forks within -max(1, 0.1%)..+max(2, 0.5%) and stars within
    -max(2, 0.1%)..+0.4% a day. Each name continues at most one other (the nearest in time).
    """
    spans = spans.reset_index()
    spans["key"] = spans["repo"].str.lower()
    a = spans.sort_values("last_seen", kind="stable").drop_duplicates("key", keep="last")
    a = a.sort_values("last_seen", kind="stable").reset_index(drop=True)
    b = spans.sort_values("first_seen", kind="stable").drop_duplicates("key", keep="first")
    b = b.reset_index(drop=True)
    ends = a["last_seen"].to_numpy()
    starts = b["first_seen"].to_numpy()
    lo = np.searchsorted(ends, starts - np.timedelta64(RENAME_MAX_GAP_DAYS, "D"))
    hi = np.searchsorted(ends, starts)  # strictly before B's first day
    count = hi - lo
    ib = np.repeat(np.arange(len(b)), count)
    ia = np.repeat(lo, count) + (
        np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    )
    # numbers first (cheap, on every candidate pair), names only for the few that pass
    forks = a["last_forks"].to_numpy("float64")[ia]
    stars = a["last_stars"].to_numpy("float64")[ia]
    d_forks = b["first_forks"].to_numpy("float64")[ib] - forks
    d_stars = b["first_stars"].to_numpy("float64")[ib] - stars
    gap = (starts[ib] - ends[ia]).astype("timedelta64[D]").astype("int64")
    # A's own growth over the gap is allowed on top (a viral repository grows fast)
    grown_stars = 1.5 * gap * a["stars_rate"].to_numpy("float64")[ia]
    grown_forks = 1.5 * gap * a["forks_rate"].to_numpy("float64")[ia]
    close = (
        (d_forks >= -np.maximum(2, 0.01 * forks))
        & (d_forks <= np.maximum(2, 0.01 * forks) + grown_forks)
        & (d_stars >= -np.maximum(5, 0.005 * stars))
        & (d_stars <= np.maximum(5, 0.02 * stars) + grown_stars)
    )
    ia, ib, forks, stars, d_forks, d_stars, gap = (
        v[close] for v in (ia, ib, forks, stars, d_forks, d_stars, gap)
    )
    key_a, key_b = a["key"].to_numpy(object)[ia], b["key"].to_numpy(object)[ib]
    owner_a, name_a = _split(key_a)
    owner_b, name_b = _split(key_b)
    language = a["language"].fillna("").to_numpy(object)[ia]
    strict = (
        (gap <= 3)
        & (stars >= 5000)
        & (language != "")
        & (language == b["language"].fillna("").to_numpy(object)[ib])
        & (d_forks >= -np.maximum(1, 0.001 * forks))
        & (d_forks <= np.maximum(2, 0.005 * forks))
        & (d_stars >= -np.maximum(2, 0.001 * stars))
        & (d_stars <= 0.004 * gap * stars)
    )
    same = (owner_a == owner_b) | (name_a == name_b)
    keep = (key_a != key_b) & (same | strict)
    pairs = pd.DataFrame({"former": key_a, "current": key_b, "gap": gap})[keep]
    pairs = pairs.sort_values(["former", "gap", "current"]).drop_duplicates("former")
    pairs = pairs.sort_values(["current", "gap", "former"]).drop_duplicates("current")
    return pairs[["former", "current"]].sort_values("former").reset_index(drop=True)


def _split(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    parts = pd.Series(keys, dtype=object).str.partition("/")
    return parts[0].to_numpy(object), parts[2].to_numpy(object)


def series_aliases(
    spans: pd.DataFrame, renames: pd.DataFrame, registry_aliases: dict[str, str]
) -> dict[str, str]:
    """Every case-folded archive name -> its series name: the registry's name for a tracked
    repository, else the latest spelling of the last name in its chain of renames."""
    keys = spans.index.str.lower()
    order = spans.sort_values("last_seen", kind="stable").index
    latest = dict(zip(order.str.lower(), order, strict=True))
    following = dict(zip(renames["former"], renames["current"], strict=True))
    out = {}
    for key in sorted(set(keys)):
        end, seen = key, {key}
        while end in following and following[end] not in seen:
            end = following[end]
            seen.add(end)
        tracked = next((registry_aliases[k] for k in seen if k in registry_aliases), None)
        out[key] = tracked or latest[end]
    return out


def archive_series(daily: pd.DataFrame, aliases: dict[str, str]) -> pd.DataFrame:
    """Archive rows -> one row per (series, date): repo, date, stars, forks, open_issues,
    listed_as and `anomalous` (a one-observation dip, see `ranking_snapshots`)."""
    frame = pd.DataFrame(
        {
            "repo": daily["repo"].str.lower().map(aliases).astype("string"),
            "date": daily["date"],
            "stars": daily["stars"],
            "forks": daily["forks"],
            "open_issues": daily["open_issues"],
            "listed_as": daily["repo"],
        }
    )
    frame = frame.sort_values(["repo", "date", "stars"], kind="stable")
    frame = frame.drop_duplicates(subset=["repo", "date"], keep="last")
    return frame.assign(anomalous=_one_day_dips(frame)).reset_index(drop=True)
