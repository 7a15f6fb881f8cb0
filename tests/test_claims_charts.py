"""The claims' chart builders: what a reader sees, on a small hand-made set of indicators."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest

from charts.claims import (
    comparison_chart,
    comparison_frame,
    evidence_chart,
    evidence_frame,
    fold_missing,
    matrix_chart,
    matrix_frame,
    missing_line,
    verdict_css,
    verdict_label,
)
from claims.evaluate import verdict_table
from tests.conftest import hand_made_claim

CLAIM = hand_made_claim(
    "collaboration",
    ("active_contributors", "higher", 100.0),
    ("first_response_hours", "lower", 48.0),
    title="Fosters collaboration",
)
TRACKED = [("a", "Alpha"), ("b", "Beta"), ("c", "Gamma")]
COHORT = ["x", "y", "z"]


def _indicators(with_coverage: bool = True) -> pd.DataFrame:
    values = {
        ("a", "active_contributors"): 250.0,
        ("b", "active_contributors"): 3.0,
        ("c", "active_contributors"): np.nan,  # missing: must not be drawn
        ("a", "first_response_hours"): 20.0,
        ("b", "first_response_hours"): np.nan,
        ("c", "first_response_hours"): np.nan,
        ("x", "active_contributors"): 40.0,
        ("y", "active_contributors"): 4000.0,
        ("z", "active_contributors"): np.nan,
        ("x", "first_response_hours"): np.nan,
        ("y", "first_response_hours"): np.nan,
        ("z", "first_response_hours"): np.nan,
    }
    rows = [
        {
            "project_id": pid,
            "project": {"a": "Alpha", "b": "Beta", "c": "Gamma"}.get(pid, f"member-{pid}"),
            "group": "AI" if pid in "abc" else "Cohort",
            "indicator": metric,
            "value": value,
            "as_of": pd.Timestamp("2026-01-01"),
            "quality": "missing" if np.isnan(value) else ("partial" if pid == "b" else "ok"),
            "note": "missing: needs a git refresh" if np.isnan(value) else "",
            "coverage": "git history: 1 of 2 repositories" if pid == "b" else "",
        }
        for (pid, metric), value in values.items()
    ]
    frame = pd.DataFrame(rows)
    return frame if with_coverage else frame.drop(columns="coverage")


def _drawn(fig, metric_index: int) -> list[float]:
    axis = "x" if metric_index == 1 else f"x{metric_index}"
    return sorted(float(x) for t in fig.data if t.xaxis == axis and t.x is not None for x in t.x)


def test_evidence_chart_draws_each_value_the_threshold_and_the_cohort_never_a_missing_one():
    data = evidence_frame(CLAIM, _indicators(), TRACKED, COHORT, group_label="AI")
    fig = evidence_chart(data, "t", "Cohort", cohort_size=3)
    # one dashed threshold line per indicator, at the threshold
    assert sorted(s.x0 for s in fig.layout.shapes) == [48.0, 100.0]
    assert all(s.line.dash == "dash" for s in fig.layout.shapes)
    # the cohort's spread is a box of its members that have a value
    boxes = [t for t in fig.data if t.type == "box"]
    assert len(boxes) == 1 and sorted(boxes[0].x) == [40.0, 4000.0]
    # Gamma has no value: not drawn (no zero), named underneath instead
    ys = {y for t in fig.data if t.type == "scatter" for y in t.y}
    assert "Gamma" not in ys and 0.0 not in _drawn(fig, 1)
    notes = " ".join(a.text for a in fig.layout.annotations)
    assert "no value: Gamma" in notes and "no value: Beta, Gamma" in notes
    # counts spanning orders of magnitude on a log axis; hours stay linear
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis2.type == "linear"
    # the partial figure says so on its label
    beta = next(t for t in fig.data if t.type == "scatter" and "Beta" in t.y)
    assert "partial" in beta.text[list(beta.y).index("Beta")]


def test_the_csv_frame_holds_exactly_the_plotted_values():
    data = evidence_frame(CLAIM, _indicators(), TRACKED, COHORT, group_label="AI")
    fig = evidence_chart(data, "t", "Cohort")
    for index, metric in enumerate(["active_contributors", "first_response_hours"], start=1):
        rows = data[(data["metric"] == metric)]["value"].dropna()
        assert _drawn(fig, index) == sorted(rows.tolist())
    missing = data[data["value"].isna()]
    assert set(missing["kind"]) <= {"project", "group median"}  # cohort rows only with values
    assert (missing.loc[missing["kind"] == "project", "note"] != "").all()


def test_evidence_works_before_the_coverage_column_exists():
    data = evidence_frame(CLAIM, _indicators(with_coverage=False), TRACKED, COHORT)
    assert (data["coverage"] == "").all()
    evidence_chart(data, "t")


def test_insufficient_data_folds_into_one_line_by_what_would_supply_it():
    text = (
        "Active contributors (needs a git refresh of the project's repositories)\n"
        "Contributor absence (bus) factor (needs a git refresh of the project's repositories)\n"
        "Time to first response (needs a GitHub refresh (issue and PR activity); or a dump)"
    )
    assert fold_missing(text) == [
        (
            "needs a git refresh of the project's repositories",
            ["Active contributors", "Contributor absence (bus) factor"],
        ),
        # a reason may hold '; ' and parentheses of its own
        ("needs a GitHub refresh (issue and PR activity); or a dump", ["Time to first response"]),
    ]
    assert missing_line(text).count("needs a git refresh") == 1
    assert fold_missing("") == []


def test_verdicts_carry_words_and_colour_blind_safe_colours():
    assert verdict_label("mixed", fragile=True, partial=True) == "mixed (fragile) · partial data"
    assert "#009E73" in verdict_css("supported (fragile)")
    assert "#D55E00" in verdict_css("not supported")
    assert verdict_css("") == ""
    table = verdict_table([CLAIM], _indicators(), TRACKED, COHORT)
    fig = matrix_chart(matrix_frame(table, [CLAIM]), "m")
    cells = [t for row in fig.data[0].text for t in row]
    assert len(cells) == 5 and all(c.split("<br>")[0] for c in cells)
    assert "None" not in str(cells)


def test_comparison_chart_puts_parity_at_one_and_names_missing_sides():
    frame = comparison_frame([CLAIM], _indicators(), ["a", "b", "c"], COHORT)
    contributors = frame.set_index("metric").loc["active_contributors"]
    assert contributors["ratio"] == (250 + 3) / 2 / ((40 + 4000) / 2)
    # two or three values a side allow no like-with-like comparison: said, not drawn as one
    assert contributors["favours"] == ""
    assert "at least 5 on each side" in contributors["missing"]
    hours = frame.set_index("metric").loc["first_response_hours"]
    # one of the three group projects has a value: not the group's, so neither side has one
    assert np.isnan(hours["ratio"])
    assert hours["missing"] == "too few values: AI 1 of 3"
    fig = comparison_chart(frame, "c")
    assert fig.layout.xaxis.type == "log"
    assert [s.x0 for s in fig.layout.shapes] == [1]
    gaps = next(t for t in fig.data if t.name == "not comparable (missing data)")
    assert "too few values" in " ".join(gaps.text)
    raw = next(t for t in fig.data if (t.name or "").startswith("raw ratio"))
    assert contributors["ratio"] in list(raw.x)


def test_the_headline_draws_the_size_adjusted_ratio_with_its_interval():
    # eight group projects with three times the cohort's contributors at every size
    rows = []
    for i in range(8):
        size = 10.0 * (i + 1)
        for pid, active in ((f"g{i}", 3 * size), (f"c{i}", size)):
            for metric, value in (("active_contributors", active), ("contributors_all_time", size)):
                rows.append(
                    {
                        "project_id": pid,
                        "project": pid,
                        "group": "x",
                        "indicator": metric,
                        "value": value * (1.1 if i % 2 else 0.9),
                        "as_of": pd.Timestamp("2026-08-22"),
                        "quality": "ok",
                        "note": "",
                        "coverage": "",
                    }
                )
    frame = comparison_frame(
        [CLAIM], pd.DataFrame(rows), [], [f"c{i}" for i in range(8)], [f"g{i}" for i in range(8)]
    ).set_index("metric")
    row = frame.loc["active_contributors"]
    # counts are compared as (value + 1): a little under 3 for these sizes
    assert row["adjusted"] == pytest.approx(3.0, rel=0.05)
    assert 1 < row["adjusted_low"] < row["adjusted"] < row["adjusted_high"] < 4
    assert (row["position"], row["favours"]) == ("ahead of", "open-source AI")
    assert row["group_n"] == "8 of 8" and row["cohort_n"] == "8 of 8"
    fig = comparison_chart(frame.reset_index(), "t")
    ahead = next(t for t in fig.data if (t.name or "").endswith("ahead, like with like"))
    assert ahead.x[0] == pytest.approx(row["adjusted"])
    assert ahead.error_x.array[0] == pytest.approx(row["adjusted_high"] - row["adjusted"])
    assert ahead.error_x.arrayminus[0] == pytest.approx(row["adjusted"] - row["adjusted_low"])


# ----- issue 20, item 17: the evidence and verdict charts as drawn at 1440 px --------------

NAMES = [
    "TensorFlow",
    "PyTorch",
    "Hugging Face Transformers",
    "scikit-learn",
    "OpenCV",
    "Keras",
    "Stable Diffusion",
    "GPT",
]
FOUR = hand_made_claim(
    "collaboration",
    ("active_contributors", "higher", 25.0),
    ("bus_factor", "higher", 2.0),
    ("truck_factor", "higher", 3.0),
    ("elephant_factor", "higher", 2.0),
    title="Fosters innovation through collaboration",
)


def _four_panels():
    tracked = [(f"p{i}", name) for i, name in enumerate(NAMES)]
    rows = []
    for metric in ("active_contributors", "bus_factor", "truck_factor", "elephant_factor"):
        for i, (pid, name) in enumerate(tracked):
            # most projects have no value, the last few one: long "no value" lists
            value = float(10 + i) if i >= 5 and metric != "elephant_factor" else np.nan
            rows.append({"project_id": pid, "project": name, "indicator": metric, "value": value})
        for pid in ("x", "y"):
            rows.append({"project_id": pid, "project": pid, "indicator": metric, "value": 5.0})
    frame = pd.DataFrame(rows).assign(
        group="AI", as_of=pd.Timestamp("2026-01-01"), note="", coverage=""
    )
    frame["quality"] = np.where(frame["value"].isna(), "missing", "ok")
    data = evidence_frame(FOUR, frame, tracked, ["x", "y"], group_label="AI")
    return evidence_chart(data, "Fosters innovation through collaboration: the evidence", "Cohort")


def test_the_evidence_legend_has_a_band_of_its_own_below_the_notes_not_over_panel_titles():
    fig = _four_panels()
    legend, margin = fig.layout.legend, fig.layout.margin
    # at the figure's bottom edge, in the bottom margin: never in the band of panel titles
    assert (legend.yref, legend.y, legend.yanchor, legend.orientation) == (
        "container",
        0,
        "bottom",
        "h",
    )
    notes = next(a for a in fig.layout.annotations if a.name == "notes")
    lines = notes.text.count("<br>") + 1
    # the bottom margin holds the axes' titles, every line of notes and three legend rows
    assert margin.b >= -notes.yshift + 15 * lines + 3 * 22
    titles = [a for a in fig.layout.annotations if a.name != "notes" and a.yref == "paper"]
    assert titles and all(a.y >= 1 for a in titles)  # the panel titles sit above the panels


def test_the_evidence_notes_are_one_block_across_the_figure_with_every_name_whole():
    fig = _four_panels()
    notes = [a for a in fig.layout.annotations if "no value" in (a.text or "")]
    # one block from the figure's left edge, not one per narrow panel (which ran into the
    # next panel and off the right edge: "…OpenCV, K")
    assert len(notes) == 1 and (notes[0].xref, notes[0].x, notes[0].xanchor) == (
        "paper",
        0,
        "left",
    )
    lines = notes[0].text.split("<br>")
    assert max(len(line) for line in lines) <= 150  # fits 980 px at 10.5 px
    said = " ".join(lines)
    assert "Elephant factor: no value: " + ", ".join(NAMES) in said
    assert "Active contributors: no value: " + ", ".join(NAMES[:5]) in said


def test_the_verdict_png_is_as_tall_as_the_matrix_so_no_cell_text_overflows(monkeypatch):
    import exports

    subjects = ["Alpha", "Beta", "Open-source AI (by rule) vs popular open source, like with like"]
    frame = pd.DataFrame(
        {
            "subject": subjects,
            "kind": ["project", "project", "comparison"],
            "claim_id": "c",
            "short": "Collaboration",
            "claim": "Fosters",
            "verdict": ["not supported", "mixed", "supported"],
            "label": [
                "not supported (fragile) · 3 of 4 · partial data",
                "mixed · 2 of 3",
                "supported · 3 of 4",
            ],
        }
    )
    fig = matrix_chart(frame, "Verdicts")
    # a cell of four lines of 12 px words needs ~16 px a line plus room around it
    assert fig.layout.height >= 100 + len(subjects) * (4 * 16 + 20)
    # the long row names wrap, leaving the cells their width
    assert all(len(part) <= 30 for t in fig.data[0].y for part in t.split("<br>"))
    asked = {}

    class Browser:  # the warm Chromium the export renders with, recording what it is asked
        def render(self, figure, fmt, width, height):
            asked.update(width=width, height=height)
            return b"png"

    monkeypatch.setattr(exports, "warm_browser", lambda *_: contextlib.nullcontext())
    monkeypatch.setattr(exports, "_browser", Browser())
    exports.figure_bytes(fig, "png")
    assert asked["height"] == fig.layout.height  # not squeezed into 550 px
