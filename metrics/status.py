"""What `cli.py status` and the app report about freshness: per project and source, the
newest observation; the last runs; the GitHub budget left (pure functions on frames)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from registry.projects import Project

# source label -> (table, subject column, column saying when the value was observed)
FRESHNESS = {
    "GitHub counters": ("repo_snapshots", "repo", "date"),
    "Star history": ("star_history", "repo", "fetched_at"),
    "Issue and PR activity": ("issue_activity", "repo", "window_end"),
    "Git commits": ("commits", "repo", "fetched_at"),
    "PyPI downloads": ("package_downloads", "package", "period_end"),
    "PyPI metadata": ("packages", "package", "date"),
    "deps.dev dependents": ("package_dependents", "package", "date"),
    "OpenSSF Scorecard": ("scorecards", "repo", "date"),
}


def freshness(
    projects: Iterable[Project], tables: dict[str, pd.DataFrame], now: pd.Timestamp
) -> pd.DataFrame:
    """One row per (project, source): the newest observation and its age in days."""
    today = now.tz_convert("UTC").tz_localize(None).normalize()
    rows = []
    for project in projects:
        for label, (table, column, when) in FRESHNESS.items():
            subjects = project.packages if column == "package" else project.repo_names
            frame = tables[table]
            mine = frame[frame[column].isin(subjects)][when].dropna() if len(frame) else frame
            newest = pd.NaT
            if len(mine):
                newest = pd.Timestamp(mine.max())
                if newest.tzinfo is not None:
                    newest = newest.tz_convert("UTC").tz_localize(None)
            rows.append(
                {
                    "project": project.name,
                    "source": label,
                    "newest": newest,
                    "age_days": (today - newest.normalize()).days if pd.notna(newest) else None,
                }
            )
    frame = pd.DataFrame(rows, columns=["project", "source", "newest", "age_days"])
    frame["age_days"] = frame["age_days"].astype("Int64")
    return frame


def last_runs(runs: pd.DataFrame, limit: int = 10) -> pd.DataFrame:
    """The latest refresh runs (not the default-data build), newest first, summarized."""
    live = runs[~runs["run_id"].str.startswith("build-")]
    if live.empty:
        return pd.DataFrame(
            columns=[
                "run_id",
                "collector",
                "finished_at",
                "targets",
                "failed",
                "requests",
                "not_modified",
                "rows_written",
            ]
        )
    grouped = live.groupby(["run_id", "collector"], as_index=False).agg(
        finished_at=("finished_at", "max"),
        targets=("target", "count"),
        failed=("status", lambda s: int((s == "failed").sum())),
        requests=("requests", "sum"),
        not_modified=("not_modified", "sum"),
        rows_written=("rows_written", "sum"),
    )
    return grouped.sort_values("finished_at", ascending=False).head(limit).reset_index(drop=True)


def github_budget(runs: pd.DataFrame) -> int | None:
    """Rate-limit budget GitHub reported at the end of the latest GitHub run, if any."""
    github = runs[(runs["collector"] == "github") & runs["rate_limit_remaining"].notna()]
    if github.empty:
        return None
    return int(github.sort_values("finished_at")["rate_limit_remaining"].iloc[-1])
