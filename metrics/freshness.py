"""How old each source's data is: shown on every page, so nobody mistakes old for live."""

from __future__ import annotations

import pandas as pd

BUILD_RUN_PREFIX = "build-"


def source_ages(sources: pd.DataFrame, runs: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """One row per source: title, the last day its data covers, and its age in whole days.

    Live refreshes (collection runs other than the default-data build, whose run ids start
    with BUILD_RUN_PREFIX) add a row with each collector's latest successful run.
    """
    today = now.tz_convert("UTC").tz_localize(None).normalize()
    rows = [
        {"source": r.title, "as_of": r.as_of, "age_days": (today - r.as_of).days}
        for r in sources.sort_values("title").itertuples(index=False)
        if pd.notna(r.as_of)
    ]
    live = runs[
        ~runs["run_id"].str.startswith(BUILD_RUN_PREFIX) & runs["status"].isin(["ok", "partial"])
    ]
    for collector, group in live.groupby("collector"):
        last = group["finished_at"].max().tz_convert("UTC").tz_localize(None)
        rows.append(
            {
                "source": f"refresh: {collector}",
                "as_of": last,
                "age_days": (today - last.normalize()).days,
            }
        )
    return pd.DataFrame(rows, columns=["source", "as_of", "age_days"])
