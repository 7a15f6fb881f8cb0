"""Every fault the issue lists: the run finishes for the other projects, stored history is
intact, and the problem is reported per project in plain words.

The store is seeded with older history for all three repositories first; after the faulty
run every seeded row must still be there, unchanged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pandas as pd
import pytest

from store import TABLES
from tests.conftest import TODAY, snapshot_rows
from tests.fakes.github import NOW, TEST_TOKEN, Fault, client_for, refresh

pytest_plugins = ["tests.fakes.github"]

REPOS = ["octo-org/alpha", "octo-org/beta", "octo-org/gamma"]
PROJECT = {"octo-org/alpha": "alpha", "octo-org/beta": "beta", "octo-org/gamma": "gamma"}
EARLIER = pd.Timestamp("2025-06-01", tz="UTC")


def _seed_frames() -> dict[str, pd.DataFrame]:
    """Older observations of each repository, with keys today's refresh never writes."""
    frames: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    for repo in REPOS:
        frames["repo_snapshots"].append(
            snapshot_rows(repo, ["2025-06-01", "2025-06-02"], [100, 101], source="seed")
        )
        frames["contributors"].append(
            pd.DataFrame(
                {
                    "repo": repo,
                    "date": pd.Timestamp("2025-06-01"),
                    "contributor_id": ["old-timer", "anon:0123456789abcdef0123"],
                    "kind": ["User", "Anonymous"],
                    "contributions": [40, 2],
                    "source": "seed",
                    "fetched_at": EARLIER,
                    "quality": "ok",
                }
            )
        )
        frames["releases"].append(
            pd.DataFrame(
                {
                    "subject_kind": ["repo"],
                    "subject": [repo],
                    "version": ["v0.0.1-seed"],
                    "published_at": [EARLIER],
                    "prerelease": [False],
                    "yanked": [None],
                    "source": "seed",
                    "fetched_at": EARLIER,
                    "quality": "ok",
                }
            )
        )
        frames["commit_activity"].append(
            pd.DataFrame(
                {
                    "repo": repo,
                    "week_start": pd.to_datetime(["2025-05-25", "2025-06-01"]),
                    "commits": [7, 9],
                    "source": "seed",
                    "fetched_at": EARLIER,
                    "quality": "ok",
                }
            )
        )
        frames["issue_activity"].append(
            pd.DataFrame(
                {
                    "repo": repo,
                    "kind": ["issue", "pull_request"],
                    "window_start": pd.Timestamp("2025-05-04"),
                    "window_end": pd.Timestamp("2025-05-31"),
                    "opened": [5, 8],
                    "closed": [4, 7],
                    "merged": [None, 6],
                    "median_hours_to_first_response": [3.5, 2.0],
                    "median_hours_to_close": [40.0, 20.0],
                    "source": "seed",
                    "fetched_at": EARLIER,
                    "quality": "ok",
                }
            )
        )
    return {name: pd.concat(parts, ignore_index=True) for name, parts in frames.items() if parts}


@pytest.fixture
def seeded_store(fresh_store):
    """A store with older history for every repository; returns (store, seeded frames)."""
    seeded = _seed_frames()
    fresh_store.append(seeded)
    return fresh_store, {name: fresh_store.read(name).frame for name in seeded}


def assert_history_intact(store, seeded: dict[str, pd.DataFrame]) -> None:
    """Every seeded row is still readable with the same values and quality."""
    for name, before in seeded.items():
        key = list(TABLES[name].key)
        after = store.read(name).frame
        kept = before[key].merge(after, on=key, how="left")
        pd.testing.assert_frame_equal(
            kept[before.columns].reset_index(drop=True), before.reset_index(drop=True), obj=name
        )


def assert_finished_for_the_others(summary, store, failing: str, status: str, words: str) -> None:
    outcomes = {o.repo: o for o in summary}
    assert list(outcomes) == REPOS
    for repo in REPOS:
        if repo != failing:
            assert outcomes[repo].status == "ok", summary.lines()
    outcome = outcomes[failing]
    assert outcome.status == status, summary.lines()
    assert outcome.project == PROJECT[failing]
    assert words in (outcome.message or ""), outcome.message
    runs = store.read("collection_runs").frame
    row = runs[(runs["run_id"] == summary.run_id) & (runs["target"] == failing)].iloc[0]
    stored = None if pd.isna(row["message"]) else row["message"]
    assert row["status"] == status and stored == outcome.message


