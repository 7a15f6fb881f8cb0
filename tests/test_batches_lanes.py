"""The shards' batches seen and run by a self-hosted user: `status` lists the batches waiting
(state, last exit, rows, age, the command that publishes each, the shards missing from a set,
the damaged ones), and `schedule --shard K/N` runs a lane on a schedule into its batch of the
day, which `merge` (or `schedule --merge`) publishes exactly once. Batches are made by running
shards through the CLI against the fake PyPI (tests/test_batches.py's fixture)."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from datetime import UTC, datetime

import pytest

import cli
from alerts import AlertOutcome
from service import batches, refresh
from store import SegmentStore
from tests.conftest import ROOT
from tests.test_batches import _all, _refresh
from tests.test_cli import _fake_clock
from tests.test_recipes import _cli_args

# with 4 shards: gamma (and ghost) go to shard 1, beta to 2, alpha to 3, none to 4
THREE = ["--projects", "alpha,beta,gamma"]


def _status(capsys) -> str:
    capsys.readouterr()
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    return out[out.index("Batches waiting") : out.index("GitHub budget")]


def _block(text: str, folder: str) -> list[str]:
    """The three lines status gives one batch."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {folder}: "))
    return lines[start : start + 3]


def test_status_says_when_no_batch_waits(user_data_dir, capsys):
    assert _status(capsys).strip() == "Batches waiting to be merged: none"


def test_status_lists_each_waiting_batch_and_the_shards_missing_from_its_set(
    pypi, user_data_dir, capsys, tmp_path
):
    for k in (1, 2, 4):  # shard 3 of 4 (alpha) is never run
        assert _refresh(pypi, *THREE, "--shard", f"{k}/4", "--batch", "b") in (0, 4)
    waiting = user_data_dir / "batches"
    # shard 2 killed half-way: its batch.json says running, no report (tests/test_shards.py
    # kills a real process); written two hours ago
    stopped = waiting / "b-2-of-4"
    said = json.loads((stopped / "batch.json").read_text())
    said.update(state="running", pid=999999, report={}, finished_at=None)
    (stopped / "batch.json").write_text(json.dumps(said))
    for path in (stopped / "batch.json", stopped / "store" / "manifest.json"):
        os.utime(path, (time.time() - 7200, time.time() - 7200))
    (waiting / "x-1-of-2").mkdir()
    (waiting / "x-1-of-2" / "batch.json").write_text("{not json")
    (waiting / "odd-1-of-1").mkdir()  # readable JSON of the wrong shape
    (waiting / "odd-1-of-1" / "batch.json").write_text('{"id": 1, "name": [], "shard": 5}')

    with refresh.refresh_lock(waiting / "b-4-of-4" / "refresh.lock"):  # shard 4 running now
        text = _status(capsys)

    one = _block(text, "b-1-of-4")
    assert "shard 1/4, finished, exit status 0 (every target refreshed or current)" in one[0]
    assert re.search(r"; last written \d+ s ago$", one[0]), one[0]  # seconds ago
    assert one[1] == "    rows: collection_runs 1, packages 1"  # gamma's
    assert "ready to merge: `./dev cli merge b-1-of-4`" in one[2]

    two = _block(text, "b-2-of-4")
    assert "shard 2/4, unfinished: its shard stopped half-way (1 target(s) finished)" in two[0]
    assert "last written 2 h 0 min ago" in two[0] and "exit status" not in two[0]
    assert two[1].startswith("    rows: collection_runs 1, packages 1, releases ")
    assert "`./dev cli merge b-2-of-4` publishes what it finished" in two[2]
    assert "run shard 2/4 again with --batch b" in two[2]

    four = _block(text, "b-4-of-4")
    assert f"its shard is running now (pid {os.getpid()} since " in four[0]
    assert "), its run before finished with exit status 4; last written " in four[0]
    assert four[1] == "    rows: none"

    assert "  batch b: shard 3/4 missing (3 of 4 here)" in text
    assert "damaged: x-1-of-2: batch.json cannot be read (" in text
    assert "damaged: odd-1-of-1: batch.json is not a shard's batch description" in text
    assert f"remove {waiting / 'x-1-of-2'} and run its shard again" in text
    assert "Traceback" not in text

    # what status said is what merge does: b-1 published, the rest left (x and odd named)
    capsys.readouterr()
    assert cli.main(["merge"]) == 3
    out = capsys.readouterr().out
    assert "merged b-1-of-4" in out and "left as it is: b-2-of-4" in out
    assert "left as it is: odd-1-of-1" in out and "left as it is: x-1-of-2" in out


