"""The Claims, Project and Methods pages on the default data."""

from __future__ import annotations

import pandas as pd

from metrics.indicators import CATALOGUE
from tests.apptest import open_page, texts

VERDICTS = {"supported", "mixed", "NOT supported", "insufficient data"}


def _matrix(at) -> pd.DataFrame:
    value = at.dataframe[0].value
    assert "Fosters innovation through collaboration" in value.columns
    return value


def test_all_seven_claims_get_a_verdict_or_name_what_is_missing():
    at = open_page("claims")
    matrix = _matrix(at)
    assert len(matrix.columns) == 7
    assert len(matrix) == 10  # 8 projects, the group, the cohort
    for cell in matrix.to_numpy().ravel():
        assert cell.removesuffix(" (fragile)") in VERDICTS
    # every "insufficient data" row names the missing indicators and what would supply them
    for i in range(7):
        projects = at.dataframe[2 + 2 * i].value
        assert {"verdict", "missing"} <= set(projects.columns)
        insufficient = projects[projects["verdict"] == "insufficient data"]
        assert insufficient["missing"].str.contains(r"\(.+\)").all()
    transparency = at.dataframe[6].value.set_index("subject")
    assert "Time to first response (needs a GitHub refresh" in transparency.loc["Keras", "missing"]
    # Keras has git history and archive data: a real verdict on collaboration
    assert matrix.loc["Keras", "Fosters innovation through collaboration"].startswith("supported")


def test_changing_a_threshold_changes_the_affected_verdicts_and_nothing_else():
    at = open_page("claims")
    before = _matrix(at)
    at.number_input(key="threshold__customization__forks_per_star").set_value(5.0).run()
    after = _matrix(at)
    changed = [c for c in before.columns if not before[c].equals(after[c])]
    assert changed == ["Enables customization"]
    assert (after["Enables customization"] != before["Enables customization"]).any()
    at.slider(key="claims_activity_months").set_value(24).run()
    assert not at.exception


def test_project_page_shows_every_indicator_with_trend_and_cohort_percentile():
    at = open_page("project")
    profile = at.dataframe[0].value.set_index("indicator")
    assert set(profile.index) == {i.title for i in CATALOGUE.values()}
    stars = profile.loc["Star growth"]
    assert pd.notna(stars["value"]) and pd.notna(stars["a_year_earlier"])
    assert 0 <= stars["cohort_percentile"] <= 100
    assert profile.loc["OpenSSF Scorecard", "quality"] == "missing"
    assert pd.isna(profile.loc["OpenSSF Scorecard", "value"])
    at.selectbox(key="project_name").set_value("Stable Diffusion").run()
    profile = at.dataframe[0].value.set_index("indicator")
    assert profile.loc["Star growth", "quality"] == "partial"  # 1 of 3 repositories counted
    assert profile.loc["Active contributors", "value"] > 0
    assert len(at.get("plotly_chart")) == 2


def test_methods_page_defines_every_indicator():
    at = open_page("methods")
    said = texts(at)
    for indicator in CATALOGUE.values():
        assert indicator.title in said
    assert "two thirds" in said
