"""The fake GitHub's world: repositories with a deterministic, plausible life (stars by week,
contributors, releases, tags, issues and pull requests with their comments and reviews), a
small world for cheap refreshes and the default project list at realistic sizes."""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.clock import NOW
from tests.fakes.github.answers import user
from tests.fakes.projects_toml import projects_toml

WEEK = 7 * 86400


@dataclass
class FakeIssue:
    number: int
    is_pr: bool
    author: str | None  # None: a deleted account ("ghost")
    author_is_bot: bool
    created_at: datetime
    closed_at: datetime | None = None
    merged_at: datetime | None = None
    comments: list[tuple[str | None, bool, datetime]] = field(default_factory=list)
    reviews: list[tuple[str | None, bool, datetime]] = field(default_factory=list)


@dataclass
class FakeRepo:
    full_name: str
    id: int
    created_at: datetime
    star_weeks: dict[int, list[int]]  # week start (epoch, Sunday) -> stars per day
    contributor_count: int = 10
    anonymous_count: int = 0
    bots: tuple[str, ...] = ()
    releases: list[dict] = field(default_factory=list)  # newest first
    tags: list[tuple[str, str, datetime]] = field(default_factory=list)  # name, sha, date
    issues: list[FakeIssue] = field(default_factory=list)
    open_prs: int = 0
    open_issues: int = 0
    forks: int = 0
    subscribers: int = 0
    description: str | None = "A repository"
    language: str | None = "Python"
    homepage: str | None = None
    license_spdx: str | None = "MIT"
    topics: tuple[str, ...] = ()
    default_branch: str = "main"
    archived: bool = False
    state: str = "ok"  # 'ok', 'empty' (no commits), 'missing' (404), 'blocked' (451)
    stats_pending: int = 1  # 202 answers before the first 200; -1: forever
    stargazer_list: str = "empty"  # what non-admins get from /stargazers: 'empty', '403', '404'
    former_names: tuple[str, ...] = ()

    def weeks_until(self, now: float) -> list[tuple[int, list[int]]]:
        """Weekly buckets up to `now`; the current week counts only the days begun so far."""
        out = []
        for week, days in sorted(self.star_weeks.items()):
            if week <= now:
                elapsed = int((now - week) // 86400) + 1
                out.append((week, [n if i < elapsed else 0 for i, n in enumerate(days)]))
        return out

    def stars(self, now: float) -> int:
        return sum(sum(d) for _, d in self.weeks_until(now))

    def contributor(self, index: int) -> dict:
        """The index-th entry of /contributors?anon=1 (most contributions first)."""
        users = self.contributor_count + len(self.bots)
        if index < len(self.bots):
            login = self.bots[index]
            return user(login, 9_000_000 + index, "Bot", contributions=5_000 - index)
        if index < users:
            n = index - len(self.bots)
            return user(f"dev{n:04d}", 1_000_000 + n, "User", contributions=max(4_000 - n, 1))
        n = index - users
        return {
            "email": f"person{n:04d}@example.org",
            "name": f"Person {n}",
            "type": "Anonymous",
            "contributions": max(50 - n // 10, 1),
        }


def week_of(moment: datetime) -> int:
    """The Sunday 00:00 UTC starting the week of `moment`, as epoch seconds."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((day - timedelta(days=(day.weekday() + 1) % 7)).timestamp())


def make_repo(
    full_name: str,
    repo_id: int,
    created: datetime,
    *,
    stars: int,
    contributors: int = 10,
    anonymous: int = 0,
    bots: tuple[str, ...] = ("dependabot[bot]",),
    releases: int = 3,
    tags: int = 0,
    issues_per_window: int = 12,
    prs_per_window: int = 18,
    now: datetime = NOW,
    **extra: Any,
) -> FakeRepo:
    """A repository with a deterministic, plausible life from `created` to a little past `now`."""
    rng = random.Random(f"{full_name}-{repo_id}")
    first, last = week_of(created), week_of(now + timedelta(days=60))
    weeks = list(range(first, last + WEEK, WEEK))
    served = [w for w in weeks if w <= now.timestamp()]
    # Stars arrive fast after launch, then steadily with noise; scaled to `stars` by now.
    weights = [(1.0 + 4.0 * math.exp(-i / 12.0)) * rng.uniform(0.6, 1.4) for i in range(len(weeks))]
    scale = stars / sum(weights[: len(served)]) if served else 0.0
    star_weeks = {}
    for week, weight in zip(weeks, weights, strict=True):
        total = int(weight * scale)
        split = [total // 7] * 7
        for i in range(total % 7):
            split[i] += 1
        star_weeks[week] = split
    release_list = []
    span = max((now - created).days, 1)
    for i in range(releases):
        published = (created + timedelta(days=span * (i + 1) / (releases + 1))).replace(
            microsecond=0
        )
        pre = i % 4 == 3
        tag = f"v{1 + i // 4}.{i % 4}.0" + ("rc1" if pre else "")
        release_list.append(
            {"id": repo_id * 1000 + i, "tag_name": tag, "prerelease": pre, "published": published}
        )
    release_list.reverse()
    tag_list = []
    for i in range(tags):
        when = (created + timedelta(days=span * (i + 1) / (tags + 1))).replace(microsecond=0)
        name = f"{i // 3}.{i % 3}" + ("b1" if i % 5 == 4 else "")
        sha = hashlib.sha1(f"{full_name}:{name}".encode()).hexdigest()
        tag_list.append((name, sha, when))
    tag_list.reverse()
    issues = _issues(rng, now, issues_per_window, prs_per_window, bots)
    open_prs = extra.pop("open_prs", sum(1 for i in issues if i.is_pr and i.closed_at is None))
    open_issues = extra.pop(
        "open_issues", sum(1 for i in issues if not i.is_pr and i.closed_at is None)
    )
    return FakeRepo(
        full_name=full_name,
        id=repo_id,
        created_at=created,
        star_weeks=star_weeks,
        contributor_count=contributors,
        anonymous_count=anonymous,
        bots=bots,
        releases=release_list,
        tags=tag_list,
        issues=issues,
        open_prs=open_prs,
        open_issues=open_issues,
        forks=extra.pop("forks", stars // 6),
        subscribers=extra.pop("subscribers", max(stars // 40, 1)),
        **extra,
    )


def _issues(
    rng: random.Random, now: datetime, issues: int, prs: int, bots: tuple[str, ...]
) -> list[FakeIssue]:
    """About 70 days of issues and PRs (28-day windows see some opened before them)."""
    out: list[FakeIssue] = []
    total = int((issues + prs) * 2.5)
    for number in range(1, total + 1):
        is_pr = rng.random() < prs / max(issues + prs, 1)
        created = now - timedelta(days=rng.uniform(0.5, 70.0))
        by_bot = is_pr and bots and rng.random() < 0.15
        author = bots[0].removesuffix("[bot]") if by_bot else f"dev{rng.randrange(200):04d}"
        item = FakeIssue(number, is_pr, author, bool(by_bot), created)
        # The author first, sometimes a bot, then (usually) a maintainer.
        when = created + timedelta(hours=rng.uniform(0.1, 2.0))
        item.comments.append((author, bool(by_bot), when))
        if rng.random() < 0.3:
            item.comments.append(("github-actions", True, created + timedelta(minutes=5)))
        if rng.random() < 0.85:
            reply = created + timedelta(hours=rng.expovariate(1 / 20.0))
            responder = (f"maint{rng.randrange(8)}", False, reply)
            (item.reviews if is_pr and rng.random() < 0.5 else item.comments).append(responder)
        if rng.random() < 0.6:
            closed = created + timedelta(hours=rng.expovariate(1 / 100.0))
            if closed < now:
                item.closed_at = closed
                if is_pr and rng.random() < 0.7:
                    item.merged_at = closed
        out.append(item)
    return out


# The small world, in the columns of DEFAULT_WORLD_FACTS below (created to the minute), with
# what else differs from `make_repo`'s defaults.
SMALL_WORLD_FACTS: dict[str, tuple] = {
    "octo-org/alpha": ("2024-02-10T09:30", 1_500, 130, 40, 12, 0, 12, 18),
    "octo-org/beta": ("2025-01-05T15:00", 300, 20, 0, 0, 6, 12, 18),
    "octo-org/gamma": ("2025-09-01T08:00", 80, 8, 0, 3, 0, 4, 5),
}
SMALL_WORLD_EXTRAS: dict[str, dict[str, Any]] = {
    "octo-org/alpha": {"topics": ("ml", "python"), "description": "Alpha: a library"},
    "octo-org/beta": {"license_spdx": None},
    "octo-org/gamma": {"bots": ()},
}


def small_world(now: datetime = NOW) -> list[FakeRepo]:
    """Three small repositories, cheap enough for an unauthenticated cold refresh."""
    return [
        repo_from_facts(name, 101 + index, facts, now, **SMALL_WORLD_EXTRAS[name])
        for index, (name, facts) in enumerate(SMALL_WORLD_FACTS.items())
    ]


SMALL_REGISTRY = projects_toml(
    *((name.split("/")[1], f'["{name}"]', "") for name in SMALL_WORLD_FACTS)
)

# The default project list with realistic ages and sizes (late 2026, rounded): created,
# stars, contributors (linked accounts), anonymous e-mails, releases, tags, issues and PRs
# opened in 28 days.
DEFAULT_WORLD_FACTS: dict[str, tuple] = {
    "tensorflow/tensorflow": ("2015-11-07", 192_000, 3_600, 1_500, 230, 0, 150, 260),
    "pytorch/pytorch": ("2016-08-13", 96_000, 4_000, 1_800, 60, 0, 450, 1_800),
    "huggingface/transformers": ("2018-10-29", 150_000, 3_000, 400, 200, 0, 250, 450),
    "scikit-learn/scikit-learn": ("2010-08-17", 63_000, 3_000, 900, 60, 0, 100, 200),
    "opencv/opencv": ("2012-07-19", 84_000, 1_700, 600, 40, 0, 80, 150),
    "keras-team/keras": ("2015-03-28", 63_000, 1_400, 300, 80, 0, 50, 100),
    "CompVis/stable-diffusion": ("2022-08-10", 71_000, 20, 5, 0, 0, 10, 2),
    "AUTOMATIC1111/stable-diffusion-webui": ("2022-08-22", 156_000, 600, 50, 15, 0, 60, 20),
    "huggingface/diffusers": ("2022-05-30", 31_000, 1_000, 80, 60, 0, 80, 250),
    "openai/gpt-2": ("2019-02-11", 24_000, 15, 3, 0, 4, 0, 0),
    "openai/gpt-oss": ("2025-08-05", 19_000, 80, 5, 5, 0, 30, 40),
}


def default_world(repos: list[str], now: datetime = NOW) -> list[FakeRepo]:
    """The tracked repositories with realistic ages and sizes (unknown names get small ones)."""
    return [
        repo_from_facts(
            name,
            10_000 + index,
            DEFAULT_WORLD_FACTS.get(name, ("2020-01-01", 1_000, 20, 0, 5, 0, 5, 5)),
            now,
            archived=name == "openai/gpt-2",
        )
        for index, name in enumerate(repos)
    ]


def repo_from_facts(name: str, repo_id: int, facts: tuple, now: datetime, **extra: Any) -> FakeRepo:
    """`make_repo` from one row of the facts tables."""
    created, stars, people, anon, releases, tags, issues, prs = facts
    return make_repo(
        name,
        repo_id,
        datetime.fromisoformat(created).replace(tzinfo=UTC),
        stars=stars,
        contributors=people,
        anonymous=anon,
        releases=releases,
        tags=tags,
        issues_per_window=issues,
        prs_per_window=prs,
        now=now,
        **extra,
    )
