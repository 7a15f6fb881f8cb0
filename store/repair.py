"""Recovery: rebuild a store's index (manifest.json) from the segment files on disk.

When the manifest is damaged, lost or names files that are gone, the history is still in the
segment files: each is written once, renamed into place and never changed. The rebuilt index
lists every readable segment of every table, oldest file first, so on equal `fetched_at` the
later write still wins, as it did. A compacted segment and the originals it merged may both be
on disk (the originals are kept for a grace period after compaction, and a lost manifest
leaves them for good): both are listed, which is safe because reads keep the newest
observation per key and the compacted rows are the same rows; the next compaction merges
them again. Segments compaction retired (in `.retired/`) are not indexed: their rows are in
the segment that merged them. A segment the old index lists that is still staged (a write
killed after publishing, before moving its files) is moved into its table folder first.
Nothing is deleted or moved otherwise: the old manifest is copied to a dated backup beside
it, and a segment that cannot be read is left where it is, named in the report and recorded
as set aside, so a later repair indexes it again once it has been restored.

A segment that reads but holds values no source can report (store/plausible.py: a year 2262,
a count of 2**62) is set aside the same way, whole, named with its first impossible value.
Whole, not trimmed to its plausible rows: the index lists files, so indexing it would leave
a warning on every read that only deleting the user's file could silence, and trimming would
mean writing rows no collector wrote. A segment is one write of one run, and this version's
collectors never write such a value (they store it as null, flagged), so a file that holds one
was written by hand, by an older version or damaged: its other values are no safer. Once it
has been corrected, the next repair indexes it again.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from errors import CorruptFileError, ImplausibleValuesError, StoreError
from files import atomic_write
from store.schema import TABLES
from store.segments import FORMAT, MANIFEST, MERGED, STAGING, SegmentStore, _move, _segment_of

_VERSION = re.compile(r"(\d{8})-")


@dataclass
class RepairReport:
    """What a rebuild found and did."""

    store: Path
    segments: dict[str, int] = field(default_factory=dict)  # table -> segments indexed
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows as read after it
    newly_indexed: list[str] = field(default_factory=list)  # on disk, not in the old index
    set_aside: list[CorruptFileError] = field(default_factory=list)  # unreadable, left there
    gone: list[str] = field(default_factory=list)  # listed in the old index, not on disk
    ignored: list[Path] = field(default_factory=list)  # files in table folders, not segments
    backup: Path | None = None
    old_index_problem: str | None = None  # why the old index could not be used, if so
    written: bool = False

    def lines(self) -> list[str]:
        """What the repair found and did, for `cli.py repair` (which makes them printable)."""
        out = []
        if self.old_index_problem:
            out.append(f"The old index could not be used: {self.old_index_problem}")
        if not self.segments and not self.set_aside:
            out.append(f"No segment files found in {self.store}: nothing to index.")
        for table, count in self.segments.items():
            out.append(f"  {table}: {count} segment file(s), {self.rows[table]:,} rows")
        if self.newly_indexed:
            out.append(
                f"{len(self.newly_indexed)} file(s) the old index did not list are indexed again."
            )
        for problem in self.set_aside:
            if isinstance(problem, ImplausibleValuesError):
                out.append(f"set aside, not indexed: {problem}")
            else:
                out.append(
                    f"left where it is, not indexed (restore it, then repair again): {problem}"
                )
        for name in self.gone:
            out.append(f"listed in the old index but not on disk (dropped from the index): {name}")
        out += [f"not a segment file, ignored: {path}" for path in self.ignored]
        if self.written:
            backup = f"; the old one is kept as {self.backup}" if self.backup else ""
            out.append(f"Wrote a new index {self.store / MANIFEST}{backup}. Nothing was deleted.")
        else:
            out.append(
                "Nothing was written (dry run)." if self.segments else "Nothing was written."
            )
        return out


def rebuild_index(store: SegmentStore, *, dry_run: bool = False) -> RepairReport:
    """Index every readable segment on disk in a new manifest, keeping the old one as a backup.

    With `dry_run`, only report. Raises CorruptFileError (and changes nothing) for a manifest
    written by a newer version, StoreError for a read-only store, StoreLockedError when a
    writer holds the store, and OSError when the folder cannot be written.
    """
    if store.read_only and not dry_run:
        raise StoreError(store.root, "is read-only (the shipped default data)")
    report = RepairReport(store.root)
    with contextlib.nullcontext() if dry_run else store._write_lock():
        old = _old_index(store, report)
        listed = {name for names in old.get("tables", {}).values() for name in names}
        if not dry_run:  # a write killed after publishing, before its files were moved
            for name in listed:
                _move(store.root / STAGING / name, store.root / name)
        tables: dict[str, list[str]] = {}
        for table, spec in TABLES.items():
            found = _segments_on_disk(store.root / table, table, report)
            readable = store._read_segments(spec, found)
            report.set_aside += [_set_aside(p) for p in readable.problems.values()]
            tables[table] = [
                name
                for name in found
                if name in readable.frames and name not in readable.implausible
            ]
            report.newly_indexed += [name for name in tables[table] if name not in listed]
            if tables[table]:
                report.segments[table] = len(tables[table])
                report.rows[table] = sum(len(readable.frames[n]) for n in tables[table])
        on_disk = {name for names in tables.values() for name in names}
        on_disk |= {str(p.path.relative_to(store.root)) for p in report.set_aside}
        report.gone = sorted(listed - on_disk)
        if dry_run or not (on_disk or (store.root / MANIFEST).exists()):
            return report
        report.backup = _back_up(store.root)
        versions = [int(m.group(1)) for n in on_disk if (m := _VERSION.search(n))]
        now = store._clock()
        manifest = {
            "format": FORMAT,
            "version": max([_whole(old.get("version")), *versions]) + 1,
            "tables": {table: names for table, names in tables.items() if names},
            # every file on disk now is history: never an orphan for garbage collection
            "created_at": now,
            "set_aside": [
                {"path": str(p.path.relative_to(store.root)), "problem": p.problem, "since": now}
                for p in report.set_aside
            ],
            "repaired_at": datetime.fromtimestamp(now, UTC).isoformat(),
            # the shards' batches already published stay recorded: never merged twice
            MERGED: [b for b in old.get(MERGED, []) if isinstance(b, str)],
        }
        store._publish(manifest)
        report.written = True
    return report


def _set_aside(problem: CorruptFileError) -> CorruptFileError:
    """A segment left out of the new index, with why; one with impossible values is said
    as a repair says it (the read's message offers the repair)."""
    if not isinstance(problem, ImplausibleValuesError):
        return problem
    return ImplausibleValuesError(
        problem.path,
        f"{problem.rows:,} of its {problem.total:,} rows hold values no source can report; "
        f"first: {problem.first}. The whole file is set aside, unchanged: correct it, then "
        "repair again",
        rows=problem.rows,
        total=problem.total,
        first=problem.first,
    )


def _old_index(store: SegmentStore, report: RepairReport) -> dict:
    """The old manifest if it can be read; {} when it is damaged or missing. Raises
    CorruptFileError for one written by a newer version: that is not damage to repair."""
    path = store.root / MANIFEST
    try:
        loose = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        loose = None
    fmt = loose.get("format") if isinstance(loose, dict) else None
    try:
        return store.manifest()
    except CorruptFileError as exc:
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FORMAT:
            raise  # written by a newer version: not damage, and not ours to rewrite
        report.old_index_problem = exc.problem
    # what a damaged index still says tells which of the files it listed are gone
    if not isinstance(loose, dict) or not isinstance(loose.get("tables"), dict):
        return {"version": loose.get("version") if isinstance(loose, dict) else None}
    tables = {
        table: [n for n in names if _segment_of(table, n)]
        for table, names in loose["tables"].items()
        if table in TABLES and isinstance(names, list)
    }
    return {"version": loose.get("version"), "tables": tables}


def _segments_on_disk(folder: Path, table: str, report: RepairReport) -> list[str]:
    """The table's segment files, oldest first (file time, then the version in the name)."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if path.name.startswith("."):  # a temporary file of a write in progress or killed
            continue
        name = f"{table}/{path.name}"
        if _segment_of(table, name) and path.is_file():
            found.append((path.stat().st_mtime_ns, name))
        else:
            report.ignored.append(path)
    return [name for _, name in sorted(found)]


def _back_up(root: Path) -> Path | None:
    """Copy the old manifest beside it under a dated name; None when there is none."""
    path = root / MANIFEST
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    backup = root / f"manifest.backup-{stamp}.json"
    atomic_write(backup, lambda f: f.write(data))
    return backup


def _whole(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
