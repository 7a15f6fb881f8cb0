"""The store's query engine: DuckDB over the published Parquet segments of several stores.

What the app reads goes through here (`Catalog.read`): the shipped store and the user's
store, only the segments each `manifest.json` lists, every column by name (a segment written
before a column existed reads it as null), and per key the newest observation by
`fetched_at`, the later store's (the user's) on a tie, then the later segment's. The rule is
`store.engine_views.duckdb_newest`, the same SQL the shipped views in docs/sql/ apply;
`store.segments.merge_newest` is the pandas reference a test holds it to.

Filters on a key column (`where={"repo": [...]}`) and the columns asked for are pushed into
the scan, so a page reading a few repositories of a large store holds only their rows; an
aggregate over a table (`aggregate`) runs in DuckDB and returns its small result.

What a read never hides:
- a segment that cannot be read, does not fit its table, or is listed but missing is named
  in the result's problems (the same CorruptFileError the pandas path gives) and the rest
  is read;
- rows holding a value no source can report (store/plausible.py) are left out and the file
  named. A file is checked once, in DuckDB, without loading it into pandas; only a file that
  fails the check is read by the pandas path, which words the problem and keeps its
  plausible rows.

Engine settings: one in-memory DuckDB database per process (no database file, so no writer
lock: a refresh in another process writes while the app reads), with `MEMORY_LIMIT` and
`THREADS`, spilling past the limit into the system's temporary folder; every query runs on
its own cursor, so Streamlit's script threads never share a connection.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from errors import CorruptFileError
from store.engine_views import duckdb_newest
from store.schema import COUNT, DAY, FLAG, NUMBER, QUALITY, TABLES, TEXT, TIMESTAMP, Column, Table
from store.segments import ReadResult, SegmentStore

MEMORY_LIMIT = "768MB"  # DuckDB's own buffers; the app's whole budget is 1.5 GB
THREADS = max(1, min(4, os.cpu_count() or 1))

_lock = threading.Lock()
_database: duckdb.DuckDBPyConnection | None = None


def connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the process's in-memory database: one per query and thread."""
    global _database
    with _lock:
        if _database is None:
            db = duckdb.connect(
                ":memory:",
                config={
                    "memory_limit": MEMORY_LIMIT,
                    "threads": THREADS,
                    # where a query past the memory limit spills: never the working folder
                    "temp_directory": str(Path(tempfile.gettempdir()) / "ossai-duckdb"),
                },
            )
            _database = db
        return _database.cursor()


@dataclass(frozen=True)
class _File:
    path: Path
    rank: int  # the order the rule breaks a tie in: later store, later segment wins


