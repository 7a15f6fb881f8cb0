"""Damage never costs history: missing and unreadable segments are named and the rest is read,
housekeeping never fails a published write, and the index can be rebuilt from the files."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest

from errors import CorruptFileError
from store import SegmentStore
from store.repair import rebuild_index
from store.segments import COMPACT_AFTER_SEGMENTS, RETIRED_GRACE_SECONDS
from tests.conftest import snapshot_rows

REPAIR = "./dev cli repair"


class Clock:
    """A clock the test moves: `SegmentStore(root, clock=clock)`."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def _day(i: int) -> str:
    return str((pd.Timestamp("2024-01-01") + pd.Timedelta(days=i)).date())


def _files(root: Path) -> dict[str, bytes]:
    """Every segment file under the store by its name in a manifest, wherever it is: in its
    table folder, staged, or retired by a compaction."""
    return {_name(p, root): p.read_bytes() for p in root.rglob("*.parquet")}


def _name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).parts
    return "/".join(parts[1:] if parts[0] in (".staging", ".retired") else parts)


def _age(paths, seconds: float) -> None:
    """Make files look written `seconds` ago (as a store's older history is)."""
    then = time.time() - seconds
    for path in paths:
        os.utime(path, (then, then))


def _stars(store: SegmentStore) -> list[int]:
    return sorted(store.read("repo_snapshots").frame["stars"].tolist())


def test_a_missing_segment_is_named_and_the_rest_is_read(fresh_store):
    fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    fresh_store.append({"repo_snapshots": snapshot_rows("c/d", ["2024-01-01"], [2])})
    fresh_store.append({"repo_snapshots": snapshot_rows("e/f", ["2024-01-01"], [3])})
    gone = fresh_store.root / fresh_store.manifest()["tables"]["repo_snapshots"][1]
    gone.unlink()
    result = fresh_store.read("repo_snapshots")  # was: StoreError "kept changing"
    assert sorted(result.frame["repo"]) == ["a/b", "e/f"]
    assert len(result.problems) == 1
    said = str(result.problems[0])
    assert str(gone) in said and "listed in the store's index but missing" in said
    assert REPAIR in said
    # and the store keeps working: writes, compaction past the threshold, reads
    for i in range(COMPACT_AFTER_SEGMENTS + 2):
        fresh_store.append({"repo_snapshots": snapshot_rows("g/h", [_day(i)], [i])})
    result = fresh_store.read("repo_snapshots")
    assert len(result.frame) == 2 + COMPACT_AFTER_SEGMENTS + 2
    assert [str(gone) in str(p) for p in result.problems] == [True]


def test_a_corrupt_segment_never_makes_a_published_write_look_failed(tmp_path):
    """From the 24th append on, compaction tripped on the corrupt file after publishing, so
    every append raised and garbage collection never ran again."""
    clock = Clock(time.time())
    store = SegmentStore(tmp_path / "store", clock=clock)
    store.append({"repo_snapshots": snapshot_rows("x/y", ["2023-12-31"], [100])})
    corrupt = store.root / store.manifest()["tables"]["repo_snapshots"][0]
    original = corrupt.read_bytes()
    corrupt.write_bytes(b"PAR1 this is not parquet")
    appends = 2 * COMPACT_AFTER_SEGMENTS + 5
    for i in range(appends):
        clock.now += RETIRED_GRACE_SECONDS  # each write comes after the last one's grace
        store.append({"repo_snapshots": snapshot_rows("a/b", [_day(i)], [i])})  # never raises
    manifest = store.manifest()
    listed = manifest["tables"]["repo_snapshots"]
    assert len(listed) <= COMPACT_AFTER_SEGMENTS + 1  # compaction ran, around the bad file
    assert str(corrupt.relative_to(store.root)) in listed  # still listed: never dropped
    assert corrupt.read_bytes() == b"PAR1 this is not parquet"  # untouched
    # garbage collection ran: what compaction retired has been removed after its grace
    on_disk = {_name(p, store.root) for p in store.root.rglob("*.parquet")}
    retired = {item["path"] for item in manifest.get("retired", [])}
    assert on_disk == set(listed) | retired
    assert len(on_disk) < appends
    result = store.read("repo_snapshots")
    assert sorted(result.frame["stars"]) == list(range(appends))
    assert [str(corrupt) in str(p) for p in result.problems] == [True]
    # the unreadable file's rows come back when it is restored
    corrupt.write_bytes(original)
    result = store.read("repo_snapshots")
    assert not result.problems
    assert sorted(result.frame["stars"]) == [*range(appends), 100]


