"""The comparison statistics checked on constructed data whose answers are known by hand.

The compare tests build the group from the cohort's own (size, value) rows: the same noise,
sizes or values scaled by a known factor. The size-adjusted ratio is then known exactly
(the fitted slope is the same on both sides), and only the intervals depend on the noise.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from metrics.stats import (
    AHEAD,
    BEHIND,
    LEVEL,
    UNDETERMINED,
    bootstrap_interval,
    compare,
    median_ratio,
    size_adjusted_ratio,
)

RESAMPLES = 400  # enough for stable intervals here, few enough to keep the file fast


def cohort_rows(n: int = 30, sigma: float = 0.2, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Sizes spread over a decade (5..50), value = 2·size times log-normal noise."""
    rng = np.random.default_rng(seed)
    sizes = np.exp(rng.uniform(math.log(5), math.log(50), n))
    return 2 * sizes * np.exp(rng.normal(0, sigma, n)), sizes


# median_ratio


def test_median_ratio_divides_the_medians():
    # medians 2.5 (of 1, 2, 3, 10) and 5 (of 1, 5, 100)
    assert median_ratio(np.array([1, 2, 3, 10]), np.array([1, 5, 100])) == 0.5
    assert median_ratio(np.array([6.0]), np.array([4.0])) == 1.5


def test_median_ratio_leaves_missing_values_out():
    assert median_ratio(np.array([1, np.nan, 3]), np.array([4, np.nan])) == 0.5


def test_median_ratio_is_nan_without_values_or_with_a_zero_cohort_median():
    assert math.isnan(median_ratio(np.array([]), np.array([1.0])))
    assert math.isnan(median_ratio(np.array([1.0]), np.array([])))
    assert math.isnan(median_ratio(np.array([1.0]), np.array([np.nan])))
    assert math.isnan(median_ratio(np.array([1.0]), np.array([0, 0, 1])))


# bootstrap_interval


def test_bootstrap_interval_of_a_constant_is_the_constant():
    assert bootstrap_interval(np.median, [np.full(10, 4.2)], resamples=200) == (4.2, 4.2)
    pair = [np.full(7, 6.0), np.full(12, 2.0)]
    assert bootstrap_interval(median_ratio, pair, resamples=200) == (3.0, 3.0)


def test_bootstrap_interval_holds_the_mean_and_narrows_with_more_data():
    small = 10 + np.linspace(-1, 1, 21)  # symmetric about 10
    large = 10 + np.linspace(-1, 1, 401)
    low_s, high_s = bootstrap_interval(np.mean, [small], resamples=1000)
    low_l, high_l = bootstrap_interval(np.mean, [large], resamples=1000)
    assert low_s < 10 < high_s
    assert low_l < 10 < high_l
    # the width shrinks as 1/sqrt(n): sqrt(401 / 21) = 4.37
    assert 3.5 < (high_s - low_s) / (high_l - low_l) < 5.5
    # and is about 2·1.96·sd/sqrt(n) = 3.92·0.606/sqrt(21) = 0.518 (a 90 % one: 0.435)
    assert high_s - low_s == pytest.approx(0.518, abs=0.03)


def test_bootstrap_interval_is_fixed_by_its_seed():
    sample = [np.arange(30.0)]
    first = bootstrap_interval(np.mean, sample, resamples=300, seed=1)
    assert bootstrap_interval(np.mean, sample, resamples=300, seed=1) == first
    assert bootstrap_interval(np.mean, sample, resamples=300, seed=2) != first


def test_bootstrap_keeps_the_rows_of_a_paired_sample_together():
    # rows (x, x): the difference of the columns is 0 in every resample that keeps rows
    # whole, and almost never 0 in one that draws the columns apart
    rows = np.column_stack([np.arange(20.0), np.arange(20.0)])
    assert bootstrap_interval(
        lambda r: float(np.mean(r[:, 0] - r[:, 1])), [rows], resamples=300
    ) == (0.0, 0.0)


