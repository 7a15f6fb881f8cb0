"""Collection that fans out: run one shard of a refresh into a batch, and merge batches.

    refresh --shard K/N   `run_shard`: this shard's targets (service/shards.py), into an
                          unpublished batch with its own HTTP cache, lock and log
    merge [BATCH...]      `merge`: publish finished batches (or the ones named) in one write

Each shard is one process with its own GitHub token and asks one request at a time, as
GitHub asks of a token; shards share nothing while they run, so they can run on one machine
or on N (a GitHub Actions matrix: deploy/github-actions/refresh-sharded.yml).

A shard stopped half-way (killed, a lost machine) leaves its batch 'running' with nobody
holding its lock: `merge` without names leaves it, says so and exits 3 (or 4 when nothing
else was merged); what it finished stays in it, each target's rows with its collection_runs
row (one atomic write each). Running the same shard again continues that batch; naming it
(`merge NAME`) publishes what it finished. Nothing published before is ever touched.

`after_publish` is what follows every publish of new data (a refresh, a merge); a shard's
run publishes nothing and is not followed by it.

A lane on a schedule (`schedule --shard K/N`, service/schedule.py) writes the batch of the
day its run starts (UTC) unless given --batch; its next run continues that batch while it is
not merged (finished or not: newer observations replace older ones per key) and starts a new
one once a merge published it. `waiting_batches` and `waiting_lines` are what `status` says of
the batches waiting: read without a lock or a write, the damaged ones named, never a crash.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from collectors.http.cache import ValidatorCache
from errors import ConfigError, CorruptFileError, StoreError
from registry import Registry
from service import refresh
from service.shards import Shard
from service.sources import SOURCES, Outcome
from settings import DataLayout, Settings
from store import SegmentStore
from store.batches import (
    FINISHED,
    FOLDER_NAME,
    Batch,
    list_batches,
    merge_batches,
    merged_ids,
    open_batch,
    still_there,
)
from terminal import duration, printable

# what follows a publish of new data (a refresh or a merge): each is called with the settings
AFTER_PUBLISH: list[Callable[[Settings], None]] = []


def after_publish(settings: Settings, report: refresh.RefreshReport | None = None) -> None:
    """Run what follows a publish of new data into the store (a merge's; with a refresh's
    report, only when that refresh stored new rows)."""
    if report is not None and not any(o.rows for o in report.outcomes):
        return
    for step in AFTER_PUBLISH:
        step(settings)


def lane_shard(shard: str | None, batch: str | None) -> Shard | None:
    """--shard K/N as given (None without it). Raises ConfigError for one that is no K/N, and
    for a --batch without --shard (a plain refresh publishes: it writes no batch)."""
    if batch is not None and not shard:
        raise ConfigError("--batch", None, "names a shard's batch: give --shard K/N too")
    return Shard.parse(shard) if shard else None


def batch_settings(
    settings: Settings, name: str | None, shard: Shard, now: datetime | None = None
) -> Settings:
    """The settings of a shard's run: its writes go to `batches/<name>-K-of-N/`; without a
    name, the batch of the day `now` falls on (UTC): `20261204`."""
    if name is None:
        name = f"{(now or datetime.now(UTC)).astimezone(UTC):%Y%m%d}"
    if not name or "/" in name or name.startswith(".") or not name.isprintable():
        raise ConfigError("--batch", None, f"{name!r}: a plain folder name, e.g. 20261204")
    folder = settings.data.batches / f"{name}-{shard.label}"
    return dataclasses.replace(settings, data=DataLayout(settings.data.root, batch=folder))


def run_shard(
    registry: Registry,
    settings: Settings,
    options: refresh.RefreshOptions,
    **run_options,
) -> refresh.RefreshReport:
    """One shard's refresh into its batch (`settings` from `batch_settings`, `options.shard`
    set): a new batch, or the one this shard left (stopped half-way, or finished and not
    merged yet: continued). Raises what `refresh.run` raises."""
    data = settings.data
    assert data.batch is not None and options.shard is not None
    published = SegmentStore(DataLayout(data.root).store)
    name = data.batch.name.rsplit("-", 3)[0]
    batch = open_batch(data.batch, name, str(options.shard), merged_ids(published))
    _seed_caches(settings.data)
    report = refresh.run(registry, settings, options, **run_options)
    if not still_there(batch):  # merged and removed before this run took the batch's lock:
        batch.id = uuid.uuid4().hex  # what this run wrote is a new batch, never a merged one
        batch.started_at = report.started_at.isoformat()
    batch.state, batch.pid = FINISHED, None
    batch.finished_at = pd.Timestamp.now(tz="UTC").isoformat()
    batch.report = {
        "run_id": report.run_id,
        "exit_code": report.exit_code,
        "outcomes": [dataclasses.asdict(o) for o in report.outcomes],
        "notes": report.notes,
        "unreachable": report.unreachable,
    }
    batch.save()
    return report


def _seed_caches(data: DataLayout) -> None:
    """A new batch starts from a copy of the data folder's validator caches, so its requests
    are conditional (304s) where a plain refresh's would be; `merge` takes them back."""
    published = DataLayout(data.root)
    for source in SOURCES:
        mine = data.http_cache(source)
        with contextlib.suppress(FileNotFoundError):
            if not mine.exists():
                mine.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(published.http_cache(source), mine)