def test_housekeeping_that_fails_after_publishing_does_not_fail_the_write(fresh_store, monkeypatch):
    for i in range(COMPACT_AFTER_SEGMENTS - 1):  # the next write compacts
        fresh_store.append({"repo_snapshots": snapshot_rows("a/b", [_day(i)], [i])})

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fresh_store, "_compact_locked", disk_full)
    version = fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2025-06-01"], [99])})
    assert version == fresh_store.manifest()["version"] == COMPACT_AFTER_SEGMENTS
    assert 99 in _stars(fresh_store)


def _store_with_history(root: Path) -> tuple[SegmentStore, list[int]]:
    """A store as a month of refreshes leaves it: compacted, with the merged originals still
    on disk in their grace period, then more writes; all of it written two hours ago."""
    store = SegmentStore(root, clock=lambda: time.time() - 7200)
    for i in range(COMPACT_AFTER_SEGMENTS + 4):
        store.append({"repo_snapshots": snapshot_rows("a/b", [_day(i)], [i])})
    store.append({"repo_snapshots": snapshot_rows("a/b", [_day(0)], [1000], fetched="2025-01-01")})
    _age(root.rglob("*.parquet"), 7200)
    assert any(store.manifest().get("retired", []))  # compacted originals are on disk too
    return store, _stars(store)


def test_after_the_manifest_was_deleted_and_a_refresh_ran_repair_brings_the_history_back(
    tmp_path,
):
    """The sidebar used to advise moving or deleting a broken manifest; the next refresh then
    wrote a new index without the history. It is named, kept, and repair brings it back."""
    root = tmp_path / "store"
    _, history = _store_with_history(root)
    assert 1000 in history and 0 not in history  # the newer observation of day 0 won
    (root / "manifest.json").unlink()
    lost = SegmentStore(root).read("repo_snapshots")
    assert lost.frame.empty
    assert "is missing, but" in str(lost.problems[0]) and REPAIR in str(lost.problems[0])

    later = SegmentStore(root, clock=lambda: time.time() + 7200)  # past every grace period
    later.append({"repo_snapshots": snapshot_rows("c/d", ["2025-06-01"], [7])})  # a refresh
    before = _files(root)
    hidden = later.read("repo_snapshots")
    assert _stars(later) == [7]
    assert "does not list" in str(hidden.problems[0]) and REPAIR in str(hidden.problems[0])
    old_index = (root / "manifest.json").read_bytes()

    report = rebuild_index(SegmentStore(root))
    assert report.written and report.backup is not None
    assert report.backup.read_bytes() == old_index  # the replaced index is kept
    after = SegmentStore(root).read("repo_snapshots")
    assert not after.problems
    assert sorted(after.frame["stars"]) == sorted([*history, 7])
    assert _files(root) == before  # nothing deleted, nothing changed
    # and the next writes keep all of it (nothing is taken for an orphan)
    later.append({"repo_snapshots": snapshot_rows("c/d", ["2025-06-02"], [8])})
    assert sorted(later.read("repo_snapshots").frame["stars"]) == sorted([*history, 7, 8])
    assert set(before) <= set(_files(root))


