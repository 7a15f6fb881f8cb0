"""Verdict logic on hand-computed cases."""

from __future__ import annotations

import dataclasses
import math
import re

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
        ({"active_contributors": 100, "bus_factor": 4}, SUPPORTED),  # thresholds are inclusive
        ({"median_days_between_releases": 60.0, "bus_factor": 4}, SUPPORTED),
        # one of three is less than the two thirds a verdict needs, however clear it is
        ({"active_contributors": 1000}, INSUFFICIENT),
        ({}, INSUFFICIENT),
        ({"active_contributors": None, "bus_factor": float("nan")}, INSUFFICIENT),
    ],
)
def test_verdicts_by_hand(values, expected):
    assert judge(CLAIM, values).verdict == expected


def test_insufficient_data_names_the_missing_indicators():
    result = judge(CLAIM, {"active_contributors": 150})
    assert result.verdict == INSUFFICIENT and result.k_of_n == "1 of 3"
    assert result.missing == ("bus_factor", "median_days_between_releases")
    # a claims file may ask for more than two thirds, never for less
    needs_all = dataclasses.replace(CLAIM, min_indicators=3)
    two = {"active_contributors": 150, "bus_factor": 5}
    assert judge(CLAIM, two).verdict == SUPPORTED
    assert judge(needs_all, two).verdict == INSUFFICIENT
    assert dataclasses.replace(CLAIM, min_indicators=1).required == 2


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
    counted = dict(zip(table["subject"], table["k_of_n"], strict=True))
    assert got["A"] == MIXED and counted["A"] == "2 of 3"
    assert got["B"] == INSUFFICIENT and counted["B"] == "1 of 3"  # one value: not enough
    assert got["Open-source AI (group median)"] == MIXED  # median 125 met, bus 1 not
    # the last row compares the group with the cohort like with like: one cohort value
    assert got["Open-source AI vs cohort, like with like"] == INSUFFICIENT
    assert table["kind"].tolist() == ["project", "project", "group", "cohort"]
    assert "Contributor absence (bus) factor (needs a git refresh" in table.iloc[1]["missing"]
    ev = evidence(CLAIM, indicators, ["a", "b"], ["x"]).set_index("metric")
    assert ev.loc["active_contributors", "effect_size"] == pytest.approx(125 / 10)


def test_the_shipped_claims_file_is_valid_and_covers_the_seven_claims(tmp_path):
    claims = load_claims()
    assert [c.id for c in claims] == CLAIM_IDS
    bad = tmp_path / "claims.toml"
    bad.write_text(
        '[[claims]]\nid = "x"\ntitle = "t"\nhypothesis = "h"\nindicators = [\n'
        '  { metric = "stars_per_day", direction = "higher", threshold = 1, basis = "b" },\n]\n'
    )
    with pytest.raises(ConfigError, match="unknown metric 'stars_per_day'") as info:
        load_claims(bad)
    assert info.value.line == 6


CLAIM_HEAD = '[[claims]]\nid = "x"\ntitle = "t"\nhypothesis = "h"\n'


def _rules(*rules: tuple[str, str]) -> str:
    """An indicators line from (metric, threshold text) pairs."""
    items = [
        f'{{ metric = "{m}", direction = "higher", threshold = {t}, basis = "CHAOSS" }}'
        for m, t in rules
    ]
    return f"indicators = [{', '.join(items)}]"


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        # thresholds no value could mean (with nan every verdict was 'not supported')
        (_rules(("bus_factor", "nan")), "bus_factor threshold must be a finite number"),
        (_rules(("bus_factor", "inf")), "bus_factor threshold must be a finite number"),
        (_rules(("bus_factor", "1e308")), "must be at most"),
        (_rules(("releases", "-3")), "cannot be negative"),
        (_rules(("independent_share", "50")), "is a share"),
        # typos and duplicates are refused, never silently ignored
        ("min_indicator = 1\n" + _rules(("bus_factor", "2")), "unknown key 'min_indicator'"),
        (_rules(("bus_factor", "2, treshold = 3")), "unknown indicator key 'treshold'"),
        (_rules(("bus_factor", "2"), ("bus_factor", "3")), "bus_factor is listed twice"),
        # the wrong shape is a clear message, not a crash
        ("indicators = 5", "indicators must be a list of tables"),
        # every threshold says where it comes from
        (
            'indicators = [{ metric = "bus_factor", direction = "higher", threshold = 2 }]',
            "bus_factor needs a basis",
        ),
        # a verdict may never rest on fewer than two thirds of its indicators
        (
            "min_indicators = 1\n"
            + _rules(("bus_factor", "2"), ("releases", "3"), ("active_contributors", "9")),
            "min_indicators must be 2..3",
        ),
    ],
)
def test_a_claims_file_that_cannot_be_meant_is_refused_with_the_rule(tmp_path, body, rule):
    bad = tmp_path / "claims.toml"
    bad.write_text(CLAIM_HEAD + body + "\n")
    with pytest.raises(ConfigError, match=re.escape(rule)):
        load_claims(bad)


def test_claims_of_the_wrong_shape_or_nested_too_deep_are_refused(tmp_path):
    bad = tmp_path / "claims.toml"
    bad.write_text('claims = ["x"]\n')
    with pytest.raises(ConfigError, match=re.escape("each [[claims]] entry must be a table")):
        load_claims(bad)
    bad.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ConfigError, match=r"nested too deeply|not valid TOML"):
        load_claims(bad)
    # a negative growth threshold is meaningful: a fall
    ok = tmp_path / "ok.toml"
    ok.write_text(CLAIM_HEAD + _rules(("star_growth", "-0.1")) + "\n")
    assert load_claims(ok)[0].indicators[0].threshold == -0.1
