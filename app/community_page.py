"""Community: who contributes, how many, from where, and how concentrated (from git history)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import columns, loaders, urlstate, widgets
from metrics import community
from views.base import ChartView
from views.community import CommunitySettings, subjects

SUMMARY_COLUMNS = {
    "project": columns.text("Project", 230, pinned=True),
    "git_repos": columns.text(
        "Git repos",
        65,
        help="Repositories whose git history the figures rest on, of the project's own; fewer "
        "than all: partial figures (the list below says which). A family repository is a row "
        "of its own, never part of its project's figures",
    ),
    "history_ends": columns.date(
        "Last commit", 90, help="The newest commit of the history in the data"
    ),
    "contributors_all_time": columns.number(
        "People, ever", 80, help="Contributors, all time", fmt="localized"
    ),
    "active": columns.number("Active", 55, help="People contributing in the window"),
    "new": columns.number("New", 50, help="People whose first contribution falls in the window"),
    "bus_factor": columns.number(
        "Bus factor",
        70,
        help="Contributor absence factor: fewest people making the chosen share of contributions",
    ),
    "elephant_factor": columns.number(
        "Elephant", 65, help="Fewest organizations (e-mail domains) making the chosen share"
    ),
    "independent_share": columns.percent(
        "Unaffiliated",
        85,
        help="Share of authored commits from personal addresses (public mail providers, "
        "no-reply) or without a usable domain: work whose affiliation is not shown",
    ),
    "releases": columns.number("Releases", 65, help="In the window"),
    "median_days_between_releases": columns.number(
        "Release gap", 85, help="Median days between releases", fmt="%.0f days"
    ),
}


def render() -> None:
    registry = loaders.registry()

    st.title("Community: who contributes, and how concentrated")
    st.write(
        "From every commit on each project's own repositories; a family repository (a library "
        "or the examples of the same project) is a row of its own and never counts for its "
        "project. People are pseudonymous ids; organizations are e-mail domains, public mail "
        "providers being personal addresses, not an organization."
    )
    with st.expander("Settings", expanded=False):
        left, right = st.columns(2)
        periods = ["month", "quarter", "year"]
        settings = CommunitySettings(
            freq=urlstate.bound(
                urlstate.choice("period", "community_freq", {p: p for p in periods}),
                "quarter",
                lambda: left.radio(
                    "Period", periods, index=1, horizontal=True, key="community_freq"
                ),
            ),
            window_months=urlstate.bound(
                urlstate.whole("window", "community_window", 3, 36),
                12,
                lambda: left.slider(
                    "Window for factors and the table (months)", 3, 36, 12, key="community_window"
                ),
            ),
            share=urlstate.bound(
                urlstate.number("share", "community_share", 0.1, 0.9, 0.05),
                0.5,
                lambda: right.slider(
                    "Share of contributions for the factors",
                    0.1,
                    0.9,
                    0.5,
                    0.05,
                    key="community_share",
                ),
            ),
            include_bots=urlstate.bound(
                urlstate.flag("bots", "community_bots"),
                False,
                lambda: right.checkbox("Count bots as contributors", key="community_bots"),
            ),
            include_merges=urlstate.bound(
                urlstate.flag("merges", "community_merges"),
                False,
                lambda: right.checkbox("Count merge commits", key="community_merges"),
            ),
        )
    with st.expander("How these are computed", expanded=False):
        st.markdown(community.__doc__)
    views = loaders.community(registry, settings)
    table, window = views.summary, settings.window_months

    st.subheader("All projects")
    widgets.table(
        table.reindex(columns=[*SUMMARY_COLUMNS, "note"]),
        column_config=SUMMARY_COLUMNS,
        column_order=list(SUMMARY_COLUMNS),
        key="community_summary",
    )
    notes = [
        f"- **{widgets.markdown_text(row.project)}**: {widgets.markdown_text(row.note)}"
        for row in table.reindex(columns=["project", "note"]).itertuples()
        if isinstance(row.note, str) and row.note
    ]
    if notes:
        st.caption("Blank cells are missing, not zero:\n" + "\n".join(notes))
    partial = [
        f"- **{widgets.markdown_text(row.project)}** (partial): "
        f"{widgets.markdown_text(row.coverage)}"
        for row in table.reindex(columns=["project", "coverage", "partial"]).itertuples()
        if pd.notna(row.partial) and bool(row.partial)
    ]
    if partial:
        st.caption(
            "Partial figures: some of these projects' own repositories have no history in the "
            "data (too large to bring into the default data, or not a repository with code) "
            "until a git refresh:\n" + "\n".join(partial)
        )
    sources = sorted(
        {str(s) for s in table.reindex(columns=["release_source"])["release_source"].dropna() if s}
    )
    st.caption(
        f"Window: the {window} months to the data's as-of day, the same for every project "
        "(a history that ends earlier has fewer people in it, not a window of its own). "
        "Releases are the "
        "PyPI releases of the project's packages (yanked and pre-releases left out), else the "
        "tags of its main repositories"
        + (f" — here: {widgets.markdown_text('; '.join(sources))}." if sources else ".")
    )
    urlstate.expect("project")  # drawn only when there is git history
    if views.active is None:
        st.info("No git history is stored yet.")
        return
    _draw(views.active, "community_active_chart")

    st.subheader("One project in depth")
    ids = {p.id: p.name for p in subjects(registry) if p.name in views.projects}
    name = urlstate.bound(
        urlstate.choice("project", "community_project", ids),
        next(iter(views.projects)),
        lambda: st.selectbox("Project", list(views.projects), key="community_project"),
    )
    project = views.projects[name]
    charts = project.charts
    opened, tab = widgets.open_tab("chart", "community_chart", IN_DEPTH)
    with tab:
        if opened != "releases":
            _draw(charts[opened], IN_DEPTH_KEYS[opened])
        elif "releases" not in charts:
            st.info(
                f"{widgets.markdown_text(name)}: no releases on PyPI and no tags in its main "
                "repositories."
            )
        else:
            _draw(charts["releases"], IN_DEPTH_KEYS["releases"])
            if project.median_gap is not None:
                st.caption(f"Median {project.median_gap:.0f} days between releases.")


# One project in depth: its charts, one tab each (only the open one is drawn)
IN_DEPTH = {
    "contributors": "Contributors",
    "factors": "Absence factors",
    "organizations": "Organizations",
    "releases": "Releases",
    "heatmap": "Working hours",
}
IN_DEPTH_KEYS = {
    "contributors": "community_flow_chart",
    "factors": "community_factor_chart",
    "organizations": "community_org_chart",
    "releases": "community_release_chart",
    "heatmap": "community_heatmap",
}


def _draw(chart: ChartView, key: str) -> None:
    widgets.chart(chart.figure, chart.data, chart.name, key)


if __name__ == "__main__":  # run as a page by st.navigation
    render()
