"""The REST routes of the fake GitHub: repositories (renamed ones `301` to
`/repositories/{id}`, unknown 404, blocked 451, empty ones 204 or 409), stargazers and their
weekly history, contributors, releases, tags, commits, `/stats/commit_activity` (202 while
"computing") and pulls; `Link` pagination with numeric URLs carrying `per_page`; weak `ETag`s
and `Last-Modified` with `304` for conditional requests."""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from tests.fakes.clock import FakeClock
from tests.fakes.github.answers import DOCS, error_reply, iso, json_reply, template
from tests.fakes.github.world import WEEK, FakeRepo, week_of
from tests.fakes.serving import Reply

PAGINATION_LIMITED = (
    "In order to keep the API fast for everyone, pagination is limited for this resource. "
    "Check the rel=last link relation in the Link response header to see how far back you "
    "can traverse."
)


class RestRoutes:
    """Routing and the repository routes of `FakeGitHub` (a mixin: it holds the state)."""

    clock: FakeClock
    admin_tokens: tuple[str, ...]
    url: str
    _repos: dict[int, FakeRepo]
    _names: dict[str, int]
    _moved: dict[str, int]
    _stats_calls: Counter[int]
    # a server (or a proxy in front of it) that ignores `per_page` and always answers this
    # many items a page, while its links still carry the `per_page` that was asked
    ignore_per_page: int | None = None

    def _route(
        self,
        method: str,
        path: str,
        raw_query: str,
        query: dict[str, str],
        body: bytes,
        token: str | None,
    ) -> Reply:
        if method == "POST" and path == "/graphql":
            if not token:
                return error_reply(401, "This endpoint requires you to be authenticated.")
            return self._graphql(body)
        if method != "GET":
            return error_reply(404, "Not Found")
        if path == "/rate_limit":
            return self._rate_limit(token)
        if path == "/search/issues":
            return self._search(query)
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        if match:
            name = f"{match.group(1)}/{match.group(2)}".lower()
            rest = match.group(3) or ""
            if name in self._moved and name not in self._names:
                target = f"{self.url}/repositories/{self._moved[name]}{rest}"
                if raw_query:
                    target += "?" + raw_query
                reply = json_reply(
                    301, {"message": "Moved Permanently", "url": target, "documentation_url": DOCS}
                )
                reply.headers["Location"] = target
                return reply
            repo_id = self._names.get(name)
        else:
            match = re.fullmatch(r"/repositories/(\d+)(/.*)?", path)
            if not match:
                return error_reply(404, "Not Found")
            repo_id, rest = int(match.group(1)), match.group(2) or ""
        repo = self._repos.get(repo_id) if repo_id is not None else None
        if repo is None or repo.state == "missing":
            return error_reply(404, "Not Found")
        if repo.state == "blocked":
            return json_reply(
                451,
                {
                    "message": "Repository access blocked",
                    "block": {"reason": "dmca", "created_at": "2026-01-01T00:00:00Z"},
                },
            )
        return self._repo_route(repo, rest, query, token)

    def _repo_route(
        self, repo: FakeRepo, rest: str, query: dict[str, str], token: str | None
    ) -> Reply:
        now = self.clock()
        empty = repo.state == "empty"
        if rest == "":
            reply = json_reply(200, _repository(repo, now))
            reply.headers["Last-Modified"] = format_datetime(
                datetime.fromtimestamp(int(now) - int(now) % 86400, UTC), usegmt=True
            )
            return reply
        if rest == "/stargazers/history":
            weeks = [
                {"week": w, "total": sum(d), "days": d} for w, d in reversed(repo.weeks_until(now))
            ]
            return self._paged(
                repo, rest, query, len(weeks), lambda a, b: weeks[a:b], maximum=30, max_page=100
            )
        if rest == "/stargazers":
            return self._stargazers(repo, token)
        if rest == "/contributors":
            if empty:
                return Reply(204)
            anon = query.get("anon", "").lower() in {"1", "true"}
            users = repo.contributor_count + len(repo.bots)
            total = users + (repo.anonymous_count if anon else 0)
            return self._paged(
                repo, rest, query, total, lambda a, b: [repo.contributor(i) for i in range(a, b)]
            )
        if rest == "/releases":
            items = [_release(r) for r in repo.releases]
            return self._paged(repo, rest, query, len(items), lambda a, b: items[a:b])
        if rest == "/tags":
            if empty:
                return error_reply(409, "Git Repository is empty.")
            items = [_tag(repo, name, sha) for name, sha, _ in repo.tags]
            return self._paged(repo, rest, query, len(items), lambda a, b: items[a:b])
        match = re.fullmatch(r"/commits/([0-9a-f]{40})", rest)
        if match or rest == "/commits":
            if empty:
                return error_reply(409, "Git Repository is empty.")
            dates = {sha: when for _, sha, when in repo.tags}
            if match and match.group(1) in dates:
                return json_reply(200, _commit(repo, match.group(1), dates[match.group(1)]))
            return error_reply(422, "No commit found for SHA")
        if rest == "/stats/commit_activity":
            if empty:
                return Reply(204)
            self._stats_calls[repo.id] += 1
            if repo.stats_pending < 0 or self._stats_calls[repo.id] <= repo.stats_pending:
                return json_reply(202, {})
            return json_reply(200, _commit_activity(repo, now))
        if rest == "/pulls":
            count = repo.open_prs if query.get("state", "open") == "open" else 0
            return self._paged(
                repo, rest, query, count, lambda a, b: [_pull(repo, n) for n in range(a, b)]
            )
        return error_reply(404, "Not Found")

    def _paged(
        self,
        repo: FakeRepo,
        rest: str,
        query: dict[str, str],
        total: int,
        fetch: Callable[[int, int], list],
        *,
        maximum: int = 100,
        max_page: int | None = None,
    ) -> Reply:
        try:
            per_page = min(max(int(query.get("per_page", 30)), 1), maximum)
            per_page = self.ignore_per_page or per_page
            page = max(int(query.get("page", 1)), 1)
        except ValueError:
            return error_reply(422, "Invalid request.")
        if max_page is not None and page > max_page:
            return error_reply(422, PAGINATION_LIMITED)
        start = (page - 1) * per_page
        items = fetch(start, min(start + per_page, total)) if start < total else []
        reply = json_reply(200, items)
        last = max(math.ceil(total / per_page), 1)
        if max_page is not None:
            last = min(last, max_page)
        if last > 1:

            def link(n: int) -> str:
                params = {**query, "per_page": query.get("per_page", str(per_page))}
                params["page"] = str(n)
                return f"{self.url}/repositories/{repo.id}{rest}?{urlencode(params)}"

            rels = []
            if page > 1:
                rels += [f'<{link(page - 1)}>; rel="prev"', f'<{link(1)}>; rel="first"']
            if page < last:
                rels += [f'<{link(page + 1)}>; rel="next"', f'<{link(last)}>; rel="last"']
            if rels:
                reply.headers["Link"] = ", ".join(rels)
        return reply

    def _stargazers(self, repo: FakeRepo, token: str | None) -> Reply:
        if token in self.admin_tokens:
            return json_reply(200, template("simple-user-items-default-response.json"))
        if repo.stargazer_list == "403":
            return error_reply(403, "Must have admin rights to Repository.")
        if repo.stargazer_list == "404":
            return error_reply(404, "Not Found")
        return json_reply(200, [])


