"""The history store: immutable Parquet segments, published by swapping one manifest file.

Layout of a store folder:

    manifest.json              {"format": 1, "version": N, "tables": {table: [segment, ...]}}
    <table>/<N>-<id>.parquet   one segment per table per write, never modified after rename
    .write.lock                held (flock) by the one process that is writing

Why this shape:
- A write puts new segment files in place first (temp file, fsync, rename), then replaces
  the manifest in one `os.replace`. A reader sees the old manifest or the new one, never a
  half: a process killed before the swap leaves only unreferenced files, which readers
  ignore and a later write removes.
- Nothing is rewritten in place. Compaction writes a new segment and a new manifest, and
  only deletes the replaced files after a grace period, so a reader holding the older
  manifest still finds them; a reader that loses the race re-reads the manifest.
- Readers take no lock, so the app reads while a refresh in another process writes
  (a DuckDB file would refuse the second process).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from errors import CorruptFileError, StoreError, StoreLockedError
from store.schema import TABLES, Table

MANIFEST = "manifest.json"
LOCK = ".write.lock"
FORMAT = 1
RETIRED_GRACE_SECONDS = 600.0
ORPHAN_GRACE_SECONDS = 3600.0
COMPACT_AFTER_SEGMENTS = 24  # a month of daily refreshes, then one merged segment


@dataclass
class ReadResult:
    """A table as read: the rows that could be read, and every file that could not."""

    frame: pd.DataFrame
    problems: list[CorruptFileError] = field(default_factory=list)


class SegmentStore:
    """One store folder. Readers never block; writers serialize on a file lock."""

    def __init__(
        self,
        root: Path | str,
        *,
        read_only: bool = False,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.root = Path(root)
        self.read_only = read_only
        self._clock = clock
        self._sleep = sleep

    # ----- reading -----------------------------------------------------------------------

    def manifest(self) -> dict:
        """The published manifest; an empty one if the store has never been written.

        Raises CorruptFileError when the manifest exists but cannot be read.
        """
        path = self.root / MANIFEST
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):  # never written, or cannot be here
            return {"format": FORMAT, "version": 0, "tables": {}}
        except OSError as exc:
            raise CorruptFileError(path, f"cannot be read ({exc.strerror})") from None
        try:
            manifest = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise CorruptFileError(
                path, "is not valid JSON: the store's index is damaged"
            ) from None
        fmt = manifest.get("format") if isinstance(manifest, dict) else None
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FORMAT:
            raise CorruptFileError(
                path,
                f"was written by a newer version of this dashboard (store format {fmt}; this "
                f"version reads format {FORMAT}): update the dashboard; nothing was changed",
            )
        if fmt != FORMAT or not isinstance(manifest.get("tables"), dict):
            raise CorruptFileError(path, "is not a store manifest of format 1")
        version = manifest.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise CorruptFileError(
                path, f"has a version {version!r} that is not a whole number: the index is damaged"
            )
        for table, names in manifest["tables"].items():
            if table not in TABLES or not isinstance(names, list):
                raise CorruptFileError(path, f"names an unknown table {table!r}")
            for name in names:
                if not _segment_of(table, name):
                    raise CorruptFileError(path, f"names a file outside the store: {name!r}")
        for item in manifest.get("retired", []):
            name = item.get("path") if isinstance(item, dict) else None
            if not (isinstance(name, str) and _segment_of(name.partition("/")[0], name)):
                raise CorruptFileError(path, f"retires a file outside the store: {name!r}")
        return manifest

    def version(self) -> str:
        """Changes whenever a write is published; cheap enough to call on every page run."""
        try:
            stat = (self.root / MANIFEST).stat()
        except (FileNotFoundError, NotADirectoryError):
            return "empty"
        return f"{stat.st_mtime_ns}-{stat.st_size}"

    def read(self, table: str) -> ReadResult:
        """All rows of a table, newest value per key. Unreadable files are reported, not fatal."""
        spec = TABLES[table]
        for _attempt in range(3):
            try:
                manifest = self.manifest()
            except CorruptFileError as exc:
                return ReadResult(spec.empty(), [exc])
            try:
                return self._read_segments(spec, manifest["tables"].get(table, []))
            except _SegmentVanishedError:
                continue  # compaction retired a file after we read the manifest: read again
        raise StoreError(self.root, f"table {table!r} kept changing while being read")

    def _read_segments(self, spec: Table, names: list[str]) -> ReadResult:
        parts: list[pd.DataFrame] = []
        problems: list[CorruptFileError] = []
        for name in names:
            path = self.root / name
            try:
                arrow = pq.read_table(path)
            except FileNotFoundError:
                raise _SegmentVanishedError(path) from None
            except (pa.ArrowException, OSError) as exc:
                problems.append(CorruptFileError(path, f"is not a readable Parquet file ({exc})"))
                continue
            try:
                parts.append(spec.conform(spec.widen(arrow.to_pandas()), where=str(path)))
            except StoreError as exc:
                problems.append(CorruptFileError(path, exc.problem))
        return ReadResult(merge_newest(spec, parts), problems)

    # ----- writing -----------------------------------------------------------------------

    def append(self, frames: Mapping[str, pd.DataFrame]) -> int:
        """Add rows to one or more tables in one atomic publish; returns the new version.

        Raises StoreError for a frame that does not fit its table, StoreLockedError when
        another writer holds the lock too long, and CorruptFileError for a damaged manifest.
        """
        self._check_writable()
        conformed = {
            name: TABLES[name].conform(frame, where=f"rows for table {name!r}")
            for name, frame in frames.items()
            if len(frame)
        }
        for name, frame in conformed.items():
            if TABLES[name].duplicated_keys(frame).any():
                raise StoreError(self.root, f"rows for table {name!r} repeat a key in one write")
        with self._write_lock():
            manifest = self.manifest()
            version = int(manifest["version"]) + 1
            for name, frame in conformed.items():
                segment = self._write_segment(name, frame, version)
                manifest["tables"].setdefault(name, []).append(segment)
            manifest["version"] = version
            self._publish(manifest)
            for name in conformed:
                if len(manifest["tables"][name]) > COMPACT_AFTER_SEGMENTS:
                    self._compact_locked(manifest, name)
            self._collect_garbage(manifest)
        return int(manifest["version"])

    def compact(self, table: str) -> int:
        """Merge a table's segments into one (newest value per key); returns the new version.

        Raises CorruptFileError, and changes nothing, when a segment cannot be read.
        """
        self._check_writable()
        with self._write_lock():
            manifest = self.manifest()
            self._compact_locked(manifest, table)
        return int(manifest["version"])

    def _compact_locked(self, manifest: dict, table: str) -> None:
        old = list(manifest["tables"].get(table, []))
        if len(old) < 2:
            return
        result = self._read_segments(TABLES[table], old)
        if result.problems:
            raise result.problems[0]  # never drop rows we could not read
        version = int(manifest["version"]) + 1
        manifest["tables"][table] = [self._write_segment(table, result.frame, version)]
        now = self._clock()
        manifest.setdefault("retired", []).extend({"path": p, "since": now} for p in old)
        manifest["version"] = version
        self._publish(manifest)

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(self.root, "is read-only (the shipped default data)")

    def _write_segment(self, table: str, frame: pd.DataFrame, version: int) -> str:
        folder = self.root / table
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{table}/{version:08d}-{uuid.uuid4().hex[:12]}.parquet"
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        atomic_write(self.root / name, lambda f: pq.write_table(arrow, f, compression="zstd"))
        return name

    def _publish(self, manifest: dict) -> None:
        manifest.setdefault("created_at", self._clock())  # what is older is never an orphan
        manifest["written_at"] = datetime.fromtimestamp(self._clock(), UTC).isoformat()
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        atomic_write(self.root / MANIFEST, lambda f: f.write(data))

    def _collect_garbage(self, manifest: dict) -> None:
        """Delete retired segments past their grace period and orphans of crashed writes."""
        now = self._clock()
        keep, changed = [], False
        for item in manifest.get("retired", []):
            if now - item["since"] >= RETIRED_GRACE_SECONDS:
                with contextlib.suppress(FileNotFoundError):
                    (self.root / item["path"]).unlink()
                changed = True
            else:
                keep.append(item)
        if changed:
            manifest["retired"] = keep
            self._publish(manifest)
        live = {p for names in manifest["tables"].values() for p in names}
        live |= {item["path"] for item in keep}
        # Orphans of crashed writes are segments no manifest ever named, written after this
        # manifest was created. A segment older than the manifest is history whose manifest
        # was lost: it is never deleted (the files can be brought back; see docs).
        created = manifest.get("created_at")
        if not isinstance(created, int | float):
            return
        for table in TABLES:  # only the store's own folders, never a name from the file
            folder = self.root / table
            for path in folder.glob("*.parquet*") if folder.is_dir() else ():
                name = f"{table}/{path.name}"
                modified = path.stat().st_mtime
                if (
                    name not in live
                    and modified > created
                    and now - modified > ORPHAN_GRACE_SECONDS
                ):
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()

    @contextlib.contextmanager
    def _write_lock(self, timeout: float = 30.0) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / LOCK
        with path.open("a+") as handle:
            deadline = self._clock() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if self._clock() >= deadline:
                        raise StoreLockedError(
                            path, "another process is writing to this store"
                        ) from None
                    self._sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


_SEGMENT = re.compile(r"[a-z_]+/\d{8}-[0-9a-f]{8,32}\.parquet")


def _segment_of(table: str, name: object) -> bool:
    """True when `name` is a segment file of `table` inside the store (no '..', no absolute
    path, no other folder): a damaged or hostile manifest cannot point outside."""
    return (
        isinstance(name, str)
        and table in TABLES
        and name.startswith(f"{table}/")
        and _SEGMENT.fullmatch(name) is not None
    )


class _SegmentVanishedError(Exception):
    """A segment named by the manifest we read has since been retired and removed."""


def merge_newest(spec: Table, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate frames of one table, keeping the newest `fetched_at` per key.

    On equal `fetched_at` the later part wins, so pass parts oldest source first.
    """
    parts = [p for p in parts if len(p)]
    if not parts:
        return spec.empty()
    if len(parts) == 1:
        return parts[0]
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values("fetched_at", kind="stable")
    frame = frame[~frame.duplicated(subset=list(spec.key), keep="last")]
    return frame.sort_index().reset_index(drop=True)


def atomic_write(path: Path, write: Callable) -> None:
    """Write to a temp file beside `path`, fsync, rename over it, fsync the folder."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
