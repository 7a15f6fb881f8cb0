"""One refresh run across sources and projects: what the CLI, the scheduler and the app's
"Refresh now" button all call."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors import github, refresh
from store import SegmentStore
from tests.fakes.github import TEST_TOKEN, FakeClock

pytest_plugins = ["tests.fakes.github"]


@pytest.fixture
def fake_clock() -> FakeClock:
    """`refresh.run` uses the real clock, so the fake GitHub's rate-limit resets must too."""
    return FakeClock(datetime.now(UTC))


def test_one_github_client_serves_the_whole_run(
    github_server, tracked_registry, user_data_dir, monkeypatch
):
    """A rate limit met for one project must be known to the next one, so the run uses one
    client (and one validator cache) for all projects, and saves that cache at the end."""
    made = []
    real = github.github_client

    def counting(*args, **kwargs):
        made.append(kwargs.get("base_url"))
        return real(*args, **kwargs)

    monkeypatch.setattr(github, "github_client", counting)
    options = refresh.RefreshOptions(
        sources=["github"], github_token=TEST_TOKEN, github_base_url=github_server.url
    )
    report = refresh.run(tracked_registry, options)
    projects = {o.project for o in report.outcomes}
    assert len(projects) == 3 and report.exit_code == refresh.OK
    assert made == [github_server.url]
    assert (user_data_dir / "http-cache" / "github.json").is_file()
    assert not SegmentStore(user_data_dir).read("repo_snapshots").frame.empty


def test_a_rate_limit_in_one_project_skips_the_rest_without_asking_again(
    rate_limited_github, tracked_registry, user_data_dir
):
    options = refresh.RefreshOptions(
        sources=["github"], github_token=TEST_TOKEN, github_base_url=rate_limited_github.url
    )
    report = refresh.run(tracked_registry, options)
    assert [o.status for o in report.outcomes] == ["failed", "skipped", "skipped"]
    assert len(rate_limited_github.log) == 1
    assert report.exit_code == refresh.FAILED
    assert any("rate limit" in note.lower() for note in report.notes)
