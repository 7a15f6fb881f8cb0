"""Figure builders for a project's PyPI side: release timeline and Scorecard checks."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts import theme
from charts.labels import plain

# kind -> how its marks look; major releases stand out and carry their version as a label.
# Colours that read on the light and the dark theme (charts/theme.py); the symbols tell the
# kinds apart without them.
_STYLE = {
    "major release": {"symbol": "diamond", "size": 13, "color": theme.RED},
    "release": {"symbol": "circle", "size": 7, "color": theme.BLUE},
    "pre-release": {"symbol": "circle-open", "size": 7, "color": theme.NEUTRAL},
    "yanked": {"symbol": "x-thin-open", "size": 9, "color": theme.SERIES[3]},
}


def release_timeline_chart(timeline: pd.DataFrame, title: str) -> go.Figure:
    """Every release as a mark on its package's row; major versions highlighted and named."""
    fig = go.Figure()
    for kind, style in _STYLE.items():
        rows = timeline[timeline["kind"] == kind]
        if rows.empty:
            continue
        major = kind == "major release"
        fig.add_trace(
            go.Scatter(
                x=rows["published_at"],
                y=rows["package"],
                name=f"{kind} ({len(rows)})",
                mode="markers+text" if major else "markers",
                text=rows["version"].map(plain) if major else None,
                textposition="top center",
                marker={
                    "symbol": style["symbol"],
                    "size": style["size"],
                    "color": style["color"],
                    "line": {"width": 1, "color": style["color"]},
                },
                customdata=rows["version"].map(plain),
                hovertemplate="%{y} %{customdata}<br>%{x|%Y-%m-%d}<extra>" + kind + "</extra>",
            )
        )
    packages = timeline["package"].nunique()
    fig.update_layout(
        title={"text": plain(title)},
        template=theme.TEMPLATE,
        legend={"orientation": "h", "yanchor": "top", "y": -0.15},
        margin={"l": 110, "r": 20, "t": 60, "b": 40},
        height=220 + 60 * max(packages, 1),
    )
    fig.update_yaxes(type="category", title_text="")
    return fig


def scorecard_chart(card: pd.DataFrame, title: str) -> go.Figure:
    """Each Scorecard check's score (0-10), lowest first; checks that did not run are listed
    with no bar and 'did not run', never as 0."""
    checks = card[card["check"] != "overall"].copy()
    checks["label"] = checks["repo"] + " · " + checks["check"]
    checks = checks.sort_values("score", na_position="first", ascending=True)
    ran = checks["score"].notna()
    fig = go.Figure(
        go.Bar(
            x=checks["score"],
            y=checks["label"].map(plain),
            orientation="h",
            text=checks["score"].map(lambda s: f"{s:g}" if pd.notna(s) else "did not run"),
            textposition="outside",
            marker={"color": [theme.BLUE if r else theme.NEUTRAL for r in ran]},
            customdata=checks["reason"].fillna("").map(plain),
            hovertemplate="%{y}: %{x}<br>%{customdata}<extra></extra>",
            name="score",
        )
    )
    fig.update_layout(
        title={"text": plain(title)},
        template=theme.TEMPLATE,
        margin={"l": 260, "r": 40, "t": 60, "b": 40},
        height=160 + 22 * max(len(checks), 1),
        showlegend=False,
    )
    fig.update_xaxes(range=[0, 11], title_text="score (0-10)")
    return fig
