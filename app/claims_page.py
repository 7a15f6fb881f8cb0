"""Claims: each claim about open-source AI set against its evidence, with tunable thresholds.

The verdict matrix leads; below it, one tab per claim leads with the chart of its evidence
(only the open tab is drawn: widgets.open_tab). The charts come from `views.claims`, so the
export draws exactly what the page shows.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import loaders, tracking, urlstate, widgets
from charts.claims import labelled, missing_line
from charts.labels import figure_text
from claims import verdicts
from claims.model import CAN_BE_NEGATIVE, THRESHOLD_LIMIT
from derived.compute import default_tuned
from metrics.indicators import CATALOGUE, Windows
from views.base import ChartView


def sidebar_settings(claims) -> tuple[Windows, dict[tuple[str, str], float]]:
    """Windows and per-claim thresholds chosen in the sidebar (defaults from data/claims.toml),
    kept in the address as `activity`, `growth` (months), `tune` (the thresholds shown) and
    `t.<claim>.<indicator>`."""
    with st.sidebar:
        st.subheader("Claims settings")
        windows = Windows(
            activity_months=urlstate.bound(
                urlstate.whole("activity", "claims_activity_months", 3, 36),
                12,
                lambda: st.slider(
                    "Activity window (months)", 3, 36, 12, key="claims_activity_months"
                ),
            ),
            growth_months=urlstate.bound(
                urlstate.whole("growth", "claims_growth_months", 3, 36),
                12,
                lambda: st.slider("Growth window (months)", 3, 36, 12, key="claims_growth_months"),
            ),
        )
        tuned = dict(default_tuned(claims))
        if _tuning():
            for claim in claims:
                with st.expander(f"Thresholds: {widgets.markdown_text(claim.title)}"):
                    for rule in claim.indicators:
                        tuned[(claim.id, rule.metric)] = _threshold(claim, rule)
    return windows, tuned


TUNE_KEY = "claims_tune"
THRESHOLD_PARAM = "t."  # the address's threshold parameters: t.<claim>.<indicator>


def _tuning() -> bool:
    """Whether the thresholds' inputs are shown: off by default, since their 22 inputs cost
    a first visit about 0.3 s in the browser. A link carrying a threshold (`t.*`) opens
    with them shown; turned off, every threshold is its claim's own again."""
    carried = [name for name in st.query_params if name.startswith(THRESHOLD_PARAM)]
    if carried and TUNE_KEY not in st.session_state:
        st.session_state[TUNE_KEY] = True
    on = urlstate.bound(
        urlstate.flag("tune", TUNE_KEY),
        False,
        lambda: st.toggle(
            "Change thresholds",
            key=TUNE_KEY,
            help="Off: each claim's own thresholds, as data/claims.toml sets them.",
        ),
    )
    if not on:
        for name in carried:  # the claims' own thresholds again: the address says so too
            del st.query_params[name]
    return on


def _threshold(claim, rule) -> float:
    """One threshold's input, within the limits its unit allows."""
    info = CATALOGUE[rule.metric]
    sign = "≥" if rule.direction == "higher" else "≤"
    low = -THRESHOLD_LIMIT if rule.metric in CAN_BE_NEGATIVE else 0.0
    high = 1.0 if info.unit == "share" and rule.metric not in CAN_BE_NEGATIVE else THRESHOLD_LIMIT
    key = f"threshold__{claim.id}__{rule.metric}"
    return urlstate.bound(
        urlstate.number(f"{THRESHOLD_PARAM}{claim.id}.{rule.metric}", key, low, high),
        float(rule.threshold),
        lambda: st.number_input(
            f"{info.title} {sign}",
            value=float(rule.threshold),
            min_value=low,
            max_value=high,
            key=key,
            help=f"Default {rule.threshold:g}. Met when the value is {sign} this.",
        ),
    )


def render() -> None:
    registry = loaders.registry()
    claims = loaders.claims()
    windows, tuned = sidebar_settings(claims)
    table, charts, evidence_tables = loaders.claim_charts(registry, claims, windows, tuned)
    table = table.assign(label=labelled(table))

    st.title("Claims against evidence")
    st.write(
        "Seven things essays say open-source AI does, each turned into a testable hypothesis "
        "with indicators and thresholds. A verdict is only as good as the data behind it: "
        "**insufficient data** names what is missing and what would supply it. Thresholds and "
        "windows are in the sidebar; every indicator's definition is on the Methods page."
    )
    if note := tracking.group_note(registry):
        st.caption(note)
    with st.expander("How verdicts are reached"):
        st.markdown(verdicts.__doc__)

    st.subheader("Verdicts at a glance")
    _draw(charts[0], "claims_matrix_chart")
    st.caption(
        "Every cell says its verdict in words; the colour repeats it (bluish green: supported, "
        "orange: mixed, vermillion: not supported, grey: insufficient data). *fragile*: the "
        "verdict changes somewhere within ±25 % of the thresholds. *partial data*: a figure "
        "behind the verdict covers only some of the project's repositories or packages (hover "
        "a cell for which). *k of n*: how many of the claim's indicators the verdict rests on "
        "(at least two thirds are needed). The group row applies the same rules to the "
        "median of each indicator over the group chosen by rule; the last row compares the "
        "group with the cohort like with like (sky blue: ahead, yellow: level, reddish "
        "purple: behind), from each indicator's size-adjusted ratio and its 95 % interval. "
        "Columns: "
        + "; ".join(f"{c.id.capitalize()} = {widgets.markdown_text(c.title)}" for c in claims)
        + "."
    )

    st.subheader("Each claim's evidence")
    # the charts after the matrix are the claims', in order (only the open one is decoded)
    by_id = {claim.id: (claim, 1 + i) for i, claim in enumerate(claims)}
    # the tabs are named as the matrix's columns; the Overview links to each (claim=<id>)
    opened, tab = widgets.open_tab("claim", "claims_tab", {c: c.capitalize() for c in by_id})
    claim, index = by_id[opened]
    chart = charts[index]
    with tab:
        _claim_section(claim, chart, table, evidence_tables[claim.id])


