"""Methods: how every number is computed, in plain words, with its sources and caveats."""

from __future__ import annotations

import streamlit as st

from app import columns, loaders, widgets
from claims import verdicts
from metrics import community, overview, stats
from metrics.cohort import AI_TERMS, STALE_DAYS
from metrics.indicators import CATALOGUE, Windows, describe


def render() -> None:
    claims = loaders.claims()
    st.title("Methods")
    st.write(
        "Every indicator the Claims and Project pages use, how it is computed, where its data "
        "comes from, and what to beware of. Figures marked *partial* leave out some of a "
        "project's repositories or packages; *lower bound* figures come from sources that cap "
        "their counts."
    )
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
    for indicator in CATALOGUE.values():
        st.subheader(indicator.title, anchor=indicator.id.replace("_", "-"))
        st.markdown(
            f"**Definition.** {describe(indicator, windows)} "
            "(windows are set on the Claims page; 12 months by default)"
        )
        st.markdown(f"**Unit.** {indicator.unit} · **Data.** {indicator.source}")
        st.markdown(f"**When missing.** Needs {indicator.supplied_by}.")
        if indicator.why:
            st.markdown(f"**Why it measures the claim.** {indicator.why}")
        if indicator.caveats:
            st.markdown(f"**Caveats.** {indicator.caveats}")
        used = ", ".join(used_by.get(indicator.id, ["no claim yet"]))
        st.markdown(f"**Used by.** {widgets.markdown_text(used)}")
        for line in bases.get(indicator.id, []):
            st.markdown(f"**Threshold.** {widgets.markdown_text(line)}")
    st.subheader("Verdict rules", anchor="verdicts")
    st.markdown(verdicts.__doc__)
    st.subheader("Group against cohort, like with like", anchor="comparison")
    st.markdown(stats.__doc__)
    _group_rule()
    st.subheader("Community metrics", anchor="community")
    st.markdown(community.__doc__)
    st.subheader("Overview figures", anchor="overview")
    st.markdown(overview.__doc__)


def _group_rule() -> None:
    """The open-source AI group's and the cohort's rule, members and every exclusion."""
    registry = loaders.registry()
    members = loaders.load("cohort_members")
    st.subheader("The open-source AI group and the cohort: the rule", anchor="group-rule")
    st.markdown(widgets.markdown_text(registry.cohort.describe()) + ".")
    st.markdown(
        "A repository's description *names AI* when it matches, ignoring case: "
        f"`{AI_TERMS.pattern}`. A package whose PyPI metadata links a repository under "
        "another name than the archive's (a rename, or another project of the same name) is "
        "left out, not guessed. A member's git figures use the same 12 months for everyone, "
        f"to the data's as-of day; a history whose copy ends more than {STALE_DAYS} days "
        "before that day is a stale copy or an inactive project, which the data cannot tell "
        "apart: its window figures are missing, never zero, and it leaves the medians. Each "
        "median says on how many members it rests ('n of N')."
    )
    if members.empty or "side" not in members:
        st.info("The data has no group chosen by rule: rebuild the default data (README).")
        return
    shown = members.assign(
        side=members["side"].fillna("cohort"),
        status=members["status"].fillna("member"),
    )[["side", "name", "repo", "value", "status", "reason"]]
    for side, title in (("group", registry.cohort.group_label), ("cohort", registry.cohort.label)):
        part = shown[shown["side"] == side]
        n = int((part["status"] == "member").sum())
        st.markdown(
            f"**{widgets.markdown_text(title)}**: {n} members, "
            f"{len(part) - n} candidates left out, in download order."
        )
        widgets.table(
            part.drop(columns="side"),
            column_config={
                "name": columns.text("PyPI package", 160),
                "repo": columns.text("Repository", 230),
                "value": columns.number("Downloads/month", 120, fmt="localized"),
                "status": columns.text("Status", 80),
                "reason": columns.text("Why left out", 360),
            },
            key=f"methods_{side}_members",
        )


if __name__ == "__main__":  # run as a page by st.navigation
    render()
