"""Collection that fans out: `refresh --shard K/N` in N processes, then one `merge`.

The shards run as real processes of the CLI against the fake GitHub and the fake PyPI-side
hosts on 127.0.0.1, and the store they merge into is compared, table by table and row by
row, with the store of one plain refresh of the same projects.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from registry import parse_registry
from service.shards import Shard, shard_of
from store import TABLES, SegmentStore
from tests.conftest import ROOT
from tests.fakes.clock import NOW, FakeClock
from tests.fakes.github import TEST_TOKEN
from tests.fakes.github.server import FakeGitHub
from tests.fakes.github.world import repo_from_facts, small_world
from tests.fakes.projects_toml import projects_toml
from tests.fakes.pypi.depsdev import small_scorecards
from tests.fakes.pypi.server import FakePackageHosts
from tests.fakes.pypi.world import small_world as package_world

SOURCES = "github,pypi,pypistats,depsdev,top-pypi"
# alpha, beta and gamma have a repository and a package; the others a repository only. By
# the shard rule they fall in all four shards of 4: gamma 1, beta and pi 2, alpha and tau 3,
# omicron and rho 4 (checked below, so the test always exercises four non-empty shards).
REGISTRY = projects_toml(
    ("alpha", '["octo-org/alpha"]', '["alpha.lib"]'),
    ("beta", '["octo-org/beta"]', '["beta-kit"]'),
    ("gamma", '["octo-org/gamma"]', '["gamma"]'),
    ("omicron", '["octo-org/omicron"]', ""),
    ("rho", '["octo-org/rho"]', ""),
    ("pi", '["octo-org/pi"]', ""),
    ("tau", '["octo-org/tau"]', ""),
)
EXTRA_REPOS = ["omicron", "rho", "pi", "tau"]
SCRIPT = ROOT / "deploy" / "refresh-sharded.sh"
KEY = "ab" * 32  # one pseudonym key for every data folder, so pseudonyms compare
# Columns that legitimately differ between a sharded and a single run of the same targets:
# when a row was observed and by which run (fetched_at, run_id, started_at, finished_at), how
# long waits took (wait_seconds), and the rate-limit budget a token had left after a target
# (rate_limit_remaining: four processes spend one budget in an order no one controls).
DIFFERS = {"fetched_at", "run_id", "started_at", "finished_at", "wait_seconds"}
DIFFERS |= {"rate_limit_remaining"}


def _world() -> tuple[FakeGitHub, FakePackageHosts]:
    """A fake GitHub with seven repositories and the fake PyPI-side hosts, as new (the
    fakes keep state, such as statistics GitHub has computed, so each run gets its own)."""
    repos = small_world()
    for index, name in enumerate(EXTRA_REPOS):
        facts = ("2025-03-01T10:00", 40 + index, 5, 1, 1, 0, 2, 3)
        repos.append(repo_from_facts(f"octo-org/{name}", 201 + index, facts, NOW))
    return (
        FakeGitHub(repos, clock=FakeClock(NOW)),
        FakePackageHosts(package_world(), clock=FakeClock(NOW), scorecards=small_scorecards()),
    )


@pytest.fixture
def worlds(tmp_path) -> Iterator[list[tuple[FakeGitHub, FakePackageHosts]]]:
    """Two identical worlds: one for the single run, one for the shards."""
    with contextlib.ExitStack() as stack:
        yield [tuple(stack.enter_context(host) for host in _world()) for _ in range(2)]


@pytest.fixture
def projects(tmp_path) -> Path:
    path = tmp_path / "projects.toml"
    path.write_text(REGISTRY, encoding="utf-8")
    return path


def _env(data: Path, projects: Path, world: tuple[FakeGitHub, FakePackageHosts]) -> dict[str, str]:
    github_url, pypi_url = world[0].url, world[1].url
    data.mkdir(parents=True, exist_ok=True)
    (data / "pseudonym.key").write_text(KEY)
    urls = [f"github={github_url}"] + [
        f"{s}={pypi_url}" for s in ("pypi", "pypistats", "depsdev", "top-pypi")
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OSSAI_", "GITHUB_"))}
    env.update(
        OSSAI_DATA_DIR=str(data),
        OSSAI_PROJECTS=str(projects),
        OSSAI_API_URLS=",".join(urls),
        GITHUB_TOKEN=TEST_TOKEN,
        PYTHONPATH=str(ROOT),
    )
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "cli.py"), *args]


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(_cli(*args), env=env, capture_output=True, text=True, timeout=300)


def _tables(root: Path) -> dict[str, pd.DataFrame]:
    """Every table of the store, sorted by its key, without the columns that may differ."""
    store = SegmentStore(root)
    found = {}
    for name, spec in TABLES.items():
        result = store.read(name)
        assert not result.problems, result.problems
        frame = result.frame.drop(columns=[c for c in result.frame if c in DIFFERS])
        key = [c for c in spec.key if c in frame]
        found[name] = frame.sort_values(key).reset_index(drop=True)
    return found


def _assert_same_tables(left: Path, right: Path) -> None:
    ours, theirs = _tables(left), _tables(right)
    assert sum(len(f) for f in ours.values()) > 0
    for name in TABLES:
        pd.testing.assert_frame_equal(ours[name], theirs[name], obj=name)


def _folder_rows(root: Path, table: str) -> int:
    """Rows an outside engine finds reading the table's folder (docs/reading-the-store.md)."""
    import duckdb

    files = sorted((root / table).glob("*.parquet"))
    if not files:
        return 0
    paths = ", ".join(f"'{p}'" for p in files)
    return duckdb.sql(
        f"select count(*) from read_parquet([{paths}], union_by_name=true)"
    ).fetchall()[0][0]


