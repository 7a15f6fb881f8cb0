"""The Claims, Project and Methods pages on the default data."""

from __future__ import annotations

import re

import pandas as pd

from claims.model import DEFAULT_CLAIMS, load_claims
from metrics.indicators import CATALOGUE
from tests.apptest import figure, open_page, texts
from tests.conftest import CLAIM_IDS

VERDICTS = ("supported", "mixed", "not supported", "insufficient data")
STANDINGS = ("ahead of", "level with", "behind", "insufficient data")
CLAIMS_FILE = load_claims(DEFAULT_CLAIMS)
CLAIMS = ("Collaboration", "Barriers", "Transparency", "Acceleration", "Access", "Quality")


def _matrix(at) -> pd.DataFrame:
    """The verdict matrix (the page's first chart) as subjects x claims of cell words."""
    spec = figure(at, 0)
    cells = spec["data"][0]
    rows = [re.sub(r"</?b>", "", y).replace("<br>", " ") for y in cells["y"]]  # names wrap
    words = [[t.replace("<br>", " ") for t in row] for row in cells["text"]]
    return pd.DataFrame(words, index=rows, columns=cells["x"])


def test_all_seven_claims_get_a_verdict_or_name_what_is_missing():
    at = open_page("claims")
    matrix = _matrix(at)
    assert list(matrix.columns) == [*CLAIMS, "Customization"]
    assert len(matrix) == 10  # 8 projects, the group, the group against the cohort
    comparison = matrix.index[-1]
    assert comparison.endswith("vs popular open source, like with like")
    for subject, row in matrix.iterrows():
        words = STANDINGS if subject == comparison else VERDICTS
        for cell in row:
            assert cell.startswith(words), cell
            assert re.search(r"\d of \d", cell), cell  # every cell says k of n
            assert "None" not in cell and "nan" not in cell
    # Keras has its own git history and archive data: a real verdict on collaboration
    assert matrix.loc["Keras", "Collaboration"].startswith("supported")
    # TensorFlow's own history is not in the data: never judged on tensorflow/addons
    assert matrix.loc["TensorFlow", "Collaboration"].startswith("insufficient data 0 of 4")
    # one tab per claim under the matrix; only the open one is drawn, with its threshold lines
    assert [tab.label for tab in at.tabs] == list(matrix.columns)
    assert len(at.get("plotly_chart")) == 2
    insufficient = matrix.apply(lambda c: c.str.startswith("insufficient data")).sum()
    for claim, label in zip(CLAIM_IDS, matrix.columns, strict=True):
        at = _open_claim(at, claim)
        charts = at.get("plotly_chart")
        assert len(charts) == 2, claim  # the matrix and this claim's evidence
        spec = figure(at, 1)
        assert spec["layout"]["shapes"], claim  # the thresholds
        assert spec["layout"]["title"]["text"].endswith(": the evidence")
        # "insufficient data" folds into one line per project, naming what would supply it
        said = texts(at).replace("\\", "")
        lines = [line for line in said.splitlines() if "(insufficient data)" in line]
        assert len(lines) == insufficient[label], claim
        # each names what is missing and why: "- **X** (insufficient data): A, B: the reason"
        assert all(re.search(r"\(insufficient data\): .+: .{10,}", line) for line in lines)
        assert "None" not in said
        _check_evidence_table(at, claim)


def _check_evidence_table(at, claim: str) -> None:
    """The group against the cohort: one row per indicator of the claim, each standing
    either backed by an interval at equal size or saying why there is none, whole (a plain
    table: nothing cut), with its method linked."""
    [table] = at.table

    def plain(markdown: str) -> str:  # the text a reader sees
        return re.sub(r"\\(.)", r"\1", markdown)

    shown = table.value.map(plain).rename(columns=plain)
    assert list(shown.columns)[:2] == ["Indicator", "AI is … (than the cohort, like with like)"]
    rules = next(c for c in CLAIMS_FILE if c.id == claim).indicators
    assert len(shown) == len(rules), claim
    for row in shown.itertuples(index=False):
        standing, adjusted = row[1], row[2]
        if standing.startswith("insufficient data"):
            assert standing.startswith("insufficient data: "), standing  # says why
        else:
            assert standing in ("ahead of", "level with", "behind"), standing
            assert re.fullmatch(r"[\d.e+-]+× \([\d.e+-]+–[\d.e+-]+\)", adjusted), adjusted
        assert re.fullmatch(r"\[how\]\(/methods#[a-z-]+\)", row[-1]), row[-1]
        assert "None" not in "".join(row) and "nan" not in "".join(row)


