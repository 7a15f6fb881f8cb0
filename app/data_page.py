"""Data: where every figure comes from, how much of it there is, and what to beware of."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import columns, loaders, tracking, widgets
from collectors import archives
from metrics.cohort import cohort_projects, members_of, with_git_history
from metrics.coverage import KINDS
from metrics.freshness import source_ages

CAVEATS = [
    "**Absence is not zero.** The GitHub archive lists only each language's top 100 "
    "repositories per day, and the PyPI archive only the top 4,000-15,000 packages. A project "
    "missing on a day was outside the lists; it is shown as a gap, never as zero.",
    "**Gaps.** The GitHub archive misses 283 days, two of them long (2021-10-01 to 2021-12-18 "
    "and 2024-10-23 to 2025-01-08). Lines break across gaps longer than a week.",
    "**Anomalous days.** On some days the archive's source returned wrong lists. Values that "
    "dip for a single observation below 90 % of both neighbours are kept but flagged and not "
    "charted.",
    "**Renames and case variants.** huggingface/pytorch-transformers became "
    "huggingface/transformers on 2019-09-26; the registry's `formerly` joins them into one "
    "series (the name the archive used each day is kept in `listed_as`). Names differing only "
    "in letter case are one repository.",
    "**Never listed.** CompVis/stable-diffusion is a Jupyter Notebook repository, a language "
    "the archive does not track, and it never reached the overall top 100: it has no GitHub "
    "figures until a live refresh.",
    "**Download windows.** Windows were 30 days, then 22-29 days (2024-12 to 2025-06), then "
    "calendar months (from 2025-07). Charts use downloads per day; the 365-day series (until "
    "2021-04) is kept apart.",
    f"**Counting changes.** Up to {archives.PIP_ONLY_UNTIL:%Y-%m-%d} only pip downloads were "
    f"counted, all installers after; from {archives.CLICKHOUSE_FROM:%Y-%m} the source moved "
    "from BigQuery to ClickHouse. Growth across those changes is not computed (missing, with "
    "the reason); the share of PyPI downloads is compared within one counting method only.",
    "**Stars are not users.** Stars and forks measure attention, downloads include CI and "
    "mirrors; neither counts people.",
]


def render() -> None:
    registry = loaders.registry()
    sources = loaders.load("sources")
    runs = loaders.load("collection_runs")
    members = loaders.load("cohort_members")

    st.title("Data: sources, coverage and caveats")

    st.subheader("Sources")
    ages = source_ages(sources, runs, pd.Timestamp.now(tz="UTC"))
    shown = sources.merge(ages, left_on="title", right_on="source", how="left", suffixes=("", "_"))
    widgets.table(
        shown[["title", "as_of", "age_days", "licence", "url", "revision", "coverage", "notes"]],
        column_config={
            "title": "Source",
            "as_of": columns.date("Data as of"),
            "age_days": columns.number("Age (days)"),
            "licence": "Licence / terms",
            "url": columns.text("Where"),
            "revision": "Revision read",
            "coverage": columns.text("Covers", "large"),
            "notes": columns.text("Caveats", "large"),
        },
        key="data_sources",
    )

    st.subheader("Coverage")
    kind = st.selectbox("Kind of data", list(KINDS), key="data_kind")
    projects = list(registry)
    if st.checkbox("Include the comparison cohort", key="data_include_cohort"):
        projects += cohort_projects(members, registry.cohort.label)
    table = loaders.coverage(projects)
    widgets.table(
        table[table["data"] == kind].drop(columns="data"),
        column_config={
            "project": "Project",
            "subject": "Repository / package",
            "first": columns.date("First"),
            "last": columns.date("Last"),
            "observations": columns.number("Observations"),
            "missing_inside": columns.number(
                "Missing inside span",
                help="Days (or snapshots) between first and last when the source published data "
                "but not for this subject",
            ),
            "status": columns.text("Status", "large"),
        },
        key="data_coverage",
    )

    st.subheader("Known caveats and how they are handled")
    for caveat in CAVEATS:
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
        shown = with_git_history(listed, loaders.load("commits"))
        widgets.table(
            shown[["side", "rank", "name", "repo", "measure", "value", "commits", "as_of"]],
            column_config={
                "side": columns.text("Side", 80, help="'group': the open-source AI group"),
                "rank": columns.number("Rank", 60),
                "name": columns.text("Name", 170),
                "repo": columns.text("Repository (from PyPI)", 240),
                "measure": columns.text("Ranked by", 150),
                "value": columns.number("Value", 130, fmt="localized"),
                "commits": columns.number(
                    "Commits in the data",
                    150,
                    fmt="localized",
                    help="Its repository's git history in the data; blank: none (too large to "
                    "bring here, or no repository named)",
                ),
                "as_of": columns.date("On", 100),
            },
            key="data_cohort",
        )
        with_git = int(shown["commits"].notna().sum())
        st.caption(f"{with_git} of {len(shown)} members have git history in the data.")

    histories = loaders.load("git_histories")
    if len(histories):
        st.subheader("Git histories sought for the shipped data")
        kept = int((histories["status"] == "in data").sum())
        st.caption(
            f"{kept} of {len(histories)} full histories could be brought in. The snapshot is "
            "the newest commit on any ref of the copy read: a copy that ends long before the "
            "data's as-of day may be stale or the project inactive, and its window figures "
            "are left out of the medians."
        )
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
        runs.sort_values("started_at", ascending=False).head(200),
        key="data_runs",
    )

    tracking.tracked_section(registry)


if __name__ == "__main__":  # run as a page by st.navigation
    render()
