"""What earlier GitHub refreshes stored, so this one asks only for what is new (reads the store)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from registry.names import repo_key
from store.segments import SegmentStore


@dataclass
class StoredState:
    """What earlier refreshes stored, so this one asks only for what is new.

    Everything is keyed by `repo_key` (GitHub names are case-insensitive).
    """

    snapshot_keys: set[tuple[str, pd.Timestamp]] = field(default_factory=set)
    repositories: set[str] = field(default_factory=set)
    star_weeks: dict[str, list[pd.Timestamp]] = field(default_factory=dict)  # with values
    star_keys: set[tuple[str, pd.Timestamp]] = field(default_factory=set)  # any row
    contributor_repos: set[str] = field(default_factory=set)
    release_versions: dict[str, set[str]] = field(default_factory=dict)  # dated ones
    commit_week_keys: set[tuple[str, pd.Timestamp]] = field(default_factory=set)
    commit_repos: set[str] = field(default_factory=set)  # with values
    issue_windows: set[tuple[str, str, pd.Timestamp, pd.Timestamp]] = field(default_factory=set)

    @classmethod
    def read(cls, store: SegmentStore) -> StoredState:
        state = cls()
        snaps = store.read("repo_snapshots").frame
        state.snapshot_keys = set(zip(snaps["repo"].map(repo_key), snaps["date"], strict=True))
        repos = store.read("repositories").frame
        state.repositories = set(repos["repo"].map(repo_key))
        stars = store.read("star_history").frame
        state.star_keys = set(zip(stars["repo"].map(repo_key), stars["week_start"], strict=True))
        valued = stars[stars["stars_gained"].notna()]
        for key, weeks in valued.groupby(valued["repo"].map(repo_key))["week_start"]:
            state.star_weeks[key] = sorted(weeks)
        contributors = store.read("contributors").frame
        state.contributor_repos = set(contributors["repo"].map(repo_key))
        releases = store.read("releases").frame
        dated = releases[(releases["subject_kind"] == "repo") & releases["published_at"].notna()]
        for key, versions in dated.groupby(dated["subject"].map(repo_key))["version"]:
            state.release_versions[key] = set(versions)
        weeks = store.read("commit_activity").frame
        state.commit_week_keys = set(
            zip(weeks["repo"].map(repo_key), weeks["week_start"], strict=True)
        )
        state.commit_repos = set(weeks.loc[weeks["commits"].notna(), "repo"].map(repo_key))
        activity = store.read("issue_activity").frame
        activity = activity[activity["quality"].isin(["ok", "partial", "lower_bound"])]
        state.issue_windows = set(
            zip(
                activity["repo"].map(repo_key),
                activity["kind"],
                activity["window_start"],
                activity["window_end"],
                strict=True,
            )
        )
        return state