class StoreQuery:
    """Reads over stores listed oldest first (the shipped data, then the user's)."""

    def __init__(self, stores: Sequence[SegmentStore], clock: Callable[[], float] = time.time):
        self.stores = list(stores)
        self._clock = clock

    def read(
        self,
        table: str,
        *,
        where: Mapping[str, Iterable] | None = None,
        columns: Sequence[str] | None = None,
    ) -> ReadResult:
        """A table's rows by the read rule, in the order the pandas path gives them (store,
        segment, row). `where` keeps the rows whose key column holds one of the values;
        `columns` picks columns (all by default). Never raises for damage."""
        spec = TABLES[table]
        picked = list(columns) if columns is not None else spec.column_names
        for attempt in range(3):
            files, odd, problems = self._files(spec)
            sql, params = self._rule(spec, files, odd, where)
            chosen = ", ".join(_q(c) for c in picked)
            query = f"SELECT {chosen} FROM ({sql}) ORDER BY _rank, _row"  # noqa: S608
            try:
                arrow = self._run(query, params, odd)
            except duckdb.IOException:
                if attempt < 2:
                    continue  # compaction moved a file after we listed it: list again
                raise
            return ReadResult(_typed(spec, arrow, picked), problems)
        raise AssertionError("unreachable")

    def aggregate(
        self, table: str, select: str, *, group_by: str = "", where: Mapping | None = None
    ) -> pd.DataFrame:
        """`SELECT {select} FROM <table by the rule> [GROUP BY {group_by}]`, run in DuckDB:
        an aggregate over a whole table without loading it. Problems are left to `read`."""
        spec = TABLES[table]
        files, odd, _ = self._files(spec)
        sql, params = self._rule(spec, files, odd, where)
        grouped = f" GROUP BY {group_by} ORDER BY {group_by}" if group_by else ""
        return self._run(f"SELECT {select} FROM ({sql}){grouped}", params, odd).to_pandas()  # noqa: S608

    def key_counts(self, table: str, by: str) -> pd.DataFrame:
        """How many rows the rule keeps per value of `by`, a key column: the rule keeps one row
        per key, so this counts distinct keys, reading the key columns only and never ordering
        every row by `fetched_at` (which row of a key is kept does not change how many)."""
        name = _q(self._key_column(table, by))
        rows, params, odd = self._keys(table)
        sql = f"SELECT {name}, count(*) AS n FROM (SELECT DISTINCT * FROM ({rows})) GROUP BY {name} ORDER BY {name}"  # noqa: S608, E501
        return self._run(sql, params, odd).to_pandas()

    def key_newest(self, table: str, column: str, upto: str | None = None) -> pd.DataFrame:
        """The newest value of a key column (up to `upto`, an ISO time) by the rule: every key
        the table holds is kept by the rule, so the newest over every listed row is the
        rule's, found without ordering every row by `fetched_at`."""
        name = _q(self._key_column(table, column))
        rows, params, odd = self._keys(table)
        kept = f" FILTER (WHERE {name} <= ?::TIMESTAMPTZ)" if upto is not None else ""
        sql = f"SELECT max({name}){kept} AS n FROM ({rows})"  # noqa: S608
        return self._run(sql, [*params, *([upto] if upto is not None else [])], odd).to_pandas()

    def _key_column(self, table: str, column: str) -> str:
        if column not in TABLES[table].key:
            raise ValueError(f"{table}: {column!r} is not a key column")
        return column

    def _keys(self, table: str) -> tuple[str, list, dict[str, pa.Table]]:
        """Every listed row's key columns, of both stores (problems are left to `read`)."""
        spec = TABLES[table]
        files, odd, _ = self._files(spec)
        rows, params = self._rows(spec, files, odd, None, keys_only=True)
        return rows, params, odd

    # ----- which files, and which of them DuckDB may read as they are --------------------

    def _files(self, spec: Table) -> tuple[list[_File], dict[str, pa.Table], list]:
        """The published segments of every store in rule order, the rows of those read the
        pandas way (by a table name to register), and every problem found."""
        files: list[_File] = []
        odd: dict[str, pa.Table] = {}
        problems: list[CorruptFileError] = []
        now = pd.Timestamp(self._clock(), unit="s", tz="UTC")
        rank = 0
        for store in self.stores:
            listed, unlisted = store.published(spec.name)
            for name, path in listed:
                rank += 1
                if _clean(spec, path, now):
                    files.append(_File(path, rank))
                    continue
                segment = store.read_segment(spec, name)
                problems += segment.problems
                if segment.frame is not None:
                    rows = segment.frame.assign(_rank=rank, _row=range(len(segment.frame)))
                    odd[f"odd_{rank}"] = pa.Table.from_pandas(rows, preserve_index=False)
            problems += unlisted  # named after the files' own, as the pandas path does
        return files, odd, problems

    def _rule(
        self,
        spec: Table,
        files: list[_File],
        odd: Mapping[str, pa.Table],
        where: Mapping[str, Iterable] | None,
    ) -> tuple[str, list]:
        """The rule's SQL over these files, with its parameters."""
        rows, params = self._rows(spec, files, odd, where)
        newest = duckdb_newest(spec, rows, tie="_rank DESC, _row DESC", keep=("_rank", "_row"))
        return newest, params

    def _rows(
        self,
        spec: Table,
        files: list[_File],
        odd: Mapping[str, pa.Table],
        where: Mapping[str, Iterable] | None,
        keys_only: bool = False,
    ) -> tuple[str, list]:
        """Every listed segment's rows (those `where` keeps), unioned by column name, with
        their file's rank and row number; `keys_only`: the key columns alone."""
        params: list = []
        conditions = []
        for column, values in (where or {}).items():
            if column not in spec.key:
                raise ValueError(f"{spec.name}: filter on {column!r}, not a key column")
            params.append(sorted({str(v) for v in values}))
            conditions.append(f"list_contains(?, {_q(column)})")
        filtered = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        keys = ", ".join(_q(c) for c in spec.key)
        parts = []
        if files:
            paths = [str(f.path) for f in files]
            ranks = [f.rank for f in files]
            # the paths quoted as SQL strings, the filter's values bound
            source = f"read_parquet({_literal(paths)}, union_by_name = true, filename = true, "
            rank = _rank_of(paths, ranks)
            picked = (
                keys
                if keys_only
                else f"* EXCLUDE (file_row_number), file_row_number AS _row, {rank} AS _rank"
            )
            scan = f"SELECT {picked} FROM {source}file_row_number = true)"  # noqa: S608
            parts.append(scan + filtered)
        for name in odd:
            parts.append(f"SELECT {keys if keys_only else '*'} FROM {name}{filtered}")  # noqa: S608 (our own names)
        params = params * len(parts)  # each part filters with the same values
        if not parts:
            nothing = ", ".join(f"NULL AS {_q(c)}" for c in spec.key)
            empty = nothing if keys_only else "NULL::BIGINT AS _rank, NULL::BIGINT AS _row"
            parts.append(f"SELECT {empty} WHERE false")
        return "\n  UNION ALL BY NAME\n  ".join(parts), params

    def _run(self, sql: str, params: list, odd: Mapping[str, pa.Table]) -> pa.Table:
        cursor = connection()
        try:
            for name, frame in odd.items():
                cursor.register(name, frame)
            return _one_chunk(cursor.sql(sql, params=params).to_arrow_table())
        finally:
            cursor.close()


