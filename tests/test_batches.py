"""Batches of `refresh --shard`, in one process: merge records what it published in the same
write (never applied twice), leaves a batch whose shard still runs, is followed by
`after_publish` as a refresh is (a shard's run is not), and shards start from the published
HTTP cache and hand back what they learnt."""

from __future__ import annotations

import json
import shutil
import uuid

import pandas as pd
import pytest

import cli
from alerts import AlertOutcome
from errors import StoreError
from service import batches, refresh
from store import TABLES, SegmentStore


def _refresh(pypi, *args: str) -> int:
    return cli.main(
        ["refresh", "--sources", "pypi", "--quiet", "--api-url", f"pypi={pypi.url}", *args]
    )


def _all(root) -> dict[str, pd.DataFrame]:
    store = SegmentStore(root)
    return {name: store.read(name).frame for name in TABLES}


def test_a_merged_batch_is_never_applied_twice_and_the_same_rows_never_duplicate(
    pypi, user_data_dir, capsys
):
    assert _refresh(pypi, "--projects", "alpha,beta", "--shard", "1/1", "--batch", "x") == 0
    folder = user_data_dir / "batches" / "x-1-of-1"
    spare = user_data_dir.parent / "spare"
    shutil.copytree(folder, spare)
    assert cli.main(["merge"]) == 0
    published, version = _all(user_data_dir), SegmentStore(user_data_dir).manifest()["version"]
    assert len(published["packages"]) == 2
    capsys.readouterr()

    # killed after the publish, before the batch was removed: the next merge only removes it
    shutil.copytree(spare, folder)
    assert cli.main(["merge"]) == 0
    assert "already merged before, removed: x-1-of-1" in capsys.readouterr().out
    assert not folder.exists()
    assert SegmentStore(user_data_dir).manifest()["version"] == version
    batch = json.loads((spare / "batch.json").read_text())
    with pytest.raises(StoreError, match="already merged"):
        SegmentStore(user_data_dir).append({}, batches=[batch["id"]])

    # the same rows under another id (a record lost to a hand-made manifest): nothing doubles
    shutil.copytree(spare, folder)
    batch["id"] = uuid.uuid4().hex
    (folder / "batch.json").write_text(json.dumps(batch))
    assert cli.main(["merge"]) == 0
    assert SegmentStore(user_data_dir).manifest()["version"] == version + 1
    for name, frame in _all(user_data_dir).items():
        pd.testing.assert_frame_equal(frame, published[name], obj=name)


def test_merge_leaves_a_batch_whose_shard_is_still_running(pypi, user_data_dir, capsys):
    assert _refresh(pypi, "--projects", "alpha", "--shard", "1/1", "--batch", "y") == 0
    folder = user_data_dir / "batches" / "y-1-of-1"
    with refresh.refresh_lock(folder / "refresh.lock"):
        assert cli.main(["merge"]) == 4
    assert "left as it is: y-1-of-1: its shard is still running" in capsys.readouterr().out
    assert SegmentStore(user_data_dir).manifest()["version"] == 0
    assert cli.main(["merge", "y-1-of-1"]) == 0
    assert cli.main(["merge", "nope"]) == 2  # a name that is no batch


def test_after_publish_follows_a_refresh_and_a_merge_but_never_a_shard(
    pypi, user_data_dir, monkeypatch
):
    called: list[str] = []
    monkeypatch.setattr(batches, "AFTER_PUBLISH", [lambda s: called.append(str(s.data.root))])
    assert _refresh(pypi, "--projects", "alpha") == 0
    assert called == [str(user_data_dir)]
    assert _refresh(pypi, "--projects", "alpha") == 0  # already current: nothing new stored
    assert called == [str(user_data_dir)]
    assert _refresh(pypi, "--projects", "beta", "--shard", "1/1", "--batch", "z") == 0
    assert len(called) == 1  # nothing was published
    assert cli.main(["merge"]) == 0
    assert len(called) == 2


def test_after_publish_follows_a_refresh_whose_log_could_not_be_written(
    pypi, user_data_dir, monkeypatch, capsys
):
    """The data was published all the same: its views are computed ahead, as after any
    publish, and the exit code still says the log was not written."""
    called: list[str] = []
    monkeypatch.setattr(batches, "AFTER_PUBLISH", [lambda s: called.append(str(s.data.root))])

    def full(handler) -> None:
        handler.failure = f"{handler.baseFilename}: No space left on device"

    monkeypatch.setattr(refresh._LogFile, "flush", full)
    assert _refresh(pypi, "--projects", "alpha") == cli.EXIT_STORE
    assert "the refresh log cannot be written" in capsys.readouterr().err
    assert called == [str(user_data_dir)]


def test_a_shard_asks_with_the_published_cache_and_merge_keeps_what_it_learnt(
    pypi, user_data_dir, capsys
):
    assert _refresh(pypi, "--projects", "alpha") == 0
    cache = user_data_dir / "http-cache" / "pypi.json"
    before = json.loads(cache.read_text())["entries"]
    capsys.readouterr()
    assert _refresh(pypi, "--projects", "alpha,beta", "--force", "--shard", "1/1") == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("pypi: "))
    assert "(1 conditional, 1 not modified)" in line  # alpha revalidated with the seeded ETag
    assert json.loads(cache.read_text())["entries"] == before  # the shard wrote only its own
    assert cli.main(["merge"]) == 0
    after = json.loads(cache.read_text())["entries"]
    assert set(before) < set(after) and any("beta" in key for key in set(after) - set(before))


def test_alerts_are_checked_once_after_the_merge_never_by_a_shard(pypi, user_data_dir, monkeypatch):
    """A shard's batch is unpublished: the alert rules run on what the merge published."""
    checked: list[str] = []

    def after_refresh(projects, settings, now, run_id, *, sleep):
        checked.append(run_id)
        return AlertOutcome()

    monkeypatch.setattr(refresh, "after_refresh", after_refresh)
    assert _refresh(pypi, "--projects", "beta", "--shard", "1/1", "--batch", "z") == 0
    assert checked == []
    assert cli.main(["merge"]) == 0
    assert len(checked) == 1
