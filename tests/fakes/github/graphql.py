"""Issue search in the fake GitHub: the GraphQL API's `IssueCounts` and `IssueSample` (the
collector's two queries, cursor-paged 100 at a time) and REST `/search/issues` totals, over
the repository's issues and pull requests with GitHub's search qualifiers (`repo:`, `is:`,
`created:`, `closed:`, `merged:`, `sort:`)."""

from __future__ import annotations

import base64
import copy
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.github.answers import error_reply, iso, json_reply, template
from tests.fakes.github.world import FakeIssue, FakeRepo
from tests.fakes.serving import Reply


class IssueSearch:
    """Search and GraphQL of `FakeGitHub` (a mixin: it holds the state)."""

    _repos: dict[int, FakeRepo]
    _names: dict[str, int]

    def _find(self, q: str) -> list[FakeIssue]:
        terms = q.split()
        repo_name = next((t[5:] for t in terms if t.startswith("repo:")), "")
        repo_id = self._names.get(repo_name.lower())
        if repo_id is None:
            return []
        items = [i for i in self._repos[repo_id].issues if _matches(i, terms)]
        order = next((t[5:] for t in terms if t.startswith("sort:")), "created-desc")
        if order.startswith("updated"):
            items.sort(key=lambda i: i.closed_at or i.created_at, reverse=True)
        else:
            items.sort(key=lambda i: i.created_at, reverse=True)
        return items

    def _search(self, query: dict[str, str]) -> Reply:
        found = self._find(query.get("q", ""))
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        if page * per_page > 1000:
            return error_reply(422, "Only the first 1000 search results are available")
        chunk = found[(page - 1) * per_page : page * per_page]
        example = template("issue-search-result-item-paginated.json")["items"][0]
        items = []
        for issue in chunk:
            item = copy.deepcopy(example)
            item.update(
                number=issue.number,
                created_at=iso(issue.created_at),
                closed_at=iso(issue.closed_at),
            )
            items.append(item)
        return json_reply(
            200, {"total_count": len(found), "incomplete_results": False, "items": items}
        )

    def _graphql(self, body: bytes) -> Reply:
        try:
            request = json.loads(body)
            query, variables = request["query"], request.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return json_reply(200, {"errors": [{"message": "Problems parsing JSON"}]})
        operation = re.search(r"query\s+(\w+)", query)
        name = operation.group(1) if operation else ""
        budget = {"cost": 1, "remaining": 0, "resetAt": "2026-01-01T00:00:00Z"}
        if name == "IssueCounts":
            data: dict[str, Any] = {"rateLimit": budget}
            for alias, q in variables.items():
                data[alias] = {"issueCount": len(self._find(q))}
            return json_reply(200, {"data": data})
        if name == "IssueSample":
            found = self._find(variables.get("q") or "")
            cursor = variables.get("cursor")
            start = int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
            chunk = found[start : start + 100]
            end = start + len(chunk)
            data = {
                "rateLimit": {**budget, "cost": 2},
                "search": {
                    "issueCount": len(found),
                    "pageInfo": {
                        "hasNextPage": end < len(found),
                        "endCursor": base64.b64encode(f"cursor:{end}".encode()).decode(),
                    },
                    "nodes": [_graphql_node(i) for i in chunk],
                },
            }
            return json_reply(200, {"data": data})
        return json_reply(200, {"errors": [{"message": f"unknown operation {name!r}"}]})


def _graphql_node(issue: FakeIssue) -> dict:
    def person(login: str | None, bot: bool) -> dict | None:
        if login is None:
            return None
        return {"__typename": "Bot" if bot else "User", "login": login}

    node: dict[str, Any] = {
        "__typename": "PullRequest" if issue.is_pr else "Issue",
        "number": issue.number,
        "createdAt": iso(issue.created_at),
        "closedAt": iso(issue.closed_at),
        "author": person(issue.author, issue.author_is_bot),
        "comments": {
            "nodes": [
                {"createdAt": iso(when), "author": person(login, bot)}
                for login, bot, when in sorted(issue.comments, key=lambda c: c[2])[:20]
            ]
        },
    }
    if issue.is_pr:
        node["mergedAt"] = iso(issue.merged_at)
        node["reviews"] = {
            "nodes": [
                {"submittedAt": iso(when), "author": person(login, bot)}
                for login, bot, when in sorted(issue.reviews, key=lambda c: c[2])[:20]
            ]
        }
    return node


def _day_range(text: str) -> tuple[datetime, datetime]:
    """GitHub search date qualifiers: 'A..B' (inclusive days), '<A', '>=A', 'A'."""

    def day(value: str) -> datetime:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    if ".." in text:
        a, b = text.split("..")
        return day(a), day(b) + timedelta(days=1)
    if text.startswith(">="):
        return day(text[2:]), datetime.max.replace(tzinfo=UTC)
    if text.startswith("<"):
        return datetime.min.replace(tzinfo=UTC), day(text[1:])
    return day(text), day(text) + timedelta(days=1)


def _matches(issue: FakeIssue, terms: list[str]) -> bool:
    for term in terms:
        key, _, value = term.partition(":")
        if key == "is":
            if (value == "issue" and issue.is_pr) or (value == "pr" and not issue.is_pr):
                return False
            if (value == "open" and issue.closed_at) or (value == "closed" and not issue.closed_at):
                return False
        elif key in {"created", "closed", "merged"}:
            moment = {
                "created": issue.created_at,
                "closed": issue.closed_at,
                "merged": issue.merged_at,
            }[key]
            start, end = _day_range(value)
            if moment is None or not start <= moment < end:
                return False
    return True