def _claim_section(claim, chart: ChartView, table: pd.DataFrame, evidence: pd.DataFrame) -> None:
    """A claim's hypothesis, its two verdicts in words, its evidence chart, what is missing
    and the group against the cohort indicator by indicator."""
    st.subheader(widgets.markdown_text(claim.title), anchor=f"claim-{claim.id}")
    st.markdown(widgets.markdown_text(claim.hypothesis))
    rows = table[table["claim_id"] == claim.id]
    group = rows[rows["kind"] == "group"].iloc[0]
    cohort = rows[rows["kind"] == "cohort"].iloc[0]
    st.markdown(
        f"**{widgets.markdown_text(group['subject'])}:** {group['label']} · "
        f"**{widgets.markdown_text(cohort['subject'])}:** {cohort['label']}"
    )
    _draw(chart, f"claims_evidence_chart_{claim.id}")
    _gaps(claim, rows)
    st.markdown("**The group against the cohort, indicator by indicator**")
    _evidence_table(claim, evidence)
    st.caption(
        "Medians over fresh values only (n of N members); raw: the ratio of the two "
        "medians; at equal size: the ratio from a regression on log contributors ever, "
        "which compares projects of the same size; both with 95 % bootstrap intervals. "
        "The standing comes from the interval at equal size. Thresholds and their "
        "sources: Methods page."
    )


def _draw(chart: ChartView, key: str) -> None:
    widgets.chart(chart.figure, chart.data, chart.name, key)


def _gaps(claim, rows: pd.DataFrame) -> None:
    """One line per subject with missing or partial figures: what is missing and what would
    supply it, which repositories a partial figure leaves out."""
    missing, partial = [], []
    for row in rows.itertuples():
        name = widgets.markdown_text(row.subject)
        if row.missing:
            state = (
                "insufficient data"
                if row.verdict == verdicts.INSUFFICIENT
                else f"verdict from {len(claim.indicators) - row.missing.count(chr(10)) - 1} of "
                f"{len(claim.indicators)} indicators"
            )
            missing.append(
                f"- **{name}** ({state}): {widgets.markdown_text(missing_line(row.missing))}"
            )
        if getattr(row, "partial", False) and getattr(row, "coverage", ""):
            partial.append(f"- **{name}**: {widgets.markdown_text(row.coverage)}")
    if missing:
        st.caption("Missing values, not drawn (never as zero):\n" + "\n".join(missing))
    if partial:
        st.caption("Partial data:\n" + "\n".join(partial))


def _evidence_table(claim, table: pd.DataFrame) -> None:
    units = [CATALOGUE[m].unit for m in table["metric"]]
    sign = {"higher": "≥ ", "lower": "≤ "}
    shown = table.assign(
        rule=[
            sign[b] + figure_text(t, u)
            for b, t, u in zip(table["better"], table["threshold"], units, strict=True)
        ],
        group=[
            f"{figure_text(v, u) or '—'} ({n})"
            for v, u, n in zip(table["group_median"], units, table["group_n"], strict=True)
        ],
        cohort=[
            f"{figure_text(v, u) or '—'} ({n})"
            for v, u, n in zip(table["cohort_median"], units, table["cohort_n"], strict=True)
        ],
        raw_ratio=[
            _ratio(r, lo, hi)
            for r, lo, hi in zip(table["raw"], table["raw_low"], table["raw_high"], strict=True)
        ],
        adjusted_ratio=[
            _ratio(r, lo, hi)
            for r, lo, hi in zip(
                table["adjusted"], table["adjusted_low"], table["adjusted_high"], strict=True
            )
        ],
        standing=[
            p if p != verdicts.INSUFFICIENT or not note else f"{p}: {note}"
            for p, note in zip(table["position"], table["effect_note"], strict=True)
        ],
    )
    widgets.static_table(
        shown,
        {
            "indicator": "Indicator",
            "standing": "AI is … (than the cohort, like with like)",
            "adjusted_ratio": "At equal size (95 % interval)",
            "raw_ratio": "Raw ratio (95 % interval)",
            "group": "AI median (n of N)",
            "cohort": "Cohort median (n of N)",
            "rule": "Met when",
            "methods": "Method",
        },
        links={"methods": "how"},
    )


def _ratio(value: float, low: float, high: float) -> str:
    """'1.8× (1.3–2.5)': a ratio with its 95 % interval; blank when there is none."""
    if pd.isna(value):
        return ""
    interval = f" ({low:.2g}–{high:.2g})" if pd.notna(low) and pd.notna(high) else ""
    return f"{value:.2g}×{interval}"


if __name__ == "__main__":  # run as a page by st.navigation
    render()
