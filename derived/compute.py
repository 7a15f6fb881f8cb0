"""What is computed ahead, with the arguments the pages use by default: the same calls the
app's loaders make (app/loaders.py), over the tables `load` returns. Each result is named
by `keys.entry_id(name, *arguments)`, the name a loader looks it up by."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pandas as pd

from claims.evaluate import evidence as claim_evidence
from claims.model import Claim
from derived.keys import entry_id
from metrics.coverage import KINDS
from metrics.coverage import coverage as coverage_table
from metrics.indicators import Windows, a_year_earlier
from metrics.overview import repository_facts
from registry import Project, Registry
from views import claims as claim_views
from views import overview as overview_views
from views.community import CommunitySettings, community_views

Load = Callable[[str], pd.DataFrame]
OVERVIEW_TABLES = ("repo_snapshots", "package_downloads", "cohort_members")


def default_tuned(claims: Sequence[Claim]) -> tuple[tuple[tuple[str, str], float], ...]:
    """The Claims page's thresholds before the user moves one (its number inputs' values),
    in the loader's order."""
    tuned = {(c.id, rule.metric): float(rule.threshold) for c in claims for rule in c.indicators}
    return tuple(sorted(tuned.items()))


def overview_tables(load: Load, registry: Registry):
    tables = {name: load(name) for name in OVERVIEW_TABLES}
    tracked, cohort = overview_views.project_tables(registry, tables)
    return tracked, repository_facts(registry, load("repositories")), cohort


def group_overview(load: Load, registry: Registry) -> pd.DataFrame:
    return overview_views.group_table(registry, {name: load(name) for name in OVERVIEW_TABLES})


def community(load: Load, registry: Registry, settings: CommunitySettings):
    return community_views(registry, load("commits"), load("releases"), settings)


def indicators(load: Load, registry: Registry, windows: Windows, earlier: bool):
    tables = {name: load(name) for name in claim_views.INDICATOR_TABLES}
    if earlier:
        tables = a_year_earlier(tables)
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


def coverage(load: Load, projects: tuple[Project, ...]) -> pd.DataFrame:
    tables = {name: load(name) for name, *_ in KINDS.values()}
    return coverage_table(list(projects), tables, load("source_days"))


def defaults(load: Load, registry: Registry, claims: tuple[Claim, ...]) -> Iterator[tuple]:
    """(entry id, result) for every view a first visit computes, with the pages' defaults,
    under the names and arguments the loaders look them up by."""
    windows, settings = Windows(), CommunitySettings()
    tracked, facts, cohort = overview_tables(load, registry)
    yield entry_id("overview_tables", registry), (tracked, facts, cohort)
    yield entry_id("group_overview", registry), group_overview(load, registry)
    found, cohort_ids = indicators(load, registry, windows, False)
    yield entry_id("indicators", registry, windows, False), (found, cohort_ids)
    yield entry_id("indicators", registry, windows, True), indicators(load, registry, windows, True)
    tuned = default_tuned(claims)
    yield (
        entry_id("claim_views", registry, claims, windows, tuned),
        claim_page(found, cohort_ids, registry, claims, tuned),
    )
    yield (
        entry_id("overview_views", registry, claims),
        overview_page(found, cohort_ids, registry, claims, tracked, cohort),
    )
    yield entry_id("community", registry, settings), community(load, registry, settings)
    projects = tuple(registry)
    yield entry_id("coverage", projects), coverage(load, projects)
