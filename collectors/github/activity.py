"""Issue and pull-request activity, pure: who answered first and how long items stayed open.

From the items GitHub's search gives (GraphQL nodes with their first comments and reviews) and
the search totals, `summarize_activity` makes one `ActivitySummary` per kind: counts, median
hours to the first response by another person who is not a bot, median hours to close.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from collectors.identity import DEFAULT_BOT_PATTERNS, bot_matcher
from collectors.sourcerun import parse_time

# GitHub logins of automation accounts, on top of the git collector's patterns.
GITHUB_BOT_PATTERNS = (*DEFAULT_BOT_PATTERNS, r"-bot$", r"mergebot$", r"^copybara-service")


@dataclass(frozen=True)
class ActivitySummary:
    """One kind ('issue' or 'pull_request') over the window."""

    kind: str
    opened: int | None
    closed: int | None
    merged: int | None
    median_hours_to_first_response: float | None
    median_hours_to_close: float | None
    complete: bool  # the medians cover every item (not a sample), and the counts are known


def summarize_activity(
    kind: str,
    counts: Mapping[str, int | None],
    samples: Mapping[str, tuple[list[dict], int | None]],
    is_bot: Callable[[dict | None], bool],
) -> ActivitySummary:
    """Counts from the search totals; medians from the sampled items.

    First response: the earliest comment or review by someone other than the author and not
    a bot, on items opened in the window by people (bot-opened items are left out); items
    with no response yet are left out of the median. Time to close: items closed in the
    window. Closed pull requests include merged ones (GitHub's meaning of `closed:`).
    """
    prefix = "issues" if kind == "issue" else "prs"
    typename = "Issue" if kind == "issue" else "PullRequest"
    created, created_total = samples.get(f"{kind}_created", ([], None))
    closed, closed_total = samples.get(f"{kind}_closed", ([], None))
    created = [n for n in created if n.get("__typename") == typename]
    closed = [n for n in closed if n.get("__typename") == typename]
    response_hours = [
        h for h in (first_response_hours(n, is_bot) for n in created) if h is not None
    ]
    close_hours = [h for h in (hours_to_close(n) for n in closed) if h is not None]
    complete = (
        bool(samples)
        and created_total is not None
        and closed_total is not None
        and len(created) >= created_total
        and len(closed) >= closed_total
    )
    return ActivitySummary(
        kind=kind,
        opened=counts.get(f"{prefix}Opened"),
        closed=counts.get(f"{prefix}Closed"),
        merged=counts.get("prsMerged") if kind == "pull_request" else None,
        median_hours_to_first_response=_median(response_hours),
        median_hours_to_close=_median(close_hours),
        complete=complete and all(counts.get(k) is not None for k in counts),
    )


def first_response_hours(item: dict, is_bot: Callable[[dict | None], bool]) -> float | None:
    """Hours from opening to the first comment or review by another person (not a bot)."""
    opened = parse_time(item.get("createdAt"))
    author = item.get("author")
    if opened is None or is_bot(author):
        return None
    author_login = (author or {}).get("login")
    times = []
    for group, stamp in (("comments", "createdAt"), ("reviews", "submittedAt")):
        for node in ((item.get(group) or {}).get("nodes")) or []:
            who = node.get("author") if isinstance(node, dict) else None
            when = parse_time(node.get(stamp)) if isinstance(node, dict) else None
            if when is None or is_bot(who):
                continue
            if who is not None and who.get("login") == author_login:
                continue
            times.append(when)
    if not times:
        return None
    return max((min(times) - opened).total_seconds(), 0.0) / 3600.0


def hours_to_close(item: dict) -> float | None:
    opened, closed = parse_time(item.get("createdAt")), parse_time(item.get("closedAt"))
    if opened is None or closed is None:
        return None
    return max((closed - opened).total_seconds(), 0.0) / 3600.0


def bot_check(patterns: Sequence[str] = GITHUB_BOT_PATTERNS) -> Callable[[dict | None], bool]:
    """A GraphQL author -> is it an automation account? (A deleted account is not a bot.)"""
    matches = bot_matcher(patterns)

    def is_bot(author: dict | None) -> bool:
        if not isinstance(author, dict):
            return False
        if author.get("__typename") == "Bot":
            return True
        login = author.get("login")
        return isinstance(login, str) and matches(login, "")

    return is_bot


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None
