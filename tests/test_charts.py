"""Chart builders: what a reader of the chart sees, independent of any page."""

from __future__ import annotations

import numpy as np
import pandas as pd

from charts.timeseries import history_chart
from tests.colours import contrast


def _frame(values: list[float | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=len(values), freq="D"),
            "value": pd.array(values, dtype="Float64"),
            "series": "Widget",
        }
    )


def _chart(values: list[float | None]):
    return history_chart(
        _frame(values), x="date", y="value", series="series", title="t", y_title="y"
    )


def test_a_gap_breaks_the_line_and_an_observation_between_gaps_keeps_a_marker():
    fig = _chart([1, 2, None, 5, None, 7, 8])
    line, alone = fig.data
    assert line.mode == "lines" and line.connectgaps is False
    assert np.isnan(line.y[2]) and np.isnan(line.y[4])
    assert alone.mode == "markers" and list(alone.y) == [5.0] and list(alone.x) == ["2024-01-04"]
    assert alone.showlegend is False and alone.legendgroup == line.legendgroup == "Widget"
    assert alone.marker.color == line.line.color


def test_a_series_without_isolated_points_draws_only_its_line():
    fig = _chart([1, 2, 3, None, None, 6, 7])
    assert [t.mode for t in fig.data] == ["lines"]


def test_each_series_keeps_one_colour_for_its_line_and_markers():
    frame = pd.concat([_frame([1, None, 3]), _frame([4, None, 6]).assign(series="Gadget")])
    fig = history_chart(frame, x="date", y="value", series="series", title="t", y_title="y")
    colours = {(t.name, t.line.color if t.mode == "lines" else t.marker.color) for t in fig.data}
    assert len({name for name, _ in colours}) == 2 and len(colours) == 2


def test_figures_read_by_their_unit_and_missing_stays_empty():
    from charts.labels import figure_text

    assert figure_text(12637.0, "count") == "12,637"
    assert figure_text(0.0314, "share") == "3.1%"
    assert figure_text(-0.016, "share", signed=True) == "-1.6 pp"
    assert figure_text(30.34, "days") == "30.3 days"
    assert figure_text(7.4, "score") == "7.4 / 10"
    assert figure_text(3.0, "count", signed=True) == "+3"
    assert figure_text(float("nan"), "count") == "" and figure_text(None, "share") == ""
    assert figure_text(0.0, "count") == "0"  # a real zero is shown


# ----- issue 20, item 17: pages as drawn at 1440 px ---------------------------------------


# Paul Tol's "muted" (and his medium-contrast blue) and Okabe-Ito's schemes: designed to
# stay apart for colour-blind readers
COLOUR_BLIND_SAFE = {
    *("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677"),
    *("#882255", "#AA4499", "#6699CC"),
    *("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"),
}


def test_compare_lines_are_colour_blind_safe_visible_in_both_themes_and_never_alike():
    # the Compare page's default: eight projects, Stable Diffusion with two repositories
    names = [
        "GPT · openai/gpt-2",
        "Hugging Face Transformers",
        "Keras",
        "OpenCV",
        "PyTorch",
        "Stable Diffusion · AUTOMATIC1111/stable-diffusion-webui",
        "Stable Diffusion · huggingface/diffusers",
        "TensorFlow",
        "scikit-learn",
    ]
    frame = pd.concat([_frame([1, 2, 3]).assign(series=n) for n in names])
    fig = history_chart(frame, x="date", y="value", series="series", title="t", y_title="y")
    lines = {t.name: (t.line.color.upper(), t.line.dash or "solid") for t in fig.data}
    assert set(lines) == set(names)
    for name, (colour, _) in lines.items():
        assert colour in COLOUR_BLIND_SAFE, (name, colour)
        for background in ("#FFFFFF", "#171614"):  # the light and the dark theme
            assert contrast(colour, background) >= 3.0, (name, colour)  # WCAG, for graphics
    assert len(set(lines.values())) == len(names)  # colour and dash tell every line apart


