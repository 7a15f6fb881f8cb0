"""Any engine pointed at the store reads what the app reads (docs/reading-the-store.md).

The store is read by the app (SegmentStore.read) and by anyone with DuckDB, ClickHouse or
Spark pointed at its table folders. These tests run the shipped views (docs/sql/, the files
themselves) through DuckDB and chDB (ClickHouse's engine) over a store as years of use leave
it, and check they give exactly the app's answers; and that a folder read never sees a row
that was not published, or one compaction retired, or the orphans an older version left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import chdb.session
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from store import DEFAULT_DATA
from store.engine_views import FILES, PLACEHOLDER, render
from store.repair import rebuild_index
from store.schema import TABLES
from store.segments import COMPACT_AFTER_SEGMENTS, RETIRED_GRACE_SECONDS, SegmentStore
from tests.conftest import snapshot_rows

ROOT = Path(__file__).resolve().parent.parent

# A writer killed after its segment is staged, before the manifest swap: the crash the issue
# measured, where every engine pointed at the folder returned 999 instead of 11.
_KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {root!r})
    import store.segments as segments
    from tests.conftest import snapshot_rows
    def die(manifest):
        os.kill(os.getpid(), signal.SIGKILL)
    store = segments.SegmentStore({path!r})
    store._publish = die
    store.append({{"repo_snapshots": snapshot_rows(
        "a/b", ["2024-01-02"], [999], fetched="2024-06-01")}})
    """
)


def _kill_a_write(root: Path) -> None:
    script = _KILLED_WRITER.format(root=str(ROOT), path=str(root))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()


def _folder_rows(root: Path, table: str) -> pd.DataFrame:
    """What anyone would do: point DuckDB at the table folder."""
    glob = str(root / table / "*.parquet")
    return duckdb.sql(f"SELECT * FROM read_parquet('{glob}', union_by_name = true)").df()


def _store_as_used(tmp_path: Path) -> SegmentStore:
    """The shipped data, then what use adds: several segments and compactions, a newer
    observation of a key, one observed twice at the same time (the later write wins), a
    segment written before a column existed, and a write killed before publishing."""
    root = tmp_path / "store"
    shutil.copytree(DEFAULT_DATA, root)
    store = SegmentStore(root)
    store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01", "2024-01-02"], [1, 2])})
    for i in range(COMPACT_AFTER_SEGMENTS + 1):  # enough writes to merge some segments
        store.append({"repo_snapshots": snapshot_rows(f"c/d{i}", ["2024-01-01"], [i])})
    # a newer observation of a key: day 2 of a/b, seen again later
    store.append(
        {"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [11], fetched="2024-03-01")}
    )
    # day 1 of a/b observed again at the same time: the later write wins
    store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [5])})
    # an old schema: this segment was written before `open_prs` and `topics` existed
    store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-03"], [3])})
    old = root / store.manifest()["tables"]["repo_snapshots"][-1]
    pq.write_table(pq.read_table(old).drop_columns(["open_prs", "topics"]), old)
    assert len(store.manifest()["tables"]["repo_snapshots"]) > 2  # several segments
    _kill_a_write(root)
    return store


def _the_app(store: SegmentStore, table: str) -> pd.DataFrame:
    result = store.read(table)
    assert not result.problems, result.problems
    return _sorted(TABLES[table], result.frame)


def _sorted(spec, frame: pd.DataFrame) -> pd.DataFrame:
    frame = spec.conform(frame[spec.column_names])
    return frame.sort_values(list(spec.key), kind="stable").reset_index(drop=True)


def _views(dialect: str, root: Path) -> str:
    """The shipped file itself, its store folder filled in (as `envsubst` would)."""
    return FILES[dialect].read_text(encoding="utf-8").replace(PLACEHOLDER, str(root))


def _statements(text: str) -> list[str]:
    """The file's statements in order, as a SQL shell runs them one by one."""
    bodies = (
        "\n".join(line for line in part.splitlines() if not line.startswith("--"))
        for part in text.split(";\n")
    )
    return [body for body in bodies if body.strip()]


def _run_views(run, root: Path, dialect: str, no_files: str) -> None:
    """Run every statement; only a table the store has no segment of may fail, for that."""
    tables = SegmentStore(root).manifest()["tables"]
    for statement in _statements(_views(dialect, root)):
        try:
            run(statement)
        except Exception as exc:
            table = next(t for t in TABLES if f"/{t}/*.parquet" in statement)
            assert not tables.get(table) and no_files in str(exc), exc


def _duckdb_engine(root: Path):
    con = duckdb.connect()
    _run_views(con.execute, root, "duckdb", "No files found")
    return lambda sql: con.sql(sql).df()


def _clickhouse_engine(root: Path):
    session = chdb.session.Session()
    _run_views(session.query, root, "clickhouse", "CANNOT_EXTRACT_TABLE_STRUCTURE")
    return lambda sql: session.query(sql.replace(" FROM ", " FROM ossai."), "DataFrame")


ENGINES = {"duckdb": _duckdb_engine, "chdb": _clickhouse_engine}


