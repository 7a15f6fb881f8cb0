"""Project: one project in depth: every indicator, its trend, its place in the cohort."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import loaders, widgets
from charts.timeseries import history_chart
from claims.profile import project_profile
from metrics.compare import METRICS, compare
from metrics.indicators import Windows


def render() -> None:
    registry = loaders.registry()
    by_name = {p.name: p for p in registry}
    st.title("One project in depth")
    name = st.selectbox("Project", list(by_name), key="project_name")
    project = by_name[name]
    st.caption(
        "Repositories: "
        + ", ".join(project.repo_names)
        + (" · Packages: " + ", ".join(project.packages) if project.packages else "")
    )
    windows = Windows()
    now, cohort_ids = loaders.indicators(registry, windows)
    before, _ = loaders.indicators(registry, windows, a_year_before=True)
    profile = project_profile(project.id, now, before, cohort_ids)
    st.dataframe(
        profile,
        column_config={
            "indicator": st.column_config.TextColumn("Indicator", pinned=True),
            "value": st.column_config.NumberColumn("Value", format="%.4g"),
            "unit": "Unit",
            "as_of": st.column_config.DateColumn("As of"),
            "quality": st.column_config.TextColumn(
                "Quality",
                help="partial: some of the project's repositories or packages are left out",
            ),
            "a_year_earlier": st.column_config.NumberColumn("A year earlier", format="%.4g"),
            "change": st.column_config.NumberColumn("Change", format="%+.4g"),
            "cohort_percentile": st.column_config.NumberColumn(
                "Cohort percentile", format="%.0f", help="Share of cohort members at or below"
            ),
            "cohort_members_with_value": st.column_config.NumberColumn("Cohort members with data"),
            "source": "Data",
            "note": st.column_config.TextColumn("Note", width="large"),
            "methods": st.column_config.LinkColumn("Method", display_text="how computed"),
        },
        hide_index=True,
        key="project_profile",
    )
    st.caption(
        "Empty values are missing, not zero: the note says what would supply them. 'A year "
        "earlier' recomputes the indicator on the data as it stood 12 months before its newest "
        "observation. The cohort percentile is blank where the cohort has no such data."
    )
    snapshots, downloads = loaders.load("repo_snapshots"), loaders.load("package_downloads")
    left, right = st.columns(2)
    for column, key in ((left, "stars"), (right, "downloads")):
        result = compare([project], METRICS[key], snapshots, downloads)
        if result.frame.empty:
            column.info(f"No {METRICS[key].label.lower()} for {name}.")
            continue
        with column:
            widgets.chart(
                history_chart(
                    result.frame,
                    x="date",
                    y="value",
                    series="series",
                    title=f"{name}: {METRICS[key].label.lower()}",
                    y_title=METRICS[key].label,
                    events=result.events,
                    markers=key == "downloads",
                ),
                result.frame.dropna(subset=["value"]),
                f"{project.id}-{key}",
                f"project_{key}_chart",
            )
    sources = loaders.load("sources")
    st.caption(
        "Sources: "
        + "; ".join(
            f"{r.title} (as of {r.as_of:%Y-%m-%d})"
            for r in sources.itertuples()
            if pd.notna(r.as_of)
        )
    )


if __name__ == "__main__":  # run as a page by st.navigation
    render()
