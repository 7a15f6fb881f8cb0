"""Put claims, indicator values and thresholds together into the Claims page's tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from claims.model import Claim
from claims.verdicts import INSUFFICIENT, effect_size, judge, medians, robustness
from metrics.indicators import CATALOGUE

GROUP = "group median"
COHORT = "cohort median"


def thresholds_for(claim: Claim, tuned: Mapping[tuple[str, str], float]) -> dict[str, float]:
    """This claim's thresholds: the tuned value where the user changed one, else the default."""
    return {r.metric: tuned.get((claim.id, r.metric), r.threshold) for r in claim.indicators}


def verdict_table(
    claims: Sequence[Claim],
    indicators: pd.DataFrame,
    tracked: Sequence[tuple[str, str]],
    cohort_ids: Sequence[str],
    tuned: Mapping[tuple[str, str], float] | None = None,
    group_label: str = "Open-source AI",
    cohort_label: str = "Cohort",
) -> pd.DataFrame:
    """One row per (claim, subject): each tracked project, the group's medians, the cohort's.

    `tracked` is [(project_id, project name)]. Columns: claim_id, claim, subject, kind,
    verdict, fragile, partial, coverage, met, not_met, missing (plain words, with what would
    supply it). A verdict is *partial* when an indicator it used rests on only some of the
    project's repositories or packages; `coverage` says which (for the group and cohort
    rows: how many members' figures are partial). Partial is not fragile: fragile is about
    thresholds, partial about data.
    """
    values = {
        pid: dict(zip(rows["indicator"], rows["value"], strict=True))
        for pid, rows in indicators.groupby("project_id")
    }
    tracked_ids = [pid for pid, _ in tracked]
    partial = _partial_figures(indicators)
    notes = {
        (r.project_id, r.indicator): r.note.removeprefix("missing: ")
        for r in indicators.itertuples()
        if pd.isna(r.value) and r.note
    }
    subjects = [(pid, name, "project", values.get(pid, {})) for pid, name in tracked]
    subjects.append(("", f"{group_label} ({GROUP})", "group", medians(indicators, tracked_ids)))
    # "Popular open source (cohort)" reads better as "... (cohort) (median)" than doubled
    suffix = "median" if cohort_label.lower().endswith("(cohort)") else COHORT
    subjects.append(
        ("", f"{cohort_label} ({suffix})", "cohort", medians(indicators, list(cohort_ids)))
    )
    members = {"project": None, "group": tracked_ids, "cohort": list(cohort_ids)}
    rows = []
    for claim in claims:
        limits = thresholds_for(claim, tuned or {})
        for pid, subject, kind, vals in subjects:
            result = judge(claim, vals, limits)
            fragile, _ = robustness(claim, vals, limits)
            used = (*result.met, *result.not_met)
            ids = members[kind] or [pid]
            gaps = sorted({text for i in ids for m in used for text in partial.get((i, m), ())})
            if kind != "project":
                # a median is partial when a member's figure is: say how many
                short = {i for i in ids for m in used if (i, m) in partial}
                gaps = [f"{len(short)} of {len(ids)} members with partial figures"] if short else []
            rows.append(
                {
                    "claim_id": claim.id,
                    "claim": claim.title,
                    "subject": subject,
                    "kind": kind,
                    "verdict": result.verdict,
                    "fragile": fragile and result.verdict != INSUFFICIENT,
                    "partial": bool(gaps) and result.verdict != INSUFFICIENT,
                    "coverage": "; ".join(gaps),
                    "met": ", ".join(CATALOGUE[m].title for m in result.met),
                    "not_met": ", ".join(CATALOGUE[m].title for m in result.not_met),
                    "missing": "; ".join(
                        f"{CATALOGUE[m].title} ({why_missing(notes, pid, m)})"
                        for m in result.missing
                    ),
                }
            )
    return pd.DataFrame(rows)


def _partial_figures(indicators: pd.DataFrame) -> dict[tuple[str, str], tuple[str, ...]]:
    """(project_id, indicator) -> coverage texts, for the values marked partial."""
    if "quality" not in indicators:
        return {}
    rows = indicators[(indicators["quality"] == "partial") & indicators["value"].notna()]
    coverage = rows["coverage"] if "coverage" in rows else pd.Series("", index=rows.index)
    return {
        (r.project_id, r.indicator): (text,) if (text := str(c or "")) else ("partial figures",)
        for r, c in zip(rows.itertuples(), coverage, strict=True)
    }


def why_missing(notes: Mapping[tuple[str, str], str], project_id: str, metric: str) -> str:
    """The reason a project has no value for a metric, or what would supply it."""
    return notes.get((project_id, metric)) or f"needs {CATALOGUE[metric].supplied_by}"


def evidence(
    claim: Claim,
    indicators: pd.DataFrame,
    tracked_ids: Sequence[str],
    cohort_ids: Sequence[str],
    tuned: Mapping[tuple[str, str], float] | None = None,
) -> pd.DataFrame:
    """Per indicator of a claim: rule, threshold, group and cohort medians, effect size."""
    limits = thresholds_for(claim, tuned or {})
    group = medians(indicators, list(tracked_ids))
    cohort = medians(indicators, list(cohort_ids))
    rows = []
    for rule in claim.indicators:
        info = CATALOGUE[rule.metric]
        rows.append(
            {
                "indicator": info.title,
                "metric": rule.metric,
                "better": rule.direction,
                "threshold": limits[rule.metric],
                "default_threshold": rule.threshold,
                "group_median": group.get(rule.metric),
                "cohort_median": cohort.get(rule.metric),
                "effect_size": effect_size(group.get(rule.metric), cohort.get(rule.metric)),
                "projects_with_value": int(
                    indicators[
                        indicators["project_id"].isin(tracked_ids)
                        & (indicators["indicator"] == rule.metric)
                    ]["value"]
                    .notna()
                    .sum()
                ),
                "methods": f"/methods#{rule.metric.replace('_', '-')}",
            }
        )
    return pd.DataFrame(rows)
