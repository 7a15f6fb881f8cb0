"""How the open-source AI group compares with the cohort on one indicator, like with like.

All functions are pure: arrays in, numbers out; nothing here reads data or draws anything.
Definitions:

- *Raw ratio*: median of the group's values ÷ median of the cohort's values. It answers
  "how does a typical group project compare with a typical cohort project" and nothing more.
- *Size-adjusted ratio*: the group's ratio to the cohort at equal size. Large projects have
  more contributors, more releases and more of almost everything, so a group of large projects
  looks "ahead" of a cohort of small ones on a raw ratio without being ahead like for like.
  Fitted by ordinary least squares over both sides pooled,

      log(value + offset) = a + b·[is group] + c·log(size),

  and reported as exp(b): the ratio of (value + offset) between a group project and a cohort
  project of the same size (a ratio of geometric means at equal size; with errors symmetric
  on the log scale, also the ratio of medians). `offset` is 0 for indicators that are
  positive (hours to first response) and 1 for counts that can be 0 (releases), so that a
  zero can be logged; the ratio is then one of (value + 1), which pulls it towards 1 for
  small counts. *Size* is a measure of how big a project is that is not the indicator itself
  (e.g. contributors over all time).
- *Interval*: a 95 % bootstrap percentile interval. Each side is resampled on its own and
  keeps its size (stratified), so the group/cohort split is never blurred; for the adjusted
  ratio a project's value and size are resampled together, as one row.
- *Position*: from the size-adjusted interval only. Wholly above 1 is ahead (or behind, for
  an indicator where lower is better, such as hours to first response), wholly below 1 is
  the reverse, an interval that holds 1 is level, and no interval is insufficient data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

AHEAD = "ahead of"
LEVEL = "level with"
BEHIND = "behind"
UNDETERMINED = "insufficient data"

MIN_FIT_ROWS = 3  # per side: fewer rows cannot say anything about three coefficients

Values = np.ndarray | pd.Series | Sequence[float]


@dataclass(frozen=True)
class Effect:
    """The group against the cohort on one indicator; NaN where a figure cannot be computed."""

    raw: float  # median of group ÷ median of cohort
    raw_low: float  # bootstrap percentile interval of `raw`
    raw_high: float
    adjusted: float  # group ÷ cohort at equal size (see the module docstring)
    adjusted_low: float
    adjusted_high: float
    n_group: int  # values used on each side (the adjusted ratio may use fewer: see `note`)
    n_cohort: int
    position: str  # AHEAD, LEVEL, BEHIND or UNDETERMINED, read from the adjusted interval
    note: str  # why undetermined, or which values the adjusted ratio left out; else ""


def median_ratio(group: np.ndarray, cohort: np.ndarray) -> float:
    """median(group) ÷ median(cohort), missing values left out.

    NaN when either side has no values or the cohort's median is 0 (no ratio to speak of).
    """
    group = np.asarray(group, dtype="float64")
    cohort = np.asarray(cohort, dtype="float64")
    group = group[~np.isnan(group)]
    cohort = cohort[~np.isnan(cohort)]
    if len(group) == 0 or len(cohort) == 0:
        return np.nan
    below = float(np.median(cohort))
    if below == 0:
        return np.nan
    return float(np.median(group)) / below


def bootstrap_interval(
    statistic: Callable[..., float],
    samples: Sequence[np.ndarray],
    *,
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """The bootstrap percentile interval of `statistic(*samples)`.

    Each sample is resampled on its own, with replacement, keeping its length; a 2-D sample
    is resampled by rows, so the columns of one row (a project's value and size) stay
    together. Resamples whose statistic is NaN or infinite are dropped (e.g. a cohort median
    of 0); when fewer than half remain the interval is (NaN, NaN), as it is when a sample is
    empty. The same seed gives the same interval.

    Raises ValueError for a `level` outside (0, 1) or fewer than one resample.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    if resamples < 1:
        raise ValueError(f"at least one resample needed, not {resamples}")
    arrays = [np.asarray(sample) for sample in samples]
    if not arrays or any(len(a) == 0 for a in arrays):
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    results = np.empty(resamples, dtype="float64")
    for i in range(resamples):
        results[i] = statistic(*(a[rng.integers(0, len(a), len(a))] for a in arrays))
    return _percentiles(results, resamples, level)


def _floats(values: Values) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        return values.astype("float64", copy=False)  # the bootstrap's path: kept fast
    # through pandas so nullable columns (Int64 with <NA>, as metrics frames have) become NaN
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )


def _paired(values: Values, sizes: Values) -> tuple[np.ndarray, np.ndarray]:
    values, sizes = _floats(values), _floats(sizes)
    if len(values) != len(sizes):
        raise ValueError(f"{len(values)} values but {len(sizes)} sizes")
    return values, sizes


