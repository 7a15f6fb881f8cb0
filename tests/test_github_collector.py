"""The GitHub collector against a healthy fake GitHub: what a refresh stores, and what it costs."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from collectors.github import CollectorSettings
from registry import parse_registry
from registry.projects import Project, Registry, RepoRef
from store import TABLES
from tests.conftest import TODAY
from tests.fakes.github import FakeIssue, client_for, make_repo, refresh

pytest_plugins = ["tests.fakes.github"]


def _rows(store, table, repo=None, column="repo"):
    frame = store.read(table).frame
    return frame if repo is None else frame[frame[column] == repo].reset_index(drop=True)


def test_a_cold_refresh_stores_every_part_for_every_repository(
    github_server, github_client, tracked_registry, fresh_store, fake_clock
):
    summary = refresh(tracked_registry, fresh_store, github_client, fake_clock)
    assert [o.status for o in summary] == ["ok", "ok", "ok"], summary.lines()
    filled = ["repo_snapshots", "repositories", "star_history", "contributors", "releases",
              "commit_activity", "issue_activity", "collection_runs"]  # fmt: skip
    for name in filled:
        frame = fresh_store.read(name).frame
        assert len(frame), name
        TABLES[name].conform(frame)  # what was stored fits the data model
    runs = _rows(fresh_store, "collection_runs")
    assert sorted(runs["target"]) == ["octo-org/alpha", "octo-org/beta", "octo-org/gamma"]
    assert set(runs["collector"]) == {"github"} and runs["run_id"].nunique() == 1
    served = len(github_server.log)
    assert runs["requests"].sum() == served  # every request is accounted to a repository
    assert (runs["rows_written"] > 0).all()


def test_the_snapshot_shows_what_github_shows(github_server, github_client, tracked_registry,
                                              fresh_store, fake_clock):  # fmt: skip
    refresh(tracked_registry, fresh_store, github_client, fake_clock)
    fake = github_server.repo("octo-org/alpha")
    snap = _rows(fresh_store, "repo_snapshots", "octo-org/alpha").iloc[0]
    assert snap["date"] == TODAY
    assert snap["stars"] == fake.stars(fake_clock())
    assert snap["watchers"] == fake.subscribers != snap["stars"]  # subscribers, not the alias
    assert snap["forks"] == fake.forks
    assert (
        snap["open_prs"] == fake.open_prs
        and snap["open_issues"] == fake.open_issues + fake.open_prs
    )
    assert snap["license"] == "MIT" and snap["topics"] == "ml,python"
    assert snap["default_branch"] == "main" and not snap["archived"]
    beta = _rows(fresh_store, "repo_snapshots", "octo-org/beta").iloc[0]
    assert pd.isna(beta["license"])  # no licence detected: missing, not a made-up value
    repo = _rows(fresh_store, "repositories", "octo-org/alpha").iloc[0]
    assert repo["created_at"] == pd.Timestamp(fake.created_at).tz_convert("UTC")
    assert repo["description"] == "Alpha: a library"


def test_star_history_covers_the_whole_life_at_one_request_per_30_weeks(
    github_server, github_client, tracked_registry, fresh_store, fake_clock
):
    refresh(tracked_registry, fresh_store, github_client, fake_clock)
    for name in ("octo-org/alpha", "octo-org/beta", "octo-org/gamma"):
        fake = github_server.repo(name)
        weeks = fake.weeks_until(fake_clock())
        history = _rows(fresh_store, "star_history", name)
        assert len(history) == len(weeks)
        assert history["week_start"].is_monotonic_increasing
        assert history["stars_gained"].sum() == fake.stars(fake_clock())
        assert history["week_start"].iloc[0] == pd.Timestamp(weeks[0][0], unit="s")
        assert set(history["quality"]) == {"ok"}
        requests = github_server.served(
            rf"^/(repos/{name}|repositories/{fake.id})/stargazers/history"
        )
        assert len(requests) == math.ceil(len(weeks) / 30)


def test_a_warm_refresh_with_nothing_changed_costs_no_points_and_adds_no_rows(
    github_server, github_client, tracked_registry, fresh_store, fake_clock
):
    refresh(tracked_registry, fresh_store, github_client, fake_clock)
    before = {name: fresh_store.read(name).frame for name in TABLES if name != "collection_runs"}
    github_server.reset_log()
    summary = refresh(tracked_registry, fresh_store, github_client, fake_clock)
    assert github_server.points() == 0
    assert all(entry.status == 304 for entry in github_server.log)
    assert all(o.status == "ok" and o.rows_written == 0 for o in summary), summary.lines()
    assert summary.not_modified == summary.requests == len(github_server.log)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(fresh_store.read(name).frame, frame, obj=name)
    runs = _rows(fresh_store, "collection_runs")
    assert runs["run_id"].nunique() == 2
    latest = runs[runs["run_id"] == summary.run_id]
    assert (latest["not_modified"] == latest["requests"]).all()


def test_the_next_day_asks_only_for_what_is_new(
    github_server, tracked_registry, refreshed_yesterday, fake_clock, cache_file
):
    client = client_for(github_server, fake_clock, cache_file)
    summary = refresh(tracked_registry, refreshed_yesterday, client, fake_clock)
    assert all(o.status == "ok" for o in summary), summary.lines()
    history = github_server.served(r"stargazers/history")
    assert len(history) == 3  # one page each: the newest 30 weeks reach the stored ones
    releases = github_server.served(r"/releases")
    assert len(releases) == 3 and all(e.status == 304 for e in releases)
    assert not github_server.served(r"/commits/")  # beta's tags were dated yesterday
    snaps = _rows(refreshed_yesterday, "repo_snapshots", "octo-org/alpha")
    assert list(snaps["date"]) == [TODAY - pd.Timedelta(days=1), TODAY]
    windows = _rows(refreshed_yesterday, "issue_activity", "octo-org/alpha")
    assert sorted(windows["window_end"].unique()) == [
        TODAY - pd.Timedelta(days=2),
        TODAY - pd.Timedelta(days=1),
    ]


def test_contributors_count_anonymous_entries_under_a_keyed_hash(
    github_server, github_client, tracked_registry, fresh_store, fake_clock
):
    refresh(tracked_registry, fresh_store, github_client, fake_clock)
    fake = github_server.repo("octo-org/alpha")
    people = _rows(fresh_store, "contributors", "octo-org/alpha")
    assert len(people) == fake.contributor_count + len(fake.bots) + fake.anonymous_count
    anonymous = people[people["kind"] == "Anonymous"]
    assert len(anonymous) == fake.anonymous_count
    assert anonymous["contributor_id"].str.fullmatch(r"anon:[0-9a-f]{20}").all()
    assert not people["contributor_id"].str.contains("@").any()
    assert set(people.loc[people["kind"] == "Bot", "contributor_id"]) == {"dependabot[bot]"}
    assert set(people["quality"]) == {"ok"}


def test_a_contributor_list_longer_than_the_cap_is_a_lower_bound(
    github_server, github_client, tracked_registry, fresh_store, fake_clock
):
    settings = CollectorSettings(contributor_pages=1)
    summary = refresh(tracked_registry, fresh_store, github_client, fake_clock, settings=settings)
    people = _rows(fresh_store, "contributors", "octo-org/alpha")
    assert len(people) == 100 and set(people["quality"]) == {"lower_bound"}
    assert "lower bound" in summary.outcome("octo-org/alpha").message
    gamma = _rows(fresh_store, "contributors", "octo-org/gamma")
    assert set(gamma["quality"]) == {"ok"}  # a list that fits is exact


def test_releases_and_tags_with_their_dates(github_server, github_client, tracked_registry,
                                            fresh_store, fake_clock):  # fmt: skip
    refresh(tracked_registry, fresh_store, github_client, fake_clock)
    alpha = _rows(fresh_store, "releases", "octo-org/alpha", column="subject")
    fake = github_server.repo("octo-org/alpha")
    assert len(alpha) == len(fake.releases) == 12
    flags = dict(zip(alpha["version"], alpha["prerelease"], strict=True))
    assert flags["v1.3.0rc1"] and not flags["v1.0.0"]
    beta = _rows(fresh_store, "releases", "octo-org/beta", column="subject")
    tag_dates = {
        name: pd.Timestamp(when) for name, _, when in github_server.repo("octo-org/beta").tags
    }
    assert dict(zip(beta["version"], beta["published_at"], strict=True)) == tag_dates
    assert beta.set_index("version").loc["1.1b1", "prerelease"]


def test_a_long_tag_list_is_dated_over_several_refreshes(
    github_server, github_client, tracked_registry, fresh_store, fake_clock
):
    settings = CollectorSettings(tag_dates_per_run=4)
    first = refresh(tracked_registry, fresh_store, github_client, fake_clock, settings=settings)
    assert "dated 4 of 6 new tags" in first.outcome("octo-org/beta").message
    assert len(_rows(fresh_store, "releases", "octo-org/beta", column="subject")) == 4
    refresh(tracked_registry, fresh_store, github_client, fake_clock, settings=settings)
    assert len(_rows(fresh_store, "releases", "octo-org/beta", column="subject")) == 6
    assert len(github_server.served(r"/commits/")) == 6  # each tag dated once


def test_commit_activity_waits_for_github_to_compute_it(
    github_server, github_client, tracked_registry, fresh_store, fake_clock
):
    refresh(tracked_registry, fresh_store, github_client, fake_clock)
    weeks = _rows(fresh_store, "commit_activity", "octo-org/alpha")
    assert len(weeks) == 52 and weeks["commits"].notna().all()
    assert len(github_server.served(r"alpha/stats/commit_activity")) == 2  # 202, then 200
    assert 2.0 in fake_clock.sleeps  # waited (on the fake clock) before asking again


def _issue(number, author, created, *, pr=False, bot=False, comments=(), reviews=(), closed=None,
           merged=None):  # fmt: skip
    return FakeIssue(
        number, pr, author, bot, created, closed, merged, list(comments), list(reviews)
    )


def test_issue_activity_times_responses_from_other_people_not_bots(
    github_server, github_client, fresh_store, fake_clock
):
    day = datetime(2026, 11, 1, tzinfo=UTC)
    h = timedelta(hours=1)
    repo = make_repo("octo-org/delta", 104, datetime(2025, 1, 1, tzinfo=UTC), stars=10)
    repo.issues = [
        _issue(
            1,
            "alice",
            day + 10 * h,
            comments=[
                ("alice", False, day + 11 * h),
                ("dependabot", True, day + 12 * h),
                ("bob", False, day + 15 * h),
            ],
        ),
        _issue(
            2, "carol", day + 24 * h, comments=[("dave", False, day + 27 * h)], closed=day + 48 * h
        ),
        _issue(3, "dependabot", day + 72 * h, bot=True, comments=[("erin", False, day + 73 * h)]),
        _issue(4, "frank", day + 96 * h),  # no answer yet: not in the median, still opened
        _issue(
            5, "gus", datetime(2026, 9, 1, tzinfo=UTC), closed=datetime(2026, 11, 10, tzinfo=UTC)
        ),
        _issue(
            6,
            "gina",
            day + 120 * h,
            pr=True,
            reviews=[("hank", False, day + 122 * h)],
            closed=day + 130 * h,
            merged=day + 130 * h,
        ),
        _issue(
            7,
            "ivan",
            day + 144 * h,
            pr=True,
            comments=[(None, False, day + 150 * h)],
            closed=day + 174 * h,
        ),
    ]
    github_server.add(repo)
    registry = parse_registry(
        '[[projects]]\nid = "d"\nname = "D"\ngroup = "T"\nrepos = ["octo-org/delta"]\n'
    )
    summary = refresh(registry, fresh_store, github_client, fake_clock)
    assert summary.outcome("octo-org/delta").status == "ok", summary.lines()
    rows = _rows(fresh_store, "issue_activity", "octo-org/delta").set_index("kind")
    assert rows.loc["issue", "window_start"] == pd.Timestamp("2026-10-21")
    assert rows.loc["issue", "window_end"] == pd.Timestamp("2026-11-17")
    issue, pr = rows.loc["issue"], rows.loc["pull_request"]
    assert (issue["opened"], issue["closed"]) == (4, 2) and pd.isna(issue["merged"])
    assert issue["median_hours_to_first_response"] == 4.0  # 5 h (bob) and 3 h (dave)
    assert issue["median_hours_to_close"] == (24.0 + 70 * 24.0) / 2  # one day; 1 Sep to 10 Nov
    assert (pr["opened"], pr["closed"], pr["merged"]) == (2, 2, 1)
    assert pr["median_hours_to_first_response"] == 4.0  # a review at 2 h, a deleted account at 6 h
    assert pr["median_hours_to_close"] == 20.0
    assert set(rows["quality"]) == {"ok"} and set(rows["source"]) == {"github:graphql"}


def test_without_a_token_issue_activity_is_counts_only(
    github_server, anonymous_client, tracked_registry, fresh_store, fake_clock
):
    summary = refresh(tracked_registry, fresh_store, anonymous_client, fake_clock)
    assert all(o.status == "ok" for o in summary), summary.lines()
    assert not github_server.served("graphql")
    assert all(not e.authenticated for e in github_server.log)
    rows = _rows(fresh_store, "issue_activity", "octo-org/alpha")
    assert rows["opened"].notna().all() and rows["median_hours_to_close"].isna().all()
    assert set(rows["quality"]) == {"partial"}
    assert "need a token" in summary.outcome("octo-org/alpha").message
    assert github_server.points("core") < 60  # a cold refresh fits the anonymous hour


def test_a_renamed_repository_is_followed_and_kept_under_its_registry_name(
    github_server, github_client, tracked_registry, fresh_store, fake_clock
):
    github_server.rename("octo-org/gamma", "octo-org/gamma-ng")
    summary = refresh(tracked_registry, fresh_store, github_client, fake_clock)
    outcome = summary.outcome("octo-org/gamma")
    assert outcome.status == "ok" and outcome.listed_as == "octo-org/gamma-ng"
    assert "renamed on GitHub to octo-org/gamma-ng" in outcome.message
    assert 'formerly = ["octo-org/gamma"]' in outcome.message
    snap = _rows(fresh_store, "repo_snapshots", "octo-org/gamma").iloc[0]
    assert snap["listed_as"] == "octo-org/gamma-ng"
    assert len(_rows(fresh_store, "star_history", "octo-org/gamma")) > 0
    moved = [e for e in github_server.log if e.status == 301]
    assert len(moved) == 1  # later requests use the new name


def test_only_the_chosen_projects_are_refreshed(
    github_server, github_client, tracked_registry, fresh_store, fake_clock
):
    summary = refresh(tracked_registry, fresh_store, github_client, fake_clock, projects=["beta"])
    assert [o.repo for o in summary] == ["octo-org/beta"]
    assert not github_server.served("alpha") and not github_server.served("gamma")
    with pytest.raises(KeyError):
        refresh(tracked_registry, fresh_store, github_client, fake_clock, projects=["nope"])


def test_names_that_break_the_rules_never_reach_a_url(
    github_server, github_client, fresh_store, fake_clock
):
    # A Registry made in code skips the file checks: the collector checks again.
    hostile = ["octo-org/alpha/../../rate_limit", "octo-org/beta?x=1", "-bad/name"]
    projects = tuple(
        Project(f"p{i}", f"P{i}", "T", (RepoRef(name),), ()) for i, name in enumerate(hostile)
    )
    registry = Registry(path=fresh_store.root, projects=projects)
    summary = refresh(registry, fresh_store, github_client, fake_clock)
    assert [o.status for o in summary] == ["failed"] * 3
    assert all(o.message.startswith("not refreshed: ") for o in summary)
    assert github_server.log == []
    runs = _rows(fresh_store, "collection_runs")
    assert len(runs) == 3 and (runs["requests"] == 0).all()
