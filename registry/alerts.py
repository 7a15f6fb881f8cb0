"""The alert rules: `alerts.toml` in the user data folder, read and validated before anything
is evaluated, every broken rule reported with the file, the line and the rule (`ConfigError`).

Every rule has an id, is on by default and has at most one threshold. A file (or a missing
file) changes only what it names:

    [absence_factor]          # turn a rule off
    enabled = false

    [no_release]              # change a threshold
    days = 365

A rule's `source` says where its default threshold comes from (CHAOSS, OpenSSF or a choice
of this project); docs/alerts.md gives each one with its reason.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from errors import ConfigError


@dataclass(frozen=True)
class AlertRule:
    """One rule: what it watches, its threshold (`key` = `value`, within `low`..`high`)."""

    id: str
    title: str
    key: str | None  # the threshold's name in alerts.toml (None: the rule has none)
    value: float | None
    low: float | None
    high: float | None
    integer: bool
    source: str  # where the default threshold comes from
    enabled: bool = True


DEFAULT_RULES: tuple[AlertRule, ...] = (
    AlertRule(
        "absence_factor",
        "Contributor absence factor falls to the threshold",
        "at_most",
        1,
        1,
        1000,
        True,
        "CHAOSS Contributor Absence Factor: 1 means one person made half of the "
        "contributions of the last 12 months",
    ),
    AlertRule(
        "active_contributors_drop",
        "Active contributors drop year over year",
        "drop",
        1 / 3,
        0.01,
        1.0,
        False,
        "project choice: a third fewer people in the last 12 months than in the 12 before "
        "(CHAOSS Active Contributors counted over both windows)",
    ),
    AlertRule(
        "no_release",
        "No release for a number of days",
        "days",
        180,
        1,
        3660,
        True,
        "project choice: 180 days, the window after which this dashboard calls a git history "
        "stale; OpenSSF Scorecard's Maintained check looks at 90 days of activity",
    ),
    AlertRule(
        "downloads_drop",
        "Monthly downloads fall within one counting method",
        "drop",
        0.30,
        0.01,
        1.0,
        False,
        "project choice: a fall of 30 % per day from one monthly window to the next, "
        "compared only when both windows were counted the same way",
    ),
    AlertRule(
        "scorecard_low",
        "OpenSSF Scorecard below the threshold",
        "below",
        5,
        0.1,
        10,
        False,
        "OpenSSF Scorecard: scores run from 0 to 10; below 5 fails at least half of what the "
        "checks weigh",
    ),
    AlertRule(
        "repository_archived",
        "A repository is archived",
        None,
        None,
        None,
        None,
        False,
        "GitHub: an archived repository is read-only (no issues, pull requests or pushes)",
    ),
    AlertRule(
        "repository_renamed",
        "A repository is renamed or moved",
        None,
        None,
        None,
        None,
        False,
        "GitHub: the name asked for answers under another name (a rename or a transfer)",
    ),
)
RULE_IDS = tuple(rule.id for rule in DEFAULT_RULES)


@dataclass(frozen=True)
class AlertRules:
    """The rules in force: the defaults, with what `alerts.toml` changed."""

    rules: tuple[AlertRule, ...] = DEFAULT_RULES
    path: Path | None = None  # the file they were read from, if there was one

    def __iter__(self) -> Iterator[AlertRule]:
        return iter(self.rules)

    def get(self, rule_id: str) -> AlertRule:
        return next(rule for rule in self.rules if rule.id == rule_id)

    def enabled(self) -> tuple[AlertRule, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)


def load_alert_rules(path: Path) -> AlertRules:
    """The rules from `path`, or the defaults when it does not exist.

    Raises ConfigError naming the file, the line and the rule when it is broken."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return AlertRules()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, f"cannot be read as UTF-8 text ({exc})") from None
    return parse_alert_rules(text, path)


def parse_alert_rules(text: str, path: Path | str = "alerts.toml") -> AlertRules:
    """Validate alert rules text; `path` is only used in messages."""
    path = Path(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_in(str(exc))
        raise ConfigError(path, line, f"not valid TOML: {exc}") from None
    lines = text.splitlines()
    defaults = {rule.id: rule for rule in DEFAULT_RULES}
    rules = dict(defaults)
    for rule_id, table in raw.items():
        header = _header_line(lines, rule_id)
        if rule_id not in defaults:
            raise ConfigError(
                path,
                header or _key_line(lines, range(len(lines)), rule_id),
                f"unknown rule {rule_id!r}; the rules are {', '.join(RULE_IDS)}",
            )
        if not isinstance(table, dict):
            raise ConfigError(
                path,
                _key_line(lines, range(len(lines)), rule_id),
                f"{rule_id} must be a table ([{rule_id}]) of 'enabled' and its threshold",
            )
        rules[rule_id] = _parse_rule(defaults[rule_id], table, path, lines, header)
    return AlertRules(tuple(rules[rule_id] for rule_id in RULE_IDS), path)


def _parse_rule(
    rule: AlertRule, table: dict, path: Path, lines: list[str], header: int | None
) -> AlertRule:
    block = _block(lines, header)
    allowed = {"enabled"} | ({rule.key} if rule.key else set())
    for key, value in table.items():
        line = _key_line(lines, block, key) or header
        if key not in allowed:
            keys = " and ".join(f"'{k}'" for k in sorted(allowed))
            raise ConfigError(path, line, f"[{rule.id}] has no {key!r}; it takes {keys}")
        if key == "enabled":
            if not isinstance(value, bool):
                raise ConfigError(path, line, f"[{rule.id}] enabled must be true or false")
            rule = replace(rule, enabled=value)
            continue
        rule = replace(rule, value=_threshold(rule, value, path, line))
    return rule


def _threshold(rule: AlertRule, value: object, path: Path, line: int | None) -> float:
    kind = "a whole number" if rule.integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(path, line, f"[{rule.id}] {rule.key} must be {kind}, not {value!r}")
    if rule.integer and value != int(value):
        raise ConfigError(path, line, f"[{rule.id}] {rule.key} must be {kind}, not {value!r}")
    assert rule.low is not None and rule.high is not None
    if not rule.low <= value <= rule.high:
        raise ConfigError(
            path,
            line,
            f"[{rule.id}] {rule.key} must be from {rule.low:g} to {rule.high:g}, not {value!r}",
        )
    return int(value) if rule.integer else float(value)


def _header_line(lines: list[str], name: str) -> int | None:
    pattern = re.compile(rf"^\s*\[\s*[\"']?{re.escape(name)}[\"']?\s*\]")
    return next((i + 1 for i, line in enumerate(lines) if pattern.match(line)), None)


def _block(lines: list[str], header: int | None) -> range:
    if header is None:
        return range(len(lines))
    following = (i for i in range(header, len(lines)) if lines[i].lstrip().startswith("["))
    return range(header, next(following, len(lines)))


def _key_line(lines: list[str], block: range, key: str) -> int | None:
    pattern = re.compile(rf"(^|[{{,.])\s*{re.escape(key)}\s*=")
    return next((i + 1 for i in block if pattern.search(lines[i])), None)


def _line_in(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None