def test_a_log_axis_labels_each_tick_with_its_whole_value_never_lone_digits():
    frame = _frame([20_000.0, 45_000.0, 90_000.0, 210_000.0])
    fig = history_chart(
        frame, x="date", y="value", series="series", title="t", y_title="y", log_scale=True
    )
    axis = fig.layout.yaxis
    assert axis.type == "log"
    # under two decades: 1-2-5 steps, each labelled in full (plotly's own: '2, 100k, 9, 8, 7')
    assert list(axis.tickvals) == [10_000, 20_000, 50_000, 100_000, 200_000, 500_000]
    assert list(axis.ticktext) == ["10k", "20k", "50k", "100k", "200k", "500k"]
    # across many decades: the powers of ten only
    from charts.labels import log_ticks

    values, labels = log_ticks(3, 2_500_000_000)
    assert labels == ["1", "10", "100", "1k", "10k", "100k", "1M", "10M", "100M", "1bn", "10bn"]
    assert values[0] == 1 and values[-1] == 1e10


def test_one_percentage_format_in_figures_axes_and_tables():
    from app.community_page import SUMMARY_COLUMNS
    from app.overview_page import GROWTH
    from charts.community import organization_chart
    from charts.labels import figure_text

    assert figure_text(0.75, "share") == "75.0%"  # not '75%' beside '26.39%'
    assert figure_text(0.2639, "share") == "26.4%"
    from charts.labels import percent

    assert percent(0.75) == "75.0%"
    assert percent(0.012, signed=True) == "+1.2%"
    shares = pd.DataFrame(
        {
            "period": pd.to_datetime(["2024-01-01", "2025-01-01"]),
            "organization": "example.org",
            "commits": [3, 4],
            "share": [0.2639, 0.75],
        }
    )
    fig = organization_chart(shares, "t")
    assert fig.layout.yaxis.tickformat == ".1%" and ":.1%}" in fig.data[0].hovertemplate
    # Streamlit's percent format shows the decimals of `step`, less two: one decimal
    column = SUMMARY_COLUMNS["independent_share"]
    assert column["type_config"]["format"] == "percent" and column["type_config"]["step"] == 0.001
    assert GROWTH % 12.34 == "+12.3%"


def test_a_half_width_chart_title_wraps_instead_of_being_cut():
    from charts.community import release_chart

    title = "Stable Diffusion: releases per year (PyPI releases of diffusers, no pre-releases)"
    per_period = pd.DataFrame({"period": pd.to_datetime(["2024-01-01"]), "releases": [3]})
    fig = release_chart(per_period, title)
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) > 1 and all(len(line) <= 46 for line in lines)
    assert " ".join(lines) == title  # every word kept
    assert fig.layout.margin.t >= 40 + 22 * len(lines)  # the room above the plot grows


def _downloads(package: str) -> pd.DataFrame:
    """Monthly windows of a package, counted by pip until 2024-11, by all installers after."""
    ends = pd.date_range("2024-06-30", "2025-03-31", freq="ME")
    return pd.DataFrame(
        {
            "package": package,
            "series": "monthly",
            "period_start": ends - pd.Timedelta(days=29),
            "period_end": ends,
            "window_days": 30,
            "downloads": 3_000_000,
            "installers": ["pip" if end < pd.Timestamp("2024-11-15") else "all" for end in ends],
            "method": "bigquery-pypinfo",
            "snapshot": ends,
            "quality": "ok",
        }
    )


def test_the_explore_package_chart_has_a_legend_and_marks_the_2024_11_counting_change():
    from views.explore import ExploreSettings, Subject, explore_view

    subjects = [Subject(p, "package", _downloads(p)) for p in ("langchain", "openai")]
    fig = explore_view(subjects, ExploreSettings(metric="downloads")).chart.figure
    assert fig.layout.showlegend is True  # also with a single line
    one = explore_view(subjects[:1], ExploreSettings(metric="downloads")).chart.figure
    assert one.layout.showlegend is True
    # one dotted vertical line at the first window counted with all installers, named
    markers = [s for s in fig.layout.shapes if s.type == "line" and s.yref == "paper"]
    assert [str(s.x0)[:10] for s in markers] == ["2024-11-30"]
    assert [a.text for a in fig.layout.annotations] == ["counts all installers from here (was pip)"]
