"""The Explore page's series: any archive repository or package beside the tracked ones.

Definitions (pure functions, frames in and out):
- A line is a long frame `date, series, value`; a missing day has no row (never a zero).
- Repository lines are the usable daily observations of one metric (stars, forks, open issues).
- Download lines are downloads / window_days (the per-day rate over each window), at the
  window's last day; 365-day windows are their own line ('· 365-day windows'), never mixed
  with the monthly ones.
- *Indexed*: 100 × value / the line's first value (lines whose first value is 0 are dropped).
- *Aligned by age*: metrics.series.aligned_by_age (days since the line's first observation).
- *Where the data ends*: the last observation, and why there is none after it: the archive
  ends there, the name left the top-N lists, or the name was renamed (its history continues
  under the new name).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from metrics.series import aligned_by_age, break_gaps, usable, with_rate

REPO_METRICS = {"stars": "Stars", "forks": "Forks", "open_issues": "Open issues + PRs"}
DOWNLOADS = "downloads"
METRIC_LABELS = {**REPO_METRICS, DOWNLOADS: "Downloads per day"}
YEARLY_SUFFIX = " · 365-day windows"
# lines break across longer gaps: days for daily repository rows, for monthly download rows
MAX_GAP_DAYS = {"repo": 7, "package": 45}


def repo_line(rows: pd.DataFrame, metric: str, label: str) -> pd.DataFrame:
    """One repository's daily `metric` as a line (anomalous one-day dips left out)."""
    rows = usable(rows).sort_values("date")
    return pd.DataFrame(
        {"date": rows["date"], "series": label, "value": rows[metric].astype("float64")}
    ).dropna(subset=["value"])


def download_lines(rows: pd.DataFrame, label: str) -> pd.DataFrame:
    """One package's downloads per day, at each window's last day: the monthly windows as
    `label`, the 365-day windows (if any) as `label · 365-day windows`."""
    rows = with_rate(usable(rows)).sort_values("period_end")
    series = rows["series"].map(lambda s: label if s == "monthly" else label + YEARLY_SUFFIX)
    return pd.DataFrame(
        {
            "date": rows["period_end"],
            "series": series.astype(object),
            "value": rows["per_day"].astype("float64"),
            "window_days": rows["window_days"].astype("int64"),
        }
    ).dropna(subset=["value"])


def indexed_from_first(frame: pd.DataFrame) -> pd.DataFrame:
    """Each line as 100 × value / its first value; lines starting at 0 are dropped."""
    if frame.empty:
        return frame
    frame = frame.sort_values(["series", "date"])
    base = frame.groupby("series")["value"].transform("first")
    out = frame.assign(value=100.0 * frame["value"] / base)
    return out[base.notna() & (base != 0)].reset_index(drop=True)


def chart_frame(
    lines: list[pd.DataFrame], *, kind: str, relative: bool, aligned: bool
) -> pd.DataFrame:
    """The lines as one long frame ready for a chart: indexed and/or aligned by age when
    asked, with a blank row inside each long gap so no line bridges it. With `aligned`,
    the x column is `age_days`, else `date`."""
    drawn = [f for f in lines if len(f)]  # a tracked project without data yet has no rows
    frame = pd.concat(drawn, ignore_index=True) if drawn else None
    if frame is None or frame.empty:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[s]"), "series": [], "value": []})
    if relative:
        frame = indexed_from_first(frame)
    frame = break_gaps(frame, "series", "date", MAX_GAP_DAYS[kind])
    if aligned:
        frame = aligned_by_age(frame)
    return frame.reset_index(drop=True)


@dataclass(frozen=True)
class DataEnd:
    """Where one line's data ends and why."""

    series: str
    last: date | None
    reason: str  # 'archive end', 'left the lists', 'renamed', 'series discontinued', 'no data'
    text: str


def data_end(
    series: str,
    kind: str,
    last: date | None,
    archive_end: date,
    *,
    archive_name: str,
    yearly: bool = False,
    renamed_to: str | None = None,
) -> DataEnd:
    """Why the line `series` has no data after `last`.

    `archive_end` is the archive's last day; a repository (kind 'repo') listed that day, or
    a package in the last snapshot, ends only because the archive does. `renamed_to` names
    the series a former name continues as; `yearly` marks a 365-day download line, whose
    source stopped in 2021-04.
    """
    if last is None:
        return DataEnd(series, None, "no data", f"{series}: no data in the {archive_name}.")
    day = f"{last:%Y-%m-%d}"
    if renamed_to:
        return DataEnd(
            series,
            last,
            "renamed",
            f"{series}: listed under this name until {day}, then renamed to {renamed_to} "
            "(the chart follows the new name).",
        )
    if last >= archive_end:
        return DataEnd(
            series,
            last,
            "archive end",
            f"{series}: ends {day}, the last day of the {archive_name}.",
        )
    if yearly:
        return DataEnd(
            series,
            last,
            "series discontinued",
            f"{series}: ends {day}; the archive's 365-day lists stopped after 2021-04-01.",
        )
    lists = "top-100 lists" if kind == "repo" else "top-N download lists"
    return DataEnd(
        series,
        last,
        "left the lists",
        f"{series}: last listed {day}; after that it was outside the archive's {lists} "
        f"(not zero: not counted). The {archive_name} runs to {archive_end:%Y-%m-%d}.",
    )
