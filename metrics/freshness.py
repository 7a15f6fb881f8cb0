"""How old each source's data is: shown on every page, so nobody mistakes old for live."""

from __future__ import annotations

import pandas as pd

BUILD_RUN_PREFIX = "build-"


def live_successes(runs: pd.DataFrame) -> pd.DataFrame:
    """The collection runs of live refreshes (not the default-data build, whose run ids
    start with BUILD_RUN_PREFIX) that stored something: status ok or partial."""
    return runs[
        ~runs["run_id"].str.startswith(BUILD_RUN_PREFIX) & runs["status"].isin(["ok", "partial"])
    ]


def current_sources(sources: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The sources table with each source's `as_of` brought forward to the day of its latest
    successful live refresh, where that is later. A refresh's collection_runs rows carry the
    same provenance (`source`: 'pypi:json', 'git') as the row of the sources table that the
    default data was built from, so the two are one source, listed once, with one date."""
    live = live_successes(runs)
    if live.empty or sources.empty:
        return sources
    latest = live.groupby("source")["finished_at"].max().dt.tz_convert("UTC")
    refreshed = sources["source"].map(latest.dt.tz_localize(None).dt.normalize())
    later = refreshed.notna() & (sources["as_of"].isna() | (refreshed > sources["as_of"]))
    if not later.any():
        return sources
    out = sources.copy()
    out.loc[later, "as_of"] = refreshed[later].astype(out["as_of"].dtype)
    return out


def source_ages(sources: pd.DataFrame, runs: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """One row per source: title, the last day its data covers, its age in whole days, and
    whether a live refresh brought it there.

    A live refresh of a source the sources table lists (same provenance) moves that row's
    date (`current_sources`); a collector the table does not list (GitHub's API: the
    table's GitHub row is the ranking archive) adds a row 'refresh: <collector>' with its
    latest successful run.
    """
    today = now.tz_convert("UTC").tz_localize(None).normalize()
    current = current_sources(sources, runs)
    moved = set(current["title"][current["as_of"].ne(sources["as_of"]) & current["as_of"].notna()])
    rows = [
        {
            "source": r.title,
            "as_of": r.as_of,
            "age_days": (today - r.as_of).days,
            "refreshed": r.title in moved,
        }
        for r in current.sort_values("title").itertuples(index=False)
        if pd.notna(r.as_of)
    ]
    live = live_successes(runs)
    live = live[~live["source"].isin(set(sources["source"]))]
    for collector, group in live.groupby("collector"):
        last = group["finished_at"].max().tz_convert("UTC").tz_localize(None)
        rows.append(
            {
                "source": f"refresh: {collector}",
                "as_of": last,
                "age_days": (today - last.normalize()).days,
                "refreshed": True,
            }
        )
    return pd.DataFrame(rows, columns=["source", "as_of", "age_days", "refreshed"])