def test_status_names_a_batch_whose_store_is_damaged_and_one_already_merged(
    pypi, user_data_dir, capsys, tmp_path
):
    assert _refresh(pypi, "--projects", "beta", "--shard", "1/1", "--batch", "m") == 0
    folder = user_data_dir / "batches" / "m-1-of-1"
    spare = tmp_path / "spare"
    shutil.copytree(folder, spare)
    assert cli.main(["merge"]) == 0
    shutil.copytree(spare, folder)  # a merge killed after it published, before removing it
    block = _block(_status(capsys), "m-1-of-1")
    assert "already merged (a merge stopped before removing it)" in block[2]

    shutil.rmtree(folder)
    assert _refresh(pypi, "--projects", "gamma", "--shard", "1/1", "--batch", "d") == 0
    segment = next((user_data_dir / "batches" / "d-1-of-1" / "store" / "packages").iterdir())
    segment.write_bytes(b"not parquet")
    block = _block(_status(capsys), "d-1-of-1")
    assert "damaged: " in block[2] and str(segment.name) in block[2]


def _schedule(pypi, *args: str) -> int:
    where = ["--api-url", f"pypi={pypi.url}", "--projects", "alpha,beta"]
    return cli.main(["schedule", "--sources", "pypi", *where, *args])


@pytest.fixture
def watched(monkeypatch) -> dict[str, list]:
    """What followed each run: the steps after a publish, and the alert checks."""
    seen: dict[str, list] = {"published": [], "alerts": []}
    monkeypatch.setattr(batches, "AFTER_PUBLISH", [lambda s: seen["published"].append(1)])

    def after_refresh(projects, settings, now, run_id, *, sleep):
        seen["alerts"].append(run_id)
        return AlertOutcome()

    monkeypatch.setattr(refresh, "after_refresh", after_refresh)
    return seen


def test_a_scheduled_lane_writes_its_batch_publishes_nothing_and_merge_publishes_it_once(
    pypi, user_data_dir, capsys, monkeypatch, watched
):
    _fake_clock(monkeypatch, datetime(2026, 12, 4, 12, 7, tzinfo=UTC))
    code = _schedule(pypi, "--every-hours", "6", "--run-now", "--max-runs", "2", "--shard", "1/1")
    out = capsys.readouterr().out
    assert code == 0
    folder = user_data_dir / "batches" / "20261204-1-of-1"  # the day the runs start, UTC
    assert out.startswith(f"Refreshing shard 1/1 into unpublished batches in {folder.parent}")
    runs = out.split("\n2026-")[1:]
    assert len(runs) == 2 and runs[1].startswith("12-04 18:07 UTC: refresh"), out
    for block in runs:
        assert f"  log: {folder / 'refresh.log'}" in block
        assert f"  shard 1/1: unpublished batch {folder}" in block
    # the second run, the same day, continued the lane's batch: one batch, the last report
    assert [p.name for p in (user_data_dir / "batches").iterdir()] == [folder.name]
    said = json.loads((folder / "batch.json").read_text())
    assert said["state"] == "finished" and said["report"]["run_id"] in runs[1]
    assert SegmentStore(user_data_dir).manifest()["version"] == 0  # nothing published
    assert watched == {"published": [], "alerts": []}  # no alert checked, nothing computed
    runs_in_batch = SegmentStore(folder / "store").read("collection_runs").frame
    assert runs_in_batch["run_id"].nunique() == 2

    assert cli.main(["merge"]) == 0
    assert SegmentStore(user_data_dir).manifest()["merged_batches"] == [said["id"]]
    assert watched["published"] == [1] and len(watched["alerts"]) == 1
    published = _all(user_data_dir)
    assert sorted(published["packages"]["package"]) == ["alpha-lib", "beta-kit"]
    assert len(published["collection_runs"]) == len(runs_in_batch)
    capsys.readouterr()
    assert cli.main(["merge"]) == 0 and "nothing to merge" in capsys.readouterr().out
    assert SegmentStore(user_data_dir).manifest()["version"] == 1
    for name, frame in _all(user_data_dir).items():
        assert len(frame) == len(published[name]), name


def test_a_lane_starts_a_new_batch_each_day_and_keeps_a_named_one(
    pypi, user_data_dir, capsys, monkeypatch, watched
):
    _fake_clock(monkeypatch, datetime(2026, 12, 4, 18, 7, tzinfo=UTC))
    code = _schedule(pypi, "--every-hours", "12", "--run-now", "--max-runs", "2", "--shard", "1/2")
    assert code == 0
    assert sorted(p.name for p in (user_data_dir / "batches").iterdir()) == [
        "20261204-1-of-2",
        "20261205-1-of-2",
    ]
    code = _schedule(pypi, "--cron", "@hourly", "--max-runs", "2", "--shard", "2/2", "--batch", "x")
    assert code == 0
    assert (user_data_dir / "batches" / "x-2-of-2").is_dir()
    assert len(list((user_data_dir / "batches").iterdir())) == 3
    capsys.readouterr()
    assert cli.main(["merge"]) == 0
    assert "published 3 batch(es) in one write" in capsys.readouterr().out
    assert SegmentStore(user_data_dir).manifest()["version"] == 1


