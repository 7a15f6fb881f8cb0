"""Overview: one row per tracked project, with the latest figures and their age."""

from __future__ import annotations

import streamlit as st

from app import loaders

COLUMNS = {
    "project": st.column_config.TextColumn("Project", pinned=True),
    "stars": st.column_config.NumberColumn("Stars", format="localized"),
    "forks": st.column_config.NumberColumn("Forks", format="localized"),
    "open_issues": st.column_config.NumberColumn(
        "Open issues + PRs", format="localized", help="GitHub's open_issues_count counts both"
    ),
    "star_growth_12m": st.column_config.NumberColumn("Star growth, 12 mo", format="percent"),
    "github_as_of": st.column_config.DateColumn("GitHub as of"),
    "repos_counted": st.column_config.TextColumn("Repos counted"),
    "monthly_downloads": st.column_config.NumberColumn("Monthly downloads", format="localized"),
    "downloads_period": st.column_config.TextColumn("Download period"),
    "download_growth_12m": st.column_config.NumberColumn(
        "Download growth, 12 mo", format="percent", help="Downloads per day vs a year earlier"
    ),
    "notes": st.column_config.TextColumn("Notes", width="large"),
}


def render() -> None:
    registry = loaders.registry()
    members = loaders.load("cohort_members")
    table, about, cohort = loaders.overview_tables(registry)

    st.title("Open-source AI: ecosystem health")
    st.write(
        "Public GitHub and PyPI figures for the projects that essays on open-source AI name, "
        "next to a comparison cohort of popular open source. Empty cells mean the data does "
        "not have the figure (never zero); the Notes column says why."
    )
    first, second, third = st.columns(3)
    first.metric("Stars, all tracked projects", f"{int(table['stars'].sum()):,}")
    second.metric(
        "Monthly downloads, all tracked packages", f"{int(table['monthly_downloads'].sum()):,}"
    )
    third.metric("Projects with figures", f"{int(table['stars'].notna().sum())} of {len(table)}")
    st.subheader("Tracked projects")
    st.dataframe(
        table[list(COLUMNS)], column_config=COLUMNS, hide_index=True, key="overview_tracked"
    )
    st.caption(
        "Stars, forks and open issues add up each project's repositories on their latest "
        "common day; growth compares with about 12 months earlier. Monthly downloads are the "
        "latest monthly window of the project's PyPI packages. Definitions: Data page."
    )

    with st.expander("About the repositories", expanded=False):
        st.dataframe(about, hide_index=True, key="overview_repositories")
        st.caption("Descriptions are the repository owners' own words, shown as plain text.")

    with st.expander(f"{registry.cohort.label}: {len(cohort)} members", expanded=False):
        if members.empty:
            st.info("No cohort is stored: rebuild the default data (see README).")
        else:
            st.caption("Chosen by rule: " + members["rule"].iloc[0])
            st.dataframe(
                cohort[list(COLUMNS)],
                column_config=COLUMNS,
                hide_index=True,
                key="overview_cohort",
            )


if __name__ == "__main__":  # run as a page by st.navigation
    render()
