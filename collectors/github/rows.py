"""Pure: GitHub's answers to the store's rows. No I/O; every function takes what was read.

One function per table (`snapshot_rows`, `repository_rows`, `star_history_rows`,
`contributor_rows`, `release_rows`, `tag_rows`, `commit_activity_rows`, `activity_rows`) and
one per "could not be observed" marker (`snapshot_marker`, `star_history_marker`,
`commit_activity_marker`): a null value with a quality that says why, never a zero. Every row
carries its source label, `fetched_at` and `quality`.

Values GitHub could not have meant (a negative or astronomically large count, a creation time
in the year 0001, in 1970, in the future, or the word "now") are stored as null, never shown:
the row keeps its other values with quality 'partial' (a count of its own: 'anomalous'), and
what was refused is added to `doubts` for the run's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd

from collectors.git import tag_prerelease
from collectors.github.activity import ActivitySummary
from collectors.github.client import SOURCE_REST, GitHubDataError
from collectors.identity import Pseudonymizer
from collectors.sourcerun import (
    MAX_COUNT,
    checked_count,
    day,
    parse_time,
    plausible_count,
    plausible_time,
)
from store.schema import (
    COMMIT_ACTIVITY,
    CONTRIBUTORS,
    GITHUB_MAX_COUNT,
    GITHUB_START,
    ISSUE_ACTIVITY,
    RELEASES,
    REPO_SNAPSHOTS,
    REPOSITORIES,
    STAR_HISTORY,
    Table,
)


@dataclass(frozen=True)
class WeekBucket:
    """One week of /stargazers/history: stars given that week and still held."""

    week: pd.Timestamp  # start of the week, as a UTC day
    total: int | None  # None: GitHub gave a total that cannot be true (stored 'anomalous')
    consistent: bool  # the per-day split adds up to the total


def parse_history(items: list) -> list[WeekBucket]:
    """Weekly buckets from one page; malformed entries are refused, not guessed."""
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise GitHubDataError("GitHub", "star history has an entry that is not an object")
        week = json_int(item.get("week"))
        days = item.get("days")
        days_ok = isinstance(days, list) and all(json_int(d) is not None for d in days)
        given = item.get("total")
        total = json_int(given, GITHUB_MAX_COUNT)
        if given is None and days_ok:
            total = sum(days)  # some answers omit `total`: the days add up to it
        implausible = total is None and isinstance(given, int) and not isinstance(given, bool)
        if week is None or (total is None and not implausible):
            raise GitHubDataError("GitHub", "star history has a week without a date or a total")
        consistent = not implausible and (not days_ok or sum(days) == total)
        out.append(WeekBucket(day(pd.Timestamp(week, unit="s", tz="UTC")), total, consistent))
    return out


def star_history_rows(repo: str, buckets: list[WeekBucket], now: pd.Timestamp) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "repo": repo,
            "week_start": [b.week for b in buckets],
            "stars_gained": [b.total for b in buckets],
            "source": SOURCE_REST,
            "fetched_at": now,
            "quality": ["ok" if b.consistent else "anomalous" for b in buckets],
        }
    )
    frame = frame.sort_values("week_start").drop_duplicates("week_start", keep="first")
    return _table_frame(STAR_HISTORY, frame)


def star_history_marker(
    repo: str, week: pd.Timestamp, now: pd.Timestamp, quality: str
) -> pd.DataFrame:
    """A null week saying why there is no star history: never a zero."""
    row = {
        "repo": repo,
        "week_start": week,
        "stars_gained": None,
        "source": SOURCE_REST,
        "fetched_at": now,
        "quality": quality,
    }
    return _table_frame(STAR_HISTORY, pd.DataFrame([row]))


def snapshot_rows(
    repo: str,
    data: dict,
    open_prs: int | None,
    now: pd.Timestamp,
    doubts: list[str] | None = None,
) -> pd.DataFrame:
    """Today's counters from the repository object (`subscribers_count` is the watchers).
    A value that cannot be true is null, the row 'partial', and named in `doubts`."""
    found: list[str] = []

    def count(key: str) -> int | None:
        return checked_count(data, key, found, limit=GITHUB_MAX_COUNT)

    licence = data.get("license") if isinstance(data.get("license"), dict) else {}
    topics = data.get("topics") if isinstance(data.get("topics"), list) else []
    row = {
        "repo": repo,
        "date": day(now),
        "stars": count("stargazers_count"),
        "forks": count("forks_count"),
        "open_issues": count("open_issues_count"),
        "open_prs": json_int(open_prs, GITHUB_MAX_COUNT),
        "watchers": count("subscribers_count"),
        "archived": data.get("archived") if isinstance(data.get("archived"), bool) else None,
        "license": json_str(licence.get("spdx_id")),
        "default_branch": json_str(data.get("default_branch")),
        "topics": ",".join(t for t in topics if isinstance(t, str)) or None,
        "pushed_at": github_time(data.get("pushed_at"), now, found, "pushed_at"),
        "listed_as": json_str(data.get("full_name")) or repo,
        "source": SOURCE_REST,
        "fetched_at": now,
        "quality": "partial" if found else "ok",
    }
    if doubts is not None:
        doubts += found
    return _table_frame(REPO_SNAPSHOTS, pd.DataFrame([row]))


def snapshot_marker(repo: str, now: pd.Timestamp, quality: str) -> pd.DataFrame:
    """A snapshot with no counters, flagged: the repository could not be observed today."""
    row = {c: None for c in REPO_SNAPSHOTS.column_names}
    row.update(
        repo=repo,
        date=day(now),
        listed_as=repo,
        source=SOURCE_REST,
        fetched_at=now,
        quality=quality,
    )
    return _table_frame(REPO_SNAPSHOTS, pd.DataFrame([row]))


def repository_rows(
    repo: str, data: dict, now: pd.Timestamp, doubts: list[str] | None = None
) -> pd.DataFrame:
    found: list[str] = []
    row = {
        "repo": repo,
        "description": json_str(data.get("description")),
        "language": json_str(data.get("language")),
        "homepage": json_str(data.get("homepage")) or None,
        "created_at": github_time(data.get("created_at"), now, found, "created_at"),
        "source": SOURCE_REST,
        "fetched_at": now,
        "quality": "partial" if found else "ok",
    }
    if doubts is not None:
        doubts += found
    return _table_frame(REPOSITORIES, pd.DataFrame([row]))


def github_time(
    value: object, now: pd.Timestamp, doubts: list[str] | None = None, field: str = "time"
) -> pd.Timestamp | None:
    """A time on GitHub: not before GitHub's oldest repositories, not in the future."""
    return plausible_time(value, now, doubts, field=field, earliest=GITHUB_START)


