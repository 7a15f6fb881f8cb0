"""The claims' verdicts in words and colours, and the layout helpers the claim charts share.

Verdicts always carry their words; colour (Okabe-Ito, safe for colour-blind readers) only
repeats them.
"""

from __future__ import annotations

import textwrap

import pandas as pd

from charts.theme import NEUTRAL, ON_FILL
from claims.model import Claim
from claims.verdicts import INSUFFICIENT, MIXED, NOT_SUPPORTED, SUPPORTED
from metrics.stats import AHEAD, BEHIND, LEVEL

VERDICT_COLOURS = {
    SUPPORTED: "#009E73",  # bluish green
    MIXED: "#E69F00",  # orange
    NOT_SUPPORTED: "#D55E00",  # vermillion
    INSUFFICIENT: "#BBBBBB",  # grey
    # the group against comparable open source (like with like), in other colours: a
    # comparison is not a verdict against thresholds
    AHEAD: "#56B4E9",  # sky blue
    LEVEL: "#F0E442",  # yellow
    BEHIND: "#CC79A7",  # reddish purple
}
VERDICT_ORDER = (SUPPORTED, MIXED, NOT_SUPPORTED, INSUFFICIENT, AHEAD, LEVEL, BEHIND)
# The points of the evidence and comparison charts: marks that keep 3:1 against the light
# and the dark theme's background alike (charts/theme.py); the verdict colours above are
# fills behind black words (4.5:1 or more), never marks on the background.
TRACKED_COLOUR = "#0072B2"  # blue: the tracked projects' points
GROUP_COLOUR = "#997700"  # ochre (Tol medium-contrast): the group's median
COHORT_COLOUR = NEUTRAL  # grey: the cohort's spread and members
AHEAD_COLOUR = "#009E73"  # bluish green: the group ahead, like with like
BEHIND_COLOUR = "#D55E00"  # vermillion: the cohort ahead
PARITY_COLOUR = TRACKED_COLOUR  # blue: an interval that holds 1
BETTER = {"higher": "higher is better", "lower": "lower is better"}


def short_label(claim: Claim) -> str:
    """A column-sized name for a claim: its id in words ('Collaboration')."""
    return claim.id.replace("_", " ").replace("-", " ").capitalize()


def verdict_label(
    verdict: str, fragile: bool = False, partial: bool = False, k_of_n: str = ""
) -> str:
    """The verdict in words, with its qualifiers: 'mixed (fragile) · 2 of 3 · partial data'."""
    return (
        verdict
        + (" (fragile)" if fragile else "")
        + (f" · {k_of_n}" if k_of_n else "")
        + (" · partial data" if partial else "")
    )


def verdict_css(label: object) -> str:
    """Cell style for a verdict label (pandas Styler): its colour behind black words, the
    same in the light and the dark theme."""
    verdict = next((v for v in VERDICT_ORDER if str(label).startswith(v)), None)
    if verdict is None:
        return ""
    return f"background-color: {VERDICT_COLOURS[verdict]}; color: {ON_FILL}"


def labelled(table: pd.DataFrame) -> pd.Series:
    """verdict_table rows as labels; works with and without the `partial` column."""
    partial = table["partial"] if "partial" in table else pd.Series(False, index=table.index)
    counted = table["k_of_n"] if "k_of_n" in table else pd.Series("", index=table.index)
    return pd.Series(
        [
            verdict_label(v, bool(f), bool(p), str(k or ""))
            for v, f, p, k in zip(table["verdict"], table["fragile"], partial, counted, strict=True)
        ],
        index=table.index,
    )


def fold_missing(missing: str) -> list[tuple[str, list[str]]]:
    """'A (needs x)\nB (needs x)\nC (why)' -> [('needs x', ['A', 'B']), ('why', ['C'])]: one
    item a line, as claims.evaluate writes them.

    The reason is the last parenthesised part of each item; titles may hold parentheses too.
    """
    folded: dict[str, list[str]] = {}
    for item in (part.strip() for part in str(missing or "").split("\n")):
        if not item:
            continue
        title, reason = _split_reason(item)
        folded.setdefault(reason, []).append(title)
    return list(folded.items())


def _split_reason(item: str) -> tuple[str, str]:
    if not item.endswith(")"):
        return item, ""
    depth = 0
    for index in range(len(item) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(item[index], 0)
        if depth == 0:
            return item[:index].strip(), item[index + 1 : -1]
    return item, ""


def missing_line(missing: str) -> str:
    """One line for everything a subject lacks, by what would supply it."""
    parts = []
    for reason, titles in fold_missing(missing):
        parts.append(", ".join(titles) + (f": {reason}" if reason else ""))
    return "; ".join(parts)


def legend_below_title(height: int) -> dict:
    return {
        "orientation": "h",
        "x": 0,
        "xanchor": "left",
        "y": 1 - 44 / height,
        "yanchor": "top",
        "yref": "container",
        "font": {"size": 11},
    }


def wrap(text: str, width: int) -> str:
    return "<br>".join(textwrap.wrap(text, width)) or text
