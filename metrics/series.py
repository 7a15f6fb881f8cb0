"""Pure helpers on time series frames: usable rows, rates, indexing, gaps and thinning.

Definitions used across the pages:
- An observation is *usable* when its quality is 'ok', 'lower_bound' or 'partial'; anomalous,
  restricted, pending and missing rows never enter a chart or a figure.
- Download *rate* is downloads / window_days: windows of 22 to 31 days become comparable.
- An *indexed* series is 100 × value / (first value on or after the start day).
- *Aligned by age*: x is the whole days since the line's first observation (star-history's
  "timeline" mode), so lines of different ages start together at day 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

USABLE = ("ok", "lower_bound", "partial")
AGE = "age_days"


def usable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose value may be shown."""
    return frame[frame["quality"].isin(USABLE)]


def with_rate(downloads: pd.DataFrame) -> pd.DataFrame:
    """Adds `per_day`: downloads divided by the window length in days."""
    per_day = downloads["downloads"].astype("float64") / downloads["window_days"].astype("float64")
    return downloads.assign(per_day=per_day)


def indexed(frame: pd.DataFrame, value: str, by: str, x: str, start: pd.Timestamp) -> pd.DataFrame:
    """Each series as 100 × value / its first value on or after `start`.

    Series with no value on or after `start`, or whose base value is zero, are dropped:
    growth relative to nothing is not a number.
    """
    frame = frame[frame[x] >= start].sort_values([by, x])
    base = frame.groupby(by)[value].transform("first").astype("float64")
    out = frame.assign(**{value: 100.0 * frame[value].astype("float64") / base})
    return out[base.notna() & (base != 0)]


def aligned_by_age(
    frame: pd.DataFrame, by: str = "series", x: str = "date", first: pd.Series | None = None
) -> pd.DataFrame:
    """Adds `age_days`: whole days since each line's first observation (0 at its start).

    `first` (a date per line) says where each line starts when the frame holds only part of
    it (a date range); by default a line starts at its own first row. The blank rows that
    `break_gaps` puts inside a gap get an age too, so they still break the line.
    """
    if frame.empty:
        return frame.assign(**{AGE: pd.Series(dtype="int64")})
    starts = frame[by].map(first) if first is not None else frame.groupby(by)[x].transform("min")
    return frame.assign(**{AGE: (frame[x] - starts).dt.days.astype("int64")})


def break_gaps(frame: pd.DataFrame, by: str, x: str, max_gap_days: int) -> pd.DataFrame:
    """Insert an empty row inside each gap longer than `max_gap_days`, so lines break there.

    A missing observation means 'not known that day', so a chart must not draw a line
    across a long gap as if the value were known.
    """
    if frame.empty:
        return frame
    frame = frame.sort_values([by, x])
    step = frame.groupby(by)[x].diff()
    gaps = frame[step > pd.Timedelta(days=max_gap_days)]
    if gaps.empty:
        return frame.reset_index(drop=True)
    fillers = pd.DataFrame({by: gaps[by].to_numpy(), x: gaps[x].to_numpy() - pd.Timedelta(days=1)})
    out = pd.concat([frame, fillers], ignore_index=True)
    return out.sort_values([by, x], kind="stable").reset_index(drop=True)


def thin(frame: pd.DataFrame, by: str, x: str, max_points: int) -> tuple[pd.DataFrame, str | None]:
    """Keep the last observation per week (then per month) when there are too many points.

    Returns the frame and, when it was thinned, the resolution used ('weekly' or 'monthly'),
    so the page can say so. Figures stay under the payload budget whatever is selected.
    """
    if len(frame) <= max_points:
        return frame, None
    for label, freq in (("weekly", "W"), ("monthly", "M")):
        period = frame[x].dt.to_period(freq)
        thinned = frame.assign(_p=period).sort_values([by, x])
        thinned = thinned.drop_duplicates(subset=[by, "_p"], keep="last").drop(columns="_p")
        if len(thinned) <= max_points or label == "monthly":
            return thinned.reset_index(drop=True), label
    raise AssertionError("unreachable")


def value_on_or_before(
    frame: pd.DataFrame, by: str, x: str, value: str, when: pd.Timestamp, tolerance_days: int
) -> pd.Series:
    """Per series, the last value observed in [when - tolerance, when]; missing if none."""
    window = frame[(frame[x] <= when) & (frame[x] >= when - pd.Timedelta(days=tolerance_days))]
    last = window.sort_values(x).groupby(by).tail(1)
    return last.set_index(by)[value]


def relative_change(now: float | None, then: float | None) -> float:
    """now / then - 1, or NaN when either is missing or `then` is zero."""
    if now is None or then is None or pd.isna(now) or pd.isna(then) or then == 0:
        return np.nan
    return float(now) / float(then) - 1.0