def contributor_rows(
    repo: str,
    entries: list[dict],
    ids: Pseudonymizer,
    now: pd.Timestamp,
    *,
    capped: bool,
) -> pd.DataFrame:
    """One row per account; an anonymous entry gets a keyed hash of its e-mail, never the
    e-mail or name itself. `capped` flags the day's list as a lower bound."""
    counts: dict[str, tuple[str, int | None]] = {}
    for entry in entries:
        kind = json_str(entry.get("type")) or "User"
        contributions = json_int(entry.get("contributions"))
        if kind == "Anonymous":
            secret = json_str(entry.get("email")) or json_str(entry.get("name"))
            if not secret:
                continue
            who = f"anon:{ids.id_for(secret)}"
        else:
            login = json_str(entry.get("login"))
            if not login:
                continue
            who = login
            kind = "Bot" if kind == "Bot" or login.endswith("[bot]") else "User"
        if who in counts:  # one person under two e-mail spellings: add them up
            previous = counts[who][1] or 0
            contributions = previous + (contributions or 0)
        counts[who] = (kind, contributions)
    frame = pd.DataFrame(
        {
            "repo": repo,
            "date": day(now),
            "contributor_id": list(counts),
            "kind": [k for k, _ in counts.values()],
            "contributions": [c for _, c in counts.values()],
            "source": f"{SOURCE_REST}:key-{ids.fingerprint}",
            "fetched_at": now,
            "quality": "lower_bound" if capped else "ok",
        }
    )
    return _table_frame(CONTRIBUTORS, frame)


def release_rows(repo: str, items: list[dict], now: pd.Timestamp) -> pd.DataFrame:
    """Published releases (drafts have no date and are left out)."""
    rows = []
    for item in items:
        tag = json_str(item.get("tag_name"))
        if not tag or item.get("draft") is True:
            continue
        rows.append(
            {
                "subject_kind": "repo",
                "subject": repo,
                "version": tag,
                "published_at": github_time(
                    item.get("published_at") or item.get("created_at"), now
                ),
                "prerelease": item.get("prerelease")
                if isinstance(item.get("prerelease"), bool)
                else None,
                "yanked": None,
                "source": SOURCE_REST,
                "fetched_at": now,
                "quality": "ok",
            }
        )
    frame = pd.DataFrame(rows, columns=RELEASES.column_names)
    return _table_frame(RELEASES, frame.drop_duplicates("version", keep="first"))


