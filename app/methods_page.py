"""Methods: how every number is computed, in plain words, with its sources and caveats."""

from __future__ import annotations

import streamlit as st

from app import loaders
from claims import verdicts
from metrics import community, overview
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
    for claim in claims:
        for rule in claim.indicators:
            used_by.setdefault(rule.metric, []).append(claim.title)
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
        st.markdown(f"**Used by.** {', '.join(used_by.get(indicator.id, ['no claim yet']))}")
    st.subheader("Verdict rules", anchor="verdicts")
    st.markdown(verdicts.__doc__)
    st.subheader("Community metrics", anchor="community")
    st.markdown(community.__doc__)
    st.subheader("Overview figures", anchor="overview")
    st.markdown(overview.__doc__)


if __name__ == "__main__":  # run as a page by st.navigation
    render()
