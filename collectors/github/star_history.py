"""Star history: weekly retained stars from `/stargazers/history`, and why there are none.

The stargazer *list* is never read (admin-only since 2026); `/stargazers/history` gives weekly
buckets, newest first, 30 a page. Once the stored history reaches back to the repository's
creation, a refresh stops at the first week already stored (one page). A refusal is recorded
as a null week with quality 'restricted' or 'missing', never as zero stars.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from collectors.github.client import plain_words
from collectors.github.rows import (
    WeekBucket,
    parse_history,
    star_history_marker,
    star_history_rows,
    week_start,
)
from collectors.http import ResponseFormatError, StatusError, UnsafeUrlError
from collectors.sourcerun import day

if TYPE_CHECKING:
    from collectors.github.rest import RepoCollection, RepoInfo

HISTORY_PAGE = 30  # /stargazers/history serves at most 30 weeks per page


def collect_star_history(part: RepoCollection, info: RepoInfo) -> None:
    """Weekly retained stars from /stargazers/history; only new weeks once complete."""
    stored = part.known.star_weeks.get(part.key, [])
    created = day(info.created_at) if info.created_at is not None else None
    complete = bool(stored) and (created is None or stored[0] <= created + pd.Timedelta(days=7))
    newest = stored[-1] if complete else None
    pager = part.client.pages(
        part.path("/stargazers/history"),
        {"per_page": HISTORY_PAGE},
        max_pages=part.settings.history_max_pages,
    )
    buckets: list[WeekBucket] = []
    fresh = False
    cut_short = False  # a problem ended the listing; already reported
    try:
        for page in pager:
            items = parse_history(page.json_list())
            fresh |= not page.from_cache
            buckets.extend(items)
            if not items:
                break
            weeks = [b.week for b in items]
            newest_first = weeks == sorted(weeks, reverse=True)
            if newest is not None and newest_first and min(weeks) <= newest:
                break  # everything older is stored already
    except StatusError as exc:
        if not buckets and exc.status in (401, 403, 404, 410):
            _refused(part, exc.status)
            return
        if not buckets:
            raise
        why = "GitHub's pagination limit (422)" if exc.status == 422 else plain_words(exc)
        cut_short = True
        part.problem(
            f"star history: stopped after page {pager.pages_read} at {why}; "
            f"kept the {len(buckets)} weeks before it"
        )
    except (UnsafeUrlError, ResponseFormatError) as exc:
        if not buckets:
            raise
        cut_short = True
        part.problem(f"star history: {plain_words(exc)}; kept the {len(buckets)} weeks before it")
    if not buckets:
        if info.stars:
            _marker(part, "restricted")
            part.problem(
                f"star history: GitHub answered no weeks for a repository with "
                f"{info.stars:,} stars; recorded as restricted, not as zero"
            )
        return
    if fresh or not complete:
        part.add("star_history", star_history_rows(part.repo, buckets, part.now))
    oldest = min(b.week for b in buckets)
    reaches_creation = created is None or oldest <= created + pd.Timedelta(days=7)
    if not complete and not reaches_creation and not cut_short:
        part.problem(
            f"star history: reaches back only to {oldest:%Y-%m-%d}, not to the "
            f"repository's creation ({created:%Y-%m-%d}): GitHub gave no link to "
            "older weeks; the next refresh asks again"
        )


def _refused(part: RepoCollection, status: int) -> None:
    quality = "missing" if status in (404, 410) else "restricted"
    _marker(part, quality)
    verb = "does not serve" if quality == "missing" else "refused"
    part.problem(
        f"star history: GitHub {verb} /stargazers/history ({status}); recorded as "
        f"{quality}, not as zero (the stargazer list itself is admin-only since 2026)"
    )


def _marker(part: RepoCollection, quality: str) -> None:
    week = week_start(part.today)
    if (part.key, week) not in part.known.star_keys:
        part.add("star_history", star_history_marker(part.repo, week, part.now, quality))