def test_bootstrap_keeps_each_sample_its_size():
    def sizes(a: np.ndarray, b: np.ndarray) -> float:
        return 1000.0 * len(a) + len(b)

    assert bootstrap_interval(sizes, [np.zeros(7), np.zeros((3, 2))], resamples=50) == (
        7003.0,
        7003.0,
    )


def test_bootstrap_drops_resamples_without_a_statistic():
    # from (0, 1): a quarter of resamples are (0, 0), whose statistic is infinite and
    # dropped; of the rest, two thirds have mean 0.5 and one third mean 1.0
    def mean_unless_zero(a: np.ndarray) -> float:
        return math.inf if a.sum() == 0 else float(a.mean())

    assert bootstrap_interval(mean_unless_zero, [np.array([0.0, 1.0])], resamples=400) == (
        0.5,
        1.0,
    )


def test_bootstrap_gives_no_interval_when_most_resamples_have_no_statistic():
    # only (1, 1), a quarter of resamples, has a statistic
    def only_all_ones(a: np.ndarray) -> float:
        return 1.0 if a.min() == 1 else math.nan

    low, high = bootstrap_interval(only_all_ones, [np.array([0.0, 1.0])], resamples=400)
    assert math.isnan(low) and math.isnan(high)
    low, high = bootstrap_interval(np.mean, [np.array([])], resamples=10)
    assert math.isnan(low) and math.isnan(high)


def test_bootstrap_refuses_a_level_outside_zero_and_one():
    with pytest.raises(ValueError, match="level"):
        bootstrap_interval(np.mean, [np.arange(3.0)], level=95)


# size_adjusted_ratio


def test_size_adjusted_ratio_recovers_the_ratio_at_equal_size():
    sizes = np.arange(1.0, 51.0)
    assert size_adjusted_ratio(6 * sizes, sizes, 2 * sizes, sizes) == pytest.approx(3.0, abs=1e-9)


def test_size_adjustment_undoes_a_difference_in_size():
    small, large = np.arange(1.0, 51.0), np.arange(51.0, 101.0)
    group, cohort = 6 * large, 2 * small
    # the raw ratio mixes size in: 6·75.5 / (2·25.5) = 453 / 51 = 8.88, not 3
    assert median_ratio(group, cohort) == pytest.approx(453 / 51, abs=1e-12)
    assert size_adjusted_ratio(group, large, cohort, small) == pytest.approx(3.0, abs=1e-9)


def test_size_adjusted_ratio_with_an_offset_compares_value_plus_offset():
    sizes = np.arange(0.5, 25.5, 0.5)
    group, cohort = 6 * sizes - 1, 2 * sizes - 1  # cohort's first value is 0
    assert size_adjusted_ratio(group, sizes, cohort, sizes, offset=1.0) == pytest.approx(
        3.0, abs=1e-9
    )
    # without it the 0 is left out and the logs no longer differ by a constant
    assert abs(size_adjusted_ratio(group, sizes, cohort, sizes) - 3.0) > 0.05


def test_size_adjusted_ratio_with_equal_sizes_is_the_ratio_of_geometric_means():
    ten = np.full(3, 10.0)
    # geometric means 4 (of 1, 4, 16) and 2 (of 1, 2, 4)
    assert size_adjusted_ratio([1, 4, 16], ten, [1, 2, 4], ten) == pytest.approx(2.0, abs=1e-12)


def test_size_adjusted_ratio_needs_three_usable_rows_a_side():
    sizes = np.arange(1.0, 11.0)
    assert math.isnan(size_adjusted_ratio([2.0, 4.0], [1.0, 2.0], 2 * sizes, sizes))
    # three rows, but one without a size and one with a value of 0
    assert math.isnan(size_adjusted_ratio([2.0, 4.0, 0.0], [1.0, np.nan, 3.0], 2 * sizes, sizes))
    assert not math.isnan(size_adjusted_ratio([2.0, 4.0, 6.0], [1.0, 2.0, 3.0], 2 * sizes, sizes))


