"""The verdict matrix: subjects down, claims across, each cell its verdict in words."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.claims.style import (
    VERDICT_COLOURS,
    VERDICT_ORDER,
    labelled,
    missing_line,
    short_label,
    wrap,
)
from charts.labels import plain
from charts.theme import ON_FILL, TEMPLATE
from claims.model import Claim


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
    # long names (the group's two rows) wrapped: a one-line label would take the cells' width
    ticks = [
        wrap(plain(s), TICK_WIDTH)
        if kinds[s] == "project"
        else f"<b>{wrap(plain(s), TICK_WIDTH)}</b>"
        for s in subjects
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=shorts,
            y=ticks,
            text=text,
            texttemplate="%{text}",
            textfont={"color": ON_FILL, "size": 12},  # on the cell's colour, in either theme
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
    lines = max(lines, *(t.count("<br>") + 1 for t in ticks)) if ticks else lines
    fig.update_layout(
        title=title,
        height=100 + (CELL_PAD + CELL_LINE * lines) * len(subjects),
        margin={"l": 10, "r": 10, "t": 90, "b": 10},
        template=TEMPLATE,  # the app's theme replaces its background (the gaps between cells)
    )
    fig.update_xaxes(side="top", showgrid=False, fixedrange=True, automargin=True)
    fig.update_yaxes(autorange="reversed", showgrid=False, fixedrange=True, automargin=True)
    return fig


TICK_WIDTH = 26  # characters a line of a row's name holds
CELL_LINE = 16  # pixels a line of a cell's words takes (12 px text)
CELL_PAD = 22  # pixels above and below a cell's words, with the gap between rows


def _cell_text(label: str) -> str:
    # the verdict, then each qualifier on a line of its own: cells are narrow
    verdict, *qualifiers = label.split(" · ")
    verdict, fragile, _ = verdict.partition(" (fragile)")
    return "<br>".join([verdict] + (["fragile"] if fragile else []) + qualifiers)


def _cell_hover(row: pd.Series, subject: str) -> str:
    lines = [f"<b>{plain(subject)}</b>", plain(row["claim"]), f"Verdict: {plain(row['label'])}"]
    for column, name in (("met", "Met"), ("not_met", "Not met"), ("coverage", "Partial")):
        if column in row and isinstance(row[column], str) and row[column]:
            lines.append(f"{name}: {wrap(plain(row[column]), 70)}")
    if "missing" in row and isinstance(row["missing"], str) and row["missing"]:
        lines.append("Missing: " + wrap(plain(missing_line(row["missing"])), 70))
    return "<br>".join(lines)
