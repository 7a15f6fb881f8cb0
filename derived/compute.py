"""The pages' heavy views, defined once: the app's loaders compute them live through a
cached reader (app/loaders.py), and `defaults` computes them ahead with the arguments the
pages use by default, through a `CatalogReader` (store/reader.py). Each result is named by
`keys.entry_id(name, *arguments)`, the name a loader looks it up by."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

import pandas as pd

from claims.evaluate import evidence as claim_evidence
from claims.model import Claim
from derived.keys import entry_id
from metrics.cohort import cohort_projects
from metrics.community import community_end
from metrics.coverage import KINDS
from metrics.coverage import coverage as coverage_table
from metrics.indicators import EARLIER_COLUMNS, Windows, a_year_earlier, earlier_cutoff
from metrics.overview import repository_facts
from registry import Project, Registry
from store.reader import Reader, commit_columns, load_for
from views import claims as claim_views
from views import overview as overview_views
from views.community import CommunitySettings, community_views

OVERVIEW_TABLES = ("repo_snapshots", "package_downloads", "cohort_members")


def default_tuned(claims: Sequence[Claim]) -> tuple[tuple[tuple[str, str], float], ...]:
    """The Claims page's thresholds before the user moves one (its number inputs' values),
    in the loader's order."""
    tuned = {(c.id, rule.metric): float(rule.threshold) for c in claims for rule in c.indicators}
    return tuple(sorted(tuned.items()))


def rows_of(reader: Reader, table: str, projects, columns=None) -> pd.DataFrame:
    """A table's rows of these projects only (their repositories or packages)."""
    projects = list(projects)
    repos = [r for p in projects for r in p.repo_names]
    packages = [n for p in projects for n in p.packages]
    return load_for(reader, table, repos, packages, columns)


def _tables_for(reader: Reader, names, projects) -> dict[str, pd.DataFrame]:
    return {name: rows_of(reader, name, projects) for name in names}


def _cohort(reader: Reader, registry: Registry) -> list[Project]:
    return cohort_projects(reader.load("cohort_members"), registry.cohort.label)


def _git_projects(reader: Reader, registry: Registry) -> list[Project]:
    """Whom the indicators are computed for: the tracked projects, the group, the cohort."""
    group = claim_views.rule_group(registry, {"cohort_members": reader.load("cohort_members")})
    return [*registry, *group, *_cohort(reader, registry)]


def overview_tables(reader: Reader, registry: Registry):
    tables = _tables_for(reader, OVERVIEW_TABLES, [*registry, *_cohort(reader, registry)])
    tracked, cohort = overview_views.project_tables(registry, tables)
    return tracked, repository_facts(registry, reader.load("repositories")), cohort


def group_overview(reader: Reader, registry: Registry) -> pd.DataFrame:
    members = claim_views.rule_group(registry, {"cohort_members": reader.load("cohort_members")})
    return overview_views.group_table(registry, _tables_for(reader, OVERVIEW_TABLES, members))


def community(reader: Reader, registry: Registry, settings: CommunitySettings):
    # the indicators' commits (a superset of the registry's: one frame cached for both)
    commits = rows_of(reader, "commits", _git_projects(reader, registry), commit_columns())
    end = community_end(reader.newest("commits", "authored_at"))
    releases = rows_of(reader, "releases", list(registry))
    return community_views(registry, commits, releases, settings, end=end)


def indicators(reader: Reader, registry: Registry, windows: Windows, earlier: bool):
    projects = _git_projects(reader, registry)
    tables = {
        name: rows_of(reader, name, projects, commit_columns() if name == "commits" else None)
        for name in claim_views.INDICATOR_TABLES
        if name != "git_histories"  # matched without case: read whole (a few rows)
    }
    tables["git_histories"] = reader.load("git_histories")
    # The newest row of each table is the whole table's, not only these projects' rows:
    # the year-earlier cut-off and the git window's end are the data's, for everyone.
    stamps = {name: reader.newest(name, column) for name, column in EARLIER_COLUMNS.items()}
    if earlier:
        tables = a_year_earlier(tables, newest=stamps)
        cut = earlier_cutoff(stamps.get("commits"))
        stamps["commits"] = (
            reader.newest_before("commits", "authored_at", cut) if cut is not None else None
        )
    if windows.end is None:
        windows = dataclasses.replace(windows, end=community_end(stamps.get("commits")))
    return claim_views.indicators(registry, tables, windows)


def claim_page(found, cohort_ids, registry: Registry, claims, tuned):
    thresholds = dict(tuned)
    table = claim_views.verdicts(claims, found, registry, cohort_ids, thresholds)
    charts = claim_views.claim_views(claims, found, registry, cohort_ids, thresholds)
    tracked_ids = [p.id for p in claim_views.group_projects(registry)]
    members = claim_views.members_in(registry, found)
    evidence = {
        c.id: claim_evidence(c, found, tracked_ids, cohort_ids, thresholds, group_ids=members)
        for c in claims
    }
    return table, charts, evidence


def overview_page(found, cohort_ids, registry: Registry, claims, tracked, cohort):
    views = overview_views.overview_views(claims, found, cohort_ids, registry, tracked, cohort)
    return {view.name: view for view in views}


def coverage(reader: Reader, projects: tuple[Project, ...]) -> pd.DataFrame:
    tables = {name: rows_of(reader, name, projects) for name, *_ in KINDS.values()}
    return coverage_table(list(projects), tables, reader.load("source_days"))


def commit_counts(reader: Reader) -> dict[str, int]:
    """How many commits the data holds per repository (the Data page's git histories)."""
    return {str(repo): int(n) for repo, n in reader.counts("commits", "repo").items()}


def defaults(reader: Reader, registry: Registry, claims: tuple[Claim, ...]) -> Iterator[tuple]:
    """(entry id, result) for every view a first visit computes, with the pages' defaults,
    under the names and arguments the loaders look them up by."""
    windows, settings = Windows(), CommunitySettings()
    tracked, facts, cohort = overview_tables(reader, registry)
    yield entry_id("overview_tables", registry), (tracked, facts, cohort)
    yield entry_id("group_overview", registry), group_overview(reader, registry)
    found, cohort_ids = indicators(reader, registry, windows, False)
    yield entry_id("indicators", registry, windows, False), (found, cohort_ids)
    yield (
        entry_id("indicators", registry, windows, True),
        indicators(reader, registry, windows, True),
    )
    tuned = default_tuned(claims)
    yield (
        entry_id("claim_views", registry, claims, windows, tuned),
        claim_page(found, cohort_ids, registry, claims, tuned),
    )
    yield (
        entry_id("overview_views", registry, claims),
        overview_page(found, cohort_ids, registry, claims, tracked, cohort),
    )
    yield entry_id("community", registry, settings), community(reader, registry, settings)
    projects = tuple(registry)
    yield entry_id("coverage", projects), coverage(reader, projects)
    yield entry_id("commit_counts"), commit_counts(reader)
