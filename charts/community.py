"""Figure builders for the Community page; like every chart builder, they return figures."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts import theme
from charts.labels import PERCENT_D3, plain, title_lines

# characters of a title per line: a full-width chart (the page's main column at 1440 px),
# and a half-width one (the releases and the heatmap side by side)
FULL_TITLE, HALF_TITLE = 100, 46


def _layout(fig: go.Figure, title: str, y_title: str, title_width: int = FULL_TITLE) -> go.Figure:
    text = title_lines(title, title_width)
    fig.update_layout(
        title={"text": text},
        template=theme.TEMPLATE,
        legend={"orientation": "h", "yanchor": "top", "y": -0.12},
        margin={"l": 60, "r": 20, "t": 40 + 22 * (text.count("<br>") + 1), "b": 40},
        height=420,
    )
    fig.update_yaxes(title_text=plain(y_title))
    return fig


def contributor_flow_chart(flow: pd.DataFrame, title: str) -> go.Figure:
    """New and returning contributors stacked per period, drifting as a line."""
    fig = go.Figure()
    x = flow["period"].dt.strftime("%Y-%m-%d")
    new, returning, drifting = theme.SERIES[:3]
    fig.add_trace(go.Bar(x=x, y=flow["new"], name="new", marker_color=new))
    fig.add_trace(go.Bar(x=x, y=flow["returning"], name="returning", marker_color=returning))
    fig.add_trace(
        go.Scatter(
            x=x,
            y=flow["drifting"],
            name="drifting (silent 6-12 months)",
            mode="lines",
            line_color=drifting,
        )
    )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(type="date")
    return _layout(fig, title, "contributors")


def organization_chart(shares: pd.DataFrame, title: str) -> go.Figure:
    """Each organization's share of authored commits per period, stacked to 100 %."""
    fig = go.Figure()
    order = (
        shares.groupby("organization")["commits"].sum().sort_values(ascending=False).index.tolist()
    )
    for index, organization in enumerate(order):
        rows = shares[shares["organization"] == organization].sort_values("period")
        # past the series colours, the same colours again under a hatching: no two bands
        # alike
        colour = theme.SERIES[index % len(theme.SERIES)]
        hatch = HATCHES[(index // len(theme.SERIES)) % len(HATCHES)]
        fig.add_trace(
            go.Scatter(
                x=rows["period"].dt.strftime("%Y-%m-%d"),
                y=rows["share"],
                name=plain(organization),
                mode="lines",
                stackgroup="one",
                line={"color": colour, "width": 1},
                fillcolor=colour,
                fillpattern={
                    "shape": hatch,
                    "bgcolor": colour,
                    "fgcolor": theme.ON_FILL,
                    "fgopacity": 0.5,
                }
                if hatch
                else None,
                hovertemplate=f"%{{x|%Y}}: %{{y:{PERCENT_D3}}}<extra>{plain(organization)}</extra>",
            )
        )
    fig.update_xaxes(type="date")
    fig.update_yaxes(tickformat=PERCENT_D3, range=[0, 1])
    return _layout(fig, title, "share of authored commits")


HATCHES = ("", "/", "x", ".")


def release_chart(per_period: pd.DataFrame, title: str) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=per_period["period"].dt.strftime("%Y-%m-%d"),
            y=per_period["releases"],
            name="releases",
            marker_color=theme.SERIES[0],
        )
    )
    fig.update_xaxes(type="date")
    return _layout(fig, title, "releases", HALF_TITLE)


def heatmap_chart(table: pd.DataFrame, title: str) -> go.Figure:
    """Contributions by weekday and hour of the author's local day."""
    fig = go.Figure(
        go.Heatmap(
            z=table.to_numpy(),
            x=[f"{h:02d}" for h in table.columns],
            y=list(table.index),
            colorscale="Blues",
            hovertemplate="%{y} %{x}:00: %{z} contributions<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig = _layout(fig, title, "", HALF_TITLE)
    fig.update_xaxes(title_text="hour of the author's local day")
    return fig
