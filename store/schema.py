"""The data model: every table the store keeps, its columns, dtypes, key and meaning.

One declaration per table, used three ways: `conform()` checks and casts every frame
before it is written, `empty()` gives a typed frame when nothing is stored yet, and
`docs/data-model.md` is checked against these declarations by a test.

Every column also says what a value in it can plausibly be (`Column.plausible_range`): the
collectors refuse a value outside it (stored as null, flagged), a repair sets aside a segment
holding one, and a read leaves such rows out with a warning (store/plausible.py).

Every table carries provenance on every row:
  source      where the value came from (an archive with its revision, or an API)
  fetched_at  when the value was observed at that source (UTC)
  quality     'ok' or a flag saying how far to trust the value (see QUALITY)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from errors import StoreError

# How far a value can be trusted. A missing figure is a missing row or a null value with a
# flag saying why; it is never stored as zero.
QUALITY = {
    "ok": "as reported by the source",
    "lower_bound": "the true value is at least this (the source caps or truncates it)",
    "partial": "covers only part of what it describes (some days, repos or pages missing)",
    "anomalous": "the source reported it, but it breaks an obvious pattern; kept, not charted",
    "restricted": "the source refused to give it (permissions, privacy); value is null",
    "pending": "the source was still computing it; value is null",
    "missing": "the source has no such value; value is null",
}

TIMESTAMP = "datetime64[ms, UTC]"
DAY = "datetime64[s]"  # a calendar day in UTC, stored naive at midnight
TEXT = "string"
COUNT = "Int64"  # nullable: missing stays missing
FLAG = "boolean"
NUMBER = "float64"

# What a value can plausibly be: one definition, used by the collectors (collectors/sourcerun),
# by repair and by every read (store/plausible.py). A time is never later than now plus
# FUTURE_SLACK; each column says its earliest time or its smallest and largest number.
MAX_COUNT = 10**12  # no count any source reports comes near (PyPI's busiest month: ~2e9)
# Larger than any GitHub counter can be (GitHub has ~2e8 accounts, so no repository has
# more stars or watchers; the largest has well under a million).
GITHUB_MAX_COUNT = 10**9
EARLIEST = pd.Timestamp("1980-01-01", tz="UTC")  # before any dated software we track
GITHUB_START = pd.Timestamp("2007-10-01", tz="UTC")  # the oldest repositories' created_at
FUTURE_SLACK = pd.Timedelta(days=2)  # clocks disagree; more than this ahead is not a fact yet
MAX_UTC_OFFSET_MIN = 18 * 60  # git's +HHMM offsets: no clock is more than 18 hours from UTC


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    doc: str
    required: bool = False  # required columns may never be null
    # the plausible range (see plausible_range): the earliest time, or a number's bounds
    since: pd.Timestamp = EARLIEST
    low: float = 0
    high: float = MAX_COUNT

    def plausible_range(self, now: pd.Timestamp) -> tuple[object, object] | None:
        """The smallest and largest plausible value (a time: `since` to `now` plus
        FUTURE_SLACK, naive for a day column); None for text and flags."""
        if self.dtype in (TIMESTAMP, DAY):
            latest = now + FUTURE_SLACK
            if self.dtype == DAY:
                return self.since.tz_localize(None), latest.tz_localize(None)
            return self.since, latest
        if self.dtype in (COUNT, NUMBER):
            return self.low, self.high
        return None


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def dtypes(self) -> dict[str, str]:
        return {c.name: c.dtype for c in self.columns}

    def empty(self) -> pd.DataFrame:
        """A typed frame with no rows (a copy: callers may add to it)."""
        return _empty_frame(self).copy()

    def conform(self, frame: pd.DataFrame, *, where: str = "") -> pd.DataFrame:
        """Check columns, cast dtypes and check required values. Raises StoreError.

        `where` names the file or caller for the error message.
        """
        label = where or f"table {self.name}"
        missing = [c for c in self.column_names if c not in frame.columns]
        extra = [c for c in frame.columns if c not in self.dtypes]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing columns {missing}")
            if extra:
                parts.append(f"unknown columns {extra}")
            raise StoreError(label, f"does not match table {self.name!r}: " + "; ".join(parts))
        out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
        for column in self.columns:
            out[column.name] = _cast(frame[column.name].reset_index(drop=True), column, label)
        for column in self.columns:
            if column.required and out[column.name].isna().any():
                raise StoreError(label, f"column {column.name!r} has empty values")
        bad = set(out["quality"].dropna().unique()) - set(QUALITY)
        if bad:
            raise StoreError(label, f"unknown quality flags {sorted(bad)}")
        return out

    def widen(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A segment written before optional columns were added, with those columns null.

        Only optional columns are filled: a segment missing a required one is still refused
        by `conform`, so history written by an older version reads, and nothing is invented.
        """
        absent = [c.name for c in self.columns if c.name not in frame.columns and not c.required]
        return frame.assign(**{name: None for name in absent}) if absent else frame

    def duplicated_keys(self, frame: pd.DataFrame) -> pd.Series:
        return frame.duplicated(subset=list(self.key), keep="last")


