"""Verdicts: does the evidence support a claim? Pure functions, tested by hand.

Rules (stated on the Claims page):
- An indicator is *met* when its value is at or above its threshold (direction 'higher') or at
  or below it ('lower'). A missing value is neither met nor failed.
- With fewer than ⌈2n/3⌉ of the claim's n indicators having a value (`Claim.required`):
  **insufficient data**, naming each missing indicator and what would supply it. Every verdict
  says how many it rests on ("k of n").
- Otherwise, of the indicators with a value: at least two thirds met, **supported**; at most
  one third met, **not supported**; in between, **mixed**.
- *Robustness*: the verdict is recomputed with every threshold of the claim scaled by each
  factor in SWEEP (±25 % around the tuned value); a verdict that changes anywhere in that range
  is **fragile**.
- *The group*: the same rules applied to the median of each indicator over the group's
  members (chosen by rule) that have a fresh value: not flagged stale, and not more than 180
  days older than the newest value of the indicator. Each median says on how many members it
  rests ("n of N"); an indicator that fewer than half of the members have has no median.
- *The group against the cohort*: not a verdict against thresholds but a comparison like with
  like (`metrics.stats`): per indicator, where the group stands from its size-adjusted ratio
  and that ratio's 95 % bootstrap interval (ahead of, level with, behind, or insufficient
  data when fewer than half of either side's members have a value); per claim, ahead or
  behind when more than half of the indicators that could be compared say so, level
  otherwise, and insufficient data when fewer than two thirds could be compared. The *effect
  size* of an indicator is the group median divided by the cohort median (the raw ratio).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from claims.model import Claim, IndicatorRule

SUPPORTED = "supported"
MIXED = "mixed"
NOT_SUPPORTED = "not supported"
INSUFFICIENT = "insufficient data"
SWEEP = (0.75, 0.875, 1.0, 1.125, 1.25)


@dataclass(frozen=True)
class Verdict:
    verdict: str
    met: tuple[str, ...]
    not_met: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def available(self) -> int:
        return len(self.met) + len(self.not_met)

    @property
    def total(self) -> int:
        return len(self.met) + len(self.not_met) + len(self.missing)

    @property
    def k_of_n(self) -> str:
        """'2 of 3': how many of the claim's indicators the verdict rests on."""
        return f"{self.available} of {self.total}"


def is_met(value: float | None, rule: IndicatorRule, threshold: float) -> bool | None:
    """True/False, or None when the value is missing."""
    if value is None or pd.isna(value):
        return None
    return value >= threshold if rule.direction == "higher" else value <= threshold


def judge(
    claim: Claim,
    values: Mapping[str, float | None],
    thresholds: Mapping[str, float] | None = None,
    scale: float = 1.0,
) -> Verdict:
    """The verdict for one set of indicator values (a project, or a group's medians)."""
    met, not_met, missing = [], [], []
    for rule in claim.indicators:
        threshold = (thresholds or {}).get(rule.metric, rule.threshold) * scale
        result = is_met(values.get(rule.metric), rule, threshold)
        (missing if result is None else met if result else not_met).append(rule.metric)
    available = len(met) + len(not_met)
    if available < claim.required:
        verdict = INSUFFICIENT
    elif len(met) * 3 >= available * 2:
        verdict = SUPPORTED
    elif len(met) * 3 <= available:
        verdict = NOT_SUPPORTED
    else:
        verdict = MIXED
    return Verdict(verdict, tuple(met), tuple(not_met), tuple(missing))


def robustness(
    claim: Claim,
    values: Mapping[str, float | None],
    thresholds: Mapping[str, float] | None = None,
    sweep: tuple[float, ...] = SWEEP,
) -> tuple[bool, dict[float, str]]:
    """(fragile, verdict per scale factor) over the threshold sweep."""
    by_scale = {s: judge(claim, values, thresholds, s).verdict for s in sweep}
    return len(set(by_scale.values())) > 1, by_scale


STALE_DAYS = 180  # a value this much older than the newest of its indicator is stale
# A median stands for its group only when at least this share of the members have a fresh
# value: six of forty is six projects, not the group.
MIN_MEMBER_SHARE = 0.5


def fresh_values(indicators: pd.DataFrame, project_ids: list[str]) -> pd.DataFrame:
    """The given projects' values that may enter a median: present, not flagged stale, and
    not more than STALE_DAYS older than the newest value of the same indicator."""
    rows = indicators[indicators["project_id"].isin(project_ids)].dropna(subset=["value"])
    if "quality" in rows:
        rows = rows[rows["quality"] != "stale"]
    if "as_of" in rows and len(rows):
        newest = rows.groupby("indicator")["as_of"].transform("max")
        old = rows["as_of"] < newest - pd.Timedelta(days=STALE_DAYS)
        rows = rows[~old.fillna(False)]
    return rows


def medians(indicators: pd.DataFrame, project_ids: list[str]) -> dict[str, float | None]:
    """The median of each indicator over the given projects with a fresh value, for the
    indicators that at least MIN_MEMBER_SHARE of them have (the others have none)."""
    fresh = fresh_values(indicators, project_ids).groupby("indicator")["value"]
    enough = fresh.size() >= MIN_MEMBER_SHARE * len(set(project_ids))
    return fresh.median()[enough].to_dict()


def median_counts(indicators: pd.DataFrame, project_ids: list[str]) -> dict[str, str]:
    """Per indicator, 'n of N': how many of the N members a median rests on."""
    counts = fresh_values(indicators, project_ids).groupby("indicator").size()
    total = len(set(project_ids))
    return {m: f"{int(counts.get(m, 0))} of {total}" for m in indicators["indicator"].unique()}


def effect_size(group: float | None, cohort: float | None) -> float:
    """group median / cohort median; NaN when either is missing or the cohort's is zero."""
    if group is None or cohort is None or pd.isna(group) or pd.isna(cohort) or cohort == 0:
        return np.nan
    return float(group) / float(cohort)


def percentile(value: float | None, cohort_values: list[float]) -> float:
    """Share of cohort values at or below `value` (0-100); NaN without a value or a cohort."""
    known = [v for v in cohort_values if not pd.isna(v)]
    if value is None or pd.isna(value) or not known:
        return np.nan
    return 100.0 * sum(v <= value for v in known) / len(known)
