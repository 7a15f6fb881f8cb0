"""The app's only door to data: cached reads keyed on the store's version.

Caches are keyed on `Catalog.version()`, which changes whenever a refresh publishes, so new
data shows on the next rerun without restarting the app and without re-reading files that
did not change. Domain functions stay free of Streamlit; only these thin wrappers cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from claims.model import DEFAULT_CLAIMS, Claim, load_claims
from errors import ConfigError
from metrics import community
from metrics.cohort import cohort_projects
from metrics.indicators import Windows, a_year_earlier, compute
from metrics.overview import overview, repository_facts
from registry import Registry, load_registry, registry_path
from store import DEFAULT_DATA, Catalog, user_data_dir


def catalog() -> Catalog:
    """The catalog for this run: shipped data plus the user's data directory."""
    return Catalog(DEFAULT_DATA, user_data_dir())


@st.cache_data(show_spinner=False, max_entries=64)
def _read(table: str, version: tuple[str, str], default_root: str, user_root: str):
    result = Catalog(default_root, user_root).read(table)
    return result.frame, [str(p) for p in result.problems]


def load(table: str) -> pd.DataFrame:
    """A merged table; unreadable files are remembered for `problems()` and skipped."""
    cat = catalog()
    frame, problems = _read(table, cat.version(), str(cat.default.root), str(cat.user.root))
    seen = st.session_state.setdefault("store_problems", [])
    for problem in problems:
        if problem not in seen:
            seen.append(problem)
    return frame


def problems() -> list[str]:
    """Files that could not be read during this session, each named."""
    return list(st.session_state.get("store_problems", []))


@st.cache_data(show_spinner=False, max_entries=8)
def _registry(path: str, mtime_ns: int) -> Registry:
    return load_registry(path)


def registry() -> Registry:
    """The validated registry ($OSSAI_PROJECTS or data/projects.toml); stops the page with
    the rule broken when it is invalid."""
    path = registry_path()
    try:
        return _registry(str(path), path.stat().st_mtime_ns)
    except FileNotFoundError:
        st.error(f"The projects file {path} is missing.")
        st.stop()
    except ConfigError as exc:
        st.error("The projects file has an error and must be fixed before anything is shown:")
        st.code(str(exc), language=None)
        st.stop()
    raise AssertionError("unreachable")


@st.cache_data(show_spinner=False, max_entries=8)
def _overview_tables(version: tuple[str, str], registry: Registry):
    snapshots, downloads = load("repo_snapshots"), load("package_downloads")
    cohort = cohort_projects(load("cohort_members"), registry.cohort.label)
    return (
        overview(registry, snapshots, downloads),
        repository_facts(registry, load("repositories")),
        overview(cohort, snapshots, downloads),
    )


def overview_tables(registry: Registry) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tracked overview, repository facts and cohort overview, computed once per store version."""
    return _overview_tables(catalog().version(), registry)


@dataclass(frozen=True)
class CommunitySettings:
    freq: str = "quarter"
    window_months: int = 12
    share: float = 0.5
    include_bots: bool = False
    include_merges: bool = False


@st.cache_data(show_spinner=False, max_entries=16)
def _community(version: tuple[str, str], registry: Registry, settings: CommunitySettings):
    commits, releases = load("commits"), load("releases")
    summary = community.summary(
        registry,
        commits,
        releases,
        window_months=settings.window_months,
        share=settings.share,
        include_bots=settings.include_bots,
        include_merges=settings.include_merges,
    )
    views = {}
    for project in registry:
        mine = commits[commits["repo"].isin(project.repo_names)]
        if mine.empty:
            continue
        contribs = community.contributions(
            mine, include_bots=settings.include_bots, include_merges=settings.include_merges
        )
        rel, rel_source = community.project_releases(
            project.main_repo_names, project.packages, releases
        )
        per_year, median_gap = community.release_frequency(rel, "year")
        factor = {
            "freq": settings.freq,
            "window_months": settings.window_months,
            "share": settings.share,
        }
        views[project.name] = {
            "flow": community.contributor_flow(contribs, settings.freq),
            "people": community.factor_over_time(contribs, "person", **factor),
            "organizations": community.factor_over_time(
                contribs, "domain", exclude=community.NO_ORGANIZATION, **factor
            ),
            "shares": community.organization_shares(contribs, "year"),
            "releases": per_year,
            "median_gap": median_gap,
            "release_source": rel_source,
            "coverage": community.git_coverage(project.repo_names, commits),
            "heatmap": community.activity_heatmap(contribs),
        }
    return summary, views


def community_views(registry: Registry, settings: CommunitySettings):
    """The Community page's summary table and per-project frames, once per store version."""
    return _community(catalog().version(), registry, settings)


INDICATOR_TABLES = (
    "repo_snapshots",
    "package_downloads",
    "commits",
    "releases",
    "issue_activity",
    "cohort_members",
    "package_dependents",
    "scorecards",
)


@st.cache_data(show_spinner=False, max_entries=16)
def _indicators(version: tuple[str, str], registry: Registry, windows: Windows, earlier: bool):
    tables = {name: load(name) for name in INDICATOR_TABLES}
    if earlier:
        tables = a_year_earlier(tables)
    cohort = cohort_projects(tables["cohort_members"], registry.cohort.label)
    return compute([*registry, *cohort], tables, windows), [p.id for p in cohort]


def indicators(
    registry: Registry, windows: Windows, *, a_year_before: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """Every indicator for the tracked projects and the cohort, and the cohort's ids; with
    `a_year_before`, as the data stood a year earlier. Computed once per store version."""
    return _indicators(catalog().version(), registry, windows, a_year_before)


@st.cache_data(show_spinner=False, max_entries=4)
def _claims(path: str, mtime_ns: int):
    return load_claims(path)


def claims() -> tuple[Claim, ...]:
    """The validated claim model; stops the page with the rule broken when it is invalid."""
    path = Path(DEFAULT_CLAIMS)
    try:
        return _claims(str(path), path.stat().st_mtime_ns)
    except (FileNotFoundError, ConfigError) as exc:
        st.error("The claims file has an error and must be fixed before anything is shown:")
        st.code(str(exc), language=None)
        st.stop()
    raise AssertionError("unreachable")