def test_size_adjusted_ratio_is_nan_when_size_and_side_coincide():
    # every group project of size 100, every cohort project of size 10: no telling apart
    assert math.isnan(size_adjusted_ratio([5.0, 6, 7], [100.0] * 3, [1.0, 2, 3], [10.0] * 3))


# compare


@pytest.mark.parametrize(
    ("factor", "higher_is_better", "position"),
    [
        (1.5, True, AHEAD),
        (1.0, True, LEVEL),
        (0.6, True, BEHIND),
        # hours to first response: fewer is better, so a ratio below 1 is ahead
        (0.6, False, AHEAD),
        (1.5, False, BEHIND),
    ],
)
def test_compare_places_the_group_from_the_adjusted_interval(factor, higher_is_better, position):
    values, sizes = cohort_rows()
    effect = compare(
        factor * values,
        sizes,
        values,
        sizes,
        higher_is_better=higher_is_better,
        resamples=RESAMPLES,
    )
    assert effect.raw == pytest.approx(factor, abs=1e-12)
    assert effect.adjusted == pytest.approx(factor, abs=1e-9)
    assert effect.adjusted_low < factor < effect.adjusted_high
    assert effect.position == position
    assert (effect.n_group, effect.n_cohort, effect.note) == (30, 30, "")


def test_compare_reads_the_position_from_the_adjusted_ratio_not_the_raw_one():
    values, sizes = cohort_rows()
    # the same projects three times bigger, with three times the value: bigger, not better
    effect = compare(
        3 * values, 3 * sizes, values, sizes, higher_is_better=True, resamples=RESAMPLES
    )
    assert effect.raw == pytest.approx(3.0, abs=1e-12)
    assert effect.raw_low > 1.5  # raw: clearly ahead
    assert effect.adjusted == pytest.approx(1.0, abs=0.1)
    assert effect.adjusted_low < 1 < effect.adjusted_high
    assert effect.position == LEVEL


def test_compare_is_undetermined_with_too_few_values():
    values, sizes = cohort_rows(n=20)
    group = np.array([1.0, 2.0, 3.0, np.nan])
    effect = compare(group, [1.0, 2, 3, 4], values, sizes, higher_is_better=True)
    assert effect.position == UNDETERMINED
    assert effect.note == "3 group and 20 cohort values; at least 5 on each side needed"
    assert (effect.n_group, effect.n_cohort) == (3, 20)
    assert math.isnan(effect.raw) and math.isnan(effect.adjusted_low)


def test_compare_counts_values_without_a_size_for_the_raw_ratio_only():
    values, sizes = cohort_rows()
    group_sizes = pd.array([*sizes[:-2], None, None], dtype="Float64")
    effect = compare(
        1.5 * values, group_sizes, values, sizes, higher_is_better=True, resamples=RESAMPLES
    )
    assert effect.raw == pytest.approx(1.5, abs=1e-12)  # all 30 values
    assert (effect.n_group, effect.n_cohort) == (30, 30)
    assert effect.note == (
        "size-adjusted ratio on 28 of 30 group values (2 without a size) and 30 of 30 cohort values"
    )
    assert effect.position == AHEAD


def test_compare_is_undetermined_when_too_few_values_have_a_size():
    values, sizes = cohort_rows()
    group_sizes = np.full(30, np.nan)
    group_sizes[:4] = sizes[:4]
    effect = compare(
        1.5 * values, group_sizes, values, sizes, higher_is_better=True, resamples=RESAMPLES
    )
    assert effect.raw == pytest.approx(1.5, abs=1e-12)
    assert math.isnan(effect.adjusted)
    assert effect.position == UNDETERMINED
    assert effect.note.endswith("; at least 5 values with a size needed on each side")


