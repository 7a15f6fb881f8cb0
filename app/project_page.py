"""Project: one project in depth: every indicator, its trend, its place in the cohort."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import columns, loaders, urlstate, widgets
from metrics.indicators import Windows
from metrics.packages import latest_dependents, latest_scorecards
from registry import Project
from store import archive
from views.base import ChartView
from views.project import profile_table, project_views

PROJECT_TABLES = (
    "repo_snapshots",
    "package_downloads",
    "releases",
    "packages",
    "package_dependents",
    "scorecards",
)


def render() -> None:
    registry = loaders.registry()
    by_name = {p.name: p for p in registry}
    st.title("One project in depth")
    # ?project=<id> opens a project (the README's "Links to a view"; alerts link here)
    name = urlstate.bound(
        urlstate.choice("project", "project_name", {p.id: p.name for p in registry}),
        next(iter(by_name)),
        lambda: st.selectbox("Project", list(by_name), key="project_name"),
    )
    project = by_name[name]
    family = [r for r in project.repo_names if r not in project.main_repo_names]
    st.caption(
        widgets.markdown_text(
            "Its own repositories (every figure here): "
            + ", ".join(project.main_repo_names)
            + (" · Packages: " + ", ".join(project.packages) if project.packages else "")
            + (
                " · Family repositories, never counted in its figures (each has a row of its "
                "own on the Community page): " + ", ".join(family)
                if family
                else ""
            )
        )
    )
    windows = Windows()
    now, cohort_ids = loaders.indicators(registry, windows)
    before, _ = loaders.indicators(registry, windows, a_year_before=True)
    tables = {name: loaders.load_for(name, [project]) for name in PROJECT_TABLES}
    profile = profile_table(project, now, before, cohort_ids, tables["package_downloads"])
    widgets.table(
        profile,
        column_order=[
            "indicator",
            "value_shown",
            "as_of",
            "quality",
            "a_year_earlier_shown",
            "change_shown",
            "cohort_percentile",
            "cohort_members_with_value",
            "methods",
        ],
        column_config={
            "indicator": columns.text("Indicator", 240, pinned=True),
            "value_shown": columns.text("Value", 140),
            "as_of": columns.date("As of", 85),
            "quality": columns.text(
                "Quality",
                60,
                help="partial: some of the project's repositories or packages are left out",
            ),
            "a_year_earlier_shown": columns.text("A year earlier", 140),
            "change_shown": columns.text(
                "Change",
                95,
                help="Shares in percentage points; monthly downloads as the change in "
                "downloads per day, since windows run from 22 to 31 days",
            ),
            "cohort_percentile": columns.number(
                "Cohort pct.",
                75,
                help="Cohort percentile: share of cohort members at or below",
                fmt="%.0f",
            ),
            "cohort_members_with_value": columns.number(
                "Cohort n", 60, help="Cohort members with a value"
            ),
            "source": columns.text("Data", 120),
            "methods": columns.link("Method", "how", 65),
        },
        key="project_profile",
    )
    st.caption(
        "Empty values are missing, not zero: the notes below say what would supply them. 'A year "
        "earlier' recomputes the indicator on the data as it stood 12 months before its newest "
        "observation. The cohort percentile is blank where the cohort has no such data."
    )
    notes: dict[str, list[str]] = {}
    for row in profile.itertuples():
        if isinstance(row.note, str) and row.note:
            notes.setdefault(row.note.removeprefix("missing: "), []).append(row.indicator)
        if row.quality == "partial" and isinstance(row.coverage, str) and row.coverage:
            notes.setdefault(f"partial, {row.coverage}", []).append(row.indicator)
    if notes:
        st.caption(
            "Notes:\n"
            + "\n".join(
                f"- {widgets.markdown_text(', '.join(names))}: {widgets.markdown_text(note)}"
                for note, names in notes.items()
            )
        )
    charts = {c.name.removeprefix(f"{project.id}-"): c for c in project_views(project, tables)}
    opened, tab = widgets.open_tab("section", "project_section", SECTIONS)
    with tab:
        if opened == "popularity":
            _popularity(name, charts)
        elif opened == "pypi":
            _pypi_section(project, tables, charts)
        else:
            _security_section(project, tables, charts)
    sources = loaders.load("sources")
    st.caption(
        "Sources: "
        + "; ".join(
            f"{widgets.markdown_text(r.title)} (as of {r.as_of:%Y-%m-%d})"
            for r in sources.itertuples()
            if pd.notna(r.as_of)
        )
    )


# The sections below the profile, one tab each (only the open one is drawn: widgets.open_tab)
SECTIONS = {
    "popularity": "Stars and downloads",
    "pypi": "On PyPI",
    "security": "Dependents and security",
}


def _popularity(name: str, charts: dict) -> None:
    left, right = st.columns(2)
    for column, key, missing in (
        (left, "stars", "No star counts"),
        (right, "downloads", "No PyPI downloads"),
    ):
        with column:
            if key in charts:
                _draw(charts[key], key)
            else:
                st.info(f"{missing} for {widgets.markdown_text(name)}.")
    if "downloads" in charts:
        st.caption(
            "Daily counts (pypistats.org, mirrors excluded, kept by each refresh beyond the "
            "site's 180 days) and monthly windows divided by their length (top-PyPI archive: "
            f"pip downloads only up to {archive.PIP_ONLY_UNTIL:%Y-%m-%d}, all installers "
            f"after; calendar months counted by ClickHouse from {archive.CLICKHOUSE_FROM:%Y-%m}"
            ") are separate lines and are never added together: they count with different "
            "methods. Dotted lines mark where the monthly counting changed."
        )


def _draw(chart: ChartView, key: str) -> None:
    widgets.chart(chart.figure, chart.data, chart.name, f"project_{key}_chart")


def _pypi_section(project: Project, tables: dict[str, pd.DataFrame], charts: dict) -> None:
    """What PyPI says of the project's packages, where a refresh has collected it."""
    if not project.packages:
        st.info(
            f"{widgets.markdown_text(project.name)} lists no PyPI package in data/projects.toml."
        )
        return
    facts = tables["packages"]
    facts = facts[facts["package"].isin(project.packages)].sort_values("date")
    facts = facts.groupby("package").tail(1)
    if facts.empty:
        st.info(
            "No PyPI metadata yet: a refresh with the pypi source collects releases, licence, "
            "Python versions and the linked repository (cli.py refresh --sources pypi)."
        )
    else:
        shown = facts[
            [
                "package",
                "latest_version",
                "requires_python",
                "licence",
                "release_count",
                "yanked_count",
                "repo",
                "repo_agrees",
                "date",
            ]
        ]
        widgets.table(
            shown,
            column_config={
                "package": columns.text("Package", 120),
                "latest_version": columns.text("Latest version", 95),
                "requires_python": columns.text("Requires Python", 110),
                "licence": columns.text("Licence", 140),
                "release_count": columns.number("Versions", 70),
                "yanked_count": columns.number("Yanked", 60),
                "repo": columns.text(
                    "Repository it links to", 180, help="found in the package's project URLs"
                ),
                "repo_agrees": columns.check(
                    "Same as listed",
                    110,
                    help="the repository it links to is one of the project's own, as "
                    "data/projects.toml or your tracked list names them; empty: the package "
                    "links no GitHub repository",
                ),
                "date": columns.date("As of", 85),
            },
            key="project_pypi_facts",
        )
        listed_in = "your tracked projects" if project.by_user else "data/projects.toml"
        for row in facts[facts["repo_agrees"].eq(False).fillna(False)].itertuples():
            if not project.repos:  # a package tracked on its own: nothing to disagree with
                said = f"{row.package} links to {row.repo}; track that repository too"
                st.caption(widgets.markdown_text(said) + " to see its stars, forks and issues.")
                continue
            st.warning(
                widgets.markdown_text(
                    f"{row.package} links to {row.repo}, which is not among {project.name}'s "
                    f"repositories in {listed_in} ({row.registry_repos})."
                )
            )
    if "releases" in charts:
        _draw(charts["releases"], "releases")


