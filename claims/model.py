"""The claim model: `data/claims.toml`, read and validated like the projects registry.

Claims are data, not code: each names its indicators from the catalogue
(metrics/indicators.py), a direction and a default threshold.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    hypothesis: str
    indicators: tuple[IndicatorRule, ...]
    min_indicators: int = 1


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
    lines = text.splitlines()

    def line_of(needle: str) -> int | None:
        return next((i + 1 for i, line in enumerate(lines) if needle in line), None)

    entries = raw.get("claims")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(path, None, "needs at least one [[claims]] table")
    claims, seen = [], set()
    for entry in entries:
        cid = entry.get("id")
        if not isinstance(cid, str) or not cid or cid in seen:
            raise ConfigError(path, line_of(f'"{cid}"'), "each claim needs a unique string id")
        seen.add(cid)
        for key in ("title", "hypothesis"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ConfigError(path, line_of(f'"{cid}"'), f"claim {cid!r} needs a {key}")
        rules = []
        for item in entry.get("indicators", []):
            metric = item.get("metric") if isinstance(item, dict) else None
            where = line_of(f'"{metric}"') or line_of(f'"{cid}"')
            if metric not in CATALOGUE:
                raise ConfigError(
                    path, where, f"claim {cid!r}: unknown metric {metric!r} (see the Methods page)"
                )
            if item.get("direction") not in DIRECTIONS:
                raise ConfigError(path, where, f"claim {cid!r}: direction must be higher or lower")
            threshold = item.get("threshold")
            if not isinstance(threshold, int | float) or isinstance(threshold, bool):
                raise ConfigError(path, where, f"claim {cid!r}: threshold must be a number")
            rules.append(IndicatorRule(metric, item["direction"], float(threshold)))
        if not rules:
            raise ConfigError(path, line_of(f'"{cid}"'), f"claim {cid!r} needs indicators")
        minimum = entry.get("min_indicators", 1)
        if not isinstance(minimum, int) or not 1 <= minimum <= len(rules):
            raise ConfigError(
                path, line_of(f'"{cid}"'), f"claim {cid!r}: min_indicators must be 1..{len(rules)}"
            )
        claims.append(
            Claim(cid, entry["title"].strip(), entry["hypothesis"].strip(), tuple(rules), minimum)
        )
    return tuple(claims)
