"""GitHub's GraphQL and search APIs: the issue and pull-request queries, and asking them.

With a token, one query of five aliased `search` totals gives the window's exact counts
(1 point) and `SAMPLE_QUERY` pages give the items the medians come from (about 2 points a
page). GraphQL refuses anonymous requests, so without a token `search_counts` asks REST
`/search/issues` for the same totals (search budget). Raises GitHubDataError when GraphQL
answers errors or no data, and RateLimitError when it says its points are used up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from collectors.github.client import GitHubDataError
from collectors.github.rows import json_int
from collectors.http import HttpClient, RateLimitError

# Cost (GitHub's formula: connections' requests / 100, at least 1): the counts query is 1
# point; a sample page asks 100 items with 20 comments and 20 reviews each: about 2 points.

COUNTS_QUERY = """
query IssueCounts($issuesOpened: String!, $issuesClosed: String!, $prsOpened: String!,
                  $prsClosed: String!, $prsMerged: String!) {
  rateLimit { cost remaining resetAt }
  issuesOpened: search(query: $issuesOpened, type: ISSUE, first: 1) { issueCount }
  issuesClosed: search(query: $issuesClosed, type: ISSUE, first: 1) { issueCount }
  prsOpened: search(query: $prsOpened, type: ISSUE, first: 1) { issueCount }
  prsClosed: search(query: $prsClosed, type: ISSUE, first: 1) { issueCount }
  prsMerged: search(query: $prsMerged, type: ISSUE, first: 1) { issueCount }
}
"""

SAMPLE_QUERY = """
query IssueSample($q: String!, $cursor: String) {
  rateLimit { cost remaining resetAt }
  search(query: $q, type: ISSUE, first: 100, after: $cursor) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes {
      __typename
      ... on Issue {
        number createdAt closedAt
        author { __typename login }
        comments(first: 20) { nodes { createdAt author { __typename login } } }
      }
      ... on PullRequest {
        number createdAt closedAt mergedAt
        author { __typename login }
        comments(first: 20) { nodes { createdAt author { __typename login } } }
        reviews(first: 20) { nodes { submittedAt author { __typename login } } }
      }
    }
  }
}
"""


def count_queries(repo: str, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, str]:
    """Search queries whose totals are the window's counts (GitHub ranges are inclusive)."""
    return _searches(repo, start, end, _COUNTS)


def sample_queries(repo: str, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, str]:
    """The items the medians are computed from: newest first, a few pages each."""
    return _searches(repo, start, end, _SAMPLES)


_COUNTS = {
    "issuesOpened": "is:issue created:{span}",
    "issuesClosed": "is:issue closed:{span}",
    "prsOpened": "is:pr created:{span}",
    "prsClosed": "is:pr closed:{span}",
    "prsMerged": "is:pr merged:{span}",
}
_SAMPLES = {
    "issue_created": "is:issue created:{span} sort:created-desc",
    "issue_closed": "is:issue closed:{span} sort:updated-desc",
    "pull_request_created": "is:pr created:{span} sort:created-desc",
    "pull_request_closed": "is:pr closed:{span} sort:updated-desc",
}


def _searches(
    repo: str, start: pd.Timestamp, end: pd.Timestamp, templates: dict[str, str]
) -> dict[str, str]:
    span = f"{start:%Y-%m-%d}..{end:%Y-%m-%d}"
    return {name: f"repo:{repo} " + text.format(span=span) for name, text in templates.items()}


def run_query(client: HttpClient, query: str, variables: dict[str, Any]) -> dict:
    """The `data` of one GraphQL query."""
    response = client.post_json("/graphql", {"query": query, "variables": variables})
    body = response.json_object()
    errors = body.get("errors")
    if errors:
        kinds = {e.get("type") for e in errors if isinstance(e, dict)}
        if "RATE_LIMITED" in kinds:
            budget = client.budget("graphql")
            reset = budget.reset if budget else client.clock() + 3600
            raise RateLimitError(
                "GitHub",
                "GraphQL points are used up (graphql)",
                url=response.url,
                status=200,
                reset_at=datetime.fromtimestamp(reset, UTC),
                resource="graphql",
                kind="primary",
            )
        first = next((e for e in errors if isinstance(e, dict)), {})
        raise GitHubDataError(
            "GitHub", f"GraphQL answered an error: {str(first.get('message', ''))[:200]}"
        )
    data = body.get("data")
    if not isinstance(data, dict):
        raise GitHubDataError("GitHub", "GraphQL answered without data")
    return data


def sample(client: HttpClient, query: str, pages: int) -> tuple[list[dict], int | None]:
    """Up to `pages` pages of items matching a search query, and the search's total."""
    nodes: list[dict] = []
    total: int | None = None
    cursor: str | None = None
    for _ in range(pages):
        data = run_query(client, SAMPLE_QUERY, {"q": query, "cursor": cursor})
        search = data.get("search")
        if not isinstance(search, dict):
            raise GitHubDataError("GitHub", "GraphQL search answered without results")
        total = json_int(search.get("issueCount"))
        nodes.extend(n for n in search.get("nodes") or [] if isinstance(n, dict))
        info = search.get("pageInfo") or {}
        cursor = info.get("endCursor")
        if not info.get("hasNextPage") or not isinstance(cursor, str):
            break
    return nodes, total


def search_counts(
    client: HttpClient, queries: dict[str, str]
) -> tuple[dict[str, int | None], bool]:
    """REST `/search/issues` totals for each query (no token needed), and whether GitHub
    said any search was incomplete (timed out)."""
    counts: dict[str, int | None] = {}
    incomplete = False
    for name, query in queries.items():
        data = client.get("/search/issues", {"q": query, "per_page": 1}).json_object()
        counts[name] = json_int(data.get("total_count"))
        incomplete |= data.get("incomplete_results") is True
    return counts, incomplete