def _loggable(values: np.ndarray, sizes: np.ndarray, offset: float) -> np.ndarray:
    """Which rows can enter the log-log fit."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & np.isfinite(sizes) & (values + offset > 0) & (sizes > 0)


def size_adjusted_ratio(
    group_values: Values,
    group_sizes: Values,
    cohort_values: Values,
    cohort_sizes: Values,
    *,
    offset: float = 0.0,
) -> float:
    """The group's ratio of (value + offset) to the cohort's at equal size: exp(b) in
    log(value + offset) = a + b·[is group] + c·log(size), fitted by least squares.

    Rows with a missing value or size, a size <= 0 or value + offset <= 0 are left out.
    NaN when a side has fewer than 3 usable rows, or when size and side cannot be told apart
    (sizes constant within each side but different between them). Sizes all equal on both
    sides are fine: the fit is then a plain ratio of geometric means.

    Raises ValueError when a side has a different number of values and sizes.
    """
    g_values, g_sizes = _paired(group_values, group_sizes)
    c_values, c_sizes = _paired(cohort_values, cohort_sizes)
    g_keep = _loggable(g_values, g_sizes, offset)
    c_keep = _loggable(c_values, c_sizes, offset)
    if g_keep.sum() < MIN_FIT_ROWS or c_keep.sum() < MIN_FIT_ROWS:
        return np.nan
    outcome = np.log(np.concatenate([g_values[g_keep], c_values[c_keep]]) + offset)
    log_size = np.log(np.concatenate([g_sizes[g_keep], c_sizes[c_keep]]))
    is_group = np.concatenate([np.ones(g_keep.sum()), np.zeros(c_keep.sum())])
    columns = [np.ones_like(outcome), is_group]
    if np.ptp(log_size) > 0:
        # centred: the same b, a better-conditioned design
        columns.append(log_size - log_size.mean())
    design = np.column_stack(columns)
    coefficients, _, rank, _ = np.linalg.lstsq(design, outcome, rcond=None)
    if rank < design.shape[1]:
        return np.nan
    return float(np.exp(coefficients[1]))


# ----- the bootstrap, all resamples at once ----------------------------------------------
# `compare` resamples thousands of times for each of some twenty indicators whenever a page is
# first drawn: the same statistics as `median_ratio` and `size_adjusted_ratio`, computed for
# every resample in one array operation rather than one Python call each (tested to agree).


def _percentiles(results: np.ndarray, resamples: int, level: float) -> tuple[float, float]:
    """The percentile interval of resample statistics; NaN and infinite ones are dropped,
    and fewer than half left give (NaN, NaN)."""
    kept = results[np.isfinite(results)]
    if 2 * len(kept) < resamples:
        return np.nan, np.nan
    tail = (1 - level) / 2
    low, high = np.quantile(kept, [tail, 1 - tail])
    return float(low), float(high)


def _raw_resamples(group: np.ndarray, cohort: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """median_ratio of each resample of the two sides (each keeps its size)."""
    rng = np.random.default_rng(seed)
    g = group[rng.integers(0, len(group), (resamples, len(group)))]
    c = cohort[rng.integers(0, len(cohort), (resamples, len(cohort)))]
    below = np.median(c, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(below == 0, np.nan, np.median(g, axis=1) / below)


def _adjusted_resamples(
    group: np.ndarray, cohort: np.ndarray, offset: float, resamples: int, seed: int
) -> np.ndarray:
    """size_adjusted_ratio of each resample of (value, size) rows, by the normal equations of
    every resample's least-squares fit at once. A resample whose sizes do not vary fits the
    plain ratio of geometric means, as size_adjusted_ratio does; one where size and side
    cannot be told apart (sizes constant within each side, different between them) is NaN."""
    rng = np.random.default_rng(seed)
    g = group[rng.integers(0, len(group), (resamples, len(group)))]
    c = cohort[rng.integers(0, len(cohort), (resamples, len(cohort)))]
    rows = np.concatenate([g, c], axis=1)  # resamples x n x (value, size)
    y = np.log(rows[:, :, 0] + offset)
    size = np.log(rows[:, :, 1])
    size = size - size.mean(axis=1, keepdims=True)
    side = np.concatenate([np.ones(len(group)), np.zeros(len(cohort))])
    design = np.stack([np.ones_like(y), np.broadcast_to(side, y.shape), size], axis=2)
    gram = np.einsum("rni,rnj->rij", design, design)
    moment = np.einsum("rni,rn->ri", design, y)
    out = np.full(resamples, np.nan)
    varies = np.ptp(size, axis=1) > 0
    full = varies & (np.abs(np.linalg.det(gram)) > 1e-9 * np.maximum(1.0, gram[:, 2, 2] ** 2))
    if full.any():
        solved = np.linalg.solve(gram[full], moment[full][:, :, None])[:, :, 0]
        out[full] = np.exp(solved[:, 1])
    plain = ~varies
    if plain.any():
        n_g = len(group)
        out[plain] = np.exp(y[plain, :n_g].mean(axis=1) - y[plain, n_g:].mean(axis=1))
    return out


def _undetermined(n_group: int, n_cohort: int, note: str) -> Effect:
    nan = np.nan
    return Effect(nan, nan, nan, nan, nan, nan, n_group, n_cohort, UNDETERMINED, note)


def _position(low: float, high: float, higher_is_better: bool) -> str:
    if low > 1:
        return AHEAD if higher_is_better else BEHIND
    if high < 1:
        return BEHIND if higher_is_better else AHEAD
    return LEVEL


def _left_out(side: str, values: np.ndarray, sizes: np.ndarray, used: int) -> str:
    """E.g. '18 of 20 group values (2 without a size)'."""
    no_size = int(np.isnan(sizes).sum())
    other = len(values) - used - no_size
    reasons = [f"{no_size} without a size"] if no_size else []
    if other:
        reasons.append(f"{other} with a size or value that cannot be logged")
    head = f"{used} of {len(values)} {side} values"
    return f"{head} ({', '.join(reasons)})" if reasons else head


def compare(
    group_values: Values,
    group_sizes: Values,
    cohort_values: Values,
    cohort_sizes: Values,
    *,
    higher_is_better: bool,
    offset: float = 0.0,
    resamples: int = 2000,
    seed: int = 0,
    min_each: int = 5,
) -> Effect:
    """The raw and size-adjusted ratios of the group to the cohort, with intervals, and where
    the group stands, read from the size-adjusted interval (`higher_is_better` says which way
    is ahead).

    Values that are missing are left out; a value whose size is missing counts for the raw
    ratio only, and the note says how many the adjusted ratio left out. Fewer than `min_each`
    values on a side (for either ratio) leave the position undetermined, with a note.

    Raises ValueError when a side has a different number of values and sizes.
    """
    g_values, g_sizes = _paired(group_values, group_sizes)
    c_values, c_sizes = _paired(cohort_values, cohort_sizes)
    g_has, c_has = ~np.isnan(g_values), ~np.isnan(c_values)
    g_values, g_sizes = g_values[g_has], g_sizes[g_has]
    c_values, c_sizes = c_values[c_has], c_sizes[c_has]
    n_group, n_cohort = len(g_values), len(c_values)
    if n_group < min_each or n_cohort < min_each:
        return _undetermined(
            n_group,
            n_cohort,
            f"{n_group} group and {n_cohort} cohort values; at least {min_each} on each side"
            " needed",
        )

    raw = median_ratio(g_values, c_values)
    raw_low, raw_high = _percentiles(
        _raw_resamples(g_values, c_values, resamples, seed), resamples, 0.95
    )

    g_keep = _loggable(g_values, g_sizes, offset)
    c_keep = _loggable(c_values, c_sizes, offset)
    g_rows = np.column_stack([g_values[g_keep], g_sizes[g_keep]])
    c_rows = np.column_stack([c_values[c_keep], c_sizes[c_keep]])
    notes = []
    if len(g_rows) < n_group or len(c_rows) < n_cohort:
        notes.append(
            "size-adjusted ratio on "
            + _left_out("group", g_values, g_sizes, len(g_rows))
            + " and "
            + _left_out("cohort", c_values, c_sizes, len(c_rows))
        )

    def adjusted_of(group: np.ndarray, cohort: np.ndarray) -> float:
        return size_adjusted_ratio(
            group[:, 0], group[:, 1], cohort[:, 0], cohort[:, 1], offset=offset
        )

    adjusted = adjusted_low = adjusted_high = np.nan
    if len(g_rows) < min_each or len(c_rows) < min_each:
        notes.append(f"at least {min_each} values with a size needed on each side")
    else:
        adjusted = adjusted_of(g_rows, c_rows)
        if np.isnan(adjusted):
            notes.append("size does not tell the group from the cohort: no size-adjusted ratio")
        else:
            adjusted_low, adjusted_high = _percentiles(
                _adjusted_resamples(g_rows, c_rows, offset, resamples, seed), resamples, 0.95
            )
            if np.isnan(adjusted_low):
                notes.append("most resamples gave no size-adjusted ratio: no interval")
    if np.isnan(adjusted_low):
        position = UNDETERMINED
    else:
        position = _position(adjusted_low, adjusted_high, higher_is_better)
    return Effect(
        raw,
        raw_low,
        raw_high,
        adjusted,
        adjusted_low,
        adjusted_high,
        n_group,
        n_cohort,
        position,
        "; ".join(notes),
    )
