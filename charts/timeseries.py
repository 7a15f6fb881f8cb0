"""Figure builders for time series. They return plotly Figures and never draw or read files,
so the views (used by the pages and by export) build exactly the same charts."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from charts import theme
from charts.labels import log_ticks, plain
from models.events import Event

# The series colours (charts/theme.py: colour-blind-safe, 3:1 on the light and the dark
# background alike), set per series so a series' line and its isolated-point markers (a
# second trace) share one colour; past five lines the colours repeat with another dash, so
# no two lines look alike.
COLORS = theme.SERIES
DASHES = ("solid", "dash", "dot", "dashdot")


def history_chart(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    series: str,
    title: str,
    y_title: str,
    log_scale: bool = False,
    markers: bool = False,
    events: Sequence[Event] = (),
    hover_format: str = ",.0f",
    x_title: str | None = None,
) -> go.Figure:
    """One line per value of `series`. Missing values break the line instead of bridging it.

    `x` holds dates, or whole days (a line's age, see metrics.series.aligned_by_age): then
    the x axis is a linear one of days titled `x_title`, and dated `events` are left out.
    """
    dated = pd.api.types.is_datetime64_any_dtype(frame[x]) or frame[x].empty
    at = "%{x|%Y-%m-%d}" if dated else "day %{x}"
    fig = go.Figure()
    for index, (name, rows) in enumerate(frame.groupby(series, sort=True)):
        rows = rows.sort_values(x)
        values = rows[y].astype("float64")
        color = COLORS[index % len(COLORS)]
        dash = DASHES[(index // len(COLORS)) % len(DASHES)]
        hover = f"{at}<br>%{{y:{hover_format}}}<extra>{plain(name)}</extra>"
        fig.add_trace(
            go.Scatter(
                x=_compact_days(rows[x]),
                y=values,
                name=plain(name),
                legendgroup=str(name),
                mode="lines+markers" if markers else "lines",
                line={"color": color, "dash": dash, "width": 2},
                marker={"size": 6, "color": color},
                connectgaps=False,
                hovertemplate=hover,
            )
        )
        alone = _isolated(values)
        if not markers and alone.any():
            # An observation between two gaps draws no line; a marker keeps it visible. Only
            # those points get one: a marker on every day costs seconds in static export.
            fig.add_trace(
                go.Scatter(
                    x=_compact_days(rows[x][alone]),
                    y=values[alone],
                    name=plain(name),
                    legendgroup=str(name),
                    showlegend=False,
                    mode="markers",
                    marker={"size": 4, "color": color},
                    hovertemplate=hover,
                )
            )
    start, end = (frame[x].min(), frame[x].max()) if len(frame) else (None, None)
    for event in events if dated else ():
        if start is not None and start <= event.when <= end:
            fig.add_shape(
                type="line",
                x0=event.when,
                x1=event.when,
                y0=0,
                y1=1,
                yref="paper",
                line={"dash": "dot", "width": 1, "color": theme.NEUTRAL},
            )
            # vertical text left of the line: it neither overlaps a neighbouring event's
            # label nor widens the x axis (plotly's autorange makes room for annotations)
            fig.add_annotation(
                x=event.when,
                y=1,
                yref="paper",
                text=plain(event.label),
                showarrow=False,
                textangle=-90,
                xanchor="right",
                yanchor="top",
                font={"size": 10},  # the theme's text colour, light or dark
            )
    fig.update_layout(
        title={"text": plain(title)},
        template=theme.TEMPLATE,
        hovermode="x unified",
        showlegend=True,  # also for one line: the legend names what is drawn
        # an x axis title needs the room under the axis: the legend goes below it
        legend={"orientation": "h", "yanchor": "top", "y": -0.2 if x_title else -0.12},
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        height=480,
    )
    fig.update_yaxes(title_text=plain(y_title), type="log" if log_scale else "linear")
    if log_scale:
        values = frame[y].astype("float64")
        positive = values[values > 0]
        ticks, labels = log_ticks(positive.min(), positive.max()) if len(positive) else ([], [])
        if ticks:
            fig.update_yaxes(tickvals=ticks, ticktext=labels)
    fig.update_xaxes(
        title_text=plain(x_title) if x_title else None, type="date" if dated else "linear"
    )
    if not dated:  # lines of one age seldom share a day: the nearest point, not a unified x
        fig.update_layout(hovermode="closest")
    return fig


def _isolated(values: pd.Series) -> pd.Series:
    """Values with no value on either side: a line cannot show them."""
    present = values.notna()
    before = present.shift(1, fill_value=False)
    after = present.shift(-1, fill_value=False)
    return present & ~before & ~after


def _compact_days(values: pd.Series) -> object:
    """Whole days as 'YYYY-MM-DD' strings: less than half the payload of full timestamps."""
    if (
        pd.api.types.is_datetime64_any_dtype(values)
        and (values.dropna().dt.normalize() == values.dropna()).all()
    ):
        return values.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    return values