def _cast(series: pd.Series, column: Column, label: str) -> pd.Series:
    try:
        if column.dtype in (TIMESTAMP, DAY):
            converted = pd.to_datetime(series, utc=column.dtype == TIMESTAMP)
            if column.dtype == DAY:
                if getattr(converted.dt, "tz", None) is not None:
                    converted = converted.dt.tz_convert("UTC").dt.tz_localize(None)
                converted = converted.dt.normalize()
            return converted.astype(column.dtype)
        return series.astype(column.dtype)
    except (TypeError, ValueError) as exc:
        raise StoreError(label, f"column {column.name!r} is not {column.dtype}: {exc}") from None


def _provenance() -> tuple[Column, ...]:
    return (
        Column("source", TEXT, "where the value came from, with a revision or API", True),
        Column("fetched_at", TIMESTAMP, "when the value was observed at the source (UTC)", True),
        Column("quality", TEXT, "'ok' or a flag from QUALITY", True),
    )


def _table(name: str, doc: str, key: Iterable[str], *columns: Column) -> Table:
    return Table(name, doc, (*columns, *_provenance()), tuple(key))


SOURCES = _table(
    "sources",
    "Each outside dataset or API the stored rows came from: licence, revision and age.",
    ["source"],
    Column("title", TEXT, "human name of the source", True),
    Column("url", TEXT, "where it can be found"),
    Column("revision", TEXT, "commit, version or API version read"),
    Column("licence", TEXT, "licence or terms, as stated by the source"),
    Column("as_of", DAY, "the last day the source's data covers"),
    Column("coverage", TEXT, "what it covers, in words"),
    Column("notes", TEXT, "caveats in words"),
)

SOURCE_DAYS = _table(
    "source_days",
    "The days on which a source published anything. A repository missing on such a day was "
    "outside the source's lists; on any other day the source itself has a gap.",
    ["source", "date"],
    Column("date", DAY, "a day with data", True),
)

REPOSITORIES = _table(
    "repositories",
    "Descriptive facts about a GitHub repository (latest known). Text is shown as text.",
    ["repo"],
    Column("repo", TEXT, "current 'owner/name'", True),
    Column("description", TEXT, "the owners' own description (untrusted text)"),
    Column("language", TEXT, "GitHub's primary language"),
    Column("homepage", TEXT, "homepage URL given by the owners"),
    Column("created_at", TIMESTAMP, "when the repository was created", since=GITHUB_START),
)

