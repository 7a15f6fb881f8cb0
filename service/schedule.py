"""When scheduled refreshes run: `--every-hours` and `--cron` read and checked before the
first run, and the loop that runs one refresh at a time and survives any failure.

Cron expressions are read by croniter, as cron reads them (weekdays 0-7 from Sunday);
APScheduler 3's `from_crontab` counted them from Monday. Clock and sleep are arguments, so
tests never wait.

Besides a plain refresh, a scheduled run is one lane of a refresh that fans out
(`schedule --shard K/N`: `shard_run`, into the lane's batch of the day, never published) or a
merge of the batches the lanes finished (`schedule --merge`: `merge_run`).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from errors import ConfigError
from registry import Registry
from service import batches, refresh
from service.shards import Shard
from settings import DataLayout, Settings
from terminal import duration, printable

# --every-hours: at least a minute apart (cron's own step), at most a year
MIN_HOURS, MAX_HOURS = 1 / 60, 24 * 366.0
# a schedule that cannot say when it runs next is asked again this much later
RETRY_SECONDS = 3600.0


def every_hours_schedule(hours: float) -> Callable[[datetime], datetime]:
    """next-run-time function for a run every `hours`. Raises ConfigError unless `hours` is
    a finite number from MIN_HOURS (a minute) to MAX_HOURS (a year)."""
    if not (math.isfinite(hours) and MIN_HOURS <= hours <= MAX_HOURS):
        raise ConfigError(
            "--every-hours",
            None,
            f"{hours:g} is not a number of hours from 1/60 (a minute) to {MAX_HOURS:g} (a year)",
        )
    step = timedelta(hours=hours)

    def next_time(after: datetime) -> datetime:
        return after + step

    return next_time


CRON_NICKNAMES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def cron_schedule(
    expression: str, *, now: datetime | None = None
) -> Callable[[datetime], datetime]:
    """next-run-time function for a crontab expression, in UTC, read as cron reads it (croniter:
    weekdays 0-7 from Sunday; a day of the month and a weekday both given match either).

    Raises ConfigError for anything but five fields (or @daily and the like), for an
    expression croniter cannot read, and for one that never fires after `now` (31 February).
    """
    from croniter import CroniterBadDateError, CroniterError, croniter

    text = expression.strip()
    fields = text.split()
    if not (len(fields) == 5 or (len(fields) == 1 and text.lower() in CRON_NICKNAMES)):
        raise ConfigError(
            "--cron",
            None,
            f"{printable(expression)!r}: expected five fields, minute hour day-of-month month "
            'weekday (e.g. "15 */6 * * *"), or @hourly, @daily, @weekly, @monthly, @yearly',
        )
    try:
        croniter(text, datetime(2000, 1, 1, tzinfo=UTC))
    except (CroniterError, ValueError, TypeError, KeyError) as exc:
        raise ConfigError("--cron", None, f"{printable(expression)!r}: {exc}") from None

    def next_time(after: datetime) -> datetime:
        return croniter(text, after.astimezone(UTC)).get_next(datetime)

    start = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        next_time(start)
    except CroniterBadDateError:
        raise ConfigError(
            "--cron", None, f"{printable(expression)!r} never fires (no such date)"
        ) from None
    except (CroniterError, ValueError, OverflowError) as exc:
        raise ConfigError("--cron", None, f"{printable(expression)!r}: {exc}") from None
    return next_time


def schedule_loop(
    job: Callable[[], int],
    next_time: Callable[[datetime], datetime],
    *,
    max_runs: int | None = None,
    run_now: bool = True,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
    retry_seconds: float = RETRY_SECONDS,
) -> int:
    """Run `job` now (or, with `run_now=False`, at the first scheduled time) and then at each
    next time, one run at a time, surviving failures.

    A run that raises or fails is reported and the schedule goes on; a run still going when
    the next is due delays it (never overlaps); a next time that cannot be computed is
    reported and asked again `retry_seconds` later. Returns 0 after `max_runs` (tests) or on
    Ctrl-C.
    """
    runs = 0
    try:
        if run_now:
            due = clock()
        else:
            due = _next_due(next_time, clock(), clock, sleep, retry_seconds)
            print(f"first refresh at {due:%Y-%m-%d %H:%M} UTC", flush=True)
        while max_runs is None or runs < max_runs:
            wait = (due - clock()).total_seconds()
            if wait > 0:
                sleep(wait)
            started = clock()
            try:
                job()
            except refresh.AlreadyRunningError as exc:
                print(f"{started:%Y-%m-%d %H:%M} UTC: skipped, {printable(exc)}", file=sys.stderr)
            except Exception as exc:
                print(
                    f"{started:%Y-%m-%d %H:%M} UTC: refresh failed: {printable(exc)}",
                    file=sys.stderr,
                )
            runs += 1
            # the next slot after this run's start; if the run overran it, go at once
            # (one catch-up run, never two at a time)
            due = _next_due(next_time, started, clock, sleep, retry_seconds)
            print(f"next refresh at {due:%Y-%m-%d %H:%M} UTC", flush=True)
    except KeyboardInterrupt:
        print("schedule stopped")
    return 0


def _next_due(
    next_time: Callable[[datetime], datetime],
    after: datetime,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    retry_seconds: float,
) -> datetime:
    """The next run time after `after`, never in the past. A schedule that cannot say (it
    raises, or gives no time) must not end the schedule: it is reported and asked again."""
    while True:
        try:
            due = next_time(after)
            if not isinstance(due, datetime):
                raise TypeError(f"no next time ({due!r})")
            return max(due, clock())
        except Exception as exc:
            print(
                f"{clock():%Y-%m-%d %H:%M} UTC: the next run time could not be computed "
                f"({type(exc).__name__}: {printable(exc)}); asking again in "
                f"{duration(retry_seconds)}",
                file=sys.stderr,
                flush=True,
            )
            sleep(retry_seconds)
            after = clock()


def print_run_summary(
    report: refresh.RefreshReport, started: datetime, meaning: str, log: Path
) -> None:
    """A scheduled run in a few lines: when and how long, the exit status and its `meaning`,
    the same line per source as `refresh` prints (outcome, targets, new rows, requests), the
    run's notes and where the `log` is. Each target's outcome and message are in the log."""
    took = (report.finished_at or report.started_at) - report.started_at
    print(
        f"{started:%Y-%m-%d %H:%M} UTC: refresh {report.run_id} took "
        f"{duration(took.total_seconds())}: exit status {report.exit_code} ({meaning})"
    )
    for line in report.lines():  # one per source, then the run's notes: as `refresh` says
        print(f"  {printable(line)}")
    print(f"  log: {printable(log)}")
    if report.log_failure:
        print(
            f"  data folder: {printable(report.log_failure)}: the refresh log cannot be written",
            file=sys.stderr,
        )


def check_fan_out(
    settings: Settings, options: refresh.RefreshOptions, batch: str | None, merge: bool
) -> None:
    """Before a schedule's first run: `--merge` runs alone (no --shard nor refresh options),
    and a lane's `--batch` is a plain folder name. Raises ConfigError otherwise."""
    if merge and (options.shard or options.projects or options.sources or options.force):
        raise ConfigError(
            "--merge",
            None,
            "merges the batches the lanes wrote: it takes no --shard, --projects, --sources "
            "or --force (give those to the lanes' `schedule --shard`)",
        )
    if options.shard is not None:
        batches.batch_settings(settings, batch, options.shard)


