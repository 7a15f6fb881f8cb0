"""Shards' batches: what `refresh --shard K/N` collected, kept unpublished until `merge`.

A batch is a folder under the data folder's `batches/` (never inside a table folder, so no
engine reading the store by docs/reading-the-store.md sees it):

    batches/<name>-K-of-N/
        batch.json         {"id", "name", "shard", "state": "running"|"finished", "pid",
                            "started_at", "finished_at", "report": {...}}
        store/             the shard's own segment store (manifest.json, <table>/*.parquet)
        http-cache/        the shard's own validator cache (seeded from the data folder's)
        refresh.lock, refresh.log

While a shard runs, its collectors read the published store and its own batch together
(`BatchStore`: newest observation per key, the batch's on a tie) and write only the batch,
one atomic write per target with its collection_runs row, as a plain refresh does.

`merge_batches` publishes the rows of any number of batches in ONE append to the published
store (one manifest swap: a reader sees all of them or none) and records their ids in the
manifest (`merged_batches`) in that same swap, so a batch is never applied twice; re-merging
the same rows would not duplicate them anyway, since a read keeps one row per key (the
newest `fetched_at`; on a tie, the later segment, which holds the same values).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from errors import CorruptFileError, StoreError
from files import atomic_write
from store.schema import TABLES
from store.segments import MERGED, ReadResult, SegmentStore, merge_newest

BATCH_FILE = "batch.json"
STORE_FOLDER = "store"  # the batch's own segment store, inside its folder
RUNNING, FINISHED = "running", "finished"
FOLDER_NAME = re.compile(r"(?P<name>.+)-(?P<index>\d+)-of-(?P<count>\d+)")  # <name>-K-of-N
SHARD_TEXT = re.compile(r"\d+/\d+")


class BatchStore(SegmentStore):
    """A shard's store: reads the published store and the batch together, writes the batch."""

    def __init__(self, root: Path | str, published: SegmentStore) -> None:
        super().__init__(root)
        self.published = published

    def read(self, table: str) -> ReadResult:
        """The published rows and the batch's, newest per key (the batch's on a tie)."""
        published, own = self.published.read(table), super().read(table)
        frame = merge_newest(TABLES[table], [published.frame, own.frame])
        return ReadResult(frame, published.problems + own.problems)


@dataclass
class Batch:
    """One shard's batch folder and what its batch.json says."""

    folder: Path
    id: str
    name: str
    shard: str  # 'K/N'
    state: str = RUNNING
    pid: int | None = None
    started_at: str = ""
    finished_at: str | None = None
    report: dict[str, Any] = field(default_factory=dict)  # the shard's refresh report

    @property
    def own(self) -> SegmentStore:
        """The batch's own rows, without the published store's."""
        return SegmentStore(self.folder / STORE_FOLDER)

    def save(self) -> None:
        data = {k: v for k, v in self.__dict__.items() if k != "folder"}
        text = json.dumps(data, indent=1, sort_keys=True, default=str).encode()
        atomic_write(self.folder / BATCH_FILE, lambda f: f.write(text))

    @classmethod
    def load(cls, folder: Path) -> Batch:
        """Raises CorruptFileError when batch.json is missing or damaged."""
        path = folder / BATCH_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CorruptFileError(path, "is missing: not a shard's batch") from None
        except (OSError, ValueError) as exc:
            raise CorruptFileError(path, f"cannot be read ({exc})") from None
        fields = [k for k in cls.__dataclass_fields__ if k != "folder"]
        if not isinstance(data, dict) or not {"id", "name", "shard"} <= set(data):
            raise CorruptFileError(path, "is not a shard's batch description (no id, name, shard)")
        batch = cls(folder, **{k: data[k] for k in fields if k in data})
        if not batch._well_formed():
            raise CorruptFileError(path, "is not a shard's batch description")
        return batch

    def _well_formed(self) -> bool:
        """Every field of the type it is written with (a hand-edited or foreign batch.json
        is named as damaged, never a crash of `status` or `merge` further on)."""
        texts = (self.id, self.name, self.shard, self.started_at)
        return (
            all(isinstance(t, str) for t in texts)
            and bool(SHARD_TEXT.fullmatch(self.shard))
            and self.state in (RUNNING, FINISHED)
            and (self.pid is None or (isinstance(self.pid, int) and not isinstance(self.pid, bool)))
            and (self.finished_at is None or isinstance(self.finished_at, str))
            and isinstance(self.report, dict)
        )

    def table_rows(self) -> dict[str, int]:
        """Rows per table in the batch (the newest per key: what `merge` publishes), tables
        with none left out. Raises CorruptFileError naming a file that cannot be read."""
        return {table: len(frame) for table, frame in batch_rows(self).items() if len(frame)}

    def last_written(self) -> pd.Timestamp | None:
        """When the batch was last written: its batch.json or its store's index, the newer."""
        times = []
        for path in (self.folder / BATCH_FILE, self.folder / STORE_FOLDER / "manifest.json"):
            try:
                times.append(path.stat().st_mtime)
            except OSError:
                continue
        return pd.Timestamp(max(times), unit="s", tz="UTC") if times else None


