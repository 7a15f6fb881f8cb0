"""Chart builders: what a reader of the chart sees, independent of any page."""

from __future__ import annotations

import numpy as np
import pandas as pd

from charts.timeseries import history_chart


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
    assert figure_text(0.0314, "share") == "3.1 %"
    assert figure_text(-0.016, "share", signed=True) == "-1.6 pp"
    assert figure_text(30.34, "days") == "30.3 days"
    assert figure_text(7.4, "score") == "7.4 / 10"
    assert figure_text(3.0, "count", signed=True) == "+3"
    assert figure_text(float("nan"), "count") == "" and figure_text(None, "share") == ""
    assert figure_text(0.0, "count") == "0"  # a real zero is shown