def tag_rows(
    repo: str, tags: list[tuple[str, pd.Timestamp | None]], now: pd.Timestamp
) -> pd.DataFrame:
    """Tags as releases, dated by their commit (a tag has no date of its own in the API)."""
    rows = [
        {
            "subject_kind": "repo",
            "subject": repo,
            "version": name,
            "published_at": when,
            "prerelease": tag_prerelease(name),
            "yanked": None,
            "source": f"{SOURCE_REST}:tags",
            "fetched_at": now,
            "quality": "ok" if when is not None else "missing",
        }
        for name, when in tags
    ]
    frame = pd.DataFrame(rows, columns=RELEASES.column_names)
    return _table_frame(RELEASES, frame.drop_duplicates("version", keep="first"))


def commit_activity_rows(repo: str, weeks: list, now: pd.Timestamp) -> pd.DataFrame:
    rows = []
    for item in weeks:
        if not isinstance(item, dict) or json_int(item.get("week")) is None:
            continue
        total = json_int(item.get("total"))
        days = item.get("days")
        consistent = not isinstance(days, list) or sum(json_int(d) or 0 for d in days) == total
        rows.append(
            {
                "repo": repo,
                "week_start": day(pd.Timestamp(json_int(item["week"]), unit="s", tz="UTC")),
                "commits": total,
                "source": SOURCE_REST,
                "fetched_at": now,
                "quality": "ok" if consistent and total is not None else "anomalous",
            }
        )
    frame = pd.DataFrame(rows, columns=COMMIT_ACTIVITY.column_names)
    return _table_frame(COMMIT_ACTIVITY, frame.drop_duplicates("week_start", keep="last"))


def commit_activity_marker(repo: str, week: pd.Timestamp, now: pd.Timestamp) -> pd.DataFrame:
    row = {
        "repo": repo,
        "week_start": week,
        "commits": None,
        "source": SOURCE_REST,
        "fetched_at": now,
        "quality": "pending",
    }
    return _table_frame(COMMIT_ACTIVITY, pd.DataFrame([row]))


def activity_rows(
    repo: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    summaries: list[ActivitySummary],
    now: pd.Timestamp,
    source: str,
) -> pd.DataFrame:
    """`issue_activity` rows; 'partial' when the medians come from a sample or are absent."""
    rows = [
        {
            "repo": repo,
            "kind": s.kind,
            "window_start": start,
            "window_end": end,
            "opened": s.opened,
            "closed": s.closed,
            "merged": s.merged,
            "median_hours_to_first_response": s.median_hours_to_first_response,
            "median_hours_to_close": s.median_hours_to_close,
            "source": source,
            "fetched_at": now,
            "quality": "ok" if s.complete else "partial",
        }
        for s in summaries
    ]
    return _table_frame(ISSUE_ACTIVITY, pd.DataFrame(rows, columns=ISSUE_ACTIVITY.column_names))


def commit_date(commit: dict) -> pd.Timestamp | None:
    """When a commit (REST `/commits/{sha}`) was committed, else authored; None if neither."""
    inner = commit.get("commit") if isinstance(commit.get("commit"), dict) else {}
    for who in ("committer", "author"):
        person = inner.get(who) if isinstance(inner.get(who), dict) else {}
        when = parse_time(person.get("date"))
        if when is not None:
            return when
    return None


def week_start(when: pd.Timestamp) -> pd.Timestamp:
    """The Sunday starting the week of `when` (GitHub's statistics weeks start on Sunday)."""
    return when - timedelta(days=(when.weekday() + 1) % 7)


def json_int(value: Any, limit: int = MAX_COUNT) -> int | None:
    """A count from JSON (0 to `limit`), or None: a string or a bool is not a count, and a
    negative or astronomically large number is not a plausible one."""
    return plausible_count(value, limit)


def json_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _table_frame(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with exactly the table's columns, in order. The store casts and checks it
    (`Table.conform`) when it is written, so that is done once, not per part.

    Not `collectors.sourcerun.table_frame`: that one conforms here and keeps the last row per
    key, while each part here chooses which duplicate wins (star history keeps the first)."""
    if set(frame.columns) != set(table.column_names):
        raise ValueError(f"rows for {table.name} have columns {sorted(frame.columns)}")
    return frame[table.column_names].reset_index(drop=True)