def _one_chunk(arrow: pa.Table) -> pa.Table:
    """Each text column in one chunk, as large_string (what pandas holds text as anyway).

    DuckDB answers in one chunk per row group (47 for 5.8M commits), and pandas keeps text in
    those chunks; pyarrow's take on a chunked text column then costs about the whole column
    each call. Slicing each project's commits out of that took 10 of the git indicators' 19 s
    at 3,000 repositories; one chunk takes it in milliseconds. Column by column, so that only
    one column is ever held twice; large_string offsets never overflow when combined."""
    for i in range(arrow.num_columns):
        column = arrow.column(i)
        if column.num_chunks > 1 and (
            pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        ):
            whole = column.cast(pa.large_string()).combine_chunks()
            arrow = arrow.set_column(i, arrow.field(i).with_type(whole.type), [whole])
    return arrow


def _q(name: str) -> str:
    return f'"{name}"'


def _literal(values: Sequence[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _rank_of(paths: Sequence[str], ranks: Sequence[int]) -> str:
    """Each file's rank from its name, as DuckDB's `filename` column gives it."""
    return f"{list(ranks)}[list_position({_literal(paths)}, filename)]"


# ----- the check that lets DuckDB read a file as it is ------------------------------------

_checked: dict[tuple[str, int, int], bool] = {}
_DUCK = {TEXT: "VARCHAR", COUNT: "BIGINT", FLAG: "BOOLEAN", NUMBER: "DOUBLE"}


def _clean(spec: Table, path: Path, now: pd.Timestamp) -> bool:
    """True when the segment reads as it is: a readable Parquet file whose columns are the
    table's (some may be missing, if optional), of types DuckDB casts without loss, with no
    empty required value, no unknown quality flag and no implausible value. False sends the
    file to the pandas path, which names what is wrong. A clean verdict is kept per file
    (segments are never rewritten; what is plausible now stays plausible later)."""
    try:
        stat = path.stat()
    except OSError:
        return False
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if _checked.get(key):
        return True
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError):
        return False
    columns = {c.name: c for c in spec.columns}
    if any(name not in columns for name in schema.names):
        return False
    if any(c.required and c.name not in schema.names for c in spec.columns):
        return False
    if not all(_fits(schema.field(name).type, columns[name]) for name in schema.names):
        return False
    tests = [f"count({_q(name)})" for name in schema.names]  # reads every column's pages
    for name in schema.names:
        column = columns[name]
        if column.required:
            tests.append(f"count(*) FILTER (WHERE {_q(name)} IS NULL)")
        if (outside := _outside(column, now)) is not None:
            tests.append(f"count(*) FILTER (WHERE {outside})")
    flags = ", ".join(f"'{flag}'" for flag in QUALITY)
    tests.append(f"count(*) FILTER (WHERE quality NOT IN ({flags}))")
    cursor = connection()
    try:
        found = cursor.execute(
            f"SELECT {', '.join(tests)} FROM read_parquet(?)",  # noqa: S608
            [str(path)],
        ).fetchone()
    except duckdb.Error:
        return False
    finally:
        cursor.close()
    verdicts = list(found or [])[len(schema.names) :]
    clean = bool(found) and not any(verdicts)
    if clean:
        _checked[key] = True
    return clean


def _fits(kind: pa.DataType, column: Column) -> bool:
    if pa.types.is_null(kind):
        return True
    if column.dtype == TEXT:
        return pa.types.is_string(kind) or pa.types.is_large_string(kind)
    if column.dtype == COUNT:
        return pa.types.is_integer(kind)
    if column.dtype == NUMBER:
        return pa.types.is_floating(kind) or pa.types.is_integer(kind)
    if column.dtype == FLAG:
        return pa.types.is_boolean(kind)
    if column.dtype == TIMESTAMP:
        return pa.types.is_timestamp(kind) and kind.tz is not None
    if column.dtype == DAY:
        return pa.types.is_timestamp(kind) and kind.tz is None
    return False


def _outside(column: Column, now: pd.Timestamp) -> str | None:
    """SQL true where the column's value lies outside its plausible range (never for null)."""
    bounds = column.plausible_range(now)
    if bounds is None:
        return None
    low, high = bounds
    name = _q(column.name)
    if column.dtype == TIMESTAMP:
        return (
            f"{name} < TIMESTAMPTZ '{low.isoformat()}' OR {name} > TIMESTAMPTZ '{high.isoformat()}'"
        )
    if column.dtype == DAY:
        return f"{name} < TIMESTAMP '{low.isoformat()}' OR {name} > TIMESTAMP '{high.isoformat()}'"
    return f"NOT ({name} BETWEEN {float(low)!r} AND {float(high)!r})"


def _typed(spec: Table, arrow: pa.Table, columns: Sequence[str]) -> pd.DataFrame:
    """DuckDB's answer as the frame the pandas path gives: each column of its schema dtype."""
    mapping = {
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): pd.StringDtype(),
        pa.large_string(): pd.StringDtype(),
    }
    frame = arrow.to_pandas(types_mapper=mapping.get)
    dtypes = spec.dtypes
    out = {}
    for name in columns:
        series = frame[name]
        dtype = dtypes[name]
        if dtype == DAY and getattr(series.dtype, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        out[name] = series.astype(dtype) if str(series.dtype) != dtype else series
    # one frame of all the columns, not copied: inserting them one by one took about 1 ms a
    # column, 70 ms of a first visit to the Project page
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)), columns=list(columns), copy=False)
