"""The GitHub collector: what GitHub says about each tracked repository, as tidy rows.

This room knows what the answers mean; `collectors.http.HttpClient` does the talking (auth,
retries, rate limits, ETags), with GitHub's rate-limit rules handed to it by `github_client`.
Per repository, each refresh collects:

    part               endpoint (REST unless said)                        table
    snapshot           /repos/{o}/{r}, /pulls?state=open&per_page=1        repo_snapshots,
                                                                           repositories
    star history       /stargazers/history?per_page=30 (weekly buckets)    star_history
    contributors       /contributors?anon=1&per_page=100 (capped)          contributors
    releases           /releases (tags + their commits when none)          releases
    commit activity    /stats/commit_activity (202 while computing)        commit_activity
    issue/PR activity  GraphQL search with a token; REST search counts     issue_activity
                       without one (GraphQL refuses anonymous requests)

Incremental: every GET is conditional (a 304 costs no rate-limit point and its rows are not
written again), star history stops at the first week already stored, releases stop at the
first release already stored, tags already dated are not dated again, and issue activity is
computed once per window of complete days. A value GitHub refuses, has not computed, or does
not have is stored as null with quality 'restricted', 'pending' or 'missing' — never zero —
and such a marker never replaces a stored value.

The package, one module per job:

    client.py        github_client, GitHubPolicy (GitHub's rate-limit rules), source labels,
                     GitHubDataError
    settings.py      CollectorSettings: how much each part may fetch
    stored.py        StoredState: what earlier refreshes stored (reads the store)
    rest.py          RepoCollection: the REST requests of one repository, part by part
    star_history.py  the star-history part (/stargazers/history)
    graphql.py       issue/PR count and sample queries (GraphQL; REST search without a token)
    activity.py      pure: first response, time to close, ActivitySummary
    rows.py          pure: answers to the store's rows and "could not observe" markers
    refresh.py       refresh_github, the per-repository loop, RefreshSummary, RepoOutcome

Errors of its own (the rest come from collectors.http):

    SourceError
    ├── GitHubDataError        GitHub answered, but not with what its documentation
    │                          promises (GraphQL errors, a rename to an invalid name)
    └── RepoUnavailableError   the repository itself cannot be had (404, 410, 451, 409):
                               marked for the day, its stored history kept

`refresh_github()` is the one entry point: it collects every tracked repository, publishing
one atomic write per repository (its rows and its collection_runs row together), so a run
stopped by the rate limit, a crash or a kill keeps every repository finished before it.
"""

from __future__ import annotations

from collectors.github.activity import (
    GITHUB_BOT_PATTERNS,
    ActivitySummary,
    bot_check,
    first_response_hours,
    hours_to_close,
    summarize_activity,
)
from collectors.github.client import (
    API_VERSION,
    COLLECTOR,
    GITHUB_API,
    SOURCE_GRAPHQL,
    SOURCE_REST,
    SOURCE_SEARCH,
    USER_AGENT,
    GitHubDataError,
    GitHubPolicy,
    github_client,
)
from collectors.github.graphql import COUNTS_QUERY, SAMPLE_QUERY, count_queries, sample_queries
from collectors.github.refresh import RefreshSummary, RepoOutcome, refresh_github
from collectors.github.rest import LIST_PAGE, RepoCollection, RepoInfo, RepoUnavailableError
from collectors.github.rows import (
    WeekBucket,
    activity_rows,
    commit_activity_marker,
    commit_activity_rows,
    contributor_rows,
    parse_history,
    release_rows,
    repository_rows,
    snapshot_marker,
    snapshot_rows,
    star_history_marker,
    star_history_rows,
    tag_rows,
)
from collectors.github.settings import CollectorSettings
from collectors.github.star_history import HISTORY_PAGE
from collectors.github.stored import StoredState

__all__ = [
    "API_VERSION",
    "COLLECTOR",
    "COUNTS_QUERY",
    "GITHUB_API",
    "GITHUB_BOT_PATTERNS",
    "HISTORY_PAGE",
    "LIST_PAGE",
    "SAMPLE_QUERY",
    "SOURCE_GRAPHQL",
    "SOURCE_REST",
    "SOURCE_SEARCH",
    "USER_AGENT",
    "ActivitySummary",
    "CollectorSettings",
    "GitHubDataError",
    "GitHubPolicy",
    "RefreshSummary",
    "RepoCollection",
    "RepoInfo",
    "RepoOutcome",
    "RepoUnavailableError",
    "StoredState",
    "WeekBucket",
    "activity_rows",
    "bot_check",
    "commit_activity_marker",
    "commit_activity_rows",
    "contributor_rows",
    "count_queries",
    "first_response_hours",
    "github_client",
    "hours_to_close",
    "parse_history",
    "refresh_github",
    "release_rows",
    "repository_rows",
    "sample_queries",
    "snapshot_marker",
    "snapshot_rows",
    "star_history_marker",
    "star_history_rows",
    "summarize_activity",
    "tag_rows",
]