REPO_SNAPSHOTS = _table(
    "repo_snapshots",
    "One row per repository per day it was observed: the counters GitHub shows.",
    ["repo", "date"],
    Column("repo", TEXT, "current 'owner/name' (renames joined)", True),
    Column("date", DAY, "UTC day of the observation", True, since=GITHUB_START),
    Column("stars", COUNT, "stargazers_count", high=GITHUB_MAX_COUNT),
    Column("forks", COUNT, "forks_count", high=GITHUB_MAX_COUNT),
    Column(
        "open_issues",
        COUNT,
        "open_issues_count: open issues plus open pull requests",
        high=GITHUB_MAX_COUNT,
    ),
    Column(
        "open_prs", COUNT, "open pull requests (null when not collected)", high=GITHUB_MAX_COUNT
    ),
    Column(
        "watchers",
        COUNT,
        "subscribers_count (people watching), not the legacy alias",
        high=GITHUB_MAX_COUNT,
    ),
    Column("archived", FLAG, "the repository is archived"),
    Column("license", TEXT, "SPDX id of the detected licence"),
    Column("default_branch", TEXT, "default branch name"),
    Column("topics", TEXT, "topics, comma-separated"),
    Column("pushed_at", TIMESTAMP, "last push to any branch", since=GITHUB_START),
    Column("listed_as", TEXT, "the name the source used that day (differs after a rename)"),
)

STAR_HISTORY = _table(
    "star_history",
    "Retained stars by week starred (GitHub /stargazers/history): stars given in a week "
    "and still held now. Not the same as the star count on that day, which also lost unstars.",
    ["repo", "week_start"],
    Column("repo", TEXT, "current 'owner/name'", True),
    Column("week_start", DAY, "first day of the week", True, since=GITHUB_START),
    Column("stars_gained", COUNT, "retained stars given that week", high=GITHUB_MAX_COUNT),
)

PACKAGE_DOWNLOADS = _table(
    "package_downloads",
    "Downloads of a PyPI package over a window. Windows of different lengths or methods "
    "are different series and are never summed together.",
    ["package", "series", "period_start", "period_end"],
    Column("package", TEXT, "PEP 503 normalized name", True),
    Column("series", TEXT, "'daily', 'monthly' (about 30 days) or 'yearly' (365 days)", True),
    Column("period_start", DAY, "first day counted", True),
    Column("period_end", DAY, "last day counted", True),
    Column("window_days", COUNT, "length of the window in days", True),
    Column("downloads", COUNT, "downloads in the window"),
    Column("installers", TEXT, "'pip' (pip only) or 'all' (every installer)"),
    Column("method", TEXT, "how it was counted (e.g. bigquery-pypinfo, clickhouse, pypistats)"),
)

DOWNLOAD_TOTALS = _table(
    "download_totals",
    "The downloads of the top-N packages of one top-PyPI snapshot together (a fixed N that "
    "every snapshot has), so a package's share of them can be compared across the changes in "
    "how downloads were counted.",
    ["series", "period_start", "period_end", "top_n"],
    Column("series", TEXT, "'monthly' (about 30 days) or 'yearly' (365 days)", True),
    Column("period_start", DAY, "first day counted", True),
    Column("period_end", DAY, "last day counted", True),
    Column("window_days", COUNT, "length of the window in days", True),
    Column("top_n", COUNT, "how many of the snapshot's most downloaded packages are added", True),
    Column("downloads", COUNT, "their downloads in the window, added"),
    Column("installers", TEXT, "'pip' (pip only) or 'all' (every installer)"),
    Column("method", TEXT, "how it was counted (e.g. bigquery-pypinfo, clickhouse)"),
)

RELEASES = _table(
    "releases",
    "Releases of a repository (GitHub releases or tags) or a package (PyPI versions).",
    ["subject_kind", "subject", "version"],
    Column("subject_kind", TEXT, "'repo' or 'package'", True),
    Column("subject", TEXT, "'owner/name' or a PEP 503 package name", True),
    Column("version", TEXT, "tag or version string", True),
    Column("published_at", TIMESTAMP, "when it was published (first upload for PyPI)"),
    Column("prerelease", FLAG, "pre-release (GitHub flag, or PEP 440 for PyPI)"),
    Column("yanked", FLAG, "withdrawn from PyPI"),
)