def _today(store, table, repo, column="repo", day="date"):
    frame = store.read(table).frame
    frame = frame[frame[column] == repo]
    return frame[frame[day] == TODAY] if day else frame


def _run(github_server, fake_clock, cache_file, store, registry, **client_options):
    client = client_for(github_server, fake_clock, cache_file, **client_options)
    try:
        return refresh(registry, store, client, fake_clock)
    finally:
        client.close()


@pytest.fixture
def alpha_fault(github_server, seeded_store, tracked_registry, fake_clock, cache_file):
    """`alpha_fault(pattern, fault, words, times=None)`: one refresh of the seeded store while
    requests to `pattern` get `fault` (the first `times` of them; None: every one). Checks the
    run finished for the others with alpha partial and `words` said, and that no seeded row
    changed; returns (summary, store)."""
    store, seeded = seeded_store

    def run(pattern: str, fault: Fault, words: str, times: int | None = None):
        github_server.fail(pattern, fault, times=times)
        summary = _run(github_server, fake_clock, cache_file, store, tracked_registry)
        assert_finished_for_the_others(summary, store, "octo-org/alpha", "partial", words)
        assert_history_intact(store, seeded)
        return summary, store

    return run


# ----- rate limits ---------------------------------------------------------------------------


def test_primary_limit_with_a_near_reset_is_waited_out(
    github_server, seeded_store, tracked_registry, fake_clock, cache_file
):
    store, seeded = seeded_store
    github_server.fail(r"^/repos/octo-org/alpha/contributors", Fault.primary_limit(reset_in=40))
    summary = _run(github_server, fake_clock, cache_file, store, tracked_registry)
    assert_finished_for_the_others(summary, store, "octo-org/alpha", "ok", "")
    assert summary.outcome("octo-org/alpha").wait_seconds == 41.0
    assert 41.0 in fake_clock.sleeps
    runs = store.read("collection_runs").frame
    assert runs.loc[runs["target"] == "octo-org/alpha", "wait_seconds"].max() == 41.0
    assert len(_today(store, "contributors", "octo-org/alpha")) > 0
    assert_history_intact(store, seeded)


def test_primary_limit_too_far_away_stops_the_run_cleanly(
    github_server, seeded_store, tracked_registry, fake_clock, cache_file
):
    store, seeded = seeded_store
    github_server.fail(r"^/repos/octo-org/beta/contributors", Fault.primary_limit(reset_in=7200))
    summary = _run(github_server, fake_clock, cache_file, store, tracked_registry)
    alpha, beta, gamma = summary.outcomes
    assert alpha.status == "ok"
    assert beta.status == "partial" and "rate limit" in beta.message
    reset = datetime.fromtimestamp(github_server.budget(TEST_TOKEN).reset + 1, UTC)
    assert f"refresh again after {reset:%Y-%m-%d %H:%M} UTC" in beta.message
    assert gamma.status == "skipped" and f"{reset:%Y-%m-%d %H:%M} UTC" in gamma.message
    assert summary.resume_at == reset
    assert "The run stopped early" in summary.lines()[-1]
    # Nothing was sent after the limit, and what beta gathered before it was kept.
    limited = max(i for i, e in enumerate(github_server.log) if e.status == 403)
    assert limited == len(github_server.log) - 1
    assert len(_today(store, "repo_snapshots", "octo-org/beta")) == 1
    assert len(_today(store, "star_history", "octo-org/beta", day=None)) > 0
    runs = store.read("collection_runs").frame
    assert set(runs.loc[runs["run_id"] == summary.run_id, "status"]) == {"ok", "partial", "skipped"}
    assert_history_intact(store, seeded)


def test_a_spent_budget_before_the_run_costs_one_request(
    rate_limited_github, seeded_store, tracked_registry, fake_clock, cache_file
):
    store, seeded = seeded_store
    summary = _run(rate_limited_github, fake_clock, cache_file, store, tracked_registry)
    assert [o.status for o in summary] == ["failed", "skipped", "skipped"]
    assert len(rate_limited_github.log) == 1 and fake_clock.sleeps == []
    assert summary.rows_written == 0
    assert_history_intact(store, seeded)


