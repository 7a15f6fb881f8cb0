"""Overview: what the data says about the seven claims, the group against the cohort, then
one row per tracked project with the latest figures and their age."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import alerts_page, columns, loaders, tracking, widgets
from charts.claims import labelled, verdict_css
from charts.labels import PERCENT_DECIMALS
from metrics.overview import DatedTotal, dated_total
from views.claims import group_name
from views.overview import HOW, claims_heading, introduction, story

GROWTH = f"%+.{PERCENT_DECIMALS}f%%"  # growth in per cent, signed, as every percentage: "+12.3%"
COLUMNS = {
    "project": columns.text("Project", 180, pinned=True),
    "stars": columns.number("Stars", 70, fmt="localized"),
    "forks": columns.number("Forks", 70, fmt="localized"),
    "open_issues": columns.number(
        "Open issues+PRs", 110, help="GitHub's open_issues_count counts both", fmt="localized"
    ),
    "star_growth_pct": columns.number(
        "Stars, 1 yr", 85, help="Stars vs about 12 months earlier", fmt=GROWTH
    ),
    "monthly_downloads": columns.number(
        "Downloads/month",
        125,
        help="PyPI downloads in the latest monthly window, all the project's packages",
        fmt="localized",
    ),
    "download_growth_pct": columns.number(
        "Downloads, 1 yr",
        110,
        help="Downloads per day vs the window about 12 months earlier",
        fmt=GROWTH,
    ),
    "as_of": columns.text("As of", 150, help="GitHub figures' day · downloads' month"),
    "repos_counted": columns.text(
        "Repos", 60, help="Repositories in the GitHub figures, of the project's"
    ),
}


def render() -> None:
    registry = loaders.registry()
    members = loaders.load("cohort_members")
    _, about, cohort = loaders.overview_tables(registry)
    claims = loaders.claims()
    views = loaders.overview_page_views(registry, claims)
    verdicts, table = views["claims-verdicts"].data, views["tracked-projects"].data
    group = group_name(registry)
    n_members = len(loaders.group_member_ids(registry))

    st.title("Open-source AI: ecosystem health")
    st.write(widgets.markdown_text(introduction(claims, group, n_members, registry.cohort.label)))
    alerts_page.overview_section()  # only when an alert is in force

    st.subheader(claims_heading(claims))
    board = _verdict_board(claims, verdicts, group, registry.cohort.label)
    said = story(verdicts, group, registry.cohort.label, n_members)
    st.markdown(" ".join(widgets.markdown_text(s) for s in said))
    st.caption(HOW)
    if note := tracking.group_note(registry):
        st.caption(note)
    group_col, cohort_col = board.columns[1], board.columns[2]
    widgets.table(
        board.style.map(verdict_css, subset=[group_col, cohort_col]),
        column_config={
            "claim": columns.text("Claim", 290),
            group_col: columns.text(
                group_col,
                230,
                help="The claim's rules applied to the group's medians; k of n: how many of "
                "the claim's indicators the verdict rests on",
            ),
            cohort_col: columns.text(
                cohort_col,
                230,
                help="The group against the cohort at equal size, from each indicator's "
                "size-adjusted ratio and its 95 % interval; k of n: how many indicators "
                "could be compared",
            ),
            "evidence": columns.link("Evidence", "see the evidence", 130),
        },
        key="overview_claims",
    )
    st.caption(
        "Colours repeat the words (bluish green: supported, orange: mixed, vermillion: not "
        "supported, grey: insufficient data; sky blue: ahead, yellow: level, reddish purple: "
        "behind). *(fragile)*: the verdict changes within ±25 % of the thresholds; *partial "
        "data*: some members' figures leave out repositories or packages. Default "
        "thresholds; tune them on the Claims page."
    )
    comparison = views["claims-vs-cohort"]
    widgets.chart(comparison.figure, comparison.data, comparison.name, "overview_claims_chart")
    st.caption(
        "Each row is one indicator of a claim. The coloured point is the group's value "
        "divided by the cohort's at equal size (a regression on log contributors ever), with "
        "its 95 % bootstrap interval; the grey tick is the plain ratio of the two medians, "
        "with its interval. Right of 1 the group is higher; green circles mark where the "
        "interval lies wholly on the side the claim wants (for hours and days, lower is "
        "better), orange diamonds the other side, blue squares an interval that holds 1. "
        "Rows without a point say why. These are the same figures as the verdicts above."
    )

    st.subheader("Tracked projects")
    stars = dated_total(table, "stars", "github_as_of")
    downloads = dated_total(table, "monthly_downloads", "pypi_as_of", "downloads_period")
    first, second, third = st.columns(3)
    first.metric(
        _total_label("Stars", stars, len(table)),
        _count(stars.value),
        help=_total_help("GitHub stars on", stars),
    )
    second.metric(
        _total_label("Downloads", downloads, len(table)),
        _count(downloads.value),
        help=_total_help("PyPI downloads in the monthly window", downloads),
    )
    third.metric("Projects with figures", f"{int(table['stars'].notna().sum())} of {len(table)}")
    for what, total in (("stars", stars), ("monthly downloads", downloads)):
        if total.older:
            st.caption(_left_out(what, total))
    widgets.table(
        _shown(table),
        column_config=COLUMNS,
        column_order=list(COLUMNS),
        key="overview_tracked",
    )
    st.caption(
        "Stars, forks and open issues add up each project's repositories on their latest "
        "common day; growth compares with about 12 months earlier. Downloads are the latest "
        "monthly window of the project's PyPI packages. Definitions: Data page."
    )
    _notes(table)

    with st.expander("About the repositories", expanded=False):
        widgets.table(
            about,
            column_config={
                "project": columns.text("Project", 170),
                "repository": columns.text("Repository", 260),
                "role": columns.text("Role", 80),
                "language": columns.text("Language", 110),
                "description": columns.text("Description", 330),
            },
            key="overview_repositories",
        )
        st.caption("Descriptions are the repository owners' own words, shown as plain text.")

    group_members = loaders.group_overview(registry)
    if len(group_members):
        with st.expander(
            f"{widgets.markdown_text(group)}: {len(group_members)} members", expanded=False
        ):
            named = [
                p.name
                for p in registry
                if not p.by_user and set(p.packages) & set(group_members["project"])
            ]
            st.caption(
                "Chosen by rule; the Methods page has the rule and every candidate left out, "
                "with why. Named projects that are members: "
                + (widgets.markdown_text(", ".join(named)) if named else "none")
                + "."
            )
            widgets.table(
                _shown(group_members),
                column_config=COLUMNS,
                column_order=list(COLUMNS),
                key="overview_group",
            )

    with st.expander(
        f"{widgets.markdown_text(registry.cohort.label)}: {len(cohort)} members", expanded=False
    ):
        if members.empty:
            st.info("No cohort is stored: rebuild the default data (see README).")
        else:
            st.caption("Chosen by rule: " + widgets.markdown_text(members["rule"].iloc[0]))
            widgets.table(
                _shown(views["cohort"].data),
                column_config=COLUMNS,
                column_order=list(COLUMNS),
                key="overview_cohort",
            )


def _count(value: object) -> str:
    return f"{int(value):,}" if pd.notna(value) else "no figures"


def _total_label(what: str, total: DatedTotal, projects: int) -> str:
    """'Stars, 7 of 8 projects (2026-08-22)': how many are added, and of which day."""
    if total.day is None:
        return f"{what}, all projects"
    counted = f"all {projects}" if total.counted == projects else f"{total.counted} of {projects}"
    return f"{what}, {counted} projects ({total.period})"


def _total_help(what: str, total: DatedTotal) -> str:
    if total.day is None:
        return "No project has this figure in the data."
    return (
        f"{what} {total.period}, added over the projects with a figure for that very "
        "period only: a total of figures from different days would describe no real day."
    )


def _left_out(what: str, total: DatedTotal) -> str:
    """Who is not in a total and why: their latest figure is from an older day."""
    older = ", ".join(
        f"{widgets.markdown_text(project)} ({int(value):,} as of {period})"
        for project, value, period in total.older
    )
    return (
        f"The {what} total adds only figures of {total.period}. Left out, because their "
        f"latest figure is older: {older}."
    )


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """The overview table with growth in signed per cent; the notes stay in the data."""
    as_of = [
        " · ".join(
            part
            for part in (
                f"{day:%Y-%m-%d}" if pd.notna(day) else "",
                month if isinstance(month, str) else "",
            )
            if part
        )
        for day, month in zip(table["github_as_of"], table["downloads_period"], strict=True)
    ]
    return table.assign(
        star_growth_pct=table["star_growth_12m"] * 100,
        download_growth_pct=table["download_growth_12m"] * 100,
        as_of=as_of,
    )


def _notes(table: pd.DataFrame) -> None:
    """Why figures are missing or partial, one line per project, as text."""
    lines = [
        f"- **{widgets.markdown_text(row.project)}**: {widgets.markdown_text(row.notes)}"
        for row in table.itertuples()
        if isinstance(row.notes, str) and row.notes
    ]
    if lines:
        st.caption("Why some figures are missing or partial:\n" + "\n".join(lines))


def _verdict_board(claims, verdicts: pd.DataFrame, group: str, cohort: str) -> pd.DataFrame:
    """One row per claim: the group's and the cohort's verdicts in words, and a link to the
    claim's tab on the Claims page."""
    shown = verdicts.assign(label=labelled(verdicts))
    pick = {
        kind: shown[shown["kind"] == kind].set_index("claim_id")["label"]
        for kind in ("group", "cohort")
    }
    words = cohort.removesuffix("(cohort)").strip().lower()
    return pd.DataFrame(
        {
            "claim": [c.title for c in claims],
            f"{group} (median)": [pick["group"].get(c.id, "") for c in claims],
            f"vs {words}, like with like": [pick["cohort"].get(c.id, "") for c in claims],
            "evidence": [f"/claims?claim={c.id}" for c in claims],
        }
    )


if __name__ == "__main__":  # run as a page by st.navigation
    render()
