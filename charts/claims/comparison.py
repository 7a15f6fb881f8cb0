"""The headline: the open-source AI group's medians against the cohort's, per indicator."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.claims.style import (
    AHEAD_COLOUR,
    BEHIND_COLOUR,
    BETTER,
    PARITY_COLOUR,
    legend_below_title,
    short_label,
)
from charts.labels import figure_text, plain
from charts.theme import NEUTRAL, TEMPLATE
from claims.evaluate import evidence
from claims.model import Claim
from metrics.indicators import CATALOGUE


def comparison_frame(
    claims: Sequence[Claim],
    indicators: pd.DataFrame,
    tracked_ids: Sequence[str],
    cohort_ids: Sequence[str],
    group_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per (claim, indicator): the group's and the cohort's medians ('n of N' each), the raw
    ratio and the size-adjusted one with their bootstrap 95 % intervals, and where the group
    stands like with like (`position`, from the adjusted interval). A missing side leaves the
    ratios missing, and `missing` says why."""
    rows = []
    for claim in claims:
        table = evidence(claim, indicators, tracked_ids, cohort_ids, group_ids=group_ids)
        for row in table.itertuples():
            group, cohort = row.group_median, row.cohort_median
            sides = [
                side
                for side, value in (("open-source AI", group), ("cohort", cohort))
                if value is None or pd.isna(value)
            ]
            plottable = _positive(row.adjusted)
            counts = {"open-source AI": row.group_n, "cohort": row.cohort_n}
            short = {"open-source AI": "AI", "cohort": "cohort"}
            thin = [
                f"{short[side]} {counts[side]}"
                for side in sides
                if not counts[side].startswith("0 ")
            ]
            if thin:
                # short: it is drawn beside the parity line, in half the chart's width
                missing = "too few values: " + ", ".join(thin)
            elif len(sides) == 2:
                missing = "no data on either side"
            elif sides:
                missing = f"no {sides[0]} data"
            elif not plottable:
                missing = row.effect_note or "not comparable"
            else:
                missing = ""
            rows.append(
                {
                    "claim_id": claim.id,
                    "claim": short_label(claim),
                    "indicator": row.indicator,
                    "metric": row.metric,
                    "unit": CATALOGUE[row.metric].unit,
                    "better": row.better,
                    "group_median": group,
                    "group_n": row.group_n,
                    "cohort_median": cohort,
                    "cohort_n": row.cohort_n,
                    # the plain ratio of medians, also where too few values allow no interval
                    "ratio": row.raw
                    if _positive(row.raw)
                    else (row.effect_size if _positive(row.effect_size) else np.nan),
                    "ratio_low": row.raw_low,
                    "ratio_high": row.raw_high,
                    "adjusted": row.adjusted if plottable else np.nan,
                    "adjusted_low": row.adjusted_low if plottable else np.nan,
                    "adjusted_high": row.adjusted_high if plottable else np.nan,
                    "position": row.position,
                    "favours": _favours(row.position) if plottable else "",
                    "missing": missing,
                }
            )
    frame = pd.DataFrame(rows)
    for column in (
        "group_median",
        "cohort_median",
        "ratio",
        "ratio_low",
        "ratio_high",
        "adjusted",
        "adjusted_low",
        "adjusted_high",
    ):
        frame[column] = frame[column].astype("float64")
    return frame


def _positive(value) -> bool:
    return value is not None and pd.notna(value) and value > 0 and math.isfinite(value)


