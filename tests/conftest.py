"""Shared fixtures. Every test runs with no secrets, no proxies, its own user data folder,
and a socket guard that refuses any address outside the loopback range."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pytest

from claims.model import Claim, IndicatorRule
from settings import Settings
from store import SegmentStore
from store.schema import TABLES
from tests.fakes.clock import NOW

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"
TODAY = pd.Timestamp(NOW.date())  # the fake clock's day: the date a refresh stores rows under
DAY = 86400.0  # seconds: one day on the fake clock
# The seven claims the issue names, in the order data/claims.toml and the pages give them.
CLAIM_IDS = [
    "collaboration",
    "barriers",
    "transparency",
    "acceleration",
    "access",
    "quality",
    "customization",
]

T = TypeVar("T")

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded(address) -> None:
    host = address[0] if isinstance(address, tuple) else None
    if host is None:  # unix sockets and the like stay local
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        if host == "localhost":
            return
    raise OSError(f"test tried to reach {host!r}: tests must not leave the machine")


def _connect(self, address):
    _guarded(address)
    return _real_connect(self, address)


def _connect_ex(self, address):
    _guarded(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def sealed_environment(monkeypatch, tmp_path_factory):
    """No token, no proxy, a private user data folder, and no outside connections."""
    for name in list(os.environ):
        if name.upper() in {"GITHUB_TOKEN", "GH_TOKEN", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"}:
            monkeypatch.delenv(name, raising=False)
    user_dir = tmp_path_factory.mktemp("user-data")
    monkeypatch.setenv("OSSAI_DATA_DIR", str(user_dir))
    # a refresh computes the pages' views ahead in a thread: only the tests of that ask for it
    monkeypatch.setenv("OSSAI_PRECOMPUTE", "0")
    monkeypatch.setattr(socket.socket, "connect", _connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _connect_ex)
    return user_dir


@pytest.fixture
def user_data_dir(sealed_environment) -> Path:
    return sealed_environment


@pytest.fixture
def tracked_file(user_data_dir: Path) -> Path:
    """Where the user's own list (tracked.toml) is, in the test's user data folder."""
    return user_data_dir / "tracked.toml"


@pytest.fixture
def user_settings(user_data_dir) -> Settings:
    """Settings as the entry points build them, on the sealed user data folder, no token."""
    return Settings.from_environment()


@pytest.fixture
def fresh_store(tmp_path) -> SegmentStore:
    return SegmentStore(tmp_path / "store")


def at_clock(refresh: Callable[..., T]) -> Callable[..., T]:
    """`refresh` called with a fake clock as its last positional argument, whose time it gets
    as `now=`: `at_clock(refresh_pypi)(registry, store, client, clock, force=True)`."""

    def run(*args, **options) -> T:
        *leading, clock = args
        return refresh(*leading, now=clock.timestamp(), **options)

    return run


def snapshot_rows(
    repo: str, days: list[str], stars: list[int], fetched: str | None = None, **extra
):
    """Valid `repo_snapshots` rows for tests."""
    n = len(days)
    frame = pd.DataFrame(
        {
            "repo": [repo] * n,
            "date": pd.to_datetime(days),
            "stars": stars,
            "forks": extra.pop("forks", [None] * n),
            "open_issues": extra.pop("open_issues", [None] * n),
            "open_prs": [None] * n,
            "watchers": [None] * n,
            "archived": [None] * n,
            "license": [None] * n,
            "default_branch": [None] * n,
            "topics": [None] * n,
            "pushed_at": [None] * n,
            "listed_as": [repo] * n,
            "source": extra.pop("source", "test"),
            "fetched_at": pd.to_datetime(fetched, utc=True)
            if fetched
            else pd.to_datetime(days, utc=True),
            "quality": extra.pop("quality", ["ok"] * n),
        }
    )
    assert not extra, extra
    return frame


def hand_made_claim(claim_id: str, *rules: tuple[str, str, float], title: str = "A claim") -> Claim:
    """A claim built here, with one `IndicatorRule(metric, direction, threshold)` per rule."""
    return Claim(claim_id, title, "Hypothesis", tuple(IndicatorRule(*rule) for rule in rules))


def download_rows(package: str, rows: list[tuple], **extra) -> pd.DataFrame:
    """`package_downloads` rows from (period_start, period_end, downloads, installers, method)."""
    frame = pd.DataFrame(
        rows, columns=["period_start", "period_end", "downloads", "installers", "method"]
    )
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    frame["window_days"] = (frame["period_end"] - frame["period_start"]).dt.days + 1
    frame["package"] = package
    frame["series"] = extra.pop("series", "monthly")
    frame["source"] = "test"
    frame["fetched_at"] = (frame["period_end"] + pd.Timedelta(days=1)).dt.tz_localize("UTC")
    frame["quality"] = "ok"
    assert not extra, extra
    return frame


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The raw public archives. Required in CI; elsewhere their absence skips the test."""
    if not (SHARED_DATASETS / "github-ranking-daily.csv.gz").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the raw archives are missing at {SHARED_DATASETS}")
        pytest.skip("the raw archives (../shared/datasets) are not present")
    return SHARED_DATASETS


COMMITS_READ_AT = pd.Timestamp("2026-08-23", tz="UTC")


def commit_rows(rows: list[dict], fetched_at: pd.Timestamp = COMMITS_READ_AT) -> pd.DataFrame:
    """A `commits` table from dicts of (repo, sha, authored_at, author_id, ...): a human,
    non-merge commit on the first-parent chain from a personal address unless a row says
    otherwise; committed when authored."""
    base = {
        "author_utc_offset_min": 0,
        "author_domain": "independent",
        "author_is_bot": False,
        "co_author_ids": None,
        "co_author_bot_ids": None,
        "is_merge": False,
        "files_changed": 1,
        "lines_added": 1,
        "lines_deleted": 0,
        "first_parent": True,
        "pull_request": None,
        "review_trailer": False,
        "source": "git",
        "fetched_at": fetched_at,
        "quality": "ok",
    }
    frame = pd.DataFrame([{**base, **r} for r in rows])
    frame["authored_at"] = pd.to_datetime(frame["authored_at"], utc=True)
    frame["committed_at"] = frame["authored_at"]
    commits = TABLES["commits"]
    columns = [c for c in commits.column_names if c in frame]
    return commits.conform(commits.widen(frame[columns]))


@pytest.fixture
def pypi(tmp_path, monkeypatch):
    """The fake PyPI (small world), and the registry the CLI reads (alpha, beta, gamma,
    ghost): the shards' and batches' tests."""
    from tests.fakes.clock import NOW, FakeClock
    from tests.fakes.pypi.depsdev import small_scorecards
    from tests.fakes.pypi.server import FakePackageHosts
    from tests.fakes.pypi.world import SMALL_REGISTRY, small_world

    path = tmp_path / "projects.toml"
    path.write_text(SMALL_REGISTRY, encoding="utf-8")
    monkeypatch.setenv("OSSAI_PROJECTS", str(path))
    with FakePackageHosts(small_world(), clock=FakeClock(NOW), scorecards=small_scorecards()) as h:
        yield h