def test_every_target_is_in_exactly_one_shard_whatever_the_order_of_the_file():
    registry = parse_registry(REGISTRY, "projects.toml")
    again = parse_registry(
        projects_toml(
            *reversed(
                [
                    (p.id, f'["{p.repo_names[0]}"]', f'["{p.packages[0]}"]' if p.packages else "")
                    for p in registry
                ]
            )
        ),
        "projects.toml",
    )
    for count in (1, 2, 4, 7):
        shards = [Shard(k, count) for k in range(1, count + 1)]
        for project in [*registry, *again]:
            assert sum(s.owns_project(project.id) for s in shards) == 1
        split = {p.id: shard_of(p.id, count) for p in registry}
        assert split == {p.id: shard_of(p.id, count) for p in again}
    assert sorted({shard_of(p.id, 4) for p in registry}) == [1, 2, 3, 4]
    with pytest.raises(Exception, match="K must be from 1 to N"):
        Shard.parse("5/4")
    with pytest.raises(Exception, match="expected K/N"):
        Shard.parse("two")


def test_four_shard_processes_then_merge_give_the_single_run_store(worlds, projects, tmp_path):
    single = _env(tmp_path / "single", projects, worlds[0])
    sharded = _env(tmp_path / "sharded", projects, worlds[1])

    alone = _run(single, "refresh", "--quiet", "--sources", SOURCES)
    assert alone.returncode in (0, 3), alone.stderr + alone.stdout

    shards = [
        subprocess.Popen(
            _cli("refresh", "--quiet", "--sources", SOURCES, "--shard", f"{k}/4", "--batch", "b"),
            env=sharded,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(1, 5)
    ]
    outputs = [shard.communicate(timeout=300) for shard in shards]
    for shard, (out, err) in zip(shards, outputs, strict=True):
        assert shard.returncode in (0, 3), err + out
        assert "unpublished batch" in out
    root = tmp_path / "sharded"
    # nothing is published before the merge: not to the app, not to an engine on the folders
    assert SegmentStore(root).manifest()["version"] == 0
    for table in TABLES:
        assert _folder_rows(root, table) == 0, table
    assert sorted(p.name for p in (root / "batches").iterdir()) == [
        f"b-{k}-of-4" for k in range(1, 5)
    ]

    merged = _run(sharded, "merge")
    assert merged.returncode == alone.returncode, merged.stdout + merged.stderr
    lines = merged.stdout.splitlines()
    assert sum(line.startswith("merged b-") for line in lines) == 4
    # the per-source lines say what the single run said (requests aside: each shard asks
    # for its own token's budget)
    for source in SOURCES.split(","):
        one = next(x for x in alone.stdout.splitlines() if x.startswith(f"{source}: "))
        both = next(x for x in lines if x.startswith(f"{source}: "))
        assert one.split(",")[0] == both.split(",")[0], (one, both)
    _assert_same_tables(root, tmp_path / "single")
    assert not (root / "batches").exists() or not any((root / "batches").iterdir())
    for table in ("repo_snapshots", "collection_runs"):
        assert _folder_rows(root, table) == len(SegmentStore(root).read(table).frame)

    version = SegmentStore(root).manifest()["version"]
    again = _run(sharded, "merge")
    assert again.returncode == 0 and "nothing to merge" in again.stdout
    assert SegmentStore(root).manifest()["version"] == version
    _assert_same_tables(root, tmp_path / "single")


def _wait_for(condition, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _everything(root: Path) -> dict[str, pd.DataFrame]:
    store = SegmentStore(root)
    return {name: store.read(name).frame for name in TABLES}


def test_a_shard_killed_half_way_loses_nothing_published_and_is_merged_or_named(
    worlds, projects, tmp_path
):
    (github, packages), (_, fresh_packages) = worlds
    root = tmp_path / "data"
    env = _env(root, projects, (github, packages))
    chosen = ["--sources", "pypi", "--projects", "alpha,beta,gamma", "--quiet"]
    before = _run(env, "refresh", "--sources", "pypistats", "--quiet").returncode
    assert before in (0, 3)
    published = _everything(root)
    assert len(published["package_downloads"]) > 0
    version = SegmentStore(root).manifest()["version"]

    release, original = threading.Event(), packages.handle

    def gamma_hangs(method, target, headers, body=b""):
        if "/pypi/gamma/" in target:
            release.wait(120)
        return original(method, target, headers, body)

    packages.handle = gamma_hangs
    batch = root / "batches" / "k-1-of-1"
    shard = subprocess.Popen(
        _cli("refresh", *chosen, "--shard", "1/1", "--batch", "k"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: len(SegmentStore(batch / "store").read("collection_runs").frame) == 2)
    finally:
        shard.send_signal(signal.SIGKILL)
        shard.wait()
        release.set()
        packages.handle = original

    # what was published before is there, unchanged; no engine sees the batch's rows
    for name, frame in _everything(root).items():
        pd.testing.assert_frame_equal(frame, published[name], obj=name)
        assert _folder_rows(root, name) == len(frame), name

    left = _run(env, "merge")  # without names: the stopped batch is left, and said so
    assert left.returncode == 4, left.stdout + left.stderr
    assert "left as it is: k-1-of-1: its shard 1/1 stopped before it finished; 2 target(s)" in (
        left.stdout
    )
    assert SegmentStore(root).manifest()["version"] == version

    named = _run(env, "merge", "k-1-of-1")  # named: what it finished is published
    assert named.returncode == 3, named.stdout + named.stderr
    assert "merged k-1-of-1 (shard 1/1, stopped before it finished" in named.stdout
    stored = set(SegmentStore(root).read("packages").frame["package"])
    assert {"alpha-lib", "beta-kit"} <= stored and "gamma" not in stored

    again = _run(env, "refresh", *chosen, "--shard", "1/1", "--batch", "k")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _run(env, "merge").returncode == 0

    single = _env(tmp_path / "single", projects, (worlds[1][0], fresh_packages))
    assert _run(single, "refresh", "--sources", "pypistats", "--quiet").returncode == before
    assert _run(single, "refresh", *chosen).returncode == 0
    ours, theirs = _tables(root), _tables(tmp_path / "single")
    for name in TABLES:
        if name != "collection_runs":
            pd.testing.assert_frame_equal(ours[name], theirs[name], obj=name)
    # every target's outcome is there, once collected; the rerun found alpha and beta
    # already current (from the batch merged by name), which it records as 'skipped'
    runs = [
        set(zip(t.collector, t.target, t.status, strict=True))
        for t in (ours["collection_runs"], theirs["collection_runs"])
    ]
    assert runs[1] <= runs[0]
    assert {status for *_, status in runs[0] - runs[1]} == {"skipped"}


def _checkout(tmp_path: Path) -> Path:
    """A checkout holding the self-hosted script, whose `./dev` is the CLI itself (no venv
    set-up)."""
    checkout = tmp_path / "checkout"
    (checkout / "deploy").mkdir(parents=True)
    shutil.copy2(SCRIPT, checkout / "deploy" / SCRIPT.name)
    dev = checkout / "dev"
    dev.write_text(
        f'#!/usr/bin/env bash\nshift\nexec "{sys.executable}" "{ROOT / "cli.py"}" "$@"\n'
    )
    dev.chmod(0o755)
    return checkout


def test_the_self_hosted_script_runs_one_process_per_token_then_merges(
    worlds,
    projects,
    tmp_path,
):
    """The script, run for real: `./dev` is replaced by the CLI itself (no venv set-up)."""
    github, packages = worlds[0]
    checkout = _checkout(tmp_path)
    env = _env(tmp_path / "data", projects, (github, packages))
    env.pop("GITHUB_TOKEN")
    env.update(OSSAI_SHARDS="2", OSSAI_TOKEN_1="lane-one-token", OSSAI_TOKEN_2="lane-two-token")
    result = subprocess.run(
        [str(checkout / "deploy" / SCRIPT.name), "--sources", "github,pypi"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 3), result.stdout + result.stderr
    assert sum(line.startswith("merged ") for line in result.stdout.splitlines()) == 2
    assert {a.split()[-1] for a in github.authorizations} == {"lane-one-token", "lane-two-token"}
    assert "lane-" not in result.stdout + result.stderr  # tokens are never printed
    repos = set(SegmentStore(tmp_path / "data").read("repositories").frame["repo"])
    assert {f"octo-org/{name}" for name in EXTRA_REPOS} <= repos


def test_the_self_hosted_script_scheduled_runs_one_lane_per_token_and_stops_them_all(
    worlds, projects, tmp_path
):
    """OSSAI_SCHEDULE set: one `schedule --shard` lane per token (here run at once, once) and
    one `schedule --merge`; the lanes publish nothing, stopping the script stops every
    process it started, and a merge then publishes both lanes' batches once."""
    github, packages = worlds[0]
    checkout = _checkout(tmp_path)
    root = tmp_path / "data"
    env = _env(root, projects, (github, packages))
    env.pop("GITHUB_TOKEN")
    env.update(OSSAI_SHARDS="2", OSSAI_TOKEN_1="lane-one-token", OSSAI_TOKEN_2="lane-two-token")
    env.update(OSSAI_SCHEDULE="15 */6 * * *")
    once = ["--run-now", "--max-runs", "1", "--sources", "github,pypi"]
    script = subprocess.Popen(
        [str(checkout / "deploy" / SCRIPT.name), *once],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:

        def lanes_done() -> bool:
            found = sorted((root / "batches").glob("*-of-2/batch.json"))
            return len(found) == 2 and all('"finished"' in p.read_text() for p in found)

        _wait_for(lanes_done)
        assert SegmentStore(root).manifest()["version"] == 0  # a lane publishes nothing
        assert script.poll() is None  # the merge schedule keeps it running
        script.send_signal(signal.SIGTERM)
        out, err = script.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(script.pid, signal.SIGKILL)
    assert script.returncode == 0, out + err
    with pytest.raises(ProcessLookupError):  # no lane and no merge left running
        os.killpg(script.pid, 0)
    assert out.count("Refreshing shard ") == 2 and "Merging the finished batches" in out
    assert {a.split()[-1] for a in github.authorizations} == {"lane-one-token", "lane-two-token"}
    assert "lane-" not in out + err  # tokens are never printed
    names = sorted(p.name for p in (root / "batches").iterdir())
    assert [n[9:] for n in names] == ["1-of-2", "2-of-2"] and names[0][:8].isdigit()

    merged = _run(env, "merge")
    assert merged.returncode in (0, 3), merged.stdout + merged.stderr
    assert "published 2 batch(es) in one write" in merged.stdout
    repos = set(SegmentStore(root).read("repositories").frame["repo"])
    assert {f"octo-org/{name}" for name in EXTRA_REPOS} <= repos
    assert "nothing to merge" in _run(env, "merge").stdout