@pytest.mark.parametrize(
    ("fault", "waited"),
    [
        (Fault.secondary_limit(retry_after=30), 30.0),
        (Fault.secondary_limit(), 60.0),
        (
            Fault.secondary_limit(
                retry_after=format_datetime(NOW + timedelta(seconds=120), usegmt=True), status=429
            ),
            121.0,
        ),
    ],
    ids=["retry-after-seconds", "no-retry-after", "429-http-date"],
)
def test_secondary_limits_are_honoured_then_the_run_goes_on(
    github_server, seeded_store, tracked_registry, fake_clock, cache_file, fault, waited
):
    store, seeded = seeded_store
    github_server.fail(r"^/repos/octo-org/alpha/releases", fault)
    summary = _run(github_server, fake_clock, cache_file, store, tracked_registry)
    assert_finished_for_the_others(summary, store, "octo-org/alpha", "ok", "")
    assert waited in fake_clock.sleeps
    assert summary.outcome("octo-org/alpha").wait_seconds == waited
    assert summary.outcome("octo-org/alpha").retries >= 1
    assert_history_intact(store, seeded)


# ----- the network and the server ------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "faults", "retries"),
    [
        (r"^/repos/octo-org/alpha$", [Fault.http_error(502), Fault.http_error(503)], 2),
        (r"^/repos/octo-org/alpha/stargazers/history", [Fault.connection_reset()], 1),
    ],
    ids=["502-then-503", "connection-reset-once"],
)
def test_failures_that_pass_are_retried(
    github_server, seeded_store, tracked_registry, fake_clock, cache_file, pattern, faults, retries
):
    store, seeded = seeded_store
    for fault in faults:  # each is answered once, in turn; then GitHub answers normally
        github_server.fail(pattern, fault)
    summary = _run(github_server, fake_clock, cache_file, store, tracked_registry)
    assert_finished_for_the_others(summary, store, "octo-org/alpha", "ok", "")
    assert summary.outcome("octo-org/alpha").retries >= retries  # (and one for the stats' 202)
    assert len(_today(store, "repo_snapshots", "octo-org/alpha")) == 1
    assert len(_today(store, "star_history", "octo-org/alpha", day=None)) > 0
    assert_history_intact(store, seeded)


def test_a_server_that_keeps_failing_is_reported_for_that_part(alpha_fault):
    _, store = alpha_fault(
        r"^/repos/octo-org/alpha/releases",
        Fault.http_error(502),
        "releases: GitHub kept failing with 502",
    )
    assert len(_today(store, "commit_activity", "octo-org/alpha", day=None)) > 2  # went on


def test_a_connection_that_keeps_resetting_stops_that_repository_only(alpha_fault):
    summary, store = alpha_fault(
        r"^/repos/octo-org/alpha/releases", Fault.connection_reset(), "the connection was reset"
    )
    assert "GitHub did not answer" in summary.outcome("octo-org/alpha").message
    assert len(_today(store, "contributors", "octo-org/alpha")) > 0  # collected before


def test_timeouts_are_retried_then_reported(
    github_server, seeded_store, tracked_registry, fake_clock, cache_file
):
    store, seeded = seeded_store
    github_server.fail(r"^/repos/octo-org/beta/releases", Fault.slow(0.4))  # once: recovers
    github_server.fail(r"^/repos/octo-org/alpha/stats/", Fault.slow(0.4), times=None)
    summary = _run(
        github_server, fake_clock, cache_file, store, tracked_registry, read_timeout=0.15,
        max_retries=1,
    )  # fmt: skip
    assert_finished_for_the_others(summary, store, "octo-org/alpha", "partial", "timed out")
    assert summary.outcome("octo-org/beta").retries >= 1
    assert_history_intact(store, seeded)


# ----- answers that are not what GitHub documents ---------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "fault", "times", "words", "lost"),
    [
        (r"alpha/contributors", Fault.truncated_json(), None, "cut short", "contributors"),
        (r"alpha/releases", Fault.html_page(), 1, "an HTML page instead of JSON", "releases"),
        (
            r"alpha/contributors",
            Fault.error_object("Server Error"),
            1,
            "an error ('Server Error') where a list was expected",
            "contributors",
        ),
    ],
    ids=["json-always-cut-short", "html-with-200", "error-object-for-a-list"],
)
def test_answers_that_are_not_json_lose_only_their_own_part(
    alpha_fault, pattern, fault, times, words, lost
):
    summary, store = alpha_fault(pattern, fault, words, times=times)
    assert summary.outcome("octo-org/alpha").message.startswith(lost)
    today_rows = {
        "contributors": _today(store, "contributors", "octo-org/alpha"),
        "releases": store.read("releases").frame.query(
            "subject == 'octo-org/alpha' and version != 'v0.0.1-seed'"
        ),
    }
    assert len(today_rows[lost]) == 0
    other = "releases" if lost == "contributors" else "contributors"
    assert len(today_rows[other]) > 0