@dataclass
class MergeReport:
    """What a merge published and what it left, and the shards' reports combined."""

    merged: list[Batch] = field(default_factory=list)
    interrupted: list[Batch] = field(default_factory=list)  # merged, but the shard stopped
    left: list[tuple[str, str]] = field(default_factory=list)  # (batch, why it was left)
    already: list[str] = field(default_factory=list)  # merged before: only cleaned up now
    rows: dict[str, int] = field(default_factory=dict)
    combined: refresh.RefreshReport | None = None

    def lines(self) -> list[str]:
        """What `merge` prints: each batch merged or left and why, the shards' per-source
        lines combined (as one refresh of all their targets would say), and the exit status."""
        if not (self.merged or self.left or self.already):
            return ["nothing to merge: no batch is waiting"]
        out = [f"merged {b.folder.name} (shard {b.shard}, {_how(b)})" for b in self.merged]
        out += [f"already merged before, removed: {name}" for name in self.already]
        out += [f"left as it is: {name}: {why}" for name, why in self.left]
        if self.combined is not None:
            out += self.combined.lines()
            rows = sum(self.rows.values())
            out.append(f"published {len(self.merged)} batch(es) in one write: {rows:,} rows")
        out.append(f"merge: exit status {self.exit_code}")
        return out

    @property
    def exit_code(self) -> int:
        """0 every batch merged and every shard refreshed all it had; 3 something published
        but a shard failed in part, stopped half-way or a batch was left; 4 nothing was."""
        if not self.merged:
            return refresh.FAILED if self.left else refresh.OK
        code = self.combined.exit_code if self.combined else refresh.OK
        if code in (refresh.OK, refresh.NEW_ALERTS) and (self.left or self.interrupted):
            return refresh.PARTIAL
        return code


def merge(
    settings: Settings, names: list[str] | None = None, registry: Registry | None = None
) -> MergeReport:
    """Publish the finished batches (or those named, finished or stopped half-way) into the
    store in one write, then fold their HTTP caches into the data folder's and remove them.
    With the `registry`, the alert rules are checked on what was published, as after a
    refresh (their lines and exit code 8 join the merge's).

    Raises AlreadyRunningError while a refresh or another merge runs, ConfigError for a
    name that is no batch, and StoreError/CorruptFileError for a store that cannot be written."""
    data = settings.data
    report = MergeReport()
    with refresh.refresh_lock(data.lock), contextlib.ExitStack() as held:
        store = SegmentStore(data.store)
        batches, problems = list_batches(data.batches)
        report.left += [(str(p.path.parent.name), p.problem) for p in problems]
        if names:
            known = {b.folder.name: b for b in batches}
            unknown = [n for n in names if n not in known]
            if unknown:
                raise ConfigError("merge", None, f"no batch {unknown} in {data.batches}")
            batches = [known[n] for n in dict.fromkeys(names)]
        done = merged_ids(store)
        chosen = []
        for batch in batches:
            if batch.id in done:
                report.already.append(batch.folder.name)
                continue
            try:  # a shard still writing its batch holds the batch's lock
                held.enter_context(refresh.refresh_lock(DataLayout(data.root, batch.folder).lock))
            except refresh.AlreadyRunningError:
                report.left.append((batch.folder.name, "its shard is still running"))
                continue
            if batch.state != FINISHED and not names:
                report.left.append((batch.folder.name, _stopped(batch)))
                continue
            chosen.append(batch)
        readable = []
        for batch in chosen:
            try:
                batch_rows_check(batch)
            except CorruptFileError as exc:
                report.left.append((batch.folder.name, f"cannot be read: {exc}"))
                continue
            readable.append(batch)
        if readable:
            report.rows = merge_batches(store, readable)
            report.merged = readable
            report.interrupted = [b for b in readable if b.state != FINISHED]
            report.combined = _combined(readable)
            if registry is not None:
                report.combined.alerts = refresh.after_publish_alerts(
                    registry, settings, report.combined, time.sleep
                )
        for batch in readable + [b for b in batches if b.folder.name in report.already]:
            _fold_caches(batch, data)
            _fold_log(batch, data)
            shutil.rmtree(batch.folder, ignore_errors=True)
    return report


