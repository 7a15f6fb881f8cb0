"""A project's PyPI side: downloads over time, releases, dependents and security scores.

Pure functions on the store's frames. Daily counts (pypistats.org, without mirrors) and monthly
windows (the top-PyPI archive and dump) are different series: both are shown per day so they
share an axis, and they are never added together, because they count over different windows
with different methods (mirrors, installers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from packaging.version import InvalidVersion, Version

from metrics.series import break_gaps, usable, with_rate

DAILY_LABEL = "daily (pypistats.org, without mirrors)"
MONTHLY_LABEL = "monthly window ÷ its days (top-PyPI)"
HISTORY_COLUMNS = ["date", "value", "series", "package", "kind"]
RELEASE_KINDS = ("major release", "release", "pre-release", "yanked")
MONTHLY_MAX_GAP_DAYS = 45  # a longer gap between monthly windows is a missing month


def download_history(downloads: pd.DataFrame, packages: Sequence[str]) -> pd.DataFrame:
    """Downloads per day for each package: one daily and one monthly series each.

    A day pypistats did not report is a missing value (a break in the line), never zero.
    """
    rows = usable(downloads[downloads["package"].isin(list(packages))])
    parts = []
    daily = rows[rows["series"] == "daily"]
    for package, mine in daily.groupby("package", sort=True):
        days = mine.set_index("period_end")["downloads"].astype("float64")
        days = days[~days.index.duplicated(keep="last")].sort_index()
        days = days.reindex(pd.date_range(days.index.min(), days.index.max(), freq="D"))
        parts.append(
            pd.DataFrame(
                {
                    "date": days.index,
                    "value": days.to_numpy(),
                    "series": f"{package}: {DAILY_LABEL}",
                    "package": package,
                    "kind": "daily",
                }
            )
        )
    monthly = with_rate(rows[rows["series"] == "monthly"])
    for package, mine in monthly.groupby("package", sort=True):
        mine = pd.DataFrame(
            {
                "date": mine["period_end"].to_numpy(),
                "value": mine["per_day"].to_numpy(),
                "series": f"{package}: {MONTHLY_LABEL}",
            }
        )
        mine = break_gaps(mine, "series", "date", MONTHLY_MAX_GAP_DAYS)
        parts.append(mine.assign(package=package, kind="monthly"))
    if not parts:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["date"] = pd.to_datetime(out["date"])
    return out[HISTORY_COLUMNS]


def window_days(downloads: pd.DataFrame, packages: Sequence[str], period_end: object) -> int | None:
    """The length in days of the packages' monthly window ending on `period_end` (the
    longest, should they differ); None when there is no such window. Windows run from 22 to
    31 days, so two windows' totals compare only per day."""
    if period_end is None or pd.isna(period_end):
        return None
    rows = usable(downloads[downloads["series"] == "monthly"])
    rows = rows[rows["package"].isin(list(packages)) & (rows["period_end"] == period_end)]
    return int(rows["window_days"].max()) if len(rows) else None


def release_timeline(releases: pd.DataFrame, packages: Sequence[str]) -> pd.DataFrame:
    """Every PyPI release of the packages with a date, each classified as one of
    RELEASE_KINDS: a 'major release' is the first final release of a new major version
    (1.0, 2.0.0, ...); yanked wins over pre-release, which wins over release."""
    mine = releases[
        (releases["subject_kind"] == "package") & releases["subject"].isin(list(packages))
    ]
    mine = mine.dropna(subset=["published_at"]).sort_values("published_at", kind="stable")
    mine = mine.reset_index(drop=True)
    columns = ["package", "version", "published_at", "major", "kind"]
    if mine.empty:
        return pd.DataFrame(columns=columns)
    parsed = mine["version"].map(_version)
    major = parsed.map(lambda v: v.major if v is not None else None)
    yanked = mine["yanked"].fillna(False).astype(bool)
    pre = mine["prerelease"].fillna(False).astype(bool)
    kind = pd.Series("release", index=mine.index)
    kind[pre] = "pre-release"
    kind[yanked] = "yanked"
    final = kind == "release"
    seen: set[tuple[str, int]] = set()
    for index, package, number in zip(
        mine.index[final], mine["subject"][final], major[final], strict=True
    ):
        if number is not None and number >= 1 and (package, number) not in seen:
            kind[index] = "major release"
        seen.add((package, number))
    return pd.DataFrame(
        {
            "package": mine["subject"],
            "version": mine["version"],
            "published_at": mine["published_at"],
            "major": major.astype("Int64"),
            "kind": kind,
        }
    ).reset_index(drop=True)[columns]


