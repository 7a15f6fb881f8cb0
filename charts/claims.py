"""Charts of the claims: the verdict colours and words, the verdict matrix, each claim's
evidence (every project's value against the threshold and the cohort's spread) and the
headline comparison of the open-source AI group with the cohort.

Builders are pure: frames in, plotly figures out. Each figure has a frame (the `*_frame`
functions) that holds exactly what it draws, for its CSV download. Verdicts always carry
their words; colour (Okabe-Ito, safe for colour-blind readers) only repeats them.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts.labels import figure_text, plain
from claims.evaluate import evidence, thresholds_for
from claims.model import Claim
from claims.verdicts import INSUFFICIENT, MIXED, NOT_SUPPORTED, SUPPORTED
from metrics.indicators import CATALOGUE

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
VERDICT_COLOURS = {
    SUPPORTED: "#009E73",  # bluish green
    MIXED: "#E69F00",  # orange
    NOT_SUPPORTED: "#D55E00",  # vermillion
    INSUFFICIENT: "#BBBBBB",  # grey
}
VERDICT_ORDER = (SUPPORTED, MIXED, NOT_SUPPORTED, INSUFFICIENT)
TRACKED_COLOUR = "#0072B2"  # blue: the tracked projects' points
GROUP_COLOUR = "#000000"
COHORT_COLOUR = "#999999"
BETTER = {"higher": "higher is better", "lower": "lower is better"}


def short_label(claim: Claim) -> str:
    """A column-sized name for a claim: its id in words ('Collaboration')."""
    return claim.id.replace("_", " ").replace("-", " ").capitalize()


def verdict_label(verdict: str, fragile: bool = False, partial: bool = False) -> str:
    """The verdict in words, with its qualifiers: 'mixed (fragile) · partial data'."""
    return verdict + (" (fragile)" if fragile else "") + (" · partial data" if partial else "")


def verdict_css(label: object) -> str:
    """Cell style for a verdict label (pandas Styler): its colour behind black words."""
    verdict = next((v for v in VERDICT_ORDER if str(label).startswith(v)), None)
    if verdict is None:
        return ""
    return f"background-color: {VERDICT_COLOURS[verdict]}; color: #000000"


def labelled(table: pd.DataFrame) -> pd.Series:
    """verdict_table rows as labels; works with and without the `partial` column."""
    partial = table["partial"] if "partial" in table else pd.Series(False, index=table.index)
    return pd.Series(
        [
            verdict_label(v, bool(f), bool(p))
            for v, f, p in zip(table["verdict"], table["fragile"], partial, strict=True)
        ],
        index=table.index,
    )


def fold_missing(missing: str) -> list[tuple[str, list[str]]]:
    """'A (needs x); B (needs x); C (why)' -> [('needs x', ['A', 'B']), ('why', ['C'])].

    The reason is the last parenthesised part of each item; titles may hold parentheses too.
    """
    folded: dict[str, list[str]] = {}
    for item in (part.strip() for part in str(missing or "").split("; ")):
        if not item:
            continue
        title, reason = _split_reason(item)
        folded.setdefault(reason, []).append(title)
    return list(folded.items())


def _split_reason(item: str) -> tuple[str, str]:
    if not item.endswith(")"):
        return item, ""
    depth = 0
    for index in range(len(item) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(item[index], 0)
        if depth == 0:
            return item[:index].strip(), item[index + 1 : -1]
    return item, ""


def missing_line(missing: str) -> str:
    """One line for everything a subject lacks, by what would supply it."""
    parts = []
    for reason, titles in fold_missing(missing):
        parts.append(", ".join(titles) + (f": {reason}" if reason else ""))
    return "; ".join(parts)


# -- the verdict matrix ---------------------------------------------------------------------


def matrix_frame(table: pd.DataFrame, claims: Sequence[Claim]) -> pd.DataFrame:
    """verdict_table in the matrix's order, with the label drawn in each cell."""
    order = {c.id: i for i, c in enumerate(claims)}
    shown = table.assign(
        label=labelled(table),
        short=table["claim_id"].map({c.id: short_label(c) for c in claims}),
        claim_order=table["claim_id"].map(order),
    )
    columns = ["subject", "kind", "claim_id", "short", "claim", "verdict", "label"]
    extra = [c for c in ("coverage", "met", "not_met", "missing") if c in shown]
    return shown.sort_values("claim_order", kind="stable")[columns + extra].reset_index(drop=True)


def matrix_chart(frame: pd.DataFrame, title: str) -> go.Figure:
    """Subjects down, claims across; each cell its verdict's colour and its words."""
    subjects = list(dict.fromkeys(frame["subject"]))
    shorts = list(dict.fromkeys(frame["short"]))
    cell = frame.set_index(["subject", "short"])
    codes = {v: i for i, v in enumerate(VERDICT_ORDER)}
    z, text, hover = [], [], []
    for subject in subjects:
        z.append([codes.get(cell.loc[(subject, s), "verdict"], np.nan) for s in shorts])
        text.append([_cell_text(cell.loc[(subject, s), "label"]) for s in shorts])
        hover.append([_cell_hover(cell.loc[(subject, s)], subject) for s in shorts])
    n = len(VERDICT_ORDER)
    scale = []
    for i, verdict in enumerate(VERDICT_ORDER):
        scale += [[i / n, VERDICT_COLOURS[verdict]], [(i + 1) / n, VERDICT_COLOURS[verdict]]]
    kinds = frame.drop_duplicates("subject").set_index("subject")["kind"]
    ticks = [plain(s) if kinds[s] == "project" else f"<b>{plain(s)}</b>" for s in subjects]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=shorts,
            y=ticks,
            text=text,
            texttemplate="%{text}",
            textfont={"color": "#000000", "size": 12},
            hovertext=hover,
            hoverinfo="text",
            colorscale=scale,
            zmin=-0.5,
            zmax=n - 0.5,
            showscale=False,
            xgap=3,
            ygap=3,
        )
    )
    lines = max((t.count("<br>") + 1 for row in text for t in row), default=1)
    fig.update_layout(
        title=title,
        height=100 + (30 + 15 * lines) * len(subjects),
        margin={"l": 10, "r": 10, "t": 90, "b": 10},
        plot_bgcolor="#FFFFFF",
    )
    fig.update_xaxes(side="top", showgrid=False, fixedrange=True, automargin=True)
    fig.update_yaxes(autorange="reversed", showgrid=False, fixedrange=True, automargin=True)
    return fig


