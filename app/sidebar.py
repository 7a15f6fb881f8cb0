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
            live = " · refreshed" if row.refreshed else ""
            days = "day" if row.age_days == 1 else "days"
            st.caption(f"as of {row.as_of:%Y-%m-%d} · {row.age_days:,} {days} old{live}")
        if not ages["refreshed"].any():
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
        st.caption(refresh_caption(row))  # our own dates and counts only
        if row.reason and row.outcome != "ok":
            st.text(row.reason)  # a message may quote a server: shown as text, never markup


def refresh_caption(row) -> str:
    """When a source's last refresh finished and what became of its targets:
    '2026-12-04 19:05 UTC · 1 of 3 targets failed; 2 not tried because the source was
    unreachable'. `row` is one of `last_outcomes`."""
    when = f"{row.finished_at:%Y-%m-%d %H:%M} UTC" if pd.notna(row.finished_at) else "unfinished"
    counted = f"{row.targets} targets"
    if row.failed:
        counted = f"{row.failed} of {counted} failed"
    if row.unreachable:
        counted += f"; {row.unreachable} not tried because the source was unreachable"
    elif row.not_tried:
        counted += f"; {row.not_tried} not tried"
    return f"{when} · {counted}"


def problems() -> None:
    """Files the page could not read; called after the page, so nothing it read is missed."""
    found = loaders.problems()
    if found:
        st.sidebar.warning(
            f"{len(found)} store problem(s): the files below, or the rows of them named, "
            "could not be read and were skipped; everything else is shown. Nothing was "
            f"deleted. Follow the advice under each file; `{REPAIR}` rebuilds the store's "
            "index from the files on disk (it keeps a backup of the old index and deletes nothing)."
        )
    for problem in found:
        st.sidebar.code(problem, language=None)
