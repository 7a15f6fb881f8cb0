"""Values no source can report never reach a page (issue 20, item 4).

A hand-made `repo_snapshots` segment with valid columns, dates 2262-04-12 / 1677-09-22 and
stars +-2**62 was indexed by `repair` as it was: the Overview showed 4,611,686,018,427,387,904
stars for Keras and the Compare page crashed in its date slider. Now repair sets such a
segment aside (kept on disk, named with its first impossible value), a read leaves such rows
out with a warning naming the file (status, the app's sidebar), and the Compare page's date
slider takes any range it is given.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from streamlit.testing.v1 import AppTest

import cli
from store import SegmentStore
from store.schema import REPO_SNAPSHOTS
from store.segments import COMPACT_AFTER_SEGMENTS
from tests.apptest import open_page, texts
from tests.conftest import snapshot_rows

HUGE = 2**62
SHOWN_HUGE = "4,611,686,018,427,387,904"
NAME = "repo_snapshots/00000042-0123456789ab.parquet"


def _hand_made(root: Path, name: str = NAME, extra: pd.DataFrame | None = None) -> Path:
    """The segment of the report: valid columns, impossible dates and star counts."""
    rows = snapshot_rows("keras-team/keras", ["2026-01-01", "2026-01-02"], [1, 2])
    rows["date"] = pd.Series(
        [pd.Timestamp("2262-04-12"), pd.Timestamp("1677-09-22")], dtype="datetime64[s]"
    )
    rows["stars"] = pd.array([HUGE, -HUGE], dtype="Int64")
    rows["fetched_at"] = pd.Timestamp.now(tz="UTC")
    if extra is not None:
        rows = pd.concat([rows, extra], ignore_index=True)
    frame = REPO_SNAPSHOTS.conform(rows)  # every column is as the store writes it
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    then = time.time() - 3600  # written an hour ago: history, not a write in progress
    os.utime(path, (then, then))
    return path


def _indexed(root: Path, name: str = NAME) -> None:
    """List the segment in the store's index as if a write had put it there."""
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["tables"].setdefault("repo_snapshots", []).append(name)
    (root / "manifest.json").write_text(json.dumps(manifest))


def _a_valid_write(root: Path) -> None:
    SegmentStore(root).append(
        {"repo_snapshots": snapshot_rows("a/b", ["2024-01-01", "2024-01-02"], [1, 2])}
    )


def test_repair_sets_a_segment_with_impossible_values_aside_and_keeps_its_bytes(
    user_data_dir, capsys
):
    _a_valid_write(user_data_dir)
    path = _hand_made(user_data_dir)
    before = path.read_bytes()

    code = cli.main(["repair"])
    out = capsys.readouterr().out
    assert code == cli.EXIT_STORE  # history is on disk that is not shown
    said = next(line for line in out.splitlines() if str(path) in line)
    assert "set aside" in said and "2 of its 2 rows" in said
    assert "row 0, column 'date': 2262-04-12 (after " in said
    assert "repo_snapshots: 1 segment file(s), 2 rows" in out
    manifest = json.loads((user_data_dir / "manifest.json").read_text())
    assert NAME not in manifest["tables"]["repo_snapshots"]
    assert [item["path"] for item in manifest["set_aside"]] == [NAME]
    assert path.read_bytes() == before  # the user's bytes are kept
    assert sorted(SegmentStore(user_data_dir).read("repo_snapshots").frame["stars"]) == [1, 2]

    assert cli.main(["status"]) == 0  # the index is clean: nothing impossible is read
    assert SHOWN_HUGE not in capsys.readouterr().out
    for page in ("overview", "compare"):
        at = open_page(page)
        assert SHOWN_HUGE not in texts(at) + str([d.value for d in at.dataframe])


def test_a_segment_with_impossible_values_already_indexed_is_not_shown_and_is_named(
    user_data_dir, capsys
):
    _a_valid_write(user_data_dir)
    path = _hand_made(user_data_dir)
    _indexed(user_data_dir)

    read = SegmentStore(user_data_dir).read("repo_snapshots")
    assert sorted(read.frame["stars"]) == [1, 2]
    assert len(read.problems) == 1 and str(path) in str(read.problems[0])

    assert cli.main(["status"]) == cli.EXIT_STORE
    out = capsys.readouterr().out
    said = next(line for line in out.splitlines() if str(path) in line)
    assert "2 of its 2 rows hold values no source can report and are not shown" in said
    assert "row 0, column 'date': 2262-04-12" in said and "./dev cli repair" in said
    assert SHOWN_HUGE not in out

    overview = open_page("overview")
    shown = texts(overview) + str([d.value for d in overview.dataframe])
    assert SHOWN_HUGE not in shown and str(HUGE) not in shown
    assert any(str(path) in str(code.value) for code in overview.sidebar.code)
    compare = open_page("compare")  # its date slider crashed on the year 2262
    low, high = compare.slider(key="compare_range").value
    assert dt.date(2007, 10, 1) <= low and high <= dt.date.today() + dt.timedelta(days=2)
    assert any(str(path) in str(code.value) for code in compare.sidebar.code)


