"""One claim's evidence: every project's value against the threshold, the group's median
and the cohort's spread, one panel per indicator."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts import theme
from charts.claims.style import (
    BETTER,
    COHORT_COLOUR,
    GROUP_COLOUR,
    TRACKED_COLOUR,
    wrap,
)
from charts.labels import PERCENT_D3, compact, figure_text, plain
from claims.evaluate import evidence, thresholds_for
from claims.model import Claim
from metrics.indicators import CATALOGUE

EVIDENCE_COLUMNS = [
    "claim_id",
    "indicator",
    "metric",
    "unit",
    "better",
    "threshold",
    "subject",
    "kind",
    "value",
    "quality",
    "coverage",
    "note",
]


def evidence_frame(
    claim: Claim,
    indicators: pd.DataFrame,
    tracked: Sequence[tuple[str, str]],
    cohort_ids: Sequence[str],
    tuned: Mapping[tuple[str, str], float] | None = None,
    group_label: str = "Open-source AI",
    group_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """What a claim's evidence chart draws: per indicator, each tracked project's value (a
    missing one with its note, never zero), the group's median and each cohort member that
    has a value. `kind` is 'project', 'group median' or 'cohort member'."""
    limits = thresholds_for(claim, tuned or {})
    table = evidence(
        claim, indicators, [pid for pid, _ in tracked], cohort_ids, tuned, group_ids=group_ids
    )
    medians = dict(zip(table["metric"], table["group_median"], strict=True))
    by_key = indicators.set_index(["project_id", "indicator"])
    has_coverage = "coverage" in indicators
    cohort = indicators[indicators["project_id"].isin(list(cohort_ids))]
    rows = []
    for rule in claim.indicators:
        info = CATALOGUE[rule.metric]
        base = {
            "claim_id": claim.id,
            "indicator": info.title,
            "metric": rule.metric,
            "unit": info.unit,
            "better": rule.direction,
            "threshold": limits[rule.metric],
        }
        for pid, name in tracked:
            found = (pid, rule.metric) in by_key.index
            row = by_key.loc[(pid, rule.metric)] if found else None
            rows.append(
                {
                    **base,
                    "subject": name,
                    "kind": "project",
                    "value": row["value"] if found else np.nan,
                    "quality": row["quality"] if found else "missing",
                    "coverage": (row["coverage"] or "") if found and has_coverage else "",
                    "note": (row["note"] or "") if found else f"needs {info.supplied_by}",
                }
            )
        median = medians.get(rule.metric)
        rows.append(
            {
                **base,
                "subject": f"{group_label} median",
                "kind": "group median",
                "value": np.nan if median is None else median,
                "quality": "ok" if pd.notna(median) else "missing",
                "coverage": "",
                "note": "" if pd.notna(median) else "no tracked project has a value",
            }
        )
        members = cohort[(cohort["indicator"] == rule.metric) & cohort["value"].notna()]
        for member in members.itertuples():
            rows.append(
                {
                    **base,
                    "subject": member.project,
                    "kind": "cohort member",
                    "value": member.value,
                    "quality": member.quality,
                    "coverage": (getattr(member, "coverage", "") or "") if has_coverage else "",
                    "note": "",
                }
            )
    frame = pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)
    frame["value"] = frame["value"].astype("float64")
    frame["coverage"] = frame["coverage"].fillna("").astype(str)
    frame["note"] = frame["note"].fillna("").astype(str)
    return frame


def evidence_chart(
    frame: pd.DataFrame, title: str, cohort_label: str = "Cohort", cohort_size: int | None = None
) -> go.Figure:
    """One panel per indicator: each tracked project's value as a labelled point, the
    group's median, the cohort's spread as a box with its members, and the threshold as a
    dashed line. Missing values are not drawn; each panel names them underneath."""
    metrics = list(dict.fromkeys(frame["metric"]))
    projects = list(dict.fromkeys(frame.loc[frame["kind"] == "project", "subject"]))
    group = next(iter(frame.loc[frame["kind"] == "group median", "subject"]), "Group median")
    cohort_row = f"{cohort_label} members"
    rows = [plain(p) for p in projects] + [plain(group), plain(cohort_row)]
    titles = []
    for metric in metrics:
        first = frame[frame["metric"] == metric].iloc[0]
        sign = "≥" if first["better"] == "higher" else "≤"
        limit = figure_text(first["threshold"], first["unit"])
        titles.append(
            f"<b>{wrap(plain(first['indicator']), 28)}</b><br>"
            f"<span style='font-size:11px'>{BETTER[first['better']]}; "
            f"met at {sign} {limit}</span>"
        )
    fig = make_subplots(
        rows=1,
        cols=len(metrics),
        shared_yaxes=True,
        horizontal_spacing=0.04 if len(metrics) > 3 else 0.06,
        subplot_titles=titles,
    )
    legend: set[str] = set()
    notes = []
    for col, metric in enumerate(metrics, start=1):
        part = frame[frame["metric"] == metric]
        notes.append(_evidence_panel(fig, part, col, rows, cohort_size, legend))
    # the panels' notes as one block under all of them, a line (wrapped) per panel: a note
    # under a narrow panel would run into the next panel or off the figure's edge
    text = "<br>".join(wrap(note, NOTE_WIDTH) for note in notes)
    lines = text.count("<br>") + 1
    fig.add_annotation(
        text=text,
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-NOTE_SHIFT,
        xanchor="left",
        yanchor="top",
        align="left",
        showarrow=False,
        font={"size": NOTE_FONT},  # the theme's text colour, light or dark
        name="notes",
    )
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=rows[::-1],
        type="category",
        showgrid=True,
        range=[-0.6, len(rows) - 0.4],
        automargin=True,
    )
    fig.update_xaxes(showgrid=True, zeroline=False)
    fig.update_annotations(font_size=12)  # the subplot titles
    # from the top: the title, the panels' titles (up to four lines), the panels; under them
    # the x axes' titles, the notes, then the legend in a band of its own at the bottom
    bottom = NOTE_SHIFT + NOTE_LINE * lines + LEGEND_ROOM
    height = 140 + 34 * len(rows) + bottom
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 0.99, "yanchor": "top"},
        height=height,
        margin={"l": 10, "r": 20, "t": 110, "b": bottom},
        template=theme.TEMPLATE,  # the app's theme replaces its background, grid and text
        showlegend=True,
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 0,
            "yanchor": "bottom",
            "yref": "container",
            "font": {"size": 11},
        },
        hoverlabel={"align": "left"},
    )
    return fig


COHORT_FILL = "rgba(119, 119, 119, 0.25)"  # the cohort's grey, faint: its box behind its points
NOTE_WIDTH = 125  # characters a line of notes holds across the panels (about 750 px in the app)
NOTE_FONT = 10.5
NOTE_LINE = 15  # pixels a line of notes takes
NOTE_SHIFT = 44  # pixels from the panels' bottom to the notes: the x axes' ticks and title
LEGEND_ROOM = 72  # the legend's band: three rows of entries where the figure is narrow


def _evidence_panel(
    fig: go.Figure,
    data: pd.DataFrame,
    col: int,
    rows: list[str],
    cohort_size: int | None,
    legend: set[str],
) -> str:
    """Draw one indicator's panel; returns its note (who has no value, how many cohort
    members have one) for the block under the panels.
    `legend` holds the legend entries shown so far (each is shown once)."""

    def once(name: str) -> bool:
        new = name not in legend
        legend.add(name)
        return new

    first = data.iloc[0]
    unit, threshold, higher = first["unit"], float(first["threshold"]), first["better"] == "higher"
    known = data[data["value"].notna()]
    log = _use_log(known["value"], unit)
    x_ref = "x" if col == 1 else f"x{col}"

    projects = known[known["kind"] == "project"]
    for meets, name, colour, symbol in (
        (True, "tracked project, meets the threshold", TRACKED_COLOUR, "circle"),
        (False, "tracked project, does not meet it", TRACKED_COLOUR, "circle-open"),
    ):
        met = projects["value"] >= threshold if higher else projects["value"] <= threshold
        part = projects[met == meets]
        fig.add_trace(
            go.Scatter(
                x=part["value"].tolist(),
                y=[plain(s) for s in part["subject"]],
                mode="markers+text",
                text=[
                    _value_text(v, unit) + (" · partial" if q == "partial" else "")
                    for v, q in zip(part["value"], part["quality"], strict=True)
                ],
                textposition="top center",
                textfont={"size": 11},
                cliponaxis=False,
                marker={
                    "color": colour,
                    "size": 11,
                    "symbol": symbol,
                    "line": {"width": 2, "color": colour},
                },
                name=name,
                legendgroup=name,
                showlegend=len(part) > 0 and once(name),
                hovertext=[_point_hover(r, unit) for r in part.itertuples()],
                hoverinfo="text",
            ),
            row=1,
            col=col,
        )
    group = known[known["kind"] == "group median"]
    fig.add_trace(
        go.Scatter(
            x=group["value"].tolist(),
            y=[plain(s) for s in group["subject"]],
            mode="markers+text",
            text=[_value_text(v, unit) for v in group["value"]],
            textposition="top center",
            textfont={"size": 11},
            cliponaxis=False,
            marker={"color": GROUP_COLOUR, "size": 12, "symbol": "diamond"},
            name=f"median of {plain(group['subject'].iloc[0]).removesuffix(' median')}"
            if len(group)
            else "group median",
            legendgroup="group",
            showlegend=len(group) > 0 and once("group"),
            hovertext=[_point_hover(r, unit) for r in group.itertuples()],
            hoverinfo="text",
        ),
        row=1,
        col=col,
    )
    members = known[known["kind"] == "cohort member"]
    if len(members):
        fig.add_trace(
            go.Box(
                x=members["value"].tolist(),
                y=[rows[-1]] * len(members),
                orientation="h",
                boxpoints="all",
                jitter=0.5,
                pointpos=0,
                marker={"color": COHORT_COLOUR, "size": 5, "opacity": 0.7},
                line={"color": COHORT_COLOUR},
                fillcolor=COHORT_FILL,
                name="cohort: spread and members",
                legendgroup="cohort",
                showlegend=once("cohort"),
                hovertext=[_point_hover(r, unit) for r in members.itertuples()],
                hoverinfo="text",
            ),
            row=1,
            col=col,
        )
    fig.add_vline(
        x=threshold,  # shapes take data values, on log axes too
        line={"color": theme.NEUTRAL, "dash": "dash", "width": 1.5},
        row=1,
        col=col,
    )
    axis: dict = {"type": "log" if log else "linear"}
    if log:
        low, high = known["value"].min(), max(known["value"].max(), threshold)
        ticks = [
            10.0**k for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        ]
        axis.update(tickvals=ticks, ticktext=[compact(t) for t in ticks])
    if unit == "share":
        axis["tickformat"] = PERCENT_D3
    values = [*known["value"].tolist(), threshold]
    if not log:
        low, high = min(0.0, *values), max(values)
        pad = (high - low) * 0.12 or 1.0
        axis["range"] = [low - (pad if low < 0 else 0), high + pad]
    fig.update_xaxes(**axis, title_text=_axis_title(unit), title_font_size=11, row=1, col=col)

    notes = []
    absent = data[(data["kind"] == "project") & data["value"].isna()]["subject"].tolist()
    if absent:
        notes.append(f"no value: {', '.join(plain(s) for s in absent)}")
    counted = f"{len(members)}" + (f" of {cohort_size}" if cohort_size else "")
    notes.append(f"cohort: {counted} members with a value")
    if known.empty:
        fig.add_annotation(
            text="no data yet",
            xref=f"{x_ref} domain",
            yref="paper",
            x=0.5,
            y=0.5,
            showarrow=False,
            font={"size": 13},
        )
    title = plain(first["indicator"])
    return f"{title}: " + "; ".join(notes)


def _use_log(values: pd.Series, unit: str) -> bool:
    """Log scale for counts spanning two orders of magnitude (all positive)."""
    positive = values[values > 0]
    if unit != "count" or len(positive) < 2 or len(positive) < len(values):
        return False
    return positive.max() / positive.min() >= 100


def _value_text(value: float, unit: str) -> str:
    # a median of counts can fall between two people: 1.5, not '2'
    if unit == "count" and pd.notna(value) and value != round(value):
        return f"{value:,.1f}"
    return figure_text(value, unit)


def _axis_title(unit: str) -> str:
    return {
        "count": "count",
        "share": "share",
        "ratio": "ratio",
        "hours": "hours",
        "days": "days",
        "score": "score (0-10)",
    }.get(unit, unit)


def _point_hover(row, unit: str) -> str:
    lines = [
        f"<b>{plain(row.subject)}</b>",
        f"{plain(row.indicator)}: {figure_text(row.value, unit)}",
    ]
    if row.quality == "partial":
        lines.append("partial: " + wrap(plain(row.coverage or "some repositories left out"), 60))
    return "<br>".join(lines)