def latest_dependents(dependents: pd.DataFrame, packages: Sequence[str]) -> pd.DataFrame:
    """Each package's newest deps.dev observation (counts null where deps.dev had none)."""
    mine = dependents[dependents["package"].isin(list(packages))]
    return (
        mine.sort_values("date")
        .groupby("package", sort=True)
        .tail(1)
        .sort_values("package")
        .reset_index(drop=True)
    )


def latest_scorecards(scorecards: pd.DataFrame, repos: Sequence[str]) -> pd.DataFrame:
    """Each repository's newest Scorecard: the overall row first, then the checks by name."""
    mine = scorecards[scorecards["repo"].isin(list(repos))]
    if mine.empty:
        return mine.reset_index(drop=True)
    newest = mine.groupby("repo")["date"].transform("max")
    mine = mine[mine["date"] == newest]
    order = (mine["check"] != "overall").astype(int)
    return (
        mine.assign(_order=order)
        .sort_values(["repo", "_order", "check"])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


@dataclass(frozen=True)
class ShareGrowth:
    """How a project's share of the top list's downloads changed over about a year."""

    value: float | None  # share now ÷ share then − 1
    as_of: pd.Timestamp | None  # the latest window's last day
    note: str


def download_share_growth(
    downloads: pd.DataFrame,
    totals: pd.DataFrame,
    packages: Sequence[str],
    months: int = 12,
    tolerance_days: int = 20,
    shortest_months: int = 6,
) -> ShareGrowth:
    """The change in the packages' share of the top list's downloads between the latest
    monthly window and the earliest one counted the same way (same installers, same method)
    within the last `months` (but at least `shortest_months` before): every count moved when
    counting changed (2024-11, 2025-07), and not by the same factor for every package (the
    new method adds CI and mirror traffic unevenly), so neither counts nor shares are compared
    across a change. Missing, with a note, when no such window exists or a package is missing
    from one of the two windows."""
    monthly = downloads[(downloads["series"] == "monthly") & downloads["package"].isin(packages)]
    tops = totals[totals["series"] == "monthly"]
    if monthly.empty or tops.empty:
        return ShareGrowth(None, None, "no monthly downloads or top-list totals in the data")
    latest = monthly["period_end"].max()
    now = tops[tops["period_end"] == latest]
    if now.empty:
        return ShareGrowth(None, latest, "no top-list total for the latest window")
    method = (now["installers"].iloc[0], now["method"].iloc[0])
    same = tops[(tops["installers"] == method[0]) & (tops["method"] == method[1])]
    earliest = latest - pd.DateOffset(months=months) - pd.Timedelta(days=tolerance_days)
    latest_start = latest - pd.DateOffset(months=shortest_months)
    ends = sorted(e for e in same["period_end"].unique() if earliest <= e <= latest_start)
    if not ends:
        return ShareGrowth(
            None,
            latest,
            f"no window counted the same way {shortest_months} to {months} months earlier",
        )
    then = pd.Timestamp(ends[0])

    def share(end: pd.Timestamp) -> float | None:
        rows = monthly[monthly["period_end"] == end]
        total = tops.loc[tops["period_end"] == end, "downloads"]
        if total.empty or rows["package"].nunique() < len(set(packages)):
            return None
        return float(rows["downloads"].sum()) / float(total.iloc[0])

    now_share, then_share = share(latest), share(then)
    if now_share is None or then_share is None or then_share == 0:
        return ShareGrowth(None, latest, "a package is missing from one of the two windows")
    span = round((latest - then).days / 30.44)
    note = "" if span >= months else f"over {span} months: the window counted the same way"
    return ShareGrowth(now_share / then_share - 1, latest, note)