def _how(batch: Batch) -> str:
    if batch.state != FINISHED:
        return "stopped before it finished: what it finished"
    code = batch.report.get("exit_code")
    return f"exit status {code}" + (
        "" if code == refresh.OK else ": not every target was refreshed, see below"
    )


def batch_rows_check(batch: Batch) -> None:
    """Raise CorruptFileError when a file of the batch's store cannot be read."""
    own = batch.own
    for table in own.manifest()["tables"]:
        if problems := own.read(table).problems:
            raise problems[0]


def _stopped(batch: Batch) -> str:
    runs = batch.own.read("collection_runs").frame
    return (
        f"its shard {batch.shard} stopped before it finished; {len(runs)} target(s) it "
        f"finished are in it. Run the shard again to finish it, or `merge {batch.folder.name}` "
        "to publish what it finished"
    )


def _combined(batches: list[Batch]) -> refresh.RefreshReport:
    """One report over the merged batches: the per-source lines and exit status a single
    refresh of all their targets would give. A batch stopped half-way counts the targets
    its collection_runs rows show."""
    started = min(pd.Timestamp(b.started_at) for b in batches)
    combined = refresh.RefreshReport(f"merge-{started:%Y%m%dT%H%M%SZ}", started)
    for batch in batches:
        said = batch.report
        if said:
            combined.outcomes += [Outcome(**o) for o in said.get("outcomes", [])]
            combined.notes += said.get("notes", [])
            combined.unreachable.update(said.get("unreachable", {}))
            continue
        runs = batch.own.read("collection_runs").frame
        combined.outcomes += [
            Outcome(r.collector, "", r.target, r.status, int(r.rows_written or 0))
            for r in runs.itertuples()
        ]
        combined.notes.append(f"shard {batch.shard} stopped before it finished")
    return combined


def _fold_caches(batch: Batch, data: DataLayout) -> None:
    """Keep what a shard's validator caches learnt in the data folder's."""
    shard = DataLayout(data.root, batch=batch.folder)
    for source in SOURCES:
        if not shard.http_cache(source).exists():
            continue
        cache = ValidatorCache(data.http_cache(source))
        if cache.absorb(ValidatorCache(shard.http_cache(source))):
            with contextlib.suppress(OSError, StoreError):
                cache.save()


def _fold_log(batch: Batch, data: DataLayout) -> None:
    """Keep the shard's log lines in the data folder's refresh.log, under one heading."""
    shard = DataLayout(data.root, batch=batch.folder)
    with contextlib.suppress(OSError):
        text = shard.log.read_text(encoding="utf-8", errors="replace")
        with data.log.open("a", encoding="utf-8") as log:
            log.write(f"--- shard {batch.shard}, batch {batch.folder.name} (merged) ---\n{text}")


# ----- what `status` says of the batches waiting under batches/ ------------------------------

RUNNING_NOW, STOPPED = "running", "stopped"  # besides FINISHED
_EXITS = {refresh.OK: "every target refreshed or current", refresh.PARTIAL: "partial failure"}
_EXITS[refresh.FAILED] = "no target refreshed"


@dataclass(frozen=True)
class Waiting:
    """One batch waiting under batches/, as `status` shows it."""

    folder: str  # its folder's name: what `merge NAME` takes
    name: str  # the --batch name the shards of one set share
    shard: Shard
    state: str  # FINISHED, RUNNING_NOW (its shard holds its lock) or STOPPED (half-way)
    exit_code: object  # the exit status of its last run that finished, if one did
    rows: dict[str, int]  # per table, what a merge would publish
    written: pd.Timestamp | None  # batch.json or its store's index, the newer
    problem: str = ""  # a file of its store that cannot be read: merge leaves the batch
    holder: str = ""  # who holds its lock while its shard runs ('pid 12 since ...')
    merged: bool = False  # published by a merge that stopped before removing it


def waiting_batches(settings: Settings) -> tuple[list[Waiting], list[tuple[str, str]]]:
    """The batches waiting under the data folder's batches/, read without writing anything
    or taking a lock, and the folders there that are no readable batch, with the problem."""
    found, problems = list_batches(settings.data.batches)
    damaged = [(p.path.parent.name, f"{p.path.name} {p.problem}") for p in problems]
    try:
        done = merged_ids(SegmentStore(settings.data.store))
    except StoreError:  # the published store's own problem, which status names
        done = set()
    waiting = []
    for batch in found:
        try:
            shard = Shard.parse(batch.shard)
        except ConfigError:
            damaged.append((batch.folder.name, f"batch.json names no shard ({batch.shard!r})"))
            continue
        try:
            rows, problem = batch.table_rows(), ""
        except StoreError as exc:
            rows, problem = {}, str(exc)
        holder = _lock_holder(DataLayout(settings.data.root, batch.folder).lock)
        finished = batch.state == FINISHED
        state = RUNNING_NOW if holder else FINISHED if finished else STOPPED
        waiting.append(
            Waiting(
                batch.folder.name,
                batch.name,
                shard,
                state,
                batch.report.get("exit_code"),
                rows,
                batch.last_written(),
                problem=problem,
                holder=holder,
                merged=batch.id in done,
            )
        )
    return waiting, damaged