def _favours(position: str) -> str:
    return {"ahead of": "open-source AI", "behind": "cohort", "level with": "parity"}.get(
        position, ""
    )


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
    raw = frame["ratio"].notna().to_numpy()
    if raw.any():
        part = frame[raw]
        fig.add_trace(
            go.Scatter(
                x=part["ratio"].tolist(),
                y=[
                    [c for c, m in zip(y[0], raw, strict=True) if m],
                    [i for i, m in zip(y[1], raw, strict=True) if m],
                ],
                mode="markers",
                marker={"color": NEUTRAL, "size": 7, "symbol": "line-ns-open"},
                error_x=_interval(part, "ratio", NEUTRAL),
                name="raw ratio of medians (95 % interval)",
                hovertext=[
                    _comparison_hover(r, group_label, cohort_label) for r in part.itertuples()
                ],
                hoverinfo="text",
            )
        )
    styles = {
        "open-source AI": (f"{group_label} ahead, like with like", AHEAD_COLOUR, "circle"),
        "cohort": (f"{cohort_label} ahead, like with like", BEHIND_COLOUR, "diamond"),
        "parity": ("level: the interval holds 1", PARITY_COLOUR, "square"),
    }
    for favours, (name, colour, symbol) in styles.items():
        mask = (frame["favours"] == favours).to_numpy()
        if not mask.any():
            continue
        part = frame[mask]
        fig.add_trace(
            go.Scatter(
                x=part["adjusted"].tolist(),
                y=[
                    [c for c, m in zip(y[0], mask, strict=True) if m],
                    [i for i, m in zip(y[1], mask, strict=True) if m],
                ],
                mode="markers+text",
                text=[_times(r) for r in part["adjusted"]],
                textposition="top center",
                cliponaxis=False,
                marker={"color": colour, "size": 11, "symbol": symbol},
                error_x=_interval(part, "adjusted", colour),
                name=name,
                hovertext=[
                    _comparison_hover(r, group_label, cohort_label) for r in part.itertuples()
                ],
                hoverinfo="text",
            )
        )
    gaps = frame["adjusted"].isna().to_numpy()
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
                textfont={"size": 11},  # the theme's text colour, light or dark
                name="not comparable (missing data)",
                hovertext=[
                    _comparison_hover(r, group_label, cohort_label)
                    for r in frame[gaps].itertuples()
                ],
                hoverinfo="text",
            )
        )
    ratios = pd.concat(
        [frame[c] for c in ("ratio", "adjusted", "adjusted_low", "adjusted_high")]
    ).dropna()
    ratios = ratios[ratios > 0]
    reach = max(1.0, math.ceil(max((abs(math.log10(r)) for r in ratios), default=1.0) + 0.3))
    ticks = [10.0**k for k in range(-int(reach), int(reach) + 1)]
    fig.add_vline(x=1, line={"color": NEUTRAL, "width": 1.5})  # parity
    height = 180 + 26 * len(frame)
    fig.update_xaxes(
        type="log",
        range=[-reach, reach],
        tickvals=ticks,
        ticktext=[_tick(t) for t in ticks],
        title_text=f"{group_label} ÷ {cohort_label} at equal size, with 95 % bootstrap "
        "intervals (log scale; 1 = parity)",
        showgrid=True,
    )
    fig.update_yaxes(autorange="reversed", showgrid=True, automargin=True)
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
            font={"size": 11},
        )
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 0.99, "yanchor": "top"},
        height=height,
        margin={"l": 10, "r": 30, "t": 120, "b": 50},
        template=TEMPLATE,  # the app's theme replaces its background, grid and text
        showlegend=True,
        legend=legend_below_title(height),
        hoverlabel={"align": "left"},
    )
    return fig


def _interval(part: pd.DataFrame, column: str, colour: str) -> dict:
    """Asymmetric error bars from the `column`_low and _high interval columns."""
    value = part[column]
    return {
        "type": "data",
        "symmetric": False,
        "array": (part[f"{column}_high"] - value).clip(lower=0).fillna(0).tolist(),
        "arrayminus": (value - part[f"{column}_low"]).clip(lower=0).fillna(0).tolist(),
        "color": colour,
        "thickness": 1.5,
        "width": 4,
    }


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
    lines[1] += f" ({row.group_n} members)"
    lines[2] += f" ({row.cohort_n} members)"
    if pd.notna(row.ratio):
        lines.append(f"raw ratio: {_times(row.ratio)} ({_range(row.ratio_low, row.ratio_high)})")
    if pd.notna(row.adjusted):
        lines.append(
            f"at equal size: {_times(row.adjusted)} ({_range(row.adjusted_low, row.adjusted_high)})"
            f", {row.position} comparable open source"
        )
    return "<br>".join(lines)


def _range(low: float, high: float) -> str:
    if pd.isna(low) or pd.isna(high):
        return "no interval"
    return f"95 % interval {_times(low)} to {_times(high)}"