def _cell_text(label: str) -> str:
    # the verdict, then each qualifier on a line of its own: cells are narrow
    verdict, _, partial = label.partition(" · ")
    verdict, fragile, _ = verdict.partition(" (fragile)")
    return "<br>".join(
        [verdict] + (["fragile"] if fragile else []) + ([partial] if partial else [])
    )


def _cell_hover(row: pd.Series, subject: str) -> str:
    lines = [f"<b>{plain(subject)}</b>", plain(row["claim"]), f"Verdict: {plain(row['label'])}"]
    for column, name in (("met", "Met"), ("not_met", "Not met"), ("coverage", "Partial")):
        if column in row and isinstance(row[column], str) and row[column]:
            lines.append(f"{name}: {_wrap(plain(row[column]), 70)}")
    if "missing" in row and isinstance(row["missing"], str) and row["missing"]:
        lines.append("Missing: " + _wrap(plain(missing_line(row["missing"])), 70))
    return "<br>".join(lines)


# -- one claim's evidence -------------------------------------------------------------------

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
) -> pd.DataFrame:
    """What a claim's evidence chart draws: per indicator, each tracked project's value (a
    missing one with its note, never zero), the group's median and each cohort member that
    has a value. `kind` is 'project', 'group median' or 'cohort member'."""
    limits = thresholds_for(claim, tuned or {})
    table = evidence(claim, indicators, [pid for pid, _ in tracked], cohort_ids, tuned)
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
            f"<b>{_wrap(plain(first['indicator']), 28)}</b><br>"
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
    lowest, legend = 0, set()
    for col, metric in enumerate(metrics, start=1):
        part = frame[frame["metric"] == metric]
        lines = _evidence_panel(fig, part, col, rows, cohort_size, legend)
        lowest = max(lowest, lines)
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=rows[::-1],
        type="category",
        showgrid=True,
        gridcolor="#EEEEEE",
        range=[-0.6, len(rows) - 0.4],
        automargin=True,
    )
    fig.update_xaxes(showgrid=True, gridcolor="#EEEEEE", zeroline=False)
    fig.update_annotations(font_size=12)  # the subplot titles
    height = 200 + 34 * len(rows) + 14 * lowest
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 0.99, "yanchor": "top"},
        height=height,
        margin={"l": 10, "r": 20, "t": 130, "b": 70 + 14 * lowest},
        plot_bgcolor="#FFFFFF",
        showlegend=True,
        legend=_legend_below_title(height),
        hoverlabel={"align": "left"},
    )
    return fig


def _evidence_panel(
    fig: go.Figure,
    data: pd.DataFrame,
    col: int,
    rows: list[str],
    cohort_size: int | None,
    legend: set[str],
) -> int:
    """Draw one indicator's panel; returns how many lines of notes it put underneath.
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
                marker={"color": colour, "size": 11, "symbol": symbol, "line": {"width": 2}},
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
            name="median of the tracked projects",
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
                line={"color": "#555555"},
                fillcolor="rgba(153,153,153,0.25)",
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
        line={"color": "#333333", "dash": "dash", "width": 1.5},
        row=1,
        col=col,
    )
    axis: dict = {"type": "log" if log else "linear"}
    if log:
        low, high = known["value"].min(), max(known["value"].max(), threshold)
        ticks = [
            10.0**k for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        ]
        axis.update(tickvals=ticks, ticktext=[_compact(t) for t in ticks])
    if unit == "share":
        axis["tickformat"] = ".0%"
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
            font={"color": "#666666", "size": 13},
        )
    text = "<br>".join(_wrap(n, 44) for n in notes)
    fig.add_annotation(
        text=text,
        xref=f"{x_ref} domain",
        yref="paper",
        x=0,
        y=0,
        yshift=-42,
        xanchor="left",
        yanchor="top",
        align="left",
        showarrow=False,
        font={"size": 10.5, "color": "#444444"},
    )
    return text.count("<br>") + 1


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


def _compact(value: float) -> str:
    for size, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if value >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def _legend_below_title(height: int) -> dict:
    return {
        "orientation": "h",
        "x": 0,
        "xanchor": "left",
        "y": 1 - 44 / height,
        "yanchor": "top",
        "yref": "container",
        "font": {"size": 11},
    }


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
        lines.append("partial: " + _wrap(plain(row.coverage or "some repositories left out"), 60))
    return "<br>".join(lines)


def _wrap(text: str, width: int) -> str:
    return "<br>".join(textwrap.wrap(text, width)) or text


# -- the headline: the group against the cohort -------------------------------------------


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
        legend=_legend_below_title(height),
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