def test_statistics_still_computing_are_recorded_as_pending_not_zero(alpha_fault, fake_clock):
    _, store = alpha_fault(r"^/repos/octo-org/alpha/stats/", Fault.accepted(), "pending")
    weeks = store.read("commit_activity").frame
    alpha = weeks[(weeks["repo"] == "octo-org/alpha") & (weeks["source"] != "seed")]
    assert len(alpha) == 1 and alpha["commits"].isna().all()
    assert set(alpha["quality"]) == {"pending"}
    assert [s for s in fake_clock.sleeps if s in (2.0, 4.0, 8.0)] == [2.0, 4.0, 8.0, 2.0, 2.0]


# ----- the repository itself -----------------------------------------------------------------


def test_a_renamed_repository_is_followed(
    github_server, seeded_store, tracked_registry, fake_clock, cache_file
):
    store, seeded = seeded_store
    github_server.rename("octo-org/alpha", "octo-org/alpha-two")
    summary = _run(github_server, fake_clock, cache_file, store, tracked_registry)
    assert_finished_for_the_others(
        summary, store, "octo-org/alpha", "ok", "renamed on GitHub to octo-org/alpha-two"
    )
    assert _today(store, "repo_snapshots", "octo-org/alpha")["listed_as"].tolist() == [
        "octo-org/alpha-two"
    ]
    assert_history_intact(store, seeded)


@pytest.mark.parametrize(
    ("state", "words", "quality"),
    [
        ("missing", "not found on GitHub (404)", "missing"),
        ("blocked", "blocks access to it for legal reasons (451)", "restricted"),
    ],
)
def test_a_repository_that_is_gone_is_marked_and_its_history_kept(
    github_server, seeded_store, tracked_registry, fake_clock, cache_file, state, words, quality
):
    store, seeded = seeded_store
    github_server.repo("octo-org/alpha").state = state
    summary = _run(github_server, fake_clock, cache_file, store, tracked_registry)
    assert_finished_for_the_others(summary, store, "octo-org/alpha", "failed", words)
    assert "its stored history is kept" in summary.outcome("octo-org/alpha").message
    mark = _today(store, "repo_snapshots", "octo-org/alpha").iloc[0]
    assert mark["quality"] == quality and pd.isna(mark["stars"]) and pd.isna(mark["forks"])
    assert_history_intact(store, seeded)


def test_an_empty_repository_is_reported_without_zeros(
    github_server, seeded_store, tracked_registry, fake_clock, cache_file
):
    store, seeded = seeded_store
    github_server.repo("octo-org/beta").state = "empty"
    summary = _run(github_server, fake_clock, cache_file, store, tracked_registry)
    assert_finished_for_the_others(summary, store, "octo-org/beta", "ok", "repository is empty")
    message = summary.outcome("octo-org/beta").message
    assert "contributors: none" in message and "commit activity: none" in message
    assert "releases: none (GitHub says the repository is empty)" in message  # the 409
    assert len(_today(store, "contributors", "octo-org/beta")) == 0
    weeks = store.read("commit_activity").frame
    assert not ((weeks["repo"] == "octo-org/beta") & (weeks["source"] != "seed")).any()
    assert_history_intact(store, seeded)


# ----- pagination ----------------------------------------------------------------------------


LIMITED = "In order to keep the API fast for everyone, pagination is limited"


@pytest.mark.parametrize(
    ("pattern", "fault", "said", "weeks"),
    [
        (
            r"^/repositories/101/stargazers/history\?.*&page=3$",
            Fault.http_error(422, LIMITED),
            ("GitHub's pagination limit (422)", "kept the 60 weeks before it"),
            60,
        ),
        (
            r"^/repos/octo-org/alpha/stargazers/history",
            Fault.no_link(),
            ("GitHub gave no link to older weeks",),
            30,
        ),
        (
            r"^/repos/octo-org/alpha/stargazers/history",
            Fault.foreign_link(),
            ("pointed to another host (127.0.0.2)", "kept the 30 weeks before it"),
            30,
        ),
    ],
    ids=["pagination-limit", "no-link", "link-to-another-host"],
)
def test_a_broken_chain_of_pages_keeps_the_weeks_before_it(
    alpha_fault, pattern, fault, said, weeks
):
    summary, store = alpha_fault(pattern, fault, said[0], times=1)
    message = summary.outcome("octo-org/alpha").message
    assert all(words in message for words in said), message
    assert len(store.read("star_history").frame.query("repo == 'octo-org/alpha'")) == weeks


