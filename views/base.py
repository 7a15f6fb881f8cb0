"""The one record every view returns (a named chart or table with the data behind it), and
the line chart most views draw."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from charts.timeseries import history_chart


@dataclass(frozen=True, eq=False)
class ChartView:
    """One item a page shows: a file-name stem, its figure (None for a table) and its data.

    The page draws `figure` with `data` as its CSV download; the export writes the same
    figure as PNG/SVG/HTML and `data` as `<name>.csv`."""

    name: str
    figure: go.Figure | None
    data: pd.DataFrame


def series_chart(frame: pd.DataFrame, title: str, y_title: str, **options) -> go.Figure:
    """`history_chart` of a long frame with the metrics' columns: date, series, value."""
    return history_chart(
        frame, x="date", y="value", series="series", title=title, y_title=y_title, **options
    )
