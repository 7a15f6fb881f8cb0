"""Put claims, indicator values and thresholds together into the Claims page's tables."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from claims.model import CAN_BE_NEGATIVE, Claim
from claims.verdicts import (
    INSUFFICIENT,
    MIN_MEMBER_SHARE,
    effect_size,
    fresh_values,
    judge,
    median_counts,
    medians,
    robustness,
)
from metrics import stats
from metrics.indicators import CATALOGUE

GROUP = "group median"
# between the items of a verdict's `missing`: a reason may hold '; ' itself, never a new line
MISSING_SEPARATOR = "\n"


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
    group_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per (claim, subject): each tracked project, the group's medians, the cohort's.

    `tracked` is [(project_id, project name)]; the group's medians are over `group_ids` (the
    group chosen by rule), or over the tracked projects when it is None. Columns: claim_id,
    claim, subject, kind, verdict, k_of_n (how many of the claim's indicators it rests on),
    fragile, partial, coverage, met, not_met, missing (plain words, with what would
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
    group = list(group_ids) if group_ids is not None else tracked_ids
    partial = _partial_figures(indicators)
    notes = {
        (r.project_id, r.indicator): r.note.removeprefix("missing: ")
        for r in indicators.itertuples()
        if pd.isna(r.value) and r.note
    }
    subjects = [(pid, name, "project", values.get(pid, {})) for pid, name in tracked]
    subjects.append(("", f"{group_label} ({GROUP})", "group", medians(indicators, group)))
    members = {"project": None, "group": group, "cohort": list(cohort_ids)}
    counts = {"group": median_counts(indicators, group)}
    effects: dict[tuple[str, str], stats.Effect] = {}
    rows = []
    for claim in claims:
        limits = thresholds_for(claim, tuned or {})
        found = []
        for rule in claim.indicators:
            key = (rule.metric, rule.direction)
            if key not in effects:
                effects[key] = effect(rule.metric, rule.direction, indicators, group, cohort_ids)
            found.append(effects[key])
        position, how = standing(claim, found)
        comparable = sum(e.position != stats.UNDETERMINED for e in found)
        comparison = {
            "claim_id": claim.id,
            "claim": claim.title,
            "subject": f"{group_label} vs {comparison_label(cohort_label)}",
            "kind": "cohort",
            "verdict": position,
            "k_of_n": f"{comparable} of {len(claim.indicators)}",
            "fragile": False,
            "partial": False,
            "coverage": how,
            "met": ", ".join(
                CATALOGUE[r.metric].title
                for r, e in zip(claim.indicators, found, strict=True)
                if e.position == stats.AHEAD
            ),
            "not_met": ", ".join(
                CATALOGUE[r.metric].title
                for r, e in zip(claim.indicators, found, strict=True)
                if e.position == stats.BEHIND
            ),
            "missing": MISSING_SEPARATOR.join(
                f"{CATALOGUE[r.metric].title} ({e.note or 'not comparable'})"
                for r, e in zip(claim.indicators, found, strict=True)
                if e.position == stats.UNDETERMINED
            ),
        }
        # the comparison row follows the claim's subjects, as the cohort's row did
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
                    "k_of_n": result.k_of_n,
                    "fragile": fragile and result.verdict != INSUFFICIENT,
                    "partial": bool(gaps) and result.verdict != INSUFFICIENT,
                    "coverage": "; ".join(gaps),
                    "met": ", ".join(CATALOGUE[m].title for m in result.met),
                    "not_met": ", ".join(CATALOGUE[m].title for m in result.not_met),
                    "missing": MISSING_SEPARATOR.join(
                        f"{CATALOGUE[m].title} ({why_missing(notes, pid, m)})"
                        if kind == "project"
                        else f"{CATALOGUE[m].title} ({counts[kind].get(m, '0 of 0')} members "
                        "have a fresh value; a median needs at least half)"
                        for m in result.missing
                    ),
                }
            )
        rows.append(comparison)
    return pd.DataFrame(rows)


def comparison_label(cohort_label: str) -> str:
    """'Popular open source (cohort)' -> 'popular open source, like with like'."""
    words = cohort_label.removesuffix("(cohort)").strip() or cohort_label
    return f"{words[:1].lower()}{words[1:]}, like with like"


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


SIZE = "contributors_all_time"  # what "size" means for the like-with-like comparison


def offset_for(metric: str) -> float:
    """What `metrics.stats` adds before taking logs, so that a zero can be logged: 1 for
    counts, days and growth (a growth g is compared as 1 + g), a hundredth for shares and
    ratios, nothing for hours and scores (always positive)."""
    unit = CATALOGUE[metric].unit
    if metric in CAN_BE_NEGATIVE:
        return 0.0  # compared as 1 + g, which is positive
    if unit in ("count", "days"):
        return 1.0
    if unit in ("share", "ratio"):
        return 0.01
    return 0.0


def effect(
    metric: str,
    direction: str,
    indicators: pd.DataFrame,
    group_ids: Sequence[str],
    cohort_ids: Sequence[str],
) -> stats.Effect:
    """The group against the cohort on one indicator: raw and size-adjusted ratios with
    their bootstrap intervals (fresh values only; `metrics.stats`)."""

    def side(ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        fresh = fresh_values(indicators, list(ids))
        values = fresh[fresh["indicator"] == metric].set_index("project_id")["value"]
        sizes = fresh[fresh["indicator"] == SIZE].set_index("project_id")["value"]
        values = values + (1.0 if metric in CAN_BE_NEGATIVE else 0.0)
        return values.to_numpy(dtype=float), sizes.reindex(values.index).to_numpy(dtype=float)

    group_values, group_sizes = side(group_ids)
    cohort_values, cohort_sizes = side(cohort_ids)
    short = [
        f"only {len(values)} of {len(set(ids))} {name} members have a fresh value"
        for name, values, ids in (
            ("group", group_values, group_ids),
            ("cohort", cohort_values, cohort_ids),
        )
        if len(values) < MIN_MEMBER_SHARE * len(set(ids))
    ]
    if short:
        nan = np.nan
        return stats.Effect(
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            len(group_values),
            len(cohort_values),
            stats.UNDETERMINED,
            "; ".join(short) + " (at least half are needed)",
        )
    return _compare(
        tuple(group_values),
        tuple(group_sizes),
        tuple(cohort_values),
        tuple(cohort_sizes),
        direction == "higher",
        offset_for(metric),
    )


@functools.lru_cache(maxsize=1024)
def _compare(
    group_values: tuple[float, ...],
    group_sizes: tuple[float, ...],
    cohort_values: tuple[float, ...],
    cohort_sizes: tuple[float, ...],
    higher_is_better: bool,
    offset: float,
) -> stats.Effect:
    # The same values give the same effect (the bootstrap is seeded): the verdicts, the
    # evidence tables and the headline chart ask for each indicator's several times.
    return stats.compare(
        np.array(group_values),
        np.array(group_sizes),
        np.array(cohort_values),
        np.array(cohort_sizes),
        higher_is_better=higher_is_better,
        offset=offset,
        resamples=1000,
    )


def standing(claim: Claim, effects: Sequence[stats.Effect]) -> tuple[str, str]:
    """Where the group stands against comparable open source on a claim, from its
    indicators' size-adjusted positions: (position, how it was reached). Insufficient when
    fewer than the claim's required indicators have a position; ahead or behind when more
    than half of those that have one say so; level otherwise."""
    known = [e.position for e in effects if e.position != stats.UNDETERMINED]
    n = len(claim.indicators)
    if len(known) < claim.required:
        return stats.UNDETERMINED, f"{len(known)} of {n} indicators comparable"
    ahead, behind = known.count(stats.AHEAD), known.count(stats.BEHIND)
    words = f"{ahead} ahead, {known.count(stats.LEVEL)} level, {behind} behind, of {n}"
    if ahead * 2 > len(known):
        return stats.AHEAD, words
    if behind * 2 > len(known):
        return stats.BEHIND, words
    return stats.LEVEL, words


def evidence(
    claim: Claim,
    indicators: pd.DataFrame,
    tracked_ids: Sequence[str],
    cohort_ids: Sequence[str],
    tuned: Mapping[tuple[str, str], float] | None = None,
    group_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per indicator of a claim: rule, threshold, group and cohort medians ('n of N' members
    each rests on), the raw effect size, and the size-adjusted comparison with intervals."""
    limits = thresholds_for(claim, tuned or {})
    members = list(group_ids) if group_ids is not None else list(tracked_ids)
    group = medians(indicators, members)
    cohort = medians(indicators, list(cohort_ids))
    group_n = median_counts(indicators, members)
    cohort_n = median_counts(indicators, list(cohort_ids))
    rows = []
    for rule in claim.indicators:
        info = CATALOGUE[rule.metric]
        found = effect(rule.metric, rule.direction, indicators, members, cohort_ids)
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
                "group_n": group_n.get(rule.metric, f"0 of {len(set(members))}"),
                "cohort_n": cohort_n.get(rule.metric, f"0 of {len(set(cohort_ids))}"),
                "raw": found.raw,
                "raw_low": found.raw_low,
                "raw_high": found.raw_high,
                "adjusted": found.adjusted,
                "adjusted_low": found.adjusted_low,
                "adjusted_high": found.adjusted_high,
                "position": found.position,
                "effect_note": found.note,
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