# ----- conditional requests ------------------------------------------------------------------


def test_a_304_whose_cached_body_is_missing_is_fetched_again(
    github_server, tracked_registry, refreshed_yesterday, fake_clock, cache_file
):
    store = refreshed_yesterday
    releases_before = store.read("releases").frame
    data = json.loads(cache_file.read_text())
    for entry in data["entries"].values():
        entry["body"] = None  # a damaged or trimmed cache: validators without answers
    cache_file.write_text(json.dumps(data))
    summary = _run(github_server, fake_clock, cache_file, store, tracked_registry)
    assert all(o.status == "ok" for o in summary), summary.lines()
    served = github_server.served(r"^/repos/octo-org/alpha/releases")
    assert [e.status for e in served] == [304, 200]  # unchanged, but asked again in full
    assert summary.outcome("octo-org/alpha").retries >= 1
    columns = ["subject", "version", "published_at", "prerelease"]
    after = store.read("releases").frame[columns].sort_values(columns[:2])
    before = releases_before[columns].sort_values(columns[:2])
    pd.testing.assert_frame_equal(after.reset_index(drop=True), before.reset_index(drop=True))


# ----- the 2026 stargazer restriction --------------------------------------------------------


def test_a_restricted_stargazer_list_does_not_matter(
    github_server, seeded_store, tracked_registry, fake_clock, cache_file
):
    store, seeded = seeded_store
    for repo in REPOS:
        github_server.repo(repo).stargazer_list = "403"
    summary = _run(github_server, fake_clock, cache_file, store, tracked_registry)
    assert all(o.status == "ok" for o in summary), summary.lines()
    assert not github_server.served(r"/stargazers(\?|$)")  # the list is never asked for
    history = store.read("star_history").frame
    assert history.groupby("repo")["stars_gained"].sum().to_dict() == {
        repo: github_server.repo(repo).stars(fake_clock()) for repo in REPOS
    }
    assert_history_intact(store, seeded)


@pytest.mark.parametrize(("status", "quality"), [(403, "restricted"), (404, "missing")])
def test_a_refused_star_history_is_recorded_as_such_never_as_zero(alpha_fault, status, quality):
    _, store = alpha_fault(
        r"^/repos/octo-org/alpha/stargazers/history",
        Fault.http_error(status),
        f"recorded as {quality}, not as zero",
    )
    alpha = store.read("star_history").frame.query("repo == 'octo-org/alpha'")
    assert len(alpha) == 1 and alpha["stars_gained"].isna().all()
    assert alpha["quality"].tolist() == [quality]


def test_pending_or_refused_answers_never_replace_stored_values(
    github_server, tracked_registry, refreshed_yesterday, fake_clock, cache_file
):
    store = refreshed_yesterday
    weeks_before = store.read("commit_activity").frame
    stars_before = store.read("star_history").frame
    github_server.fail(r"^/repos/octo-org/alpha/stats/", Fault.accepted(), times=None)
    github_server.fail(
        r"^/repos/octo-org/alpha/stargazers/history", Fault.http_error(403), times=None
    )
    summary = _run(github_server, fake_clock, cache_file, store, tracked_registry)
    message = summary.outcome("octo-org/alpha").message
    assert "recorded as pending" in message and "recorded as restricted" in message
    for name, before in (("commit_activity", weeks_before), ("star_history", stars_before)):
        after = store.read(name).frame
        alpha = after[after["repo"] == "octo-org/alpha"]
        assert len(alpha) == (before["repo"] == "octo-org/alpha").sum(), name
        assert set(alpha["quality"]) == {"ok"}, name  # the week already stored kept its value


def test_a_spent_graphql_budget_stops_the_run_like_any_rate_limit(
    github_server, seeded_store, tracked_registry, fake_clock, cache_file
):
    store, seeded = seeded_store
    github_server.exhaust(TEST_TOKEN, "graphql", reset_in=3 * 3600)  # answers 200 + RATE_LIMITED
    summary = _run(github_server, fake_clock, cache_file, store, tracked_registry)
    assert [o.status for o in summary] == ["partial", "skipped", "skipped"]
    alpha = summary.outcome("octo-org/alpha")
    assert "GraphQL points are used up" in alpha.message
    assert len(_today(store, "repo_snapshots", "octo-org/alpha")) == 1  # kept what it had
    assert summary.resume_at is not None
    assert_history_intact(store, seeded)
