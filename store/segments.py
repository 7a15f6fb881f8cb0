"""The history store: immutable Parquet segments, published by swapping one manifest file.

Layout of a store folder:

    manifest.json              {"format": 1, "version": N, "tables": {table: [segment, ...]},
                                "created_at": t, "retired": [...], "set_aside": [...],
                                "merged_batches": [batch id, ...]}
    <table>/<N>-<id>.parquet   the published segments: exactly the files the manifest lists
    .staging/<table>/...       segments of a write not yet published (or killed before it)
    .retired/<table>/...       segments compaction merged, kept for readers of an older manifest
    .write.lock                held (flock) by the one process that is writing
    manifest.backup-*.json     old manifests a repair replaced (kept, never read)

The read rule, for any engine (docs/reading-the-store.md, docs/sql/): read every
`<table>/*.parquet` by column name (a newer segment may have more columns) and keep the newest
`fetched_at` per key. Nothing unpublished or retired is ever in a table folder, so pointing an
engine at the folder reads what the app reads.

`retired` lists segments compaction merged, deleted after a grace period; `set_aside` lists
segments a repair found unreadable, left on disk and never deleted; `created_at` is when the
manifest was first written: an unlisted segment older than that is lost history, not an
orphan of a crashed write.

Why this shape:
- A write stages its segment files in `.staging/` (temp file, fsync, rename), replaces the
  manifest in one `os.replace`, then moves the staged files into their table folders. A
  reader of the manifest sees the old one or the new one, never a half; a reader of a table
  folder never sees a row that is not published. A process killed before the swap leaves only
  staged files, which a later write removes; one killed after it leaves published files in
  `.staging/`, which the manifest's readers find there and the next write moves into place.
- Nothing is rewritten in place. Compaction writes a new segment and a new manifest, moves
  the replaced files to `.retired/` and only deletes them after a grace period, so a reader
  holding the older manifest still finds them (a listed name is looked for in `.staging/`,
  the table folder and `.retired/`, the order a file moves in).
- Compaction is size-tiered: when TIER_FANOUT neighbouring segments of a table are of one
  size tier, they are merged into one, its rows sorted by the table's key (so engines skip
  files and row groups by their min/max). An append rewrites at most a few small files, and a
  row is rewritten about once per tier (log4 of the table's size), never the whole table
  every few weeks.
- A store written before `.staging/` and `.retired/` existed (orphans and retired files in
  the table folders) is read right by the app as it is, and moved to this layout by its next
  write (or `./dev cli repair`).
- Readers take no lock, so the app reads while a refresh in another process writes
  (a DuckDB file would refuse the second process).
- Nothing that holds data is ever lost to damage: an unreadable or missing segment is named
  and the rest is read; compaction leaves what it cannot read in place; a segment older than
  the manifest that the manifest does not list is history whose index was lost, named on read
  and never deleted. `store.repair.rebuild_index` (`cli.py repair`) rebuilds the manifest
  from the segments on disk.
- A value no source can report (store/plausible.py: a year 2262, a count of 2**62) never
  reaches a page: a read leaves its row out and names the file; compaction leaves the file
  listed as it is, so nothing in it is dropped.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from errors import CorruptFileError, ImplausibleValuesError, StoreError, StoreLockedError
from files import atomic_write, file_lock
from store.plausible import Implausible, implausible_rows
from store.schema import TABLES, Table, merge_newest

MANIFEST = "manifest.json"
LOCK = ".write.lock"
STAGING = ".staging"  # unpublished segments: outside the table folders any engine reads
RETIRED = ".retired"  # merged segments in their grace period: outside them too
FORMAT = 1
MERGED = "merged_batches"  # ids of the shards' batches `merge` published (store/batches.py)
RETIRED_GRACE_SECONDS = 600.0
ORPHAN_GRACE_SECONDS = 3600.0
# Size-tiered compaction: TIER_FANOUT neighbouring segments of one tier are merged into one.
# Tier 0 is every file under TIER_BASE_BYTES (a few weeks of small daily writes); tier n+1
# holds files TIER_FANOUT times larger than tier n.
TIER_FANOUT = 4
TIER_BASE_BYTES = 64 * 1024
COMPACT_AFTER_SEGMENTS = TIER_FANOUT  # appends after which a table has certainly been merged
UNINDEXED_GRACE_SECONDS = 60.0  # younger segments beside no manifest may be a first write
REPAIR = "./dev cli repair"
REPAIR_HINT = (
    f"run `{REPAIR}` to rebuild the index from the segment files on disk (it keeps a backup "
    "of the old index and deletes nothing)"
)

log = logging.getLogger("ossai.store")


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
                path, f"is not valid JSON: the store's index is damaged; {REPAIR_HINT}"
            ) from None
        fmt = manifest.get("format") if isinstance(manifest, dict) else None
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FORMAT:
            raise CorruptFileError(
                path,
                f"was written by a newer version of this dashboard (store format {fmt}; this "
                f"version reads format {FORMAT}): update the dashboard; nothing was changed",
            )
        if fmt != FORMAT or not isinstance(manifest.get("tables"), dict):
            raise _damaged(path, "is not a store manifest of format 1")
        version = manifest.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise _damaged(path, f"has a version {version!r} that is not a whole number")
        for table, names in manifest["tables"].items():
            if table not in TABLES or not isinstance(names, list):
                raise _damaged(path, f"names an unknown table {table!r}")
            for name in names:
                if not _segment_of(table, name):
                    raise _damaged(path, f"names a file outside the store: {name!r}")
        for key in ("retired", "set_aside"):
            items = manifest.get(key, [])
            for item in items if isinstance(items, list) else [None]:
                name = item.get("path") if isinstance(item, dict) else None
                if not (isinstance(name, str) and _segment_of(name.partition("/")[0], name)):
                    raise _damaged(path, f"lists a file outside the store: {name!r}")
        return manifest

    def version(self) -> str:
        """Changes whenever a write is published; cheap enough to call on every page run."""
        try:
            stat = (self.root / MANIFEST).stat()
        except (FileNotFoundError, NotADirectoryError):
            return "empty"
        return f"{stat.st_mtime_ns}-{stat.st_size}"

    def read(self, table: str) -> ReadResult:
        """All rows of a table, newest value per key. Unreadable or missing files are named
        in the result's problems and the rest is read; this never raises for damage."""
        spec = TABLES[table]
        for attempt in range(3):
            try:
                manifest = self.manifest()
            except CorruptFileError as exc:
                return ReadResult(spec.empty(), [exc])
            names = manifest["tables"].get(table, [])
            segments = self._read_segments(spec, names)
            if segments.missing and attempt < 2 and self._listing_changed(table, names):
                continue  # compaction retired a file after we read the manifest: read again
            problems = [*segments.problems.values(), *map(_missing, segments.missing)]
            problems += self._unindexed(table, manifest)
            return ReadResult(merge_newest(spec, list(segments.frames.values())), problems)
        raise AssertionError("unreachable")

    def published(self, table: str) -> tuple[list[tuple[str, Path]], list[CorruptFileError]]:
        """The table's listed segments as (name, where the file is now), in manifest order,
        and what is wrong: a damaged index, a listed file found nowhere, unindexed history."""
        try:
            manifest = self.manifest()
        except CorruptFileError as exc:
            return [], [exc]
        names = manifest["tables"].get(table, [])
        places = {n: next((p for p in self._places(n) if p.is_file()), None) for n in names}
        missing = [_missing(self.root / n) for n, p in places.items() if p is None]
        return [(n, p) for n, p in places.items() if p], missing + self._unindexed(table, manifest)

    def read_segment(self, spec: Table, name: str) -> ReadResult:
        """One listed segment by the pandas path: its plausible rows (frame None when it
        cannot be read at all), and what is wrong with it."""
        found = self._read_segments(spec, [name])
        problems = [*found.problems.values(), *map(_missing, found.missing)]
        return ReadResult(found.frames.get(name), problems)  # type: ignore[arg-type]

    def _listing_changed(self, table: str, names: list[str]) -> bool:
        try:
            return self.manifest()["tables"].get(table, []) != names
        except CorruptFileError:
            return False

    def _read_segments(self, spec: Table, names: list[str]) -> _Segments:
        """Each named segment's rows, or why it could not be read, or that it is missing.

        Rows holding a value no source can report (store/plausible.py) are left out of the
        segment's frame, and the segment is named in `implausible` and `problems`."""
        found = _Segments()
        now = pd.Timestamp(self._clock(), unit="s", tz="UTC")
        for name in names:
            path = self.root / name
            try:
                arrow = self._read_listed(name)
            except FileNotFoundError:
                found.missing.append(path)
                continue
            except (pa.ArrowException, OSError) as exc:
                found.problems[name] = CorruptFileError(
                    path, f"is not a readable Parquet file ({exc})"
                )
                continue
            try:
                frame = spec.conform(spec.widen(arrow.to_pandas()), where=str(path))
            except StoreError as exc:
                found.problems[name] = CorruptFileError(path, exc.problem)
                continue
            doubt = implausible_rows(spec, frame, now)
            if doubt is not None:
                frame = frame[~doubt.rows.to_numpy()].reset_index(drop=True)
                found.implausible[name] = doubt
                found.problems[name] = _implausible(path, doubt)
            found.frames[name] = frame
        return found

    def _places(self, name: str) -> list[Path]:
        """Where a listed segment can be, in the order a file moves: staged (published, not
        yet moved), in its table folder, retired (merged by a compaction since)."""
        return [self.root / STAGING / name, self.root / name, self.root / RETIRED / name]

    def _read_listed(self, name: str) -> pa.Table:
        """A listed segment's rows, wherever it is; FileNotFoundError when it is nowhere."""
        for place in self._places(name):
            try:
                return pq.read_table(place)
            except FileNotFoundError:
                continue
        raise FileNotFoundError(self.root / name)

    def _unindexed(self, table: str, manifest: dict) -> list[CorruptFileError]:
        """History on disk the manifest does not list: segments older than the manifest, or
        any segment when there is no manifest at all (it was moved or deleted)."""
        created = manifest.get("created_at")
        lost = manifest.get("version") == 0 and not (self.root / MANIFEST).exists()
        if lost:  # a first write puts its segments in place just before its manifest
            created = self._clock() - UNINDEXED_GRACE_SECONDS
        if not isinstance(created, int | float):
            return []
        known = _known_files(manifest)
        folder = self.root / table
        count = 0
        with contextlib.suppress(OSError):  # a folder or file gone since: nothing to name
            for path in folder.glob("*.parquet") if folder.is_dir() else ():
                name = f"{table}/{path.name}"
                if name not in known and _segment_of(table, name):
                    count += path.stat().st_mtime < created
        if not count:
            return []
        said = (
            f"is missing, but {count} segment file(s) of table {table!r} are on disk"
            if lost
            else f"does not list {count} older segment file(s) of table {table!r} that are on "
            "disk (the index was lost or replaced)"
        )
        return [
            CorruptFileError(
                self.root / MANIFEST,
                f"{said}: their rows are not shown. Nothing was deleted; {REPAIR_HINT}",
            )
        ]

    # ----- writing -----------------------------------------------------------------------

    def append(self, frames: Mapping[str, pd.DataFrame], *, batches: Sequence[str] = ()) -> int:
        """Add rows to one or more tables in one atomic publish; returns the new version.
        `batches` (ids of shards' batches, store/batches.py) are recorded as merged by the
        same publish.

        Raises StoreError for a frame that does not fit its table or a batch already merged,
        StoreLockedError when another writer holds the lock too long, and CorruptFileError for
        a damaged manifest.
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
            if again := set(batches) & set(manifest.get(MERGED, [])):
                raise StoreError(self.root, f"batches {sorted(again)} are already merged")
            manifest[MERGED] = [*manifest.get(MERGED, []), *batches]
            version = int(manifest["version"]) + 1
            for name, frame in conformed.items():
                segment = self._write_segment(name, frame, version)
                manifest["tables"].setdefault(name, []).append(segment)
            manifest["version"] = version
            self._publish(manifest)
            # The write is published: housekeeping after it may fail (a full disk), but
            # never makes the write look failed.
            try:
                self._settle(manifest)
                for name in conformed:
                    self._compact_tiers(manifest, name)
                self._collect_garbage(manifest)
            except (StoreError, OSError, pa.ArrowException) as exc:
                log.warning("%s: housekeeping after a write was put off: %s", self.root, exc)
        return int(manifest["version"])

    def compact(self, table: str) -> int:
        """Merge a table's readable segments into one (newest value per key); returns the
        new version. A segment that cannot be read (or is missing) stays listed, untouched."""
        self._check_writable()
        with self._write_lock():
            manifest = self.manifest()
            self._settle(manifest)
            self._compact_locked(manifest, table)
        return int(manifest["version"])

    def _compact_tiers(self, manifest: dict, table: str) -> None:
        """Merge every run of TIER_FANOUT neighbouring segments of one size tier, newest run
        first, until none is left: what an append costs stays flat as the table grows."""
        unmergeable: set[str] = set()  # unreadable, missing or holding implausible rows
        while True:
            names = list(manifest["tables"].get(table, []))
            tiers = [None if n in unmergeable else self._tier(n) for n in names]
            runs = [
                tuple(names[i : i + TIER_FANOUT])
                for i in range(len(names) - TIER_FANOUT, -1, -1)
                if tiers[i] is not None and len(set(tiers[i : i + TIER_FANOUT])) == 1
            ]
            if not runs:
                return
            unmergeable |= self._compact_locked(manifest, table, runs[0])

    def _tier(self, name: str) -> int | None:
        """A segment's size tier; None when it is nowhere to be found."""
        for place in self._places(name):
            try:
                size = place.stat().st_size
            except OSError:
                continue
            tier = 0
            while size >= TIER_BASE_BYTES:
                size //= TIER_FANOUT
                tier += 1
            return tier
        return None

    def _compact_locked(
        self, manifest: dict, table: str, among: tuple[str, ...] | None = None
    ) -> set[str]:
        """Merge the table's readable segments (or those of them in `among`, neighbours) into
        one, rows sorted by key, placed where the newest of them was listed. Returns the
        chosen segments that could not be merged, which stay listed as they are."""
        old = list(manifest["tables"].get(table, []))
        chosen = [name for name in old if among is None or name in among]
        if len(chosen) < 2:
            return set()
        spec = TABLES[table]
        found = self._read_segments(spec, chosen)
        # a segment with rows left out as implausible stays too: merging would drop them
        merged = [n for n in chosen if n in found.frames and n not in found.implausible]
        kept = set(chosen) - set(merged)
        if len(merged) < 2:
            return set(chosen)
        # What cannot be read stays listed where it was, so its rows are never dropped and
        # the file is never collected: it can still be restored and read.
        rows = merge_newest(spec, [found.frames[n] for n in merged])
        rows = rows.sort_values(list(spec.key), kind="stable").reset_index(drop=True)
        last = merged[-1]
        # Named with the version of the newest segment it replaces, so that file names sort
        # as the manifest lists them: engines break a tie on `fetched_at` by file name.
        segment = self._write_segment(table, rows, int(last.split("/")[1][:8]))
        after = copy.deepcopy(manifest)
        after["tables"][table] = [
            segment if name == last else name for name in old if name not in merged[:-1]
        ]
        now = self._clock()
        after.setdefault("retired", []).extend({"path": p, "since": now} for p in merged)
        after["version"] = int(manifest["version"]) + 1
        self._publish(after)
        manifest.clear()
        manifest.update(after)
        self._settle(manifest)
        return kept

    def _settle(self, manifest: dict) -> None:
        """Move published files where a folder reader expects them: listed segments out of
        `.staging/` into their table folders first, then retired ones out of the table folders
        into `.retired/` (in that order, a folder reader sees a merged row twice, which the
        newest-per-key rule folds, rather than not at all)."""
        listed = _listed(manifest)
        for name in listed:
            _move(self.root / STAGING / name, self.root / name)
        for item in manifest.get("retired", []):
            if item["path"] not in listed:
                _move(self.root / item["path"], self.root / RETIRED / item["path"])

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(self.root, "is read-only (the shipped default data)")

    def _write_segment(self, table: str, frame: pd.DataFrame, version: int) -> str:
        """Stage a segment in `.staging/<table>/`; returns its name as the manifest lists it
        (`<table>/<file>`). It reaches the table folder only once it is published."""
        folder = self.root / STAGING / table
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{table}/{version:08d}-{uuid.uuid4().hex[:12]}.parquet"
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        # Times are stored as differences (DELTA_BINARY_PACKED): a table sorted by time, such
        # as a repository's commits, shrinks by about a tenth; every Parquet reader (DuckDB,
        # ClickHouse, Spark) reads it.
        times = [f.name for f in arrow.schema if pa.types.is_timestamp(f.type)]
        options = {
            "use_dictionary": [n for n in arrow.column_names if n not in times],
            "column_encoding": dict.fromkeys(times, "DELTA_BINARY_PACKED") or None,
        }
        atomic_write(
            self.root / STAGING / name,
            lambda f: pq.write_table(arrow, f, compression="zstd", **options),
        )
        return name

    def _publish(self, manifest: dict) -> None:
        manifest.setdefault("created_at", self._clock())  # what is older is never an orphan
        manifest["written_at"] = datetime.fromtimestamp(self._clock(), UTC).isoformat()
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        atomic_write(self.root / MANIFEST, lambda f: f.write(data))

    def _collect_garbage(self, manifest: dict) -> None:
        """Delete retired segments past their grace period and orphans of crashed writes;
        move the orphans a store of the older layout left in its table folders out of them."""
        now = self._clock()
        keep, changed = [], False
        listed = _listed(manifest)
        for item in manifest.get("retired", []):
            if now - item["since"] >= RETIRED_GRACE_SECONDS:
                with contextlib.suppress(FileNotFoundError):
                    (self.root / RETIRED / item["path"]).unlink()
                if item["path"] not in listed:  # the older layout retired it in place
                    with contextlib.suppress(FileNotFoundError):
                        (self.root / item["path"]).unlink()
                changed = True
            else:
                keep.append(item)
        if changed:
            manifest["retired"] = keep
            self._publish(manifest)
        live = _known_files(manifest)
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
                with contextlib.suppress(FileNotFoundError):
                    if name not in live and path.stat().st_mtime > created:
                        # an orphan the older layout left in the table folder: out of the
                        # folder engines read, deleted like any staged orphan after its grace
                        _move(path, self.root / STAGING / name)
            staged = self.root / STAGING / table
            for path in staged.glob("*.parquet*") if staged.is_dir() else ():
                name = f"{table}/{path.name}"
                with contextlib.suppress(FileNotFoundError):
                    if name not in live and now - path.stat().st_mtime > ORPHAN_GRACE_SECONDS:
                        path.unlink()

    def _write_lock(self, timeout: float = 30.0) -> contextlib.AbstractContextManager[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / LOCK
        return file_lock(
            path,
            lambda: StoreLockedError(path, "another process is writing to this store"),
            timeout=timeout,
            clock=self._clock,
            sleep=self._sleep,
        )


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


@dataclass
class _Segments:
    """Segments as read: rows per readable segment (its plausible rows), problems per
    unreadable one or one with implausible rows, and the listed files not on disk."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: dict[str, CorruptFileError] = field(default_factory=dict)
    implausible: dict[str, Implausible] = field(default_factory=dict)
    missing: list[Path] = field(default_factory=list)


def _listed(manifest: dict) -> set[str]:
    return {name for names in manifest["tables"].values() for name in names}


def _move(source: Path, target: Path) -> None:
    """Rename a file into place (creating the folder); nothing when it is not there."""
    try:
        source.replace(target)
    except FileNotFoundError:
        if not source.exists():
            return  # already moved, or never there
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            source.replace(target)


def _known_files(manifest: dict) -> set[str]:
    """Every segment the manifest accounts for: listed, retired, or set aside by a repair."""
    known = {name for names in manifest["tables"].values() for name in names}
    for key in ("retired", "set_aside"):
        known |= {item["path"] for item in manifest.get(key, [])}
    return known


def _damaged(path: Path, problem: str) -> CorruptFileError:
    return CorruptFileError(path, f"{problem}: the store's index is damaged; {REPAIR_HINT}")


def _implausible(path: Path, doubt: Implausible) -> ImplausibleValuesError:
    kept = doubt.total - doubt.count
    others = f" (its other {kept:,} rows are shown)" if kept else ""
    return ImplausibleValuesError(
        path,
        f"{doubt.count:,} of its {doubt.total:,} rows hold values no source can report and "
        f"are not shown{others}; first: {doubt.first()}. The file is "
        f"unchanged. Correct it, or run `{REPAIR}` to set it aside (kept on disk, "
        "none of its rows shown)",
        rows=doubt.count,
        total=doubt.total,
        first=doubt.first(),
    )


def _missing(path: Path) -> CorruptFileError:
    return CorruptFileError(
        path,
        "is listed in the store's index but missing: its rows are not shown. Put the file "
        f"back from a backup, or {REPAIR_HINT}",
    )