def banner(every: str, data: DataLayout, shard: Shard | None, merge: bool) -> str:
    """The line a schedule starts with: what it runs, how often, where the details go."""
    if merge:
        what = f"Merging the finished batches of {data.batches}"
    elif shard is not None:
        what = f"Refreshing shard {shard} into unpublished batches in {data.batches}"
    else:
        what = "Refreshing"
    log = "its batch's refresh.log" if shard is not None and not merge else data.log
    return printable(f"{what} {every}, until stopped (Ctrl-C); each run's details go to {log}.")


def shard_run(
    registry: Registry,
    settings: Settings,
    options: refresh.RefreshOptions,
    batch: str | None,
    started: datetime,
    meanings: Mapping[int, str],
) -> int:
    """One scheduled run of a lane (`options.shard`) into its batch: `batch`, or the one of
    the day `started` falls on (UTC), continued by the lane's next run until it is merged.
    Prints what a scheduled refresh prints and the batch; publishes nothing, checks no alert.
    Returns the run's exit status; raises what `batches.run_shard` raises."""
    assert options.shard is not None
    lane = batches.batch_settings(settings, batch, options.shard, started)
    report = batches.run_shard(registry, lane, options)
    print_run_summary(report, started, meanings.get(report.exit_code, "?"), lane.data.log)
    print(f"  shard {options.shard}: unpublished batch {printable(lane.data.batch)}", flush=True)
    return report.exit_code


def merge_run(settings: Settings, registry: Registry, started: datetime) -> int:
    """One scheduled merge, as `merge` without names: every finished batch in one write, the
    alert rules checked on what it published, then what follows every publish. Prints the
    merge's lines under the time it ran; returns its exit status."""
    report = batches.merge(settings, None, registry)
    print(f"{started:%Y-%m-%d %H:%M} UTC: merge")
    for line in report.lines():
        print(f"  {printable(line)}", flush=True)
    if report.merged:
        batches.after_publish(settings)
    return report.exit_code