def _lock_holder(lock: Path) -> str:
    """Who holds a batch's lock ('pid 12 since ...'), or '' when nobody does. Asks with a
    shared lock on a read-only handle, let go at once: nothing is written."""
    try:
        handle = lock.open("r", encoding="utf-8", errors="replace")
    except OSError:  # no lock file: its shard never ran here, or it cannot be read
        return ""
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "another process"
        except OSError:
            return ""
        fcntl.flock(handle, fcntl.LOCK_UN)
    return ""


def waiting_text(settings: Settings, now: pd.Timestamp) -> str:
    """`waiting_lines` of the data folder's batches, each line safe for a terminal."""
    lines = waiting_lines(*waiting_batches(settings), now, settings.data.batches)
    return "\n".join(map(printable, lines))


def waiting_lines(
    waiting: list[Waiting], damaged: list[tuple[str, str]], now: pd.Timestamp, where: Path
) -> list[str]:
    """What `status` prints of the batches waiting in `where` (batches/): each batch's shard,
    state, last run's exit, rows per table, age and the command that publishes it; the shards
    missing from each set; the folders that are no readable batch. One line when none waits."""
    if not waiting and not damaged:
        return ["Batches waiting to be merged: none"]
    out = [f"Batches waiting to be merged ({where}):"]
    ordered = sorted(waiting, key=lambda w: (w.name, w.shard.count, w.shard.index, w.folder))
    sets: dict[tuple[str, int], set[int]] = {}
    for item in ordered:
        sets.setdefault((item.name, item.shard.count), set()).add(item.shard.index)
        out += _batch_lines(item, now)
    for folder, _ in damaged:  # a damaged batch is there, if not mergeable: not missing
        if match := FOLDER_NAME.fullmatch(folder):
            key = (match["name"], int(match["count"]))
            if key in sets:
                sets[key].add(int(match["index"]))
    for (name, count), present in sets.items():
        missing = [k for k in range(1, count + 1) if k not in present]
        if missing:
            shards = ", ".join(f"{k}/{count}" for k in missing)
            out.append(
                f"  batch {name}: shard {shards} missing ({len(present)} of {count} here): not "
                "run, still running elsewhere, not copied here yet, or merged already"
            )
    for folder, problem in damaged:
        out.append(
            f"  damaged: {folder}: {problem}; merge leaves it: restore the file, or remove "
            f"{where / folder} and run its shard again"
        )
    return out


def _batch_lines(item: Waiting, now: pd.Timestamp) -> list[str]:
    """One batch in three lines: what it is, its rows, what publishes it."""
    if item.state == FINISHED:
        said = _EXITS.get(item.exit_code, "") if isinstance(item.exit_code, int) else ""
        state = f"finished, exit status {item.exit_code}" + (f" ({said})" if said else "")
    elif item.state == RUNNING_NOW:
        state = f"unfinished: its shard is running now ({item.holder})"
    else:
        state = f"unfinished: its shard stopped half-way ({item.rows.get('collection_runs', 0)}"
        state += " target(s) finished)"
    if item.state != FINISHED and item.exit_code is not None:  # continued after a finished run
        state += f", its run before finished with exit status {item.exit_code}"
    age = "unknown"
    if item.written is not None:
        age = f"{duration(max((now - item.written).total_seconds(), 0))} ago"
    rows = ", ".join(f"{table} {count:,}" for table, count in sorted(item.rows.items()))
    merge = f"./dev cli merge {item.folder}"
    if item.merged:
        publish = f"already merged (a merge stopped before removing it): `{merge}` removes it"
    elif item.problem:
        publish = f"damaged: {item.problem}; merge leaves it until the file is restored"
    elif item.state == FINISHED:
        publish = f"ready to merge: `{merge}` (or `./dev cli merge` for every finished batch)"
    elif item.state == RUNNING_NOW:
        publish = f"once it finishes: `{merge}`"
    else:
        publish = (
            f"`{merge}` publishes what it finished; run shard {item.shard} again with "
            f"--batch {item.name} to finish it"
        )
    return [
        f"  {item.folder}: shard {item.shard}, {state}; last written {age}",
        f"    rows: {rows or 'none'}",
        f"    {publish}",
    ]
