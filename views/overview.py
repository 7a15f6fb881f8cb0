"""The Overview page's views: the claims' verdicts for the group and the cohort, the headline
comparison of the two, and the tracked projects' and the cohort's latest figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from charts.claims import comparison_chart, comparison_frame
from claims.model import Claim
from metrics.cohort import cohort_projects
from metrics.overview import overview
from registry import Registry
from views import claims as claim_views
from views.base import ChartView


def project_tables(
    registry: Registry, tables: Mapping[str, pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The latest figures of the tracked projects and of the cohort, one row per project."""
    snapshots, downloads = tables["repo_snapshots"], tables["package_downloads"]
    cohort = cohort_projects(tables["cohort_members"], registry.cohort.label)
    return overview(registry, snapshots, downloads), overview(cohort, snapshots, downloads)


def group_table(registry: Registry, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The latest figures of the open-source AI group's members (chosen by rule)."""
    members = claim_views.rule_group(registry, tables)
    return overview(members, tables["repo_snapshots"], tables["package_downloads"])


def comparison(
    claims: Sequence[Claim],
    indicator_frame: pd.DataFrame,
    registry: Registry,
    cohort_ids: Sequence[str],
) -> ChartView:
    """The headline: the group's medians against the cohort's, per indicator."""
    tracked = [p.id for p in claim_views.group_projects(registry)]
    members = claim_views.members_in(registry, indicator_frame)
    frame = comparison_frame(claims, indicator_frame, tracked, cohort_ids, members)
    group = claim_views.group_median_label(registry, indicator_frame)
    figure = comparison_chart(
        frame,
        f"Is {group} ahead of {registry.cohort.label}, like with like?",
        group_label=group,
        cohort_label="cohort",
    )
    return ChartView("claims-vs-cohort", figure, frame)


def overview_views(
    claims: Sequence[Claim],
    indicator_frame: pd.DataFrame,
    cohort_ids: Sequence[str],
    registry: Registry,
    tracked: pd.DataFrame,
    cohort: pd.DataFrame,
) -> list[ChartView]:
    """In page order: the verdicts of the group and the cohort ('claims-verdicts', a table),
    the headline chart ('claims-vs-cohort'), the tracked projects and the cohort (tables)."""
    table = claim_views.verdicts(claims, indicator_frame, registry, cohort_ids)
    return [
        ChartView("claims-verdicts", None, table[table["kind"] != "project"]),
        comparison(claims, indicator_frame, registry, cohort_ids),
        ChartView("tracked-projects", None, tracked),
        ChartView("cohort", None, cohort),
    ]


def default_views(
    registry: Registry, tables: Mapping[str, pd.DataFrame], claims: Sequence[Claim]
) -> list[ChartView]:
    """The Overview page with its default settings (12-month windows, default thresholds)."""
    indicator_frame, cohort_ids = claim_views.indicators(registry, tables)
    tracked, cohort = project_tables(registry, tables)
    return overview_views(claims, indicator_frame, cohort_ids, registry, tracked, cohort)


NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


def in_words(n: int) -> str:
    """A small count in words ('seven'), a larger one in digits."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else f"{n:,}"


def claims_heading(claims: Sequence[Claim]) -> str:
    """The Overview's heading over the verdicts, counting the claims file's claims."""
    return f"What the data says about {in_words(len(claims))} claims"


def claims_sentence(claims: Sequence[Claim]) -> str:
    """Every claim of the claims file in one sentence, by its title: 'Essays say open-source
    AI fosters innovation through collaboration, …, and enables customization.'"""
    said = [c.title[:1].lower() + c.title[1:] for c in claims]
    if len(said) > 1:
        said[-1] = "and " + said[-1]
    return "Essays say open-source AI " + (", " if len(said) > 2 else " ").join(said) + "."
