"""How much each part of a GitHub refresh may fetch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CollectorSettings:
    """How much each part may fetch; the defaults keep one repository under 60 requests cold."""

    window_days: int = 28  # issue/PR activity: this many complete days, ending yesterday
    contributor_pages: int = 5  # 500 entries: GitHub links only 500 e-mails to accounts anyway
    release_pages: int = 5
    tag_dates_per_run: int = 20  # one request per tag: spread a long tag list over refreshes
    history_max_pages: int = 100  # GitHub's own page cap for /stargazers/history
    stats_attempts: int = 4  # 202 answers tolerated before recording 'pending'
    stats_first_delay: float = 2.0  # then 4, 8 s
    sample_pages: int = 2  # GraphQL pages (100 items) per stream for the medians