@pytest.fixture(scope="module")
def used_store(tmp_path_factory) -> SegmentStore:
    return _store_as_used(tmp_path_factory.mktemp("engines"))


@pytest.mark.parametrize("engine", ENGINES)
def test_every_table_read_through_the_shipped_views_is_what_the_app_reads(used_store, engine):
    query = ENGINES[engine](used_store.root)
    for table, spec in TABLES.items():
        if not used_store.manifest()["tables"].get(table):
            continue  # no segment yet: no file for an engine to read
        got = _sorted(spec, query(f"SELECT * FROM {table}"))
        pd.testing.assert_frame_equal(got, _the_app(used_store, table), check_exact=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_apps_key_queries_give_the_apps_answers(used_store, engine):
    query = ENGINES[engine](used_store.root)
    # the newer observation wins; the killed write's 999 is nowhere
    day2 = query(
        "SELECT stars FROM repo_snapshots WHERE repo = 'a/b' AND date = '2024-01-02 00:00:00'"
    )
    assert day2["stars"].tolist() == [11]
    day1 = query(
        "SELECT stars FROM repo_snapshots WHERE repo = 'a/b' AND date = '2024-01-01 00:00:00'"
    )
    assert day1["stars"].tolist() == [5]
    # the segment written before a column existed reads it as null
    old = query("SELECT open_prs FROM repo_snapshots WHERE repo = 'a/b' ORDER BY date")
    assert old["open_prs"].isna().all() and len(old) == 3
    # the latest stars of every repository, as the Overview ranks them
    snapshots = _the_app(used_store, "repo_snapshots")
    latest = snapshots.sort_values("date").groupby("repo").tail(1)
    want = latest.set_index("repo")["stars"].astype("Int64").sort_index()
    got = query(
        "SELECT repo, argMax(stars, date) AS stars FROM repo_snapshots GROUP BY repo"
        if engine == "chdb"
        else "SELECT repo, arg_max(stars, date) AS stars FROM repo_snapshots GROUP BY repo"
    )
    got = got.assign(repo=got["repo"].astype("string")).set_index("repo")["stars"]
    pd.testing.assert_series_equal(got.astype("Int64").sort_index(), want, check_names=False)
    # rows per table, as the status page counts them
    for table in ("repositories", "commits", "package_downloads"):
        count = query(f"SELECT count(*) AS n FROM {table}")["n"].iloc[0]
        assert count == len(_the_app(used_store, table))


def test_a_folder_read_never_sees_a_write_killed_before_it_was_published(fresh_store):
    fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [11])})
    _kill_a_write(fresh_store.root)  # staged its 999, killed before the manifest swap
    rows = _folder_rows(fresh_store.root, "repo_snapshots")
    assert rows["stars"].tolist() == [11]
    pd.testing.assert_frame_equal(
        _sorted(TABLES["repo_snapshots"], rows), _the_app(fresh_store, "repo_snapshots")
    )
    # the store takes writes after it, and the staged orphan never reaches the folder
    fresh_store.append({"repo_snapshots": snapshot_rows("e/f", ["2024-01-03"], [3])})
    assert sorted(_folder_rows(fresh_store.root, "repo_snapshots")["stars"]) == [3, 11]


def test_a_folder_read_never_sees_a_write_that_failed_before_publishing(fresh_store):
    fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [11])})

    def full_disk(manifest):
        raise OSError(28, "No space left on device")

    publish, fresh_store._publish = fresh_store._publish, full_disk
    with pytest.raises(OSError):
        fresh_store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [999])})
    fresh_store._publish = publish
    assert _folder_rows(fresh_store.root, "repo_snapshots")["stars"].tolist() == [11]


def test_what_compaction_merged_is_out_of_the_folder_yet_found_by_an_older_reader(tmp_path):
    now = [time.time()]
    store = SegmentStore(tmp_path / "store", clock=lambda: now[0])
    for i in range(COMPACT_AFTER_SEGMENTS - 1):
        store.append({"repo_snapshots": snapshot_rows("a/b", [f"2024-01-{i + 1:02d}"], [i])})
    older = store.manifest()  # a reader that read the manifest before the compaction
    store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-09"], [9])})  # merges
    manifest = store.manifest()
    assert manifest["retired"]  # in their grace period
    # the folder holds exactly what the manifest lists: no row counted twice
    folder = sorted(p.name for p in (store.root / "repo_snapshots").glob("*.parquet"))
    listed = sorted(n.split("/")[1] for n in manifest["tables"]["repo_snapshots"])
    assert folder == listed
    assert len(_folder_rows(store.root, "repo_snapshots")) == 4
    # the reader holding the older manifest still finds every file it lists
    found = store._read_segments(TABLES["repo_snapshots"], older["tables"]["repo_snapshots"])
    assert not found.missing and not found.problems and len(found.frames) == 3
    # merged rows are sorted by the table's key
    merged = pq.read_table(store.root / manifest["tables"]["repo_snapshots"][0]).to_pandas()
    assert merged["date"].is_monotonic_increasing
    # after the grace period, the next write deletes them
    now[0] += RETIRED_GRACE_SECONDS + 1
    store.append({"repo_snapshots": snapshot_rows("c/d", ["2024-01-01"], [5])})
    assert not list((store.root / ".retired").rglob("*.parquet"))
    assert sorted(store.read("repo_snapshots").frame["stars"]) == [0, 1, 2, 5, 9]