PACKAGES = _table(
    "packages",
    "What PyPI says about a package on a day it was observed (JSON API): latest version, "
    "metadata, and the GitHub repository it links to, checked against data/projects.toml. "
    "Text is the maintainers' own (untrusted) and is shown as text.",
    ["package", "date"],
    Column("package", TEXT, "PEP 503 normalized name", True),
    Column("date", DAY, "UTC day of the observation", True),
    Column("canonical_name", TEXT, "the name as PyPI spells it (info.name)"),
    Column("latest_version", TEXT, "info.version: latest non-yanked final release, if any"),
    Column("summary", TEXT, "one-line summary (untrusted text)"),
    Column(
        "licence",
        TEXT,
        "license_expression, else a short license field, else the License :: classifiers",
    ),
    Column("requires_python", TEXT, "Requires-Python of the latest version"),
    Column("project_urls", TEXT, "the project URLs, label -> URL, as JSON text (untrusted)"),
    Column("repo", TEXT, "GitHub 'owner/name' found in the project URLs or home page"),
    Column("registry_repos", TEXT, "the project's repositories in projects.toml, comma-separated"),
    Column("repo_agrees", FLAG, "the found repository is one of them (null: none found)"),
    Column("release_count", COUNT, "versions listed, with or without files"),
    Column("yanked_count", COUNT, "versions whose files are all yanked"),
    Column("last_serial", COUNT, "PyPI's change serial for the project"),
)

PACKAGE_DEPENDENTS = _table(
    "package_dependents",
    "How many packages depend on a package version, as deps.dev counts them (v3alpha "
    ":dependents) for the latest stable version. Unavailable counts are null, flagged.",
    ["package", "version", "date"],
    Column("package", TEXT, "PEP 503 normalized name", True),
    Column("version", TEXT, "the version counted ('' when no version could be chosen)", True),
    Column("date", DAY, "UTC day of the observation", True),
    Column("dependents", COUNT, "dependentCount: direct and indirect"),
    Column("direct_dependents", COUNT, "directDependentCount"),
    Column("indirect_dependents", COUNT, "indirectDependentCount"),
)

SCORECARDS = _table(
    "scorecards",
    "OpenSSF Scorecard results of a GitHub repository as deps.dev serves them: the overall "
    "score and each check (0-10). A check that did not run, or a repository without a "
    "scorecard, is a null score with quality 'missing', never zero.",
    ["repo", "date", "check"],
    Column("repo", TEXT, "'owner/name' as listed in projects.toml", True),
    Column("date", DAY, "UTC day of the observation", True),
    Column("check", TEXT, "'overall' or the check's name (e.g. 'Maintained')", True),
    Column(
        "score", NUMBER, "0-10; null when the check did not run or there is no scorecard", high=10
    ),
    Column("scorecard_date", TIMESTAMP, "when Scorecard ran (weekly)"),
    Column("scorecard_version", TEXT, "the Scorecard version that ran"),
    Column("reason", TEXT, "the check's reason in its own words (untrusted text)"),
)

COMMITS = _table(
    "commits",
    "Commits on a repository's default branch, pseudonymous: no name or e-mail is stored.",
    ["repo", "sha"],
    Column("repo", TEXT, "current 'owner/name'", True),
    Column("sha", TEXT, "commit id", True),
    Column("authored_at", TIMESTAMP, "author time (UTC)", True),
    Column(
        "author_utc_offset_min",
        COUNT,
        "author's UTC offset in minutes (local time)",
        low=-MAX_UTC_OFFSET_MIN,
        high=MAX_UTC_OFFSET_MIN,
    ),
    Column("committed_at", TIMESTAMP, "committer time (UTC)"),
    Column("author_id", TEXT, "keyed hash of the normalized author e-mail", True),
    Column("author_domain", TEXT, "organization domain, or 'independent' for public mail"),
    Column("author_is_bot", FLAG, "the author is an automation account"),
    Column("co_author_ids", TEXT, "keyed hashes of human Co-authored-by trailers, comma-separated"),
    Column("co_author_bot_ids", TEXT, "the same for co-authors that are automation accounts"),
    Column("is_merge", FLAG, "the commit has more than one parent"),
    Column("files_changed", COUNT, "files touched"),
    Column("lines_added", COUNT, "lines added"),
    Column("lines_deleted", COUNT, "lines deleted"),
    Column(
        "first_parent",
        FLAG,
        "on HEAD's first-parent chain (git rev-list --first-parent): one landing on the "
        "branch; false when reached only through a merge's second parent",
    ),
    Column(
        "pull_request",
        COUNT,
        "the public pull request it landed through, from its message: 'Merge pull request #N "
        "from', a subject ending '(#N)', or a PR-URL, Pull-Request or 'Pull Request "
        "resolved' URL .../pull/N; null when none",
    ),
    Column(
        "review_trailer",
        FLAG,
        "the message has a Reviewed-by, Reviewed-on, Approved-by, Acked-by, Tested-by "
        "trailer or a 'Differential Revision:' line (any case)",
    ),
    Column(
        "merged_by_other",
        FLAG,
        "a merge whose author (who merged it) is not the author of the branch tip it brings "
        "in: a second person took the change in; null for a commit that is no merge, or when "
        "the tip was not read in the same run",
    ),
)

