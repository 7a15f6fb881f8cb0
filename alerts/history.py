"""The alerts' memory: `alerts-history.json` in the user data folder, what each rule last
found for each project and every alert fired or recovered, written atomically (a reader sees
the old file or the new, never half). Read by the refresh (to tell a change from a standing
condition) and by the app's Alerts page."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from errors import StoreError
from files import atomic_write_text

FORMAT = 1
KEEP_EVENTS = 5000  # the newest events kept; older ones are dropped when the file is written


@dataclass
class AlertHistory:
    """What each condition last was (key -> entry) and the events, oldest first."""

    conditions: dict[str, dict] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)
    watching_since: str | None = None  # the first evaluation's time (UTC, ISO 8601)


def read_history(path: Path) -> AlertHistory:
    """The history at `path`; an empty one when there is none yet.

    Raises StoreError naming the file when it exists but cannot be read as a history: it is
    left as it is (move it away to start afresh), never overwritten."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return AlertHistory()
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(path, f"cannot be read ({exc})") from None
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise StoreError(
            path, f"is not an alert history ({exc}); move it away to start a new one"
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise StoreError(
            path, f"is not an alert history of format {FORMAT}; move it away to start a new one"
        )
    conditions, events = raw.get("conditions", {}), raw.get("events", [])
    if not isinstance(conditions, dict) or not isinstance(events, list):
        raise StoreError(path, "is not an alert history; move it away to start a new one")
    return AlertHistory(
        {str(k): v for k, v in conditions.items() if isinstance(v, dict)},
        [e for e in events if isinstance(e, dict)],
        raw.get("watching_since"),
    )


def write_history(path: Path, history: AlertHistory) -> None:
    """Write the history atomically (its newest KEEP_EVENTS events). Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "watching_since": history.watching_since,
        "conditions": dict(sorted(history.conditions.items())),
        "events": history.events[-KEEP_EVENTS:],
    }
    atomic_write_text(path, json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
