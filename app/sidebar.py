"""What every page shows in the sidebar: data freshness, each source's last refresh, and any
unreadable store files with the way to recover them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import loaders
from app.text import markdown_text
from metrics.freshness import source_ages
from metrics.status import last_outcomes
from store.segments import REPAIR


def freshness() -> None:
    """How old each source's data is, and how each source's last refresh went."""
    runs = loaders.load("collection_runs")
    ages = source_ages(loaders.load("sources"), runs, pd.Timestamp.now(tz="UTC"))
    with st.sidebar:
        st.subheader("Data freshness")
        if ages.empty:
            st.warning("No data could be read: see the Data page.")
        for row in ages.itertuples(index=False):
            st.markdown(f"**{markdown_text(row.source)}**")
            st.caption(f"as of {row.as_of:%Y-%m-%d} · {row.age_days:,} days old")
        if not any(ages["source"].str.startswith("refresh:")):
            st.caption("No live refresh yet: showing the embedded default data.")
        last_refresh(last_outcomes(runs))


def last_refresh(outcomes: pd.DataFrame) -> None:
    """Each source's last refresh (button, command line or schedule), as the store recorded
    it, so the outcome is still there after a reload."""
    if outcomes.empty:
        return
    st.subheader("Last refresh")
    for row in outcomes.itertuples(index=False):
        st.markdown(f"**{markdown_text(row.collector)}**: {markdown_text(row.outcome)}")
        counted = f"{row.targets} targets"
        if row.failed:
            counted = f"{row.failed} of {counted} failed"
        when = (
            f"{row.finished_at:%Y-%m-%d %H:%M} UTC" if pd.notna(row.finished_at) else "unfinished"
        )
        st.caption(f"{when} · {counted}")
        if row.reason and row.outcome != "ok":
            st.text(row.reason)  # a message may quote a server: shown as text, never markup


def problems() -> None:
    """Files the page could not read; called after the page, so nothing it read is missed."""
    found = loaders.problems()
    if found:
        st.sidebar.warning(
            f"{len(found)} store problem(s): the files below could not be read and were "
            "skipped; everything else is shown. Nothing was deleted. Follow the advice under "
            f"each file; `{REPAIR}` rebuilds the store's index from the files on disk (it "
            "keeps a backup of the old index and deletes nothing)."
        )
    for problem in found:
        st.sidebar.code(problem, language=None)
