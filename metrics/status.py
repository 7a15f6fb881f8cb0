"""What `cli.py status` and the app report about freshness: per project and source, the
newest observation; the last runs and each source's last outcome; the GitHub budget left
(pure functions on frames)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from metrics.freshness import BUILD_RUN_PREFIX
from registry.projects import Project
from store.schema import HOST_UNREACHED, NOT_TRIED, UNREACHED

# source label -> (table, subject column, column saying when the value was observed,
# the columns holding the observed values). A row whose values are all null is a marker
# (restricted, pending, missing), not an observation, and does not make a source fresh.
FRESHNESS = {
    "GitHub counters": (
        "repo_snapshots",
        "repo",
        "date",
        ("stars", "forks", "open_issues", "open_prs", "watchers"),
    ),
    "Star history": ("star_history", "repo", "fetched_at", ("stars_gained",)),
    "Issue and PR activity": ("issue_activity", "repo", "window_end", ("opened", "closed")),
    "Git commits": ("commits", "repo", "fetched_at", ("sha",)),
    "PyPI downloads": ("package_downloads", "package", "period_end", ("downloads",)),
    "PyPI metadata": ("packages", "package", "date", ("latest_version", "release_count")),
    "deps.dev dependents": (
        "package_dependents",
        "package",
        "date",
        ("dependents", "direct_dependents", "indirect_dependents"),
    ),
    "OpenSSF Scorecard": ("scorecards", "repo", "date", ("score",)),
}


def freshness(
    projects: Iterable[Project], tables: dict[str, pd.DataFrame], now: pd.Timestamp
) -> pd.DataFrame:
    """One row per (project, source): the newest observation and its age in days.

    Only rows holding a value count: a null row flagged restricted, pending or missing says
    the source was asked, not that anything was observed."""
    today = now.tz_convert("UTC").tz_localize(None).normalize()
    observed = {
        label: frame[frame[list(values)].notna().any(axis=1)] if len(frame) else frame
        for label, (table, _, _, values) in FRESHNESS.items()
        for frame in [tables[table]]
    }
    rows = []
    for project in projects:
        for label, (_, column, when, _) in FRESHNESS.items():
            subjects = project.packages if column == "package" else project.repo_names
            frame = observed[label]
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
    live = runs[~runs["run_id"].str.startswith(BUILD_RUN_PREFIX)]
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


def last_outcomes(runs: pd.DataFrame) -> pd.DataFrame:
    """Each source's last refresh (not the default-data build): one row per collector with
    its outcome, when it finished, how many targets it had, how many failed and how many
    were not tried, and one line saying why (the first failure's message), newest first.

    The rows of one refresh share `fetched_at` (the refresh's time) per collector, whether
    the source ran once or once per project. 'ok': no target failed, was partial or was left
    out (targets skipped as already current count as ok); 'failed/unreachable': the source's
    host never answered, so nothing was refreshed and the other targets were not tried;
    'failed': no target was refreshed; 'partial': some were, some were not.
    """
    columns = [
        "collector",
        "outcome",
        "finished_at",
        "targets",
        "failed",
        "not_tried",
        "unreachable",
        "reason",
        "run_id",
    ]
    live = runs[~runs["run_id"].str.startswith(BUILD_RUN_PREFIX)]
    rows = []
    for collector, group in live.groupby("collector"):
        last = group[group["fetched_at"] == group["fetched_at"].max()]
        messages = last["message"].fillna("").astype(str)
        failed = last["status"] == "failed"
        not_tried = (last["status"] == "skipped") & messages.str.startswith(NOT_TRIED)
        unreached = not_tried & messages.str.contains(UNREACHED, regex=False)
        refreshed = last["status"].isin(["ok", "partial"])
        bad = last[failed | (last["status"] == "partial") | not_tried]
        unreachable = bool(unreached.any()) or bool(
            (failed & messages.str.contains(HOST_UNREACHED, regex=False)).any()
        )
        if bad.empty:
            outcome = "ok"
        elif not refreshed.any():
            outcome = "failed/unreachable" if unreachable else "failed"
        else:
            outcome = "partial"
        first = bad.sort_values("status", key=lambda s: s.eq("skipped"), kind="stable")
        reasons = first["message"].dropna()
        reason = str(reasons.iloc[0]).strip().splitlines()[0] if len(reasons) else ""
        rows.append(
            {
                "collector": collector,
                "outcome": outcome,
                "finished_at": last["finished_at"].max(),
                "targets": len(last),
                "failed": int(failed.sum()),
                "not_tried": int(not_tried.sum()),
                "unreachable": int(unreached.sum()),
                "reason": reason[:200],
                "run_id": last.sort_values("started_at")["run_id"].iloc[-1],
            }
        )
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("finished_at", ascending=False).reset_index(drop=True)


@dataclass(frozen=True)
class Budget:
    """GitHub's rate-limit budget as the latest GitHub refresh left it."""

    remaining: int | None  # reported at the end of the latest GitHub refresh
    last_outcome: str | None  # that refresh's outcome; None when GitHub never ran
    last_reason: str  # why it failed, when it did
    earlier: int | None  # the last budget any earlier GitHub refresh reported
    earlier_at: pd.Timestamp | None

    def line(self, unreadable: bool) -> str:
        """The GitHub budget as `status` says it: the number, or why it is unknown
        (`unreadable`: the refreshed data could not be read)."""
        if self.remaining is not None:
            return str(self.remaining)
        if self.last_outcome is None:
            why = "the refreshed data could not be read" if unreadable else "no GitHub run yet"
            return f"unknown ({why})"
        said = f"unknown: the last GitHub run ({self.last_outcome}) reported none"
        if self.last_reason:
            said += f": {self.last_reason}"
        if self.earlier is not None:
            said += f"; {self.earlier} after the run before ({self.earlier_at:%Y-%m-%d %H:%M} UTC)"
        return said


def github_budget(runs: pd.DataFrame) -> Budget:
    """The budget GitHub reported at the end of its latest refresh, and that refresh's
    outcome, so "unknown" can say why (never ran, or failed before GitHub answered)."""
    github = runs[runs["collector"] == "github"]
    outcome = last_outcomes(github)
    if outcome.empty:
        return Budget(None, None, "", None, None)
    last = github[github["fetched_at"] == github["fetched_at"].max()]
    reported = last.dropna(subset=["rate_limit_remaining"]).sort_values("finished_at")
    remaining = int(reported["rate_limit_remaining"].iloc[-1]) if len(reported) else None
    older = github[github["fetched_at"] < last["fetched_at"].max()]
    older = older.dropna(subset=["rate_limit_remaining"]).sort_values("finished_at")
    row = outcome.iloc[0]
    return Budget(
        remaining,
        row["outcome"],
        row["reason"],
        int(older["rate_limit_remaining"].iloc[-1]) if len(older) else None,
        older["finished_at"].iloc[-1] if len(older) else None,
    )
