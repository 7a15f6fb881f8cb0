"""The headline: the open-source AI group's medians against the cohort's, per indicator."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.claims.style import BETTER, legend_below_title, short_label
from charts.labels import figure_text, plain
from claims.evaluate import evidence
from claims.model import Claim
from metrics.indicators import CATALOGUE


def comparison_frame(
    claims: Sequence[Claim],
    indicators: pd.DataFrame,
    tracked_ids: Sequence[str],
    cohort_ids: Sequence[str],
) -> pd.DataFrame:
    """Per (claim, indicator): the group's and the cohort's medians and their ratio, and
    whether the group is on the side the claim wants. A missing side leaves the ratio
    missing, and `missing` says which side."""
    rows = []
    for claim in claims:
        table = evidence(claim, indicators, tracked_ids, cohort_ids)
        for row in table.itertuples():
            group, cohort, effect = row.group_median, row.cohort_median, row.effect_size
            sides = [
                side
                for side, value in (("open-source AI", group), ("cohort", cohort))
                if value is None or pd.isna(value)
            ]
            plottable = pd.notna(effect) and effect > 0 and math.isfinite(effect)
            if len(sides) == 2:
                missing = "no data on either side"
            elif sides:
                missing = f"no {sides[0]} data"
            elif not plottable:
                missing = "ratio undefined (a median is 0)"
            else:
                missing = ""
            favours = ""
            if plottable:
                if effect == 1:
                    favours = "parity"
                else:
                    ahead = effect > 1 if row.better == "higher" else effect < 1
                    favours = "open-source AI" if ahead else "cohort"
            rows.append(
                {
                    "claim_id": claim.id,
                    "claim": short_label(claim),
                    "indicator": row.indicator,
                    "metric": row.metric,
                    "unit": CATALOGUE[row.metric].unit,
                    "better": row.better,
                    "group_median": group,
                    "cohort_median": cohort,
                    "ratio": effect if plottable else np.nan,
                    "favours": favours,
                    "missing": missing,
                }
            )
    frame = pd.DataFrame(rows)
    for column in ("group_median", "cohort_median", "ratio"):
        frame[column] = frame[column].astype("float64")
    return frame


def comparison_chart(
    frame: pd.DataFrame,
    title: str,
    group_label: str = "Open-source AI",
    cohort_label: str = "cohort",
) -> go.Figure:
    """Each indicator's group median ÷ cohort median on a log scale around parity (1), by
    claim; the colour and the marker say whether the group is on the side its claim wants;
    an indicator without data on a side says so instead of a point."""
    y = [frame["claim"].tolist(), [plain(t) for t in frame["indicator"]]]
    # an invisible first trace fixes the rows' order: claim by claim, as in the claims file
    fig = go.Figure(
        go.Scatter(
            x=[1.0] * len(frame), y=y, mode="markers", opacity=0, showlegend=False, hoverinfo="skip"
        )
    )
    styles = {
        "open-source AI": (f"{group_label} ahead for the claim", "#009E73", "circle"),
        "cohort": (f"{cohort_label} ahead for the claim", "#D55E00", "diamond"),
        "parity": ("parity", "#000000", "square"),
    }
    for favours, (name, colour, symbol) in styles.items():
        mask = (frame["favours"] == favours).to_numpy()
        if not mask.any():
            continue
        part = frame[mask]
        fig.add_trace(
            go.Scatter(
                x=part["ratio"].tolist(),
                y=[
                    [c for c, m in zip(y[0], mask, strict=True) if m],
                    [i for i, m in zip(y[1], mask, strict=True) if m],
                ],
                mode="markers+text",
                text=[_times(r) for r in part["ratio"]],
                textposition="middle right",
                cliponaxis=False,
                marker={"color": colour, "size": 12, "symbol": symbol},
                name=name,
                hovertext=[
                    _comparison_hover(r, group_label, cohort_label) for r in part.itertuples()
                ],
                hoverinfo="text",
            )
        )
    gaps = frame["ratio"].isna().to_numpy()
    if gaps.any():
        fig.add_trace(
            go.Scatter(
                x=[1.0] * int(gaps.sum()),
                y=[
                    [c for c, m in zip(y[0], gaps, strict=True) if m],
                    [i for i, m in zip(y[1], gaps, strict=True) if m],
                ],
                mode="text",
                textposition="middle right",
                text=[f"<i>\u2002{m}</i>" for m in frame.loc[gaps, "missing"]],
                textfont={"color": "#777777", "size": 11},
                name="not comparable (missing data)",
                hovertext=[
                    _comparison_hover(r, group_label, cohort_label)
                    for r in frame[gaps].itertuples()
                ],
                hoverinfo="text",
            )
        )
    ratios = frame["ratio"].dropna()
    reach = max(1.0, math.ceil(max((abs(math.log10(r)) for r in ratios), default=1.0) + 0.3))
    ticks = [10.0**k for k in range(-int(reach), int(reach) + 1)]
    fig.add_vline(x=1, line={"color": "#333333", "width": 1.5})  # parity
    height = 180 + 26 * len(frame)
    fig.update_xaxes(
        type="log",
        range=[-reach, reach],
        tickvals=ticks,
        ticktext=[_tick(t) for t in ticks],
        title_text=f"{group_label} median ÷ {cohort_label} median (log scale; 1 = parity)",
        showgrid=True,
        gridcolor="#EEEEEE",
    )
    fig.update_yaxes(autorange="reversed", showgrid=True, gridcolor="#F3F3F3", automargin=True)
    for x, anchor, words in (
        (0.0, "left", f"← {cohort_label} higher"),
        (1.0, "right", f"{group_label} higher →"),
    ):
        fig.add_annotation(
            text=words,
            xref="x domain",
            yref="y domain",
            x=x,
            y=1.0,
            yshift=14,
            xanchor=anchor,
            showarrow=False,
            font={"color": "#555555", "size": 11},
        )
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 0.99, "yanchor": "top"},
        height=height,
        margin={"l": 10, "r": 30, "t": 120, "b": 50},
        plot_bgcolor="#FFFFFF",
        showlegend=True,
        legend=legend_below_title(height),
        hoverlabel={"align": "left"},
    )
    return fig


def _times(ratio: float) -> str:
    return f"{ratio:.2g}×" if ratio < 10 else f"{ratio:,.0f}×"


def _tick(value: float) -> str:
    if value == 1:
        return "1 (parity)"
    return f"{value:g}×" if value > 1 else f"1/{1 / value:g}"


def _comparison_hover(row, group_label: str, cohort_label: str) -> str:
    lines = [
        f"<b>{plain(row.claim)} · {plain(row.indicator)}</b> ({BETTER[row.better]})",
        f"{plain(group_label)} median: {figure_text(row.group_median, row.unit) or 'no data'}",
        f"{plain(cohort_label)} median: {figure_text(row.cohort_median, row.unit) or 'no data'}",
    ]
    if pd.notna(row.ratio):
        lines.append(f"ratio: {_times(row.ratio)}")
    return "<br>".join(lines)
