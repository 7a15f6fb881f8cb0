"""What every page shows in the sidebar: data freshness and any unreadable store files."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import loaders
from metrics.freshness import source_ages


def freshness() -> None:
    """How old each source's data is."""
    ages = source_ages(
        loaders.load("sources"), loaders.load("collection_runs"), pd.Timestamp.now(tz="UTC")
    )
    with st.sidebar:
        st.subheader("Data freshness")
        if ages.empty:
            st.warning("No data could be read: see the Data page.")
        for row in ages.itertuples(index=False):
            st.markdown(f"**{row.source}**")
            st.caption(f"as of {row.as_of:%Y-%m-%d} · {row.age_days:,} days old")
        if not any(ages["source"].str.startswith("refresh:")):
            st.caption("No live refresh yet: showing the embedded default data.")


def problems() -> None:
    """Files the page could not read; called after the page, so nothing it read is missed."""
    found = loaders.problems()
    if found:
        st.sidebar.warning(
            f"{len(found)} store file(s) could not be read and were skipped; "
            "everything else is shown. Move or delete the file named below to silence this."
        )
    for problem in found:
        st.sidebar.code(problem, language=None)