def test_compare_is_undetermined_when_size_and_side_coincide():
    values, _ = cohort_rows()
    effect = compare(
        values,
        np.full(30, 100.0),
        values,
        np.full(30, 10.0),
        higher_is_better=True,
        resamples=RESAMPLES,
    )
    assert effect.position == UNDETERMINED
    assert "size does not tell the group from the cohort" in effect.note


def test_compare_logs_counts_of_zero_only_with_an_offset():
    sizes = np.arange(1.0, 21.0)
    cohort = np.floor(sizes / 4)  # releases: 0 for sizes 1 to 3, median 2
    group = np.floor(sizes / 2)  # 0 for size 1, median 5
    plain = compare(group, sizes, cohort, sizes, higher_is_better=True, resamples=RESAMPLES)
    assert plain.note == (
        "size-adjusted ratio on 19 of 20 group values (1 with a size or value that cannot be"
        " logged) and 17 of 20 cohort values (3 with a size or value that cannot be logged)"
    )
    counted = compare(
        group, sizes, cohort, sizes, higher_is_better=True, offset=1.0, resamples=RESAMPLES
    )
    assert counted.note == ""
    assert counted.raw == plain.raw == 2.5  # zeros count for the raw ratio either way
    assert counted.position == AHEAD


def test_compare_is_fixed_by_its_seed():
    values, sizes = cohort_rows()
    first = compare(1.2 * values, sizes, values, sizes, higher_is_better=True, resamples=100)
    again = compare(1.2 * values, sizes, values, sizes, higher_is_better=True, resamples=100)
    assert again == first


def test_intervals_are_not_trivially_wide():
    # values with little spread (10 % on the log scale), the group's twice the cohort's
    rng = np.random.default_rng(3)
    sizes = np.exp(rng.uniform(math.log(5), math.log(50), (2, 40)))
    cohort = 10 * np.exp(rng.normal(0, 0.1, 40))
    group = 20 * np.exp(rng.normal(0, 0.1, 40))
    effect = compare(group, sizes[0], cohort, sizes[1], higher_is_better=True, resamples=RESAMPLES)
    assert effect.raw == pytest.approx(2.0, rel=0.1)
    assert effect.raw_low < 2 < effect.raw_high
    assert effect.raw_high - effect.raw_low < 0.5 * effect.raw
    assert effect.adjusted_high - effect.adjusted_low < 0.25 * effect.adjusted


def test_the_all_at_once_bootstrap_agrees_with_the_one_at_a_time_statistics():
    """compare() computes every resample in one array operation: each must equal what
    median_ratio and size_adjusted_ratio give for the same resampled rows."""
    from metrics.stats import _adjusted_resamples, _raw_resamples

    rng = np.random.default_rng(3)
    group = np.column_stack([rng.lognormal(3, 1, 12), rng.lognormal(4, 1, 12)])
    cohort = np.column_stack([rng.lognormal(2, 1, 15), rng.lognormal(3, 1, 15)])
    draws = np.random.default_rng(11)
    g_index = draws.integers(0, 12, (50, 12))
    c_index = draws.integers(0, 15, (50, 15))
    adjusted = _adjusted_resamples(group, cohort, 1.0, 50, 11)
    for r in range(50):
        g, c = group[g_index[r]], cohort[c_index[r]]
        expected = size_adjusted_ratio(g[:, 0], g[:, 1], c[:, 0], c[:, 1], offset=1.0)
        assert adjusted[r] == pytest.approx(expected, rel=1e-9)
    draws = np.random.default_rng(5)
    g_index = draws.integers(0, 12, (50, 12))
    c_index = draws.integers(0, 15, (50, 15))
    raw = _raw_resamples(group[:, 0], cohort[:, 0], 50, 5)
    for r in range(50):
        expected = median_ratio(group[g_index[r], 0], cohort[c_index[r], 0])
        assert raw[r] == pytest.approx(expected, rel=1e-12)