def open_batch(folder: Path, name: str, shard: str, merged: Collection[str] = ()) -> Batch:
    """The batch in `folder`, created if new. The same shard's next run continues its batch,
    whether it stopped half-way or finished and is not merged yet: a newer observation
    replaces an older one of the same key, as in the store, and the batch keeps the last run's
    report. A batch whose id is in `merged` (a merge published it and stopped before removing
    it) is replaced by a new one: its rows are published already, so none is counted twice.

    Raises StoreError when the folder holds another shard's batch, CorruptFileError when its
    batch.json is damaged."""
    batch = Batch.load(folder) if (folder / BATCH_FILE).exists() else None
    if batch is not None and batch.shard != shard:
        raise StoreError(folder, f"holds the batch of shard {batch.shard}, not {shard}")
    if batch is not None and batch.id in merged:
        shutil.rmtree(folder / STORE_FOLDER, ignore_errors=True)
        batch = None
    if batch is None:
        folder.mkdir(parents=True, exist_ok=True)
        batch = Batch(folder, uuid.uuid4().hex, name, shard)
        batch.started_at = pd.Timestamp.now(tz="UTC").isoformat()
    batch.state, batch.pid = RUNNING, os.getpid()
    batch.save()
    return batch


def still_there(batch: Batch) -> bool:
    """Whether the folder still holds this batch (a merge may have published and removed it
    between `open_batch` and the shard's run taking the batch's lock)."""
    try:
        return Batch.load(batch.folder).id == batch.id
    except CorruptFileError:
        return False


def list_batches(root: Path) -> tuple[list[Batch], list[CorruptFileError]]:
    """The batches under `root` (oldest first), and the folders that are not readable ones."""
    found, problems = [], []
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        if folder.is_dir():
            try:
                found.append(Batch.load(folder))
            except CorruptFileError as exc:
                problems.append(exc)
    found.sort(key=lambda b: (b.started_at, b.folder.name))
    return found, problems


def merged_ids(store: SegmentStore) -> set[str]:
    """The ids of the batches the published store has already merged."""
    return set(store.manifest().get(MERGED, []))


def batch_rows(batch: Batch) -> dict[str, pd.DataFrame]:
    """Every table's rows in the batch. Raises CorruptFileError naming a file that cannot be
    read (the batch is then left as it is, never half merged)."""
    own = batch.own
    frames = {}
    for table in own.manifest()["tables"]:
        result = own.read(table)
        if result.problems:
            raise result.problems[0]
        frames[table] = result.frame
    return frames


def merge_batches(store: SegmentStore, batches: list[Batch]) -> dict[str, int]:
    """Publish the batches' rows in one append (one manifest swap) that also records them as
    merged; returns the rows published per table. Raises StoreError when one is already
    merged, CorruptFileError when one cannot be read (nothing is published then)."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for batch in batches:  # oldest first: on a tie, the later batch's row wins
        for table, frame in batch_rows(batch).items():
            parts.setdefault(table, []).append(frame)
    frames = {table: merge_newest(TABLES[table], found) for table, found in parts.items()}
    store.append(frames, batches=[b.id for b in batches])
    return {table: len(frame) for table, frame in frames.items() if len(frame)}