def test_repair_sets_unreadable_files_aside_keeps_them_and_drops_what_is_gone(tmp_path):
    root = tmp_path / "store"
    store = SegmentStore(root)
    for repo, stars in [("a/b", 1), ("c/d", 2), ("e/f", 3)]:
        store.append({"repo_snapshots": snapshot_rows(repo, ["2024-01-01"], [stars])})
    listed = store.manifest()["tables"]["repo_snapshots"]
    corrupt, gone = root / listed[1], root / listed[2]
    original = corrupt.read_bytes()
    corrupt.write_bytes(b"garbage")
    gone.unlink()
    (root / "manifest.json").write_text("{ not json")

    dry = rebuild_index(SegmentStore(root), dry_run=True)
    assert not dry.written and (root / "manifest.json").read_text() == "{ not json"

    report = rebuild_index(SegmentStore(root))
    assert report.backup.read_text() == "{ not json"
    assert [str(corrupt) in str(p) for p in report.set_aside] == [True]
    assert report.segments == {"repo_snapshots": 1} and report.rows == {"repo_snapshots": 1}
    result = SegmentStore(root).read("repo_snapshots")
    assert result.frame["repo"].tolist() == ["a/b"] and not result.problems
    assert corrupt.read_bytes() == b"garbage"  # left where it was
    # later writes never collect it, and once restored, a repair indexes it again
    later = SegmentStore(root, clock=lambda: time.time() + 7200)
    later.append({"repo_snapshots": snapshot_rows("g/h", ["2024-01-01"], [4])})
    assert corrupt.exists()
    corrupt.write_bytes(original)
    rebuild_index(SegmentStore(root))
    assert _stars(SegmentStore(root)) == [1, 2, 4]


def test_repair_lists_what_the_damaged_index_named_but_is_gone(tmp_path):
    root = tmp_path / "store"
    store = SegmentStore(root)
    store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    store.append({"repo_snapshots": snapshot_rows("c/d", ["2024-01-01"], [2])})
    gone = store.manifest()["tables"]["repo_snapshots"][1]
    (root / gone).unlink()
    report = rebuild_index(SegmentStore(root))
    assert report.gone == [gone]
    assert _stars(SegmentStore(root)) == [1]
    assert not SegmentStore(root).read("repo_snapshots").problems


def test_repair_never_rewrites_a_manifest_from_a_newer_version(tmp_path):
    root = tmp_path / "store"
    SegmentStore(root).append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    manifest = json.loads((root / "manifest.json").read_text())
    newer = json.dumps({**manifest, "format": 2})
    (root / "manifest.json").write_text(newer)
    with pytest.raises(CorruptFileError, match="newer version"):
        rebuild_index(SegmentStore(root))
    assert (root / "manifest.json").read_text() == newer
    assert not list(root.glob("manifest.backup-*"))


@pytest.mark.parametrize(
    "damage",
    [
        "{ not json",
        json.dumps({"format": 1, "version": "abc", "tables": {}}),
        json.dumps({"format": 1, "version": 3, "tables": {"../victim": []}}),
    ],
)
def test_every_damaged_index_message_leads_to_repair(fresh_store, damage):
    fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    (fresh_store.root / "manifest.json").write_text(damage)
    said = str(fresh_store.read("repo_snapshots").problems[0])
    assert "damaged" in said and REPAIR in said and "delete" not in said.replace("deletes", "")
    rebuild_index(fresh_store)
    assert _stars(fresh_store) == [1]


def test_a_first_write_in_progress_is_not_taken_for_a_lost_index(fresh_store):
    """Segments are put in place just before the first manifest: a reader in between must
    not call that a lost index (the app would show the warning for the whole session)."""
    fresh_store.root.joinpath("repo_snapshots").mkdir(parents=True)
    other = SegmentStore(fresh_store.root)
    other.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    (fresh_store.root / "manifest.json").unlink()  # as if read just before it was published
    assert not fresh_store.read("repo_snapshots").problems