COMMIT_ACTIVITY = _table(
    "commit_activity",
    "Commits per week on the default branch as GitHub's statistics count them (merge commits "
    "excluded); each observation covers the last 52 weeks. A week GitHub was still computing "
    "is a null with quality 'pending', never zero.",
    ["repo", "week_start"],
    Column("repo", TEXT, "current 'owner/name'", True),
    Column(
        "week_start",
        DAY,
        "first day of the week (Sunday, as GitHub counts)",
        True,
        since=GITHUB_START,
    ),
    Column("commits", COUNT, "commits that week", high=GITHUB_MAX_COUNT),
)

CONTRIBUTORS = _table(
    "contributors",
    "GitHub's contributor list on a day: contributions per account (capped by the API).",
    ["repo", "date", "contributor_id"],
    Column("repo", TEXT, "current 'owner/name'", True),
    Column("date", DAY, "UTC day of the observation", True),
    Column("contributor_id", TEXT, "login, or a keyed hash for anonymous entries", True),
    Column("kind", TEXT, "'User', 'Bot' or 'Anonymous'"),
    Column("contributions", COUNT, "commits counted by GitHub"),
)

ISSUE_ACTIVITY = _table(
    "issue_activity",
    "Issue and pull-request activity over a rolling window ending on a day.",
    ["repo", "kind", "window_start", "window_end"],
    Column("repo", TEXT, "current 'owner/name'", True),
    Column("kind", TEXT, "'issue' or 'pull_request'", True),
    Column("window_start", DAY, "first day of the window", True),
    Column("window_end", DAY, "last day of the window", True),
    Column("opened", COUNT, "opened in the window"),
    Column("closed", COUNT, "closed in the window"),
    Column("merged", COUNT, "merged in the window (pull requests)"),
    Column("median_hours_to_first_response", NUMBER, "from someone else, bots excluded"),
    Column("median_hours_to_close", NUMBER, "for those closed in the window"),
)

# The words of a collection_runs message that say why a target was not refreshed, so a report
# read back from the store (the sidebar, `status`) tells the same story as the run's own:
NOT_TRIED = "not tried: "  # starts the message of a target left out after its source halted
UNREACHED = "could not be reached"  # in a not-tried message: the source's host never answered
HOST_UNREACHED = "could not reach "  # in a failed target's message: its host never answered


COLLECTION_RUNS = _table(
    "collection_runs",
    "What each refresh (or data build) fetched, when, at what cost, and what failed.",
    ["run_id", "collector", "target"],
    Column("run_id", TEXT, "one id per refresh or build", True),
    Column("collector", TEXT, "which collector ran", True),
    Column("target", TEXT, "repository, package or dataset", True),
    Column("started_at", TIMESTAMP, "start (UTC)", True),
    Column("finished_at", TIMESTAMP, "end (UTC)"),
    Column("status", TEXT, "'ok', 'partial', 'failed' or 'skipped'", True),
    Column("requests", COUNT, "HTTP requests made (0 for local sources)"),
    Column("not_modified", COUNT, "answers 304 Not Modified"),
    Column("retries", COUNT, "requests retried"),
    Column("wait_seconds", NUMBER, "time spent waiting for rate limits"),
    Column("rate_limit_remaining", COUNT, "budget left at the end, when the source reports it"),
    Column("rows_written", COUNT, "rows added to the store"),
    Column("message", TEXT, "what went wrong, in plain words"),
)

