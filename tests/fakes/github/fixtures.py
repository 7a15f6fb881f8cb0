"""The collector's client and refresh pointed at the fake GitHub, and the pytest fixtures
(import them with `pytest_plugins = ["tests.fakes.github"]`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collectors import github as github_collector
from collectors.git import Pseudonymizer
from collectors.github import RefreshSummary, refresh_github
from collectors.http import HttpClient
from registry import Registry, parse_registry
from store import SegmentStore
from tests.fakes.clock import NOW, FakeClock
from tests.fakes.github.server import TEST_TOKEN, FakeGitHub
from tests.fakes.github.world import SMALL_REGISTRY, small_world


def client_for(
    server: FakeGitHub,
    clock: FakeClock,
    cache_path: Path,
    token: str | None = TEST_TOKEN,
    **options: Any,
) -> HttpClient:
    """The collector's own client, pointed at the fake, with the fake's clock and sleep."""
    options.setdefault("read_timeout", 0.25)
    options.setdefault("connect_timeout", 0.5)
    return github_collector.github_client(
        token,
        base_url=server.url,
        cache_path=cache_path,
        clock=clock,
        sleep=clock.sleep,
        **options,
    )


def refresh(
    registry: Registry, store: SegmentStore, client: HttpClient, clock: FakeClock, **options: Any
) -> RefreshSummary:
    """One refresh at the fake clock's time, with a fixed pseudonym key."""
    options.setdefault("ids", TEST_IDS)
    return refresh_github(registry, store, client, now=clock.timestamp(), **options)


TEST_IDS = Pseudonymizer(b"fixed test key, 32 bytes long!!!")


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def github_server(fake_clock: FakeClock) -> Iterator[FakeGitHub]:
    """A healthy fake GitHub with the three small repositories."""
    with FakeGitHub(small_world(), clock=fake_clock) as server:
        yield server


@pytest.fixture
def tracked_registry() -> Registry:
    return parse_registry(SMALL_REGISTRY, "projects.toml")


@pytest.fixture
def cache_file(user_data_dir: Path) -> Path:
    return user_data_dir / "http-cache" / "github.json"


@pytest.fixture
def github_client(
    github_server: FakeGitHub, fake_clock: FakeClock, cache_file: Path
) -> Iterator[HttpClient]:
    """A client with a (harmless) token, pointed at `github_server`."""
    client = client_for(github_server, fake_clock, cache_file)
    yield client
    client.close()


@pytest.fixture
def anonymous_client(
    github_server: FakeGitHub, fake_clock: FakeClock, cache_file: Path
) -> Iterator[HttpClient]:
    """A client without a token (60 requests an hour, no GraphQL)."""
    client = client_for(github_server, fake_clock, cache_file, token=None)
    yield client
    client.close()


@pytest.fixture
def rate_limited_github(github_server: FakeGitHub) -> FakeGitHub:
    """The test token's core budget is spent; it comes back in two hours."""
    github_server.exhaust(TEST_TOKEN, "core", reset_in=7200)
    return github_server


@pytest.fixture
def refreshed_yesterday(
    github_server: FakeGitHub,
    tracked_registry: Registry,
    fresh_store: SegmentStore,
    fake_clock: FakeClock,
    cache_file: Path,
) -> SegmentStore:
    """A store holding one complete refresh made a day ago; the clock is back at NOW."""
    fake_clock.now = NOW.timestamp() - 86400
    client = client_for(github_server, fake_clock, cache_file)
    summary = refresh(tracked_registry, fresh_store, client, fake_clock)
    client.close()
    assert all(o.status == "ok" for o in summary), summary.lines()
    fake_clock.now = NOW.timestamp()
    github_server.reset_log()
    return fresh_store