def _open_claim(at, claim: str):
    """The Claims page with `claim`'s tab open, as a click on the tab does (it reruns)."""
    at.session_state["claims_tab"] = claim.capitalize()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["claims_tab"] == claim.capitalize()
    return at


def test_partial_verdicts_are_marked_apart_from_fragile_ones():
    at = open_page("claims")
    matrix = _matrix(at)
    partial = [c for c in matrix.to_numpy().ravel() if "partial data" in c]
    assert partial  # Stable Diffusion and GPT leave out repositories
    said = "\n".join(texts(_open_claim(at, claim)) for claim in CLAIM_IDS)
    assert "Partial data:" in said and "git history" in said


def test_changing_a_threshold_changes_the_affected_verdicts_and_nothing_else():
    at = open_page("claims")
    before = _matrix(at)
    assert not at.number_input  # the thresholds' inputs are shown on request
    at.toggle(key="claims_tune").set_value(True).run()
    assert len(at.number_input) == sum(len(c.indicators) for c in load_claims())
    assert _matrix(at).equals(before)  # shown, they hold the claims' own thresholds
    at.number_input(key="threshold__acceleration__releases").set_value(500.0).run()
    after = _matrix(at)
    changed = [c for c in before.columns if not before[c].equals(after[c])]
    assert changed == ["Acceleration"]
    # the comparison with the cohort does not depend on thresholds
    assert before.iloc[-1].equals(after.iloc[-1])
    spec = figure(_open_claim(at, "acceleration"), 1)  # its evidence chart moves its line
    assert any(shape["x0"] == 500.0 for shape in spec["layout"]["shapes"])
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
    # the sections below the profile, one tab each, drawn only when open
    assert [tab.label for tab in at.tabs] == [
        "Stars and downloads",
        "On PyPI",
        "Dependents and security",
    ]
    assert _chart_keys(at) == ["project_stars_chart", "project_downloads_chart"]
    at.session_state["project_section"] = "On PyPI"
    at.run()
    assert _chart_keys(at) == ["project_releases_chart"]
    assert at.dataframe[1].value["package"].tolist() == ["diffusers"]  # what PyPI says
    at.session_state["project_section"] = "Dependents and security"
    at.run()
    assert _chart_keys(at) == []
    assert "No deps.dev data yet" in texts(at)  # the shipped data has none: said, not zero
    at.session_state["project_section"] = "Stars and downloads"
    at.selectbox(key="project_name").set_value("PyTorch").run()
    profile = at.dataframe[0].value.set_index("indicator")
    active = profile.loc["Active contributors"]
    # pytorch/examples is a family repository: PyTorch is never judged on it
    assert pd.isna(active["value"]) and active["note"].startswith("insufficient data")
    said = texts(at).replace("\\", "")
    assert "pytorch/pytorch (full history 4.1 GB, too large for the shipped data)" in said
    assert "never counted in its figures" in said
    # the download caption says when counting changed, from collectors.archives (not a
    # fixed year; tests/test_labels.py checks it follows the constant)
    said = texts(at)
    assert "pip downloads only up to 2024-11-01, all installers after" in said
    assert "mid-2022" not in said
    assert pd.notna(profile.loc["Median days between releases", "value"])  # from PyPI


def _chart_keys(at) -> list[str]:
    return [chart.key for chart in at.get("plotly_chart")]


def test_methods_page_defines_every_indicator():
    at = open_page("methods")
    said = texts(at)
    for indicator in CATALOGUE.values():
        assert indicator.title in said
    assert "two thirds" in said
    assert "Why it measures the claim." in said and "working in the open" in said
