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


def indicators(
    registry: Registry, tables: Mapping[str, pd.DataFrame], windows: Windows | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Every indicator for the tracked projects and the cohort (default windows: 12 months),
    and the cohort's ids."""
    cohort = cohort_projects(tables["cohort_members"], registry.cohort.label)
    found = compute([*registry, *cohort], tables, windows or Windows())
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
        group_label=group_label(registry),
        cohort_label=registry.cohort.label,
    )


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
            claim, indicator_frame, tracked, cohort_ids, tuned, group_label=group_label(registry)
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