def test_a_store_of_the_older_layout_reads_right_and_is_moved_out_of_the_folders(tmp_path):
    """Stores on disk were written with staged orphans and retired files in the table
    folders: the app reads them as before, and the next write moves both out."""
    root = tmp_path / "store"
    store = SegmentStore(root, clock=lambda: time.time() - 7200)
    store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01"], [1])})
    store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [2])})
    manifest = store.manifest()
    # as the older version left it: segments in the table folder, one merged and retired in
    # place, and an orphan of a crashed write beside them
    staged = root / ".staging"
    for path in staged.rglob("*.parquet"):
        path.rename(root / path.relative_to(staged))
    first, second = manifest["tables"]["repo_snapshots"]
    manifest["tables"]["repo_snapshots"] = [second]
    retired = root / ".retired" / first
    if retired.exists():
        retired.rename(root / first)
    merged = snapshot_rows("a/b", ["2024-01-01", "2024-01-02"], [1, 2])
    merged_name = "repo_snapshots/00000002-0123456789ab.parquet"
    pq.write_table(
        pa.Table.from_pandas(TABLES["repo_snapshots"].conform(merged), preserve_index=False),
        root / merged_name,
    )
    manifest["tables"]["repo_snapshots"] = [merged_name]
    manifest["retired"] = [
        {"path": first, "since": time.time()},
        {"path": second, "since": time.time()},
    ]
    (root / "manifest.json").write_text(json.dumps(manifest))
    orphan = snapshot_rows("a/b", ["2024-01-02"], [999], fetched="2030-01-01")
    orphan_path = root / "repo_snapshots" / "00000009-fedcba987654.parquet"
    pq.write_table(
        pa.Table.from_pandas(TABLES["repo_snapshots"].conform(orphan), preserve_index=False),
        orphan_path,
    )
    old = SegmentStore(root)
    assert sorted(old.read("repo_snapshots").frame["stars"]) == [1, 2]  # read right as is
    assert 999 in _folder_rows(root, "repo_snapshots")["stars"].tolist()  # the old trouble

    old.append({"repositories": _repository("x/y")})  # any write moves the layout on
    rows = _folder_rows(root, "repo_snapshots")
    assert sorted(rows["stars"]) == [1, 2]  # no orphan, nothing counted twice
    assert sorted(old.read("repo_snapshots").frame["stars"]) == [1, 2]
    assert (root / ".staging" / "repo_snapshots" / orphan_path.name).exists()  # kept a while
    assert all((root / ".retired" / name).exists() for name in (first, second))


def test_repair_puts_a_published_write_that_was_killed_before_its_move_in_place(tmp_path):
    """Killed after the manifest swap, before the staged files moved: the app reads them
    from .staging, and the next write or a repair moves them into the table folder."""
    store = SegmentStore(tmp_path / "store")
    settle = store._settle
    store._settle = lambda manifest: None  # as if killed right after publishing
    store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-02"], [11])})
    assert store.read("repo_snapshots").frame["stars"].tolist() == [11]
    assert _folder_rows_or_none(store.root) is None
    report = rebuild_index(store)
    assert report.written and not report.gone
    assert _folder_rows(store.root, "repo_snapshots")["stars"].tolist() == [11]
    store._settle = settle
    assert store.read("repo_snapshots").frame["stars"].tolist() == [11]


def _folder_rows_or_none(root: Path):
    if not list((root / "repo_snapshots").glob("*.parquet")):
        return None
    return _folder_rows(root, "repo_snapshots")


def _repository(repo: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "repo": [repo],
            "description": [None],
            "language": [None],
            "homepage": [None],
            "created_at": [pd.Timestamp("2020-01-01", tz="UTC")],
            "source": ["test"],
            "fetched_at": [pd.Timestamp("2024-01-01", tz="UTC")],
            "quality": ["ok"],
        }
    )


def test_the_shipped_views_are_the_rule_for_every_table_of_the_schema():
    """docs/sql/ is generated from store/schema.py: a new table or column is in every file."""
    for dialect, path in FILES.items():
        assert path.read_text(encoding="utf-8") == render(dialect), (
            f"{path} is out of date: run `python -m store.engine_views`"
        )
    for spec in TABLES.values():
        assert all(c.name.isidentifier() and c.name.islower() for c in spec.columns)


def test_the_read_rule_is_written_down():
    doc = (ROOT / "docs" / "reading-the-store.md").read_text(encoding="utf-8")
    for said in ("manifest.json", "fetched_at", "union_by_name", ".staging", ".retired"):
        assert said in doc
    for path in FILES.values():
        assert os.path.relpath(path, ROOT) in doc