def test_only_the_impossible_rows_of_a_segment_are_left_out_and_compaction_keeps_the_file(
    fresh_store,
):
    fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    good = snapshot_rows("c/d", ["2024-03-01"], [7], fetched="2024-03-01")
    path = _hand_made(fresh_store.root, extra=good)
    _indexed(fresh_store.root)
    read = fresh_store.read("repo_snapshots")
    assert sorted(read.frame["stars"]) == [1, 7]
    assert "2 of its 3 rows" in str(read.problems[0]) and "other 1 rows are shown" in str(
        read.problems[0]
    )
    for i in range(COMPACT_AFTER_SEGMENTS):  # enough writes to compact the table
        fresh_store.append({"repo_snapshots": snapshot_rows("e/f", ["2024-02-01"], [i])})
    assert NAME in fresh_store.manifest()["tables"]["repo_snapshots"]  # not merged, not lost
    assert path.exists()
    assert sorted(fresh_store.read("repo_snapshots").frame["stars"]) == sorted(
        [1, 7, COMPACT_AFTER_SEGMENTS - 1]
    )


def test_a_negative_count_or_a_time_before_the_source_existed_is_named_too(fresh_store):
    rows = snapshot_rows("a/b", ["2024-01-01", "2024-01-02"], [5, -3])
    fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-03"], [6])})
    path = fresh_store.root / NAME
    frame = REPO_SNAPSHOTS.conform(rows)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    _indexed(fresh_store.root)
    read = fresh_store.read("repo_snapshots")
    assert sorted(read.frame["stars"]) == [5, 6]
    assert "row 1, column 'stars': -3 (below 0)" in str(read.problems[0])


def _slider_app(first: dt.date, last: dt.date) -> AppTest:
    def app(first, last):  # run by AppTest from its source: no annotations
        import streamlit as st

        from app import widgets

        start, end = widgets.date_range_slider("Date range", first, last, key="range")
        st.write(f"chosen {start} to {end}")

    at = AppTest.from_function(app, args=(first, last))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_date_slider_takes_any_range_it_is_given():
    at = _slider_app(dt.date(2262, 4, 12), dt.date(1677, 9, 22))  # reversed, out of reach
    low, high = at.slider(key="range").value
    assert dt.date(1690, 1, 1) <= low < high <= dt.date(2255, 1, 1)
    one_day = _slider_app(dt.date(2024, 1, 1), dt.date(2024, 1, 1))
    assert not one_day.slider and "2024-01-01 (the only day with data)" in texts(one_day)
    normal = _slider_app(dt.date(2019, 1, 1), dt.date(2024, 1, 1))
    assert normal.slider(key="range").value == (dt.date(2019, 1, 1), dt.date(2024, 1, 1))


def test_a_commit_dated_by_a_broken_clock_is_not_stored_and_the_run_says_so(tmp_path):
    from collectors import git
    from collectors.source import LocalClient, run_source
    from registry import Project, RepoRef
    from tests.gitrepo import ALICE, BOB, Repo

    repo = Repo(tmp_path / "work")
    repo.commit(ALICE, "1975-01-01T10:00:00+00:00", "a clock that was never set")
    repo.commit(BOB, "2024-01-02T10:00:00+00:00", "a real one")
    store = SegmentStore(tmp_path / "store")
    where = {"acme/widget": str(repo.path)}
    source = git.Git(git.Pseudonymizer(b"k" * 32), mirrors=tmp_path / "m", locations=where)
    project = Project("p", "P", "AI", (RepoRef("acme/widget"),), ())
    now = pd.Timestamp("2024-04-01", tz="UTC")
    summary = run_source(source, [project], store, LocalClient(), now=now)
    message = summary.outcomes[0].message
    assert "commits: 1 row(s) held values no source can report (1 row(s) not stored)" in message
    assert "column 'authored_at': 1975-01-01 10:00 UTC (before 1980-01-01 00:00 UTC)" in message
    read = SegmentStore(tmp_path / "store").read("commits")
    assert not read.problems and len(read.frame) == 1
