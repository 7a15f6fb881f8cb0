"""The store keeps history, publishes atomically, survives crashes and names bad files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from errors import CorruptFileError, StoreError, StoreLockedError
from store import Catalog, SegmentStore
from store.schema import QUALITY, TABLES
from tests.conftest import ROOT, snapshot_rows


def test_rows_round_trip_with_declared_dtypes(fresh_store):
    fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [5])})
    frame = fresh_store.read("repo_snapshots").frame
    assert frame.dtypes.astype(str).to_dict() == {
        k: str(pd.Series(dtype=v).dtype) for k, v in TABLES["repo_snapshots"].dtypes.items()
    }
    assert frame.loc[0, "stars"] == 5
    assert pd.isna(frame.loc[0, "forks"])  # missing stays missing, not 0


def test_history_is_appended_and_the_newer_observation_wins(fresh_store):
    fresh_store.append(
        {"repo_snapshots": snapshot_rows("a/b", ["2024-01-01", "2024-01-02"], [1, 2])}
    )
    fresh_store.append(
        {"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [20], fetched="2024-02-01")}
    )
    frame = fresh_store.read("repo_snapshots").frame.sort_values("date")
    assert frame["stars"].tolist() == [1, 20]
    # the older observation is still on disk: nothing was rewritten in place
    segments = fresh_store.manifest()["tables"]["repo_snapshots"]
    assert len(segments) == 2
    assert all((fresh_store.root / s).is_file() for s in segments)


def test_compaction_keeps_every_current_value(fresh_store):
    for day, stars in [("2024-01-01", 1), ("2024-01-02", 2), ("2024-01-03", 3)]:
        fresh_store.append({"repo_snapshots": snapshot_rows("a/b", [day], [stars])})
    before = fresh_store.read("repo_snapshots").frame.sort_values("date").reset_index(drop=True)
    fresh_store.compact("repo_snapshots")
    after = fresh_store.read("repo_snapshots").frame.sort_values("date").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)
    assert len(fresh_store.manifest()["tables"]["repo_snapshots"]) == 1


def test_a_frame_that_does_not_fit_its_table_is_refused_and_nothing_is_written(fresh_store):
    rows = snapshot_rows("a/b", ["2024-01-01"], [1]).drop(columns=["forks"])
    with pytest.raises(StoreError, match=r"missing columns \['forks'\]"):
        fresh_store.append({"repo_snapshots": rows})
    bad_flag = snapshot_rows("a/b", ["2024-01-01"], [1], quality=["great"])
    with pytest.raises(StoreError, match="unknown quality flags"):
        fresh_store.append({"repo_snapshots": bad_flag})
    twice = snapshot_rows("a/b", ["2024-01-01", "2024-01-01"], [1, 2])
    with pytest.raises(StoreError, match="repeat a key"):
        fresh_store.append({"repo_snapshots": twice})
    assert fresh_store.version() == "empty"
    assert set(QUALITY) >= {"ok", "lower_bound", "partial", "restricted", "pending"}


def test_the_default_data_store_is_read_only(tmp_path):
    store = SegmentStore(tmp_path, read_only=True)
    with pytest.raises(StoreError, match="read-only"):
        store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})


def test_user_refreshes_are_merged_over_the_default_data(tmp_path):
    default = SegmentStore(tmp_path / "default")
    default.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01", "2024-01-02"], [1, 2])})
    user = SegmentStore(tmp_path / "user")
    user.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [9], fetched="2024-03-01")})
    catalog = Catalog(tmp_path / "default", tmp_path / "user")
    frame = catalog.read("repo_snapshots").frame.sort_values("date")
    assert frame["stars"].tolist() == [1, 9]
    assert catalog.version()[1] != "empty"


_KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {root!r})
    import store.segments as segments
    from tests.conftest import snapshot_rows
    def die(manifest):  # killed after the segment is written, before the manifest swap
        os.kill(os.getpid(), signal.SIGKILL)
    store = segments.SegmentStore({path!r})
    store._publish = die
    store.append({{"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [999])}})
    """
)


