"""Claims: each claim about open-source AI set against its evidence, with tunable thresholds."""

from __future__ import annotations

import streamlit as st

from app import loaders
from claims import verdicts
from claims.evaluate import evidence, verdict_table
from metrics.indicators import CATALOGUE, Windows

VERDICT_MARK = {
    verdicts.SUPPORTED: "supported",
    verdicts.MIXED: "mixed",
    verdicts.NOT_SUPPORTED: "NOT supported",
    verdicts.INSUFFICIENT: "insufficient data",
}


def sidebar_settings(claims) -> tuple[Windows, dict[tuple[str, str], float]]:
    """Windows and per-claim thresholds chosen in the sidebar (defaults from data/claims.toml)."""
    with st.sidebar:
        st.subheader("Claims settings")
        windows = Windows(
            activity_months=st.slider(
                "Activity window (months)", 3, 36, 12, key="claims_activity_months"
            ),
            growth_months=st.slider(
                "Growth window (months)", 3, 36, 12, key="claims_growth_months"
            ),
        )
        tuned: dict[tuple[str, str], float] = {}
        for claim in claims:
            with st.expander(f"Thresholds: {claim.title}"):
                for rule in claim.indicators:
                    info = CATALOGUE[rule.metric]
                    sign = "≥" if rule.direction == "higher" else "≤"
                    tuned[(claim.id, rule.metric)] = st.number_input(
                        f"{info.title} {sign}",
                        value=float(rule.threshold),
                        min_value=0.0,
                        key=f"threshold__{claim.id}__{rule.metric}",
                        help=f"Default {rule.threshold:g}. Met when the value is {sign} this.",
                    )
    return windows, tuned


def render() -> None:
    registry = loaders.registry()
    claims = loaders.claims()
    windows, tuned = sidebar_settings(claims)
    indicators, cohort_ids = loaders.indicators(registry, windows)
    tracked = [(p.id, p.name) for p in registry]
    table = verdict_table(
        claims,
        indicators,
        tracked,
        cohort_ids,
        tuned,
        group_label=registry.groups[0] if registry.groups else "Tracked",
        cohort_label=registry.cohort.label,
    )

    st.title("Claims against evidence")
    st.write(
        "Seven things essays say open-source AI does, each turned into a testable hypothesis "
        "with indicators and thresholds. A verdict is only as good as the data behind it: "
        "**insufficient data** names what is missing and what would supply it. Thresholds and "
        "windows are in the sidebar; every indicator's definition is on the Methods page."
    )
    with st.expander("How verdicts are reached"):
        st.markdown(verdicts.__doc__)

    st.subheader("Verdicts at a glance")
    shown = table.assign(
        cell=table["verdict"].map(VERDICT_MARK)
        + table["fragile"].map({True: " (fragile)", False: ""})
    )
    matrix = shown.pivot(index="subject", columns="claim", values="cell")
    order = [name for _, name in tracked] + [
        s for s in matrix.index if s not in dict(tracked).values()
    ]
    st.dataframe(
        matrix.reindex(index=order, columns=[c.title for c in claims]),
        key="claims_matrix",
    )
    st.caption(
        "(fragile): the verdict changes somewhere within ±25 % of the thresholds. Group and "
        "cohort rows apply the same rules to the median of each indicator."
    )

    for claim in claims:
        st.subheader(claim.title, anchor=f"claim-{claim.id}")
        st.write(claim.hypothesis)
        rows = table[table["claim_id"] == claim.id]
        group = rows[rows["kind"] == "group"].iloc[0]
        cohort = rows[rows["kind"] == "cohort"].iloc[0]
        st.markdown(
            f"**{registry.groups[0] if registry.groups else 'Tracked'}:** "
            f"{VERDICT_MARK[group['verdict']]}{' (fragile)' if group['fragile'] else ''} · "
            f"**{registry.cohort.label}:** {VERDICT_MARK[cohort['verdict']]}"
        )
        st.dataframe(
            evidence(claim, indicators, [pid for pid, _ in tracked], cohort_ids, tuned),
            column_config={
                "indicator": "Indicator",
                "metric": None,
                "better": "Better when",
                "threshold": st.column_config.NumberColumn("Threshold", format="%.4g"),
                "default_threshold": st.column_config.NumberColumn("Default", format="%.4g"),
                "group_median": st.column_config.NumberColumn("AI median", format="%.4g"),
                "cohort_median": st.column_config.NumberColumn("Cohort median", format="%.4g"),
                "effect_size": st.column_config.NumberColumn(
                    "Effect (AI ÷ cohort)", format="%.2f", help="Missing when either side is"
                ),
                "projects_with_value": st.column_config.NumberColumn("Projects with data"),
                "methods": st.column_config.LinkColumn("Method", display_text="how computed"),
            },
            hide_index=True,
            key=f"claims_evidence_{claim.id}",
        )
        st.dataframe(
            rows[rows["kind"] == "project"][
                ["subject", "verdict", "fragile", "met", "not_met", "missing"]
            ],
            column_config={
                "subject": "Project",
                "verdict": "Verdict",
                "fragile": st.column_config.CheckboxColumn("Fragile"),
                "met": "Met",
                "not_met": "Not met",
                "missing": st.column_config.TextColumn(
                    "Missing (and what would supply it)", width="large"
                ),
            },
            hide_index=True,
            key=f"claims_projects_{claim.id}",
        )


if __name__ == "__main__":  # run as a page by st.navigation
    render()
