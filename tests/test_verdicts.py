"""Verdict logic on hand-computed cases."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from claims.evaluate import evidence, verdict_table
from claims.model import load_claims
from claims.verdicts import (
    INSUFFICIENT,
    MIXED,
    NOT_SUPPORTED,
    SUPPORTED,
    effect_size,
    judge,
    medians,
    percentile,
    robustness,
)
from errors import ConfigError
from tests.conftest import CLAIM_IDS, hand_made_claim

CLAIM = hand_made_claim(
    "c",
    ("active_contributors", "higher", 100),
    ("bus_factor", "higher", 4),
    ("median_days_between_releases", "lower", 60),
)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"active_contributors": 150, "bus_factor": 5, "median_days_between_releases": 30},
            SUPPORTED,
        ),
        (
            {"active_contributors": 150, "bus_factor": 5, "median_days_between_releases": 90},
            SUPPORTED,
        ),
        (
            {"active_contributors": 150, "bus_factor": 2, "median_days_between_releases": 90},
            NOT_SUPPORTED,
        ),
        (
            {"active_contributors": 50, "bus_factor": 2, "median_days_between_releases": 90},
            NOT_SUPPORTED,
        ),
        ({"active_contributors": 150, "bus_factor": 2}, MIXED),  # 1 of 2 available
        ({"active_contributors": 100}, SUPPORTED),  # thresholds are inclusive
        ({"median_days_between_releases": 60.0}, SUPPORTED),
        ({}, INSUFFICIENT),
        ({"active_contributors": None, "bus_factor": float("nan")}, INSUFFICIENT),
    ],
)
def test_verdicts_by_hand(values, expected):
    assert judge(CLAIM, values).verdict == expected


def test_insufficient_data_names_the_missing_indicators():
    result = judge(CLAIM, {"active_contributors": 150})
    assert result.missing == ("bus_factor", "median_days_between_releases")
    needs_two = dataclasses.replace(CLAIM, min_indicators=2)
    assert judge(needs_two, {"active_contributors": 150}).verdict == INSUFFICIENT


def test_tuned_thresholds_change_the_verdict():
    values = {"active_contributors": 90, "bus_factor": 5, "median_days_between_releases": 90}
    assert judge(CLAIM, values).verdict == NOT_SUPPORTED  # 1 of 3
    assert judge(CLAIM, values, {"active_contributors": 80}).verdict == SUPPORTED  # 2 of 3


def test_a_verdict_near_its_threshold_is_fragile_and_a_clear_one_is_not():
    near = {"active_contributors": 110, "bus_factor": 5, "median_days_between_releases": 90}
    fragile, by_scale = robustness(CLAIM, near)
    # at 1.125x the contributor threshold is 112.5 > 110: 1 of 3 met
    assert fragile and by_scale[1.0] == SUPPORTED and by_scale[1.125] == NOT_SUPPORTED
    clear = {"active_contributors": 1000, "bus_factor": 50, "median_days_between_releases": 5}
    assert robustness(CLAIM, clear) == (
        False,
        dict.fromkeys((0.75, 0.875, 1.0, 1.125, 1.25), SUPPORTED),
    )


def test_group_medians_effect_sizes_and_percentiles():
    frame = pd.DataFrame(
        {
            "project_id": ["a", "b", "c", "x", "y"],
            "indicator": ["bus_factor"] * 5,
            "value": [2.0, 4.0, float("nan"), 1.0, 3.0],
        }
    )
    assert medians(frame, ["a", "b", "c"]) == {"bus_factor": 3.0}
    assert effect_size(3.0, 2.0) == 1.5
    assert math.isnan(effect_size(3.0, None)) and math.isnan(effect_size(3.0, 0))
    assert percentile(3.0, [1.0, 3.0, 5.0, 7.0]) == 50.0
    assert math.isnan(percentile(None, [1.0]))


def test_verdict_table_has_projects_group_and_cohort_rows():
    indicators = pd.DataFrame(
        {
            "project_id": ["a", "a", "b", "x"],
            "indicator": [
                "active_contributors",
                "bus_factor",
                "active_contributors",
                "active_contributors",
            ],
            "value": [200.0, 1.0, 50.0, 10.0],
            "note": ["", "", "", ""],
        }
    )
    table = verdict_table([CLAIM], indicators, [("a", "A"), ("b", "B")], ["x"])
    got = dict(zip(table["subject"], table["verdict"], strict=True))
    assert got["A"] == MIXED and got["B"] == NOT_SUPPORTED
    assert got["Open-source AI (group median)"] == MIXED  # median 125 met, bus 1 not
    assert got["Cohort (cohort median)"] == NOT_SUPPORTED
    assert "Contributor absence (bus) factor (needs a git refresh" in table.iloc[1]["missing"]
    ev = evidence(CLAIM, indicators, ["a", "b"], ["x"]).set_index("metric")
    assert ev.loc["active_contributors", "effect_size"] == pytest.approx(125 / 10)


def test_the_shipped_claims_file_is_valid_and_covers_the_seven_claims(tmp_path):
    claims = load_claims()
    assert [c.id for c in claims] == CLAIM_IDS
    bad = tmp_path / "claims.toml"
    bad.write_text(
        '[[claims]]\nid = "x"\ntitle = "t"\nhypothesis = "h"\nindicators = [\n'
        '  { metric = "stars_per_day", direction = "higher", threshold = 1 },\n]\n'
    )
    with pytest.raises(ConfigError, match="unknown metric 'stars_per_day'") as info:
        load_claims(bad)
    assert info.value.line == 6