def conditional(reply: Reply, headers: Any) -> Reply:
    """`304` without a body when `If-None-Match` or `If-Modified-Since` says nothing changed."""
    etag = 'W/"' + hashlib.sha256(reply.body).hexdigest()[:32] + '"'
    reply.headers["ETag"] = etag
    if headers.get("If-None-Match") == etag or (
        headers.get("If-None-Match") is None
        and reply.headers.get("Last-Modified")
        and headers.get("If-Modified-Since") == reply.headers["Last-Modified"]
    ):
        return Reply(304, b"", {"ETag": etag})
    return reply


def _repository(repo: FakeRepo, now: float) -> dict:
    data = template("full-repository-default-response.json")
    owner, name = repo.full_name.split("/")
    text = json.dumps(data).replace("octocat/Hello-World", repo.full_name)
    data = json.loads(text)
    for key in ("parent", "source", "organization", "template_repository", "temp_clone_token"):
        data.pop(key, None)
    stars = repo.stars(now)
    data.update(
        id=repo.id,
        name=name,
        full_name=repo.full_name,
        fork=False,
        description=repo.description,
        homepage=repo.homepage,
        language=repo.language,
        stargazers_count=stars,
        watchers_count=stars,
        watchers=stars,
        subscribers_count=repo.subscribers,
        forks_count=repo.forks,
        forks=repo.forks,
        network_count=repo.forks,
        open_issues_count=repo.open_issues + repo.open_prs,
        open_issues=repo.open_issues + repo.open_prs,
        topics=list(repo.topics),
        archived=repo.archived,
        default_branch=repo.default_branch,
        size=0 if repo.state == "empty" else 1024,
        created_at=iso(repo.created_at),
        # Pushes land once a day, at midnight: the object changes only when the day does.
        pushed_at=iso(datetime.fromtimestamp(now - now % 86400, UTC)),
        updated_at=iso(datetime.fromtimestamp(now - now % 86400, UTC)),
    )
    data["owner"]["login"] = owner
    data["license"] = (
        {
            "key": repo.license_spdx.lower(),
            "name": f"{repo.license_spdx} License",
            "spdx_id": repo.license_spdx,
            "url": f"https://api.github.com/licenses/{repo.license_spdx.lower()}",
            "node_id": "MDc6TGljZW5zZTA=",
        }
        if repo.license_spdx
        else None
    )
    return data


def _release(release: dict) -> dict:
    item = template("release-items.json")[0]
    published = iso(release["published"])
    item.update(
        id=release["id"],
        tag_name=release["tag_name"],
        name=release["tag_name"],
        prerelease=release["prerelease"],
        draft=False,
        created_at=published,
        published_at=published,
        assets=[],
    )
    return item


def _tag(repo: FakeRepo, name: str, sha: str) -> dict:
    item = template("tag-items.json")[0]
    item.update(name=name)
    item["commit"] = {
        "sha": sha,
        "url": f"https://api.github.com/repos/{repo.full_name}/commits/{sha}",
    }
    return item


def _commit(repo: FakeRepo, sha: str, when: datetime) -> dict:
    item = template("commit-items.json")[0]
    item["sha"] = sha
    item["commit"]["author"]["date"] = iso(when)
    item["commit"]["committer"]["date"] = iso(when)
    return item


def _commit_activity(repo: FakeRepo, now: float) -> list[dict]:
    rng = random.Random(repo.id)
    current = week_of(datetime.fromtimestamp(now, UTC))
    weeks = []
    for i in range(52):
        days = [rng.randrange(0, 12) for _ in range(7)]
        weeks.append({"days": days, "total": sum(days), "week": current - (51 - i) * WEEK})
    return weeks


def _pull(repo: FakeRepo, index: int) -> dict:
    item = template("pull-request-simple-items.json")[0]
    item.update(number=100_000 - index, id=repo.id * 100_000 + index, state="open")
    return item
