"""The Claims page's views: the verdict table, the verdict matrix ('verdicts') and one
evidence chart per claim ('claim-<id>'), for given windows and thresholds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from charts.claims import evidence_chart, evidence_frame, matrix_chart, matrix_frame
from claims.evaluate import verdict_table
from claims.model import Claim
from metrics.cohort import cohort_projects
from metrics.indicators import Windows, compute
from registry import Project, Registry
from views.base import ChartView

Thresholds = dict[tuple[str, str], float]
# every table the indicators read: the app's loaders and the export load exactly these
INDICATOR_TABLES = (
    "repo_snapshots",
    "package_downloads",
    "download_totals",
    "commits",
    "truck_factors",
    "git_histories",
    "releases",
    "issue_activity",
    "cohort_members",
    "package_dependents",
    "scorecards",
)
GROUP_PREFIX = "group-"  # metrics.cohort.cohort_projects' ids for the rule's group


def group_label(registry: Registry) -> str:
    """The tracked projects' group name ('Open-source AI'), as the charts and tables say it."""
    return registry.groups[0] if registry.groups else "Tracked"


def group_projects(registry: Registry) -> list[Project]:
    """The projects the group's verdicts and medians are about: every project of the
    projects file, and those of the user's own tracked projects that the user put in the
    group (`group` in tracked.toml); the user's other projects ("Tracked by you") are shown
    on the pages but never move the group's medians."""
    label = group_label(registry)
    return [p for p in registry if not p.by_user or p.group == label]


def rule_group(registry: Registry, tables: Mapping[str, pd.DataFrame]) -> list[Project]:
    """The open-source AI group chosen by the rule in data/projects.toml (empty when the data
    has none: the tracked projects then stand for the group)."""
    return cohort_projects(tables["cohort_members"], registry.cohort.group_label, side="group")


def group_ids(registry: Registry, tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Whose values the group's medians are over: the rule's members, else the tracked
    projects (older data, or a projects file without the pool rule)."""
    members = rule_group(registry, tables)
    return [p.id for p in members] if members else [p.id for p in group_projects(registry)]


def indicators(
    registry: Registry, tables: Mapping[str, pd.DataFrame], windows: Windows | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Every indicator for the tracked projects, the group's members and the cohort (default
    windows: 12 months to the data's as-of day), and the cohort's ids."""
    cohort = cohort_projects(tables["cohort_members"], registry.cohort.label)
    group = rule_group(registry, tables)
    found = compute([*registry, *group, *cohort], tables, windows or Windows())
    return found, [p.id for p in cohort]


def verdicts(
    claims: Sequence[Claim],
    indicator_frame: pd.DataFrame,
    registry: Registry,
    cohort_ids: Sequence[str],
    tuned: Thresholds | None = None,
) -> pd.DataFrame:
    """The verdict table for the group's projects, the group and the cohort."""
    return verdict_table(
        claims,
        indicator_frame,
        [(p.id, p.name) for p in group_projects(registry)],
        cohort_ids,
        tuned,
        group_label=group_median_label(registry, indicator_frame),
        cohort_label=registry.cohort.label,
        group_ids=members_in(registry, indicator_frame),
    )


def members_in(registry: Registry, indicator_frame: pd.DataFrame) -> list[str]:
    """The group's members among the frame's projects: the rule's ('group-…' ids), else the
    tracked projects (data without the rule)."""
    ids = [i for i in indicator_frame["project_id"].unique() if str(i).startswith(GROUP_PREFIX)]
    if not ids:
        return [p.id for p in group_projects(registry)]
    # the user's own projects count where the user put them in the rule's group
    return ids + [p.id for p in registry.by_user if p.group == registry.cohort.group_label]


def member_count(registry: Registry, tables: Mapping[str, pd.DataFrame]) -> int:
    """How many projects the group's medians are over, as `members_in` counts them on the
    indicators computed from these tables: the rule's members and the user's projects put in
    the rule's group, else the tracked projects."""
    rule = rule_group(registry, tables)
    if not rule:
        return len(group_projects(registry))
    return len(rule) + sum(p.group == registry.cohort.group_label for p in registry.by_user)


def group_name(registry: Registry) -> str:
    """The group the medians are about: the rule's group, or the tracked projects' group."""
    return registry.cohort.group_label if registry.cohort.ranking_pool else group_label(registry)


def group_median_label(registry: Registry, indicator_frame: pd.DataFrame) -> str:
    """What the group's medians are called: the rule's group, or the tracked projects'."""
    if any(str(i).startswith(GROUP_PREFIX) for i in indicator_frame["project_id"].unique()):
        return registry.cohort.group_label
    return group_label(registry)


def claim_views(
    claims: Sequence[Claim],
    indicator_frame: pd.DataFrame,
    registry: Registry,
    cohort_ids: Sequence[str],
    tuned: Thresholds | None = None,
) -> list[ChartView]:
    """The verdict matrix ('verdicts'), then one evidence chart per claim ('claim-<id>'), with
    the given thresholds. The page draws exactly these, in this order."""
    matrix = matrix_frame(verdicts(claims, indicator_frame, registry, cohort_ids, tuned), claims)
    out = [
        ChartView("verdicts", matrix_chart(matrix, "Verdicts: each claim, each project"), matrix)
    ]
    tracked = [(p.id, p.name) for p in group_projects(registry)]
    for claim in claims:
        data = evidence_frame(
            claim,
            indicator_frame,
            tracked,
            cohort_ids,
            tuned,
            group_label=group_median_label(registry, indicator_frame),
            group_ids=members_in(registry, indicator_frame),
        )
        figure = evidence_chart(
            data, f"{claim.title}: the evidence", registry.cohort.label, len(cohort_ids)
        )
        out.append(ChartView(f"claim-{claim.id}", figure, data))
    return out


def default_views(
    registry: Registry, tables: Mapping[str, pd.DataFrame], claims: Sequence[Claim]
) -> list[ChartView]:
    """The Claims page with its default windows and thresholds."""
    indicator_frame, cohort_ids = indicators(registry, tables)
    return claim_views(claims, indicator_frame, registry, cohort_ids)