def _security_section(project: Project, tables: dict[str, pd.DataFrame], charts: dict) -> None:
    """What deps.dev and OpenSSF Scorecard say, where a refresh has collected it."""
    st.caption(
        "From deps.dev: the packages that depend on the project's, and the OpenSSF "
        "Scorecard of its own repositories as deps.dev publishes it."
    )
    dependents = latest_dependents(tables["package_dependents"], project.packages)
    cards = latest_scorecards(tables["scorecards"], project.main_repo_names)
    if dependents.empty and cards.empty:
        st.info(
            "No deps.dev data yet: a refresh with the depsdev source collects dependent "
            "packages and the OpenSSF Scorecard (cli.py refresh --sources pypi,depsdev)."
        )
        return
    cells = st.columns(max(len(dependents), 1) + max(len(project.main_repo_names), 1))
    slot = iter(cells)
    for row in dependents.itertuples():
        next(slot).metric(
            widgets.markdown_text(f"Packages depending on {row.package} {row.version}".strip()),
            f"{int(row.dependents):,}" if pd.notna(row.dependents) else "not known",
            help=(
                f"deps.dev, {row.date:%Y-%m-%d}: "
                + (
                    f"{int(row.direct_dependents):,} direct, "
                    f"{int(row.indirect_dependents):,} indirect"
                    if pd.notna(row.direct_dependents) and pd.notna(row.indirect_dependents)
                    else "no split given"
                )
            ),
        )
    overall = cards[cards["check"] == "overall"]
    for row in overall.itertuples():
        next(slot).metric(
            widgets.markdown_text(f"OpenSSF Scorecard, {row.repo}"),
            f"{row.score:.1f} / 10" if pd.notna(row.score) else "no scorecard",
            help=f"deps.dev, {row.date:%Y-%m-%d}"
            + (
                f"; Scorecard ran {row.scorecard_date:%Y-%m-%d}"
                if pd.notna(row.scorecard_date)
                else ""
            ),
        )
    if "scorecard" in charts:
        _draw(charts["scorecard"], "scorecard")


if __name__ == "__main__":  # run as a page by st.navigation
    render()
