"""The claim model: `data/claims.toml`, read and validated like the projects registry.

Claims are data, not code: each names its indicators from the catalogue
(metrics/indicators.py), a direction and a default threshold.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from errors import ConfigError
from metrics.indicators import CATALOGUE

DEFAULT_CLAIMS = Path(__file__).resolve().parent.parent / "data" / "claims.toml"
DIRECTIONS = ("higher", "lower")


@dataclass(frozen=True)
class IndicatorRule:
    metric: str
    direction: str  # 'higher' or 'lower' is better for the claim
    threshold: float
    basis: str = ""  # where the threshold comes from (CHAOSS, OpenSSF Scorecard, a paper, ...)


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    hypothesis: str
    indicators: tuple[IndicatorRule, ...]
    min_indicators: int = 0  # 0: the evidence rule's own minimum, enough_indicators(n)

    @property
    def required(self) -> int:
        """How many of its indicators a verdict needs: at least two thirds (rounded up), or
        more where the claims file asks for more."""
        return max(enough_indicators(len(self.indicators)), self.min_indicators)


def enough_indicators(n: int) -> int:
    """⌈2n/3⌉: a verdict resting on fewer than two thirds of its claim's indicators would be
    decided by whichever indicators happen to have data, so it is "insufficient data"."""
    return -(-2 * n // 3)


CLAIM_KEYS = {"id", "title", "hypothesis", "indicators", "min_indicators"}
RULE_KEYS = {"metric", "direction", "threshold", "basis"}
# indicators whose values can be below zero (a fall); every other one is a count, share,
# ratio, duration or score, where a negative threshold means nothing
CAN_BE_NEGATIVE = {"star_growth", "download_growth", "download_share_growth"}
THRESHOLD_LIMIT = 1e12  # beyond any figure the data can hold


def threshold_problem(metric: str, threshold: float) -> str | None:
    """Why a threshold cannot be meant (NaN, infinite, absurdly large, negative where
    values never are, a share above 1), or None. Used for the file and the sidebar alike."""
    if not math.isfinite(threshold):
        return "must be a finite number (with NaN or infinity no value could ever meet it)"
    if abs(threshold) > THRESHOLD_LIMIT:
        return f"must be at most {THRESHOLD_LIMIT:g} in size"
    if threshold < 0 and metric not in CAN_BE_NEGATIVE:
        return "cannot be negative: the indicator's values never are"
    if CATALOGUE[metric].unit == "share" and metric not in CAN_BE_NEGATIVE and threshold > 1:
        return "is a share: it must be between 0 and 1"
    return None


def load_claims(path: Path | str = DEFAULT_CLAIMS) -> tuple[Claim, ...]:
    """Read and validate the claims file. Raises ConfigError naming the file, line and rule."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, f"cannot be read ({exc})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, getattr(exc, "lineno", None), f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(path, None, "nested too deeply to be a claims file") from None
    lines = text.splitlines()

    def line_of(needle: str) -> int | None:
        return next((i + 1 for i, line in enumerate(lines) if needle in line), None)

    unknown = sorted(set(raw) - {"claims"})
    if unknown:
        raise ConfigError(path, line_of(unknown[0]), f"unknown top-level key {unknown[0]!r}")
    entries = raw.get("claims")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(path, None, "needs at least one [[claims]] table")
    claims, seen = [], set()
    for entry in entries:
        if not isinstance(entry, dict):
            raise ConfigError(path, line_of("claims"), "each [[claims]] entry must be a table")
        cid = entry.get("id")
        extra = sorted(set(entry) - CLAIM_KEYS)
        if extra:
            raise ConfigError(
                path,
                line_of(extra[0]),
                f"claim {cid!r}: unknown key {extra[0]!r} "
                f"(allowed: {', '.join(sorted(CLAIM_KEYS))})",
            )
        if not isinstance(cid, str) or not cid or cid in seen:
            raise ConfigError(path, line_of(f'"{cid}"'), "each claim needs a unique string id")
        seen.add(cid)
        for key in ("title", "hypothesis"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ConfigError(path, line_of(f'"{cid}"'), f"claim {cid!r} needs a {key}")
        rules = []
        items = entry.get("indicators", [])
        if not isinstance(items, list):
            raise ConfigError(
                path, line_of("indicators"), f"claim {cid!r}: indicators must be a list of tables"
            )
        for item in items:
            metric = item.get("metric") if isinstance(item, dict) else None
            where = line_of(f'"{metric}"') or line_of(f'"{cid}"')
            if isinstance(item, dict) and set(item) - RULE_KEYS:
                key = sorted(set(item) - RULE_KEYS)[0]
                raise ConfigError(path, where, f"claim {cid!r}: unknown indicator key {key!r}")
            if metric not in CATALOGUE:
                raise ConfigError(
                    path, where, f"claim {cid!r}: unknown metric {metric!r} (see the Methods page)"
                )
            if item.get("direction") not in DIRECTIONS:
                raise ConfigError(path, where, f"claim {cid!r}: direction must be higher or lower")
            threshold = item.get("threshold")
            if not isinstance(threshold, int | float) or isinstance(threshold, bool):
                raise ConfigError(path, where, f"claim {cid!r}: threshold must be a number")
            problem = threshold_problem(metric, float(threshold))
            if problem:
                raise ConfigError(path, where, f"claim {cid!r}: {metric} threshold {problem}")
            if any(r.metric == metric for r in rules):
                raise ConfigError(path, where, f"claim {cid!r}: {metric} is listed twice")
            basis = item.get("basis")
            if not isinstance(basis, str) or not basis.strip():
                raise ConfigError(
                    path,
                    where,
                    f"claim {cid!r}: {metric} needs a basis: where its threshold comes from "
                    "(CHAOSS, OpenSSF Scorecard, a paper, or a reference distribution)",
                )
            rules.append(IndicatorRule(metric, item["direction"], float(threshold), basis.strip()))
        if not rules:
            raise ConfigError(path, line_of(f'"{cid}"'), f"claim {cid!r} needs indicators")
        floor = enough_indicators(len(rules))
        minimum = entry.get("min_indicators", floor)
        if not isinstance(minimum, int) or not floor <= minimum <= len(rules):
            raise ConfigError(
                path,
                line_of(f'"{cid}"'),
                f"claim {cid!r}: min_indicators must be {floor}..{len(rules)} (a verdict needs "
                "at least two thirds of its indicators)",
            )
        claims.append(
            Claim(cid, entry["title"].strip(), entry["hypothesis"].strip(), tuple(rules), minimum)
        )
    return tuple(claims)