def test_a_writer_killed_before_publishing_leaves_the_previous_state(fresh_store):
    fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    before = fresh_store.read("repo_snapshots").frame
    manifest_before = (fresh_store.root / "manifest.json").read_bytes()
    script = _KILLED_WRITER.format(root=str(ROOT), path=str(fresh_store.root))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    # the killed writer did write a segment file, but never published it: it is staged
    # outside the table folder, where no engine reading the folder sees it
    assert len(list((fresh_store.root / "repo_snapshots").glob("*.parquet"))) == 1
    assert len(list((fresh_store.root / ".staging" / "repo_snapshots").glob("*.parquet"))) == 1
    assert (fresh_store.root / "manifest.json").read_bytes() == manifest_before
    pd.testing.assert_frame_equal(fresh_store.read("repo_snapshots").frame, before)
    # and the store still takes writes (the lock died with the process)
    fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-03"], [3])})
    assert sorted(fresh_store.read("repo_snapshots").frame["stars"]) == [1, 3]


_READER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    from store.segments import SegmentStore
    store = SegmentStore({path!r})
    reads = 0
    deadline = time.time() + 120
    while time.time() < deadline:
        result = store.read("repo_snapshots")
        if result.problems:
            print("PROBLEM", result.problems, flush=True)
            sys.exit(1)
        counts = result.frame.groupby("repo").size()
        # every write adds one repository with exactly 7 rows: a partial state shows less
        if not (counts == 7).all():
            print("PARTIAL", counts[counts != 7].to_dict(), flush=True)
            sys.exit(1)
        reads += 1
        if len(counts) >= {writes}:
            break
    print("READS", reads, "REPOS", len(counts), flush=True)
    """
)


def test_a_reader_in_another_process_never_sees_a_partial_write(fresh_store):
    writes = 100
    days = [f"2024-01-0{d}" for d in range(1, 8)]
    script = _READER.format(root=str(ROOT), path=str(fresh_store.root), writes=writes)
    reader = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    for i in range(writes):
        fresh_store.append(
            {"repo_snapshots": snapshot_rows(f"owner/repo{i}", days, list(range(7)))}
        )
        if i % 25 == 24:
            fresh_store.compact("repo_snapshots")  # compaction must not show a partial state
    out, err = reader.communicate(timeout=180)
    assert reader.returncode == 0, out.decode() + err.decode()
    reads = int(out.split()[1])
    assert reads > 1, "the reader should have read while the writer wrote"
    assert len(fresh_store.read("repo_snapshots").frame) == writes * 7


def test_a_corrupt_segment_is_named_and_the_rest_is_still_read(fresh_store):
    fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    fresh_store.append({"repo_snapshots": snapshot_rows("c/d", ["2024-01-01"], [2])})
    broken = fresh_store.root / fresh_store.manifest()["tables"]["repo_snapshots"][1]
    broken.write_bytes(b"PAR1 this is not parquet")
    result = fresh_store.read("repo_snapshots")
    assert result.frame["repo"].tolist() == ["a/b"]
    assert len(result.problems) == 1
    assert isinstance(result.problems[0], CorruptFileError)
    assert str(broken) in str(result.problems[0])


def test_a_foreign_parquet_file_is_named(fresh_store):
    fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    segment = fresh_store.root / fresh_store.manifest()["tables"]["repo_snapshots"][0]
    pd.DataFrame({"something": [1, 2]}).to_parquet(segment)
    result = fresh_store.read("repo_snapshots")
    assert result.frame.empty
    assert "does not match table 'repo_snapshots'" in str(result.problems[0])
    assert str(segment) in str(result.problems[0])


def test_a_corrupt_manifest_is_named_and_reading_goes_on(fresh_store, tmp_path):
    fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    (fresh_store.root / "manifest.json").write_text("{ not json")
    result = fresh_store.read("repo_snapshots")
    assert result.frame.empty
    assert "manifest.json" in str(result.problems[0])
    with pytest.raises(CorruptFileError):
        fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [2])})
    (fresh_store.root / "manifest.json").write_text(json.dumps({"format": 99}))
    assert "format 1" in str(fresh_store.read("repo_snapshots").problems[0])


def test_a_second_writer_waits_then_gives_up_with_a_clear_error(fresh_store):
    import fcntl

    fresh_store.root.mkdir(parents=True)
    with (fresh_store.root / ".write.lock").open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        now = [0.0]
        waiting = SegmentStore(
            fresh_store.root, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s)
        )
        with pytest.raises(StoreLockedError, match="another process is writing"):
            waiting.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
        assert now[0] >= 30  # it waited (on the fake clock) before giving up


def test_orphans_of_crashed_writes_are_cleaned_up_later(tmp_path):
    import time

    root = tmp_path / "store"
    SegmentStore(root, clock=lambda: time.time() - 10).append(
        {"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])}
    )
    orphan = root / "repo_snapshots" / "00000009-deadbeef.parquet"
    orphan.write_bytes(b"left by a crash")  # after the store was created, never published
    two_hours_later = SegmentStore(root, clock=lambda: time.time() + 7200)
    two_hours_later.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [2])})
    assert not orphan.exists()
    assert isinstance(root, Path)


def test_a_manifest_naming_files_outside_the_store_is_refused_and_nothing_is_touched(
    tmp_path,
):
    """A damaged or hostile manifest (a table `../victim`) must never lead the garbage
    collection out of the store: it is named as damaged, and the files stay."""
    import json
    import time

    root = tmp_path / "store"
    SegmentStore(root).append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    victim = tmp_path / "victim"
    victim.mkdir()
    precious = victim / "00000001-aaaaaaaaaaaa.parquet"
    precious.write_bytes(b"someone else's data")
    old = time.time() - 7200
    os.utime(precious, (old, old))
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["tables"]["../victim"] = []
    (root / "manifest.json").write_text(json.dumps(manifest))
    store = SegmentStore(root, clock=lambda: time.time() + 7200)
    with pytest.raises(CorruptFileError, match=r"unknown table '\.\./victim'"):
        store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [2])})
    manifest["tables"].pop("../victim")
    manifest["tables"]["repo_snapshots"].append("repo_snapshots/../../victim/x.parquet")
    (root / "manifest.json").write_text(json.dumps(manifest))
    problems = store.read("repo_snapshots").problems  # reads name it, never fail
    assert problems and "outside the store" in str(problems[0])
    with pytest.raises(CorruptFileError, match="outside the store"):
        store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [2])})
    assert precious.read_bytes() == b"someone else's data"


def test_a_lost_manifest_never_costs_the_history_it_indexed(tmp_path):
    """After the manifest is moved away (the old advice for a broken one) and a refresh
    writes a new one, the older segments are kept: they are history, not orphans."""
    import time

    root = tmp_path / "store"
    first = SegmentStore(root, clock=lambda: time.time() - 7200)
    first.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    older = sorted((root / "repo_snapshots").glob("*.parquet"))
    old = time.time() - 7200
    for path in older:
        os.utime(path, (old, old))
    (root / "manifest.json").rename(tmp_path / "manifest.moved")
    SegmentStore(root).append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [2])})
    assert all(path.exists() for path in older)


def test_many_small_refreshes_are_compacted_without_losing_history(fresh_store):
    from store.segments import COMPACT_AFTER_SEGMENTS

    days = pd.date_range("2024-01-01", periods=COMPACT_AFTER_SEGMENTS + 5)
    for i, day in enumerate(days):
        fresh_store.append({"repo_snapshots": snapshot_rows("a/b", [str(day.date())], [i])})
    assert len(fresh_store.manifest()["tables"]["repo_snapshots"]) <= COMPACT_AFTER_SEGMENTS
    frame = fresh_store.read("repo_snapshots").frame.sort_values("date")
    assert frame["stars"].tolist() == list(range(len(days)))


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"format": 2}, "written by a newer version of this dashboard (store format 2"),
        ({"version": "abc"}, "version 'abc' that is not a whole number"),
    ],
)
def test_a_manifest_from_a_newer_version_or_with_a_broken_version_says_what_it_is(
    tmp_path, change, said
):
    import json

    root = tmp_path / "store"
    store = SegmentStore(root)
    store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    manifest = json.loads((root / "manifest.json").read_text())
    (root / "manifest.json").write_text(json.dumps({**manifest, **change}))
    before = sorted(p.name for p in (root / "repo_snapshots").iterdir())
    assert said in str(store.read("repo_snapshots").problems[0])
    with pytest.raises(CorruptFileError, match=r"nothing was changed|damaged"):  # never writes
        store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [2])})
    assert sorted(p.name for p in (root / "repo_snapshots").iterdir()) == before
