"""Data: where every figure comes from, how much of it there is, and what to beware of."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import static_site
from app import columns, loaders, tracking, urlstate, widgets
from errors import DashboardError
from metrics.cohort import cohort_projects, members_of, with_git_history
from metrics.coverage import KINDS
from metrics.freshness import current_sources, source_ages
from views.data import caveats, histories_note

# the runs as people read them: when, what, how it went (the run's id and its other counters
# stay in the CSV download and in `./dev cli status`)
RUN_COLUMNS = {
    "started_at": columns.timestamp("Started (UTC)", 130),
    "collector": columns.text("Source", 80),
    "target": columns.text("Repository / package", 190),
    "status": columns.text("Outcome", 80),
    "requests": columns.number("Requests", 75),
    "not_modified": columns.number(
        "Unchanged", 80, help="Requests answered 'not modified' (304): nothing new to read"
    ),
    "retries": columns.number("Retries", 60),
    "rows_written": columns.number("Rows written", 90, fmt="localized"),
    "message": columns.text("Message", 175),
}


def render() -> None:
    registry = loaders.registry()
    runs = loaders.load("collection_runs")
    sources = current_sources(loaders.load("sources"), runs)  # dated as refreshed
    members = loaders.load("cohort_members")

    st.title("Data: sources, coverage and caveats")

    st.subheader("Sources")
    ages = source_ages(sources, runs, pd.Timestamp.now(tz="UTC"))
    shown = sources.merge(ages, left_on="title", right_on="source", how="left", suffixes=("", "_"))
    widgets.table(
        shown[["title", "as_of", "age_days", "licence", "url", "revision", "coverage", "notes"]],
        column_config={
            "title": columns.text("Source", 180),
            "as_of": columns.date("Data as of", 85),
            "age_days": columns.number("Age (days)", 70),
            "licence": columns.text("Licence / terms", 190),
            "url": columns.link("Where", "open", 60),
            "revision": columns.text("Revision read", 95),
            "coverage": columns.text("Covers", 140),
            "notes": columns.text("Caveats", 140),
        },
        key="data_sources",
        wrap=6,
    )

    st.subheader("Coverage")
    kind = urlstate.bound(
        urlstate.choice("kind", "data_kind", {urlstate.slug(k): k for k in KINDS}),
        next(iter(KINDS)),
        lambda: st.selectbox("Kind of data", list(KINDS), key="data_kind"),
    )
    projects = list(registry)
    if urlstate.bound(
        urlstate.flag("cohort", "data_include_cohort"),
        False,
        lambda: st.checkbox("Include the comparison cohort", key="data_include_cohort"),
    ):
        projects += cohort_projects(members, registry.cohort.label)
    table = loaders.coverage(projects)
    widgets.table(
        table[table["data"] == kind].drop(columns="data"),
        column_config={
            "project": columns.text("Project", 150),
            "subject": columns.text("Repository / package", 200),
            "first": columns.date("First", 85),
            "last": columns.date("Last", 85),
            "observations": columns.number("Observations", 90),
            "missing_inside": columns.number(
                "Missing inside span",
                115,
                help="Days (or snapshots) between first and last when the source published data "
                "but not for this subject",
            ),
            "status": columns.text("Status", 235),
        },
        key="data_coverage",
        wrap=3,
    )

    st.subheader("Known caveats and how they are handled")
    for caveat in caveats():
        st.markdown(f"- {caveat}")

    st.subheader(
        widgets.markdown_text(f"{registry.cohort.group_label} and {registry.cohort.label}")
    )
    if members.empty:
        st.info("No cohort stored.")
    else:
        st.caption(
            "Rule: "
            + widgets.markdown_text(members["rule"].iloc[0])
            + ". The candidates left out, and why: Methods page."
        )
        listed = pd.concat([members_of(members, "group"), members_of(members, "cohort")])
        listed = listed.assign(side=listed["side"].fillna("cohort"))
        shown = with_git_history(listed, counts=loaders.commit_counts())
        widgets.table(
            shown[["side", "rank", "name", "repo", "measure", "value", "commits", "as_of"]],
            column_config={
                "side": columns.text("Side", 70, help="'group': the open-source AI group"),
                "rank": columns.number("Rank", 55),
                "name": columns.text("Name", 160),
                "repo": columns.text("Repository (from PyPI)", 220),
                "measure": columns.text("Ranked by", 140),
                "value": columns.number("Value", 110, fmt="localized"),
                "commits": columns.number(
                    "Commits here",
                    120,
                    fmt="localized",
                    help="Its repository's git history in the data; blank: none (too large to "
                    "bring here, or no repository named)",
                ),
                "as_of": columns.date("On", 85),
            },
            key="data_cohort",
        )
        with_git = int(shown["commits"].notna().sum())
        st.caption(f"{with_git} of {len(shown)} members have git history in the data.")

    histories = loaders.load("git_histories")
    if len(histories):
        st.subheader("Git histories sought for the shipped data")
        st.caption(histories_note(histories))
        widgets.table(
            histories.sort_values(["status", "repo"])[
                ["repo", "status", "snapshot", "size_mb", "reason"]
            ],
            column_config={
                "repo": columns.text("Repository", 260),
                "status": columns.text("Status", 90),
                "snapshot": columns.date("Snapshot", 100),
                "size_mb": columns.number("Size (MB)", 90, fmt="%.0f"),
                "reason": columns.text("Why not in the data", 420),
            },
            key="data_histories",
        )

    st.subheader("Collection runs")
    widgets.table(
        runs.sort_values("started_at", ascending=False)
        .head(200)
        .assign(started_at=lambda r: pd.to_datetime(r["started_at"], utc=True, errors="coerce")),
        column_order=list(RUN_COLUMNS),
        column_config=RUN_COLUMNS,
        key="data_runs",
    )

    static_report(registry)
    tracking.tracked_section(registry)


def static_report(registry) -> None:
    """The whole dashboard as a static report (`cli.py export --site`), built on request and
    offered as a zip: every page as HTML that opens offline and can be published as it is."""
    st.subheader("Static report")
    st.caption(
        "Every page with its default settings as static HTML: interactive charts, the tables, "
        "the Methods text and each figure's sources. Unzip it and open index.html (offline), "
        "or publish the folder on any static host. `./dev cli export --site DIR` makes the "
        "same. Building it takes about half a minute."
    )
    if st.button("Build the static report", key="data_build_site"):
        with st.spinner("Building the static report"):
            try:
                files = static_site.site_files(loaders.catalog(), registry)
            except DashboardError as exc:
                st.error(f"The report could not be built: {widgets.markdown_text(exc)}")
                return
            st.session_state["data_site_zip"] = static_site.site_zip(files)
    built = st.session_state.get("data_site_zip")
    if built:
        st.download_button(
            f"Download the static report (zip, {len(built) / 1e6:.1f} MB)",
            data=built,
            file_name="ossai-report.zip",
            mime="application/zip",
            key="data_site_download",
            on_click="ignore",
        )


if __name__ == "__main__":  # run as a page by st.navigation
    render()