COHORT_MEMBERS = _table(
    "cohort_members",
    "The comparison cohort as resolved from the rule in data/projects.toml.",
    ["kind", "name"],
    Column("kind", TEXT, "'repo' or 'package'", True),
    Column("name", TEXT, "'owner/name' or package name", True),
    Column("rank", COUNT, "rank under the rule (1 = largest)", True),
    Column("measure", TEXT, "what was ranked ('stars' or 'monthly downloads')", True),
    Column("value", COUNT, "the ranked value on the rule's day"),
    Column("as_of", DAY, "the day the rule was applied to", True),
    Column("rule", TEXT, "the rule in words", True),
    Column(
        "repo",
        TEXT,
        "a package member's GitHub repository, as its PyPI metadata names it (null when none)",
    ),
    Column(
        "side",
        TEXT,
        "'cohort' or 'group' (the open-source AI group by rule); null in rows written before "
        "the group had a rule: the cohort",
    ),
    Column(
        "status",
        TEXT,
        "'member', or 'excluded' with the reason; null in older rows: a member",
    ),
    Column("reason", TEXT, "why a checked candidate is not a member, in words"),
)

GIT_HISTORIES = _table(
    "git_histories",
    "Each repository whose full git history was sought for the data: its snapshot day (the "
    "newest commit on any ref of the copy read), its size, or why it is not in the data.",
    ["repo"],
    Column("repo", TEXT, "'owner/name'", True),
    Column("status", TEXT, "'in data' or 'not in data'", True),
    Column("snapshot", DAY, "the newest commit on any ref of the copy read"),
    Column("size_mb", NUMBER, "the copy's size in MB (a full mirror)"),
    Column("reason", TEXT, "why it is not in the data, in words"),
)

TRUCK_FACTORS = _table(
    "truck_factors",
    "Each repository's truck factor (Avelino et al., ICPC 2016: file authorship by degree of "
    "authorship, then the fewest authors whose leaving orphans over half of the source files), "
    "from its full history with file data; computed when the shipped data is built.",
    ["repo", "as_of"],
    Column("repo", TEXT, "'owner/name'", True),
    Column("as_of", DAY, "the day of the newest commit of the history read", True),
    Column("truck_factor", COUNT, "the fewest authors whose leaving orphans over half the files"),
    Column("files", COUNT, "source files at HEAD with an author history"),
    Column("authors", COUNT, "people who author at least one of those files"),
    Column(
        "renames_followed",
        FLAG,
        "renamed files kept their history (false: the copy lacked file contents git needs to "
        "detect renames, so a moved file counts as new, with its mover as its creator)",
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        SOURCES,
        SOURCE_DAYS,
        REPOSITORIES,
        REPO_SNAPSHOTS,
        STAR_HISTORY,
        PACKAGE_DOWNLOADS,
        DOWNLOAD_TOTALS,
        RELEASES,
        PACKAGES,
        PACKAGE_DEPENDENTS,
        SCORECARDS,
        COMMITS,
        COMMIT_ACTIVITY,
        CONTRIBUTORS,
        ISSUE_ACTIVITY,
        COLLECTION_RUNS,
        COHORT_MEMBERS,
        GIT_HISTORIES,
        TRUCK_FACTORS,
    )
}


def table(name: str) -> Table:
    """The declaration of a table. Raises KeyError for an unknown name."""
    return TABLES[name]


@functools.cache
def _empty_frame(table: Table) -> pd.DataFrame:
    """Built once per table: building 20 typed empty columns costs milliseconds each time."""
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in table.columns})


def merge_newest(spec: Table, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate frames of one table, keeping the newest `fetched_at` per key.

    On equal `fetched_at` the later part wins, so pass parts oldest source first.
    """
    parts = [p for p in parts if len(p)]
    if not parts:
        return spec.empty()
    if len(parts) == 1:
        return parts[0]
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values("fetched_at", kind="stable")
    frame = frame[~frame.duplicated(subset=list(spec.key), keep="last")]
    return frame.sort_index().reset_index(drop=True)
