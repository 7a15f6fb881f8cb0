"""The Methods page's text, defined once: how every number is computed, with its sources and
caveats, as sections of blocks. The app's Methods page and the static report both draw these.

A block says what its text is: `markdown` is the dashboard's own prose (the indicator
catalogue, the modules' documented definitions) and may use markdown; `text` came from a file
a user can edit (claim titles, thresholds' reasons, the group's rule and names) and is shown
as written, never as markup; `table` is a frame of outside values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from claims import verdicts
from claims.model import Claim
from metrics import community, overview, stats
from metrics.cohort import AI_TERMS, STALE_DAYS
from metrics.indicators import CATALOGUE, Windows, describe
from registry import Registry

INTRO = (
    "Every indicator the Claims and Project pages use, how it is computed, where its data "
    "comes from, and what to beware of. Figures marked *partial* leave out some of a "
    "project's repositories or packages; *lower bound* figures come from sources that cap "
    "their counts."
)
MEMBER_COLUMNS = ["name", "repo", "value", "status", "reason"]


@dataclass(frozen=True, eq=False)
class Block:
    """One paragraph or table: `label` is a bold lead-in of the dashboard's own words."""

    kind: str  # 'markdown' (own prose), 'text' (outside text, shown as written), 'note', 'table'
    text: str = ""
    label: str = ""
    table: pd.DataFrame | None = None
    key: str = ""  # a table's name ('group-members', 'cohort-members')


@dataclass(frozen=True, eq=False)
class Section:
    title: str
    anchor: str
    blocks: list[Block] = field(default_factory=list)


def methods_sections(
    claims: Sequence[Claim], registry: Registry, members: pd.DataFrame
) -> list[Section]:
    """Every section of the Methods page, in page order: one per indicator, then the verdict
    rules, the like-with-like comparison, the group's rule with its members, the community
    metrics and the overview figures."""
    used_by: dict[str, list[str]] = {}
    bases: dict[str, list[str]] = {}
    for claim in claims:
        for rule in claim.indicators:
            used_by.setdefault(rule.metric, []).append(claim.title)
            bases.setdefault(rule.metric, []).append(
                f"{claim.title}: {'≥' if rule.direction == 'higher' else '≤'} "
                f"{rule.threshold:g} — {rule.basis}"
            )
    windows = Windows()
    out = []
    for indicator in CATALOGUE.values():
        blocks = [
            Block(
                "markdown",
                f"{describe(indicator, windows)} (windows are set on the Claims page; 12 months "
                "by default)",
                "Definition.",
            ),
            Block("markdown", f"{indicator.unit} · **Data.** {indicator.source}", "Unit."),
            Block("markdown", f"Needs {indicator.supplied_by}.", "When missing."),
        ]
        if indicator.why:
            blocks.append(Block("markdown", indicator.why, "Why it measures the claim."))
        if indicator.caveats:
            blocks.append(Block("markdown", indicator.caveats, "Caveats."))
        blocks.append(
            Block("text", ", ".join(used_by.get(indicator.id, ["no claim yet"])), "Used by.")
        )
        blocks += [Block("text", line, "Threshold.") for line in bases.get(indicator.id, [])]
        out.append(Section(indicator.title, indicator.id.replace("_", "-"), blocks))
    out.append(Section("Verdict rules", "verdicts", [Block("markdown", verdicts.__doc__ or "")]))
    out.append(
        Section(
            "Group against cohort, like with like",
            "comparison",
            [Block("markdown", stats.__doc__ or "")],
        )
    )
    out.append(group_rule(registry, members))
    out.append(Section("Community metrics", "community", [Block("markdown", community.__doc__)]))
    out.append(Section("Overview figures", "overview", [Block("markdown", overview.__doc__)]))
    return out


def group_rule(registry: Registry, members: pd.DataFrame) -> Section:
    """The open-source AI group's and the cohort's rule, members and every exclusion."""
    blocks = [
        Block("text", registry.cohort.describe() + "."),
        Block(
            "markdown",
            "A repository's description *names AI* when it matches, ignoring case: "
            f"`{AI_TERMS.pattern}`. A package whose PyPI metadata links a repository under "
            "another name than the archive's (a rename, or another project of the same name) "
            "is left out, not guessed. A member's git figures use the same 12 months for "
            "everyone, to the data's as-of day; a history whose copy ends more than "
            f"{STALE_DAYS} days before that day is a stale copy or an inactive project, which "
            "the data cannot tell apart: its window figures are missing, never zero, and it "
            "leaves the medians. Each median says on how many members it rests ('n of N').",
        ),
    ]
    title, anchor = "The open-source AI group and the cohort: the rule", "group-rule"
    if members.empty or "side" not in members:
        note = "The data has no group chosen by rule: rebuild the default data (README)."
        return Section(title, anchor, [*blocks, Block("note", note)])
    shown = members.assign(
        side=members["side"].fillna("cohort"),
        status=members["status"].fillna("member"),
    )[["side", *MEMBER_COLUMNS]]
    for side, name in (("group", registry.cohort.group_label), ("cohort", registry.cohort.label)):
        part = shown[shown["side"] == side].drop(columns="side").reset_index(drop=True)
        n = int((part["status"] == "member").sum())
        said = f"{n} members, {len(part) - n} candidates left out, in download order."
        blocks.append(Block("text", f"{name}: {said}", key=f"{side}-members"))
        blocks.append(Block("table", table=part, key=f"{side}-members"))
    return Section(title, anchor, blocks)