def test_schedule_merge_publishes_what_the_lanes_finished_each_time(
    pypi, user_data_dir, capsys, monkeypatch, watched
):
    assert _refresh(pypi, "--projects", "beta", "--shard", "1/1") == 0
    capsys.readouterr()
    _fake_clock(monkeypatch, datetime(2026, 12, 4, 12, 7, tzinfo=UTC))
    code = cli.main(["schedule", "--merge", "--every-hours", "1", "--run-now", "--max-runs", "2"])
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("Merging the finished batches of ")
    first, second = out.split(" UTC: merge\n")[1:]
    assert "  merged " in first and "published 1 batch(es) in one write" in first
    assert second.startswith("  nothing to merge: no batch is waiting")
    assert SegmentStore(user_data_dir).manifest()["version"] == 1
    assert watched["published"] == [1]
    # --merge runs alone; --batch goes with --shard
    assert cli.main(["schedule", "--merge", "--every-hours", "1", "--shard", "1/2"]) == 2
    assert cli.main(["schedule", "--merge", "--every-hours", "1", "--projects", "beta"]) == 2
    assert cli.main(["refresh", "--batch", "x"]) == 2
    assert cli.main(["schedule", "--every-hours", "1", "--shard", "1/2", "--batch", ".x"]) == 2
    assert "--batch" in capsys.readouterr().err
    assert not (user_data_dir / "batches").exists() or not any(
        (user_data_dir / "batches").iterdir()
    )


def test_a_lane_never_continues_a_batch_already_merged(
    pypi, user_data_dir, capsys, monkeypatch, tmp_path
):
    """A merge that published a lane's batch and stopped before removing it, or that removed
    it between the lane's opening it and its run: the lane's next rows go to a new batch,
    published by the next merge (never dropped as 'already merged')."""
    lane = ["--projects", "beta", "--shard", "1/1", "--batch", "l"]
    assert _refresh(pypi, *lane) == 0
    folder = user_data_dir / "batches" / "l-1-of-1"
    spare = tmp_path / "spare"
    shutil.copytree(folder, spare)
    assert cli.main(["merge"]) == 0
    shutil.copytree(spare, folder)  # killed before removing it
    assert _refresh(pypi, *lane, "--force") == 0
    assert cli.main(["merge"]) == 0
    assert SegmentStore(user_data_dir).manifest()["version"] == 2
    assert len(set(_all(user_data_dir)["collection_runs"]["run_id"])) == 2

    # a merge publishes and removes the batch after the lane opened it, before it ran
    assert _refresh(pypi, *lane, "--force") == 0
    real = refresh.run

    def merged_meanwhile(registry, settings, options, **kw):
        # (the merge listed it while it was finished: by name here, as the lane marked it
        # running a moment ago)
        assert cli.main(["merge", "l-1-of-1"]) in (0, 3)
        assert not folder.exists()
        return real(registry, settings, options, **kw)

    runs = len(_all(user_data_dir)["collection_runs"])
    monkeypatch.setattr(refresh, "run", merged_meanwhile)
    assert _refresh(pypi, *lane, "--force") == 0
    monkeypatch.setattr(refresh, "run", real)
    capsys.readouterr()
    assert cli.main(["merge"]) == 0
    assert "already merged" not in capsys.readouterr().out
    assert len(_all(user_data_dir)["collection_runs"]) == runs + 2


def test_the_documented_lane_and_merge_schedules_are_accepted_by_the_cli():
    """Every `./dev cli schedule --shard` or `--merge` command in a code block of README.md
    and deploy/README.md parses, and is what it says."""
    seen = set()
    for doc in (ROOT / "README.md", ROOT / "deploy" / "README.md"):
        in_code = False
        for line in doc.read_text().splitlines():
            in_code ^= line.startswith("```")
            if not in_code or "./dev cli schedule" not in line:
                continue
            command = line.split("#")[0].strip().rstrip("&")
            args = cli.build_parser().parse_args(_cli_args(command))
            assert args.command == "schedule", line
            seen |= {"merge"} if args.merge else {"shard"} if args.shard else set()
    assert seen == {"merge", "shard"}
