"""The command line: refresh, schedule, status and export, over the same library the app uses.

    python cli.py refresh [--projects ID,...] [--sources github,git] [--git-location R=PATH]
    python cli.py refresh --shard K/N [--batch NAME] [refresh options]   |   merge [BATCH...]
    python cli.py schedule (--every-hours N | --cron "15 */6 * * *") [--run-now] [refresh options]
                           [--shard K/N [--batch NAME] | --merge]   (a lane; the lanes' merge)
    python cli.py status
    python cli.py repair [--dry-run]
    python cli.py track [OWNER/NAME] [--package NAME]   |   untrack ID   |   tracked
    python cli.py export [--page PAGE|all] [--out DIR|FILE.zip] [--formats png,svg,html,csv]
    python cli.py export --site DIR   (the whole dashboard as a static report: DIR/index.html)

(`./dev refresh ...` and so on run the same in the project's environment.) Errors from the
library are mapped to one message and an exit code here, and nowhere else. Text from outside
(names from files, messages from servers, paths) is printed through `printable`, so that it
cannot move the cursor, clear the screen or retitle the terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from derived.background import after_refresh as compute_views_ahead
from errors import DashboardError, ExportError, StoreError
from registry import Registry, load_registry
from registry import tracking as user_list
from service import batches, refresh
from service import schedule as scheduled
from service.schedule import (
    cron_schedule,
    every_hours_schedule,
    print_run_summary,
    schedule_loop,
)
from service.sources import SOURCES
from settings import Settings, parse_api_urls
from store import DEFAULT_DATA, Catalog, ReadResult, SegmentStore
from terminal import printable, printable_table, progress_bar

# after every publish (a refresh, a scheduled run, a merge): the new data's views, computed
# ahead in the background (derived/), so the next page view does not compute them
if compute_views_ahead not in batches.AFTER_PUBLISH:
    batches.AFTER_PUBLISH.append(compute_views_ahead)

EXIT_USAGE = 2
EXIT_EXPORT = 6
EXIT_STORE = 7
EXIT_CODES = """exit status:
  0  every target refreshed, or already as current as its source allows
  2  the command line, a setting or a configuration file is wrong
  3  partial failure: some targets refreshed, others failed or were not tried
  4  total failure: no target refreshed (those already current aside)
  5  another refresh is already running
  6  the export could not be written (no Chromium for PNG/SVG, the target exists, ...)
  7  the data folder could not be read or written (read-only, full, a damaged
     store file: `status` names it, `repair` rebuilds the store's index)
  8  a new alert fired; the refresh itself went as 0 says (2-7 take precedence)"""
# what each exit status of a refresh means, from the table above: for the schedule's summary
_MEANING = {
    int(line.split()[0]): line.split(None, 1)[1]
    for line in EXIT_CODES.splitlines()[1:]
    if line[:4].strip().isdigit()
}
# the schedule's clock and sleep; tests replace them, so no test ever waits for real
schedule_clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
schedule_sleep: Callable[[float], None] = time.sleep


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    """Run one command; `settings` default to the environment's, read here once."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings or Settings.from_environment()
        with _quiet_logging_errors():
            return args.handler(args, settings)
    except OSError as exc:
        if settings is None or not _data_folder_fault(exc, settings):
            raise
        where = exc.filename or settings.data.root
        written = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
        what = "cannot be written" if written else "cannot be read or written"
        print(f"data folder: {printable(where)}: {what} ({exc.strerror})", file=sys.stderr)
        return EXIT_STORE
    except refresh.AlreadyRunningError as exc:
        print(f"already running: {printable(exc, lines=True)}", file=sys.stderr)
        return refresh.ALREADY_RUNNING
    except ExportError as exc:
        print(f"export failed: {printable(exc, lines=True)}", file=sys.stderr)
        return EXIT_EXPORT
    except StoreError as exc:
        print(f"data folder: {printable(exc, lines=True)}", file=sys.stderr)
        return EXIT_STORE
    except (DashboardError, ValueError) as exc:
        print(f"error: {printable(exc, lines=True)}", file=sys.stderr)
        return EXIT_USAGE


@contextlib.contextmanager
def _quiet_logging_errors():
    """A log file that cannot be written (a full disk) must not print a traceback for every
    line: the command's own message says what happened."""
    before = logging.raiseExceptions
    logging.raiseExceptions = False
    try:
        yield
    finally:
        logging.raiseExceptions = before


_FULL_OR_LOCKED = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


def _data_folder_fault(exc: OSError, settings: Settings) -> bool:
    """True for a full, read-only or inaccessible disk, or any failure on a file in the data
    folder: the data folder's fault, exit 7. Anything else is a bug and keeps its traceback."""
    if exc.errno in _FULL_OR_LOCKED:
        return True
    return isinstance(exc.filename, str) and Path(exc.filename).is_relative_to(settings.data.root)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cli.py",
        description="Refresh, schedule, inspect and export the open-source AI dashboard's data.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "refresh",
        help="refresh the data from the live sources once",
        description="Refresh all or some projects from all or some sources, once. Set "
        "GITHUB_TOKEN for 5,000 GitHub requests an hour instead of 60.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _refresh_options(run)
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=_refresh)

    schedule = commands.add_parser(
        "schedule",
        help="stay running and refresh on a schedule",
        description="Refresh every N hours or on a cron schedule (UTC), until stopped (Ctrl-C). "
        "The first refresh is at the first scheduled time (--every-hours: N hours from now), "
        "or at once with --run-now. The schedule is checked before anything runs: one that "
        "never fires is refused. A failed run is logged and the next one goes ahead; runs "
        "never overlap. Each run prints a few lines (when, the outcome per source, the exit "
        "status, where the log is); the details go to refresh.log in the user data folder. "
        "With --shard K/N each run is that lane's `refresh --shard` into its batch of the day, "
        "continued by its next run until merged, never published; with --merge, a `merge`.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    when = schedule.add_mutually_exclusive_group(required=True)
    when.add_argument(
        "--every-hours",
        type=float,
        metavar="N",
        help="hours between runs: from 1/60 (a minute) to 8784 (a year)",
    )
    when.add_argument(
        "--cron",
        metavar="EXPR",
        help='a five-field crontab expression in UTC, e.g. "15 */6 * * *"; weekdays 0-7 '
        "count from Sunday (0 and 7), as in cron",
    )
    schedule.add_argument(
        "--run-now", action="store_true", help="refresh once at start, then on the schedule"
    )
    schedule.add_argument("--max-runs", type=int, default=None, help=argparse.SUPPRESS)
    _refresh_options(schedule)
    schedule.set_defaults(handler=_schedule)
    _fan_out_commands(commands, run, schedule)

    status = commands.add_parser(
        "status",
        help="show how fresh the data is, the last runs, batches waiting and the GitHub budget",
        description="Freshness per project and source, the last refresh runs, the shards' "
        "batches waiting to be merged, and the GitHub budget left after the last GitHub run.",
    )
    status.set_defaults(handler=_status)

    repair = commands.add_parser(
        "repair",
        help="rebuild the store's index from its files, after damage or a lost manifest",
        description="Rebuild the user data store's index (manifest.json) from the segment "
        "files on disk: every readable segment of every table is listed again, so history "
        "that a damaged, deleted or replaced manifest hid comes back. Nothing is deleted: the "
        "old manifest is kept as manifest.backup-<time>.json beside it, and a file that "
        "cannot be read is left where it is and named (restore it, then repair again), and so "
        "is one holding values no source can report (a year 2262, a count of 2**62); the "
        "command then exits 7.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    repair.add_argument(
        "--dry-run", action="store_true", help="only say what would be indexed; write nothing"
    )
    repair.set_defaults(handler=_repair)

    _tracking_commands(commands)

    export = commands.add_parser(
        "export",
        help="export a page's charts as PNG, SVG, HTML and CSV",
        description="Write every chart of a page (or of all pages) as PNG, SVG and HTML "
        "(the HTML files share one plotly.min.js and open offline), the CSV of each chart's "
        "data, and a methods note, into a folder or a .zip file. PNG and SVG need Chromium "
        "(see README); without it the other files are written and the exit code is 6.",
    )
    export.add_argument(
        "--page", default="all", help="overview, compare, community, claims, project or all"
    )
    export.add_argument("--out", type=Path, default=Path("export"), help="a folder, or a .zip file")
    export.add_argument("--overwrite", action="store_true", help="replace what --out already holds")
    export.add_argument(
        "--formats", default="png,svg,html,csv", help="comma-separated: png, svg, html, csv"
    )
    export.add_argument("--site", type=Path, help="instead: every page as a static HTML report")
    export.set_defaults(handler=_export)
    return parser


def _tracking_commands(commands) -> None:
    track = commands.add_parser(
        "track",
        help="add a repository or a package to your own tracked projects",
        description="Add a GitHub repository (OWNER/NAME) and/or a PyPI package (--package) "
        "as one project to your own list, tracked.toml in the user data folder (validated "
        "like data/projects.toml, which is never edited; a package needs no repository). "
        "The next refresh (refresh, schedule or the app's Refresh now) collects it, and it "
        "shows on the Overview, Compare, Community and Project pages.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    track.add_argument("repo", nargs="?", metavar="OWNER/NAME", help="a GitHub repository")
    track.add_argument("--package", metavar="NAME", help="a PyPI package")
    track.set_defaults(handler=_track)
    untrack = commands.add_parser(
        "untrack",
        help="remove one of your tracked projects (its stored history is kept)",
        description="Remove a project from your own list (tracked.toml). Its refreshed "
        "history stays in the store; tracking it again shows it again.",
    )
    untrack.add_argument("project_id", metavar="ID", help="the project's id (see `tracked`)")
    untrack.set_defaults(handler=_untrack)
    listing = commands.add_parser(
        "tracked",
        help="list your own tracked projects",
        description="List the projects of your own list (tracked.toml in the user data "
        "folder) with their ids, repositories and packages.",
    )
    listing.set_defaults(handler=_tracked)


def _track(args: argparse.Namespace, settings: Settings) -> int:
    if not args.repo and not args.package:
        raise ValueError("name a repository (OWNER/NAME) or a package (--package NAME)")
    shipped = load_registry(settings.projects_file)
    path = settings.data.tracked_file
    project = user_list.track(path, shipped, repo=args.repo, package=args.package)
    print(f"Tracking {_describe(project)} as project {project.id!r}, in {printable(path)}.")
    print(f"The next refresh collects it: ./dev cli refresh --projects {printable(project.id)}")
    _warn_crowded(len(user_list.read_tracked(path, shipped).projects))
    return 0


def _untrack(args: argparse.Namespace, settings: Settings) -> int:
    shipped = load_registry(settings.projects_file)
    path = settings.data.tracked_file
    project = user_list.untrack(path, shipped, args.project_id)
    print(f"No longer tracking {project.id!r} ({_describe(project)}); its stored history is kept.")
    return 0


def _tracked(args: argparse.Namespace, settings: Settings) -> int:
    shipped = load_registry(settings.projects_file)
    path = settings.data.tracked_file
    mine = user_list.read_tracked(path, shipped)  # a broken list: its file, line and rule
    if not mine.projects:
        print(f"You track no projects of your own yet ({printable(path)}). Add one with `track`.")
        return 0
    print(f"Your tracked projects ({printable(path)}):")
    for project in mine:
        print(f"  {printable(project.id):24} {_describe(project)}")
    _warn_crowded(len(mine.projects))
    return 0


def _warn_crowded(count: int) -> None:
    if warning := user_list.crowded(count):
        print(f"warning: {warning}", file=sys.stderr)


def _describe(project) -> str:
    parts = [*project.repo_names, *(f"PyPI {name}" for name in project.packages)]
    return printable(", ".join(parts))


def _refresh_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--projects", help="comma-separated project ids (default: all)")
    parser.add_argument(
        "--sources",
        default=None,
        help=f"comma-separated sources (default: $OSSAI_REFRESH_SOURCES, else all: "
        f"{','.join(SOURCES)})",
    )
    parser.add_argument(
        "--git-location",
        action="append",
        default=[],
        metavar="OWNER/NAME=PATH",
        help="read a repository's history from a local clone instead of cloning it",
    )
    parser.add_argument(  # point a source at another server: the fakes in tests
        "--api-url", action="append", default=[], metavar="SOURCE=URL", help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="ask PyPI, pypistats.org and deps.dev even if they were asked today (or, for "
        "deps.dev, this week); requests stay conditional (ETag), so unchanged answers are 304s",
    )


def _options(args: argparse.Namespace) -> refresh.RefreshOptions:
    locations = {}
    for item in args.git_location:
        repo, sep, path = item.partition("=")
        if not sep:
            raise ValueError(f"--git-location {item!r}: expected OWNER/NAME=PATH")
        locations[repo] = path
    return refresh.RefreshOptions(
        sources=[s.strip() for s in args.sources.split(",") if s.strip()] if args.sources else None,
        projects=[p.strip() for p in args.projects.split(",")] if args.projects else None,
        force=args.force,
        git_locations=locations,
        shard=batches.lane_shard(args.shard, args.batch),
    )


def _refresh_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    """The settings, with servers given by --api-url taking the place of the environment's."""
    if not args.api_url:
        return settings
    return dataclasses.replace(
        settings, api_urls={**settings.api_urls, **parse_api_urls(args.api_url)}
    )


def _registry(settings: Settings) -> Registry:
    """data/projects.toml merged with the user's tracked projects; a broken list of the
    user's is named on stderr and left out (the shipped projects are refreshed all the same)."""
    registry = load_registry(settings.projects_file, tracked=settings.data.tracked_file)
    if registry.tracked_problem:
        print(
            f"warning: your tracked projects are left out until their file is fixed: "
            f"{printable(registry.tracked_problem, lines=True)}",
            file=sys.stderr,
        )
    return registry


def _refresh(args: argparse.Namespace, settings: Settings) -> int:
    settings = _refresh_settings(args, settings)
    registry, options = _registry(settings), _options(args)
    started = pd.Timestamp.now(tz="UTC")
    if options.shard:  # a shard's run writes its own batch: nothing is published
        settings = batches.batch_settings(settings, args.batch, options.shard)
    try:
        run = batches.run_shard if options.shard else refresh.run
        report = run(registry, settings, options, progress=progress_bar(args.quiet))
    except OSError as exc:
        if not _data_folder_fault(exc, settings):
            raise
        _print_stored_since(settings, started)  # the summary the report could not give
        raise
    _print_report(report, settings)
    if options.shard:
        print(f"shard {options.shard}: unpublished batch {printable(settings.data.batch)}")
    else:  # what was stored is published, log or no log
        batches.after_publish(settings, report)
    if report.log_failure:
        print(
            f"data folder: {printable(report.log_failure)}: the refresh log cannot be written; "
            "what the summary says was stored is stored and intact",
            file=sys.stderr,
        )
        return EXIT_STORE
    return report.exit_code


# ----- collection that fans out: refresh --shard K/N, then merge (service/batches.py) -------


def _fan_out_commands(commands, *runs: argparse.ArgumentParser) -> None:
    for run in runs:  # refresh and schedule: the same options, read the same way
        run.add_argument(
            "--shard",
            metavar="K/N",
            help="collect only shard K of N (a project goes to shard 1 + sha256(its id) mod "
            "N) into an unpublished batch with its own HTTP cache, for `merge` to publish",
        )
        run.add_argument(
            "--batch",
            metavar="NAME",
            help="with --shard: the batch's name (default: the day the run starts, UTC, e.g. "
            "20261204); the shard's next run continues its batch until it is merged",
        )
    runs[-1].add_argument("--merge", action="store_true", help="each run a `merge`, not a refresh")
    merge = commands.add_parser(
        "merge",
        help="publish the batches of `refresh --shard` in one write",
        description="Publish the finished batches of `refresh --shard` (or those named) in one "
        "atomic write, and remove them; a batch is never applied twice. One whose shard "
        "stopped half-way is left, unless named: then what it finished is published.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    merge.add_argument("batches", nargs="*", metavar="BATCH", help="batch folder names")
    merge.set_defaults(handler=_merge)


def _merge(args: argparse.Namespace, settings: Settings) -> int:
    report = batches.merge(settings, args.batches or None, _registry(settings))
    for line in report.lines():
        print(printable(line))
    if report.merged:
        batches.after_publish(settings)
    return report.exit_code


def _print_stored_since(settings: Settings, started: pd.Timestamp) -> None:
    """What a refresh that stopped on a disk fault had already stored (it is intact)."""
    from metrics.status import last_runs

    runs = SegmentStore(settings.data.store).read("collection_runs").frame
    runs = last_runs(runs[runs["started_at"] >= started.floor("s")])
    if len(runs):
        print("Stored before the data folder failed (intact):")
        print(printable_table(runs, index=False))
    else:
        print("Nothing was stored by this refresh; the data stored before is intact.")


def _print_report(report: refresh.RefreshReport, settings: Settings) -> None:
    table = report.table()
    if table.empty:
        print("nothing to refresh")
    else:
        summary = table.groupby(["project", "source"], sort=False).agg(
            targets=("target", "count"),
            new_rows=("rows", "sum"),
            requests=("requests", "sum"),
            not_modified=("not_modified", "sum"),
            errors=("status", lambda s: int((~s.isin(refresh.SUCCEEDED)).sum())),
        )
        print(printable_table(summary))
    for line in report.lines():  # one per source (each target's outcome is in the log)
        print(printable(line))
    print(
        f"run {report.run_id}: exit status {report.exit_code}; log: {printable(settings.data.log)}"
    )


def _schedule(args: argparse.Namespace, settings: Settings) -> int:
    options = _options(args)
    settings = _refresh_settings(args, settings)
    _registry(settings)  # a broken projects file stops the schedule before its first run
    scheduled.check_fan_out(settings, options, args.batch, args.merge)  # --merge runs alone
    # the schedule is checked before anything runs: one that never fires is refused
    if args.cron is not None:
        next_time = cron_schedule(args.cron, now=schedule_clock())
        every = f"on cron {args.cron!r} (UTC)"
    else:
        next_time = every_hours_schedule(args.every_hours)
        every = f"every {args.every_hours:g} h"
    print(scheduled.banner(every, settings.data, options.shard, args.merge), flush=True)

    def job() -> int:
        # read again each run: a project tracked since the last run is collected by this one
        started, registry = schedule_clock(), _registry(settings)
        if args.merge:
            return scheduled.merge_run(settings, registry, started)
        if options.shard:  # a lane: its batch of the day, never published, no alert checked
            return scheduled.shard_run(registry, settings, options, args.batch, started, _MEANING)
        report = refresh.run(registry, settings, options)
        batches.after_publish(settings, report)
        meaning = _MEANING.get(report.exit_code, "?")
        print_run_summary(report, started, meaning, settings.data.log)
        return report.exit_code

    return schedule_loop(
        job,
        next_time,
        max_runs=args.max_runs,
        run_now=args.run_now,
        clock=schedule_clock,
        sleep=schedule_sleep,
    )


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.status import FRESHNESS, freshness, github_budget, last_runs

    registry = _registry(settings)
    catalog = Catalog(DEFAULT_DATA, settings.data.store)
    problems: list[str] = []

    def read(result: ReadResult) -> pd.DataFrame:
        problems.extend(p for p in map(str, result.problems) if p not in problems)
        return result.frame

    tables = {name: read(catalog.read(name)) for name, *_ in FRESHNESS.values()}
    user_runs = read(catalog.user.read("collection_runs"))
    index = str(catalog.user.root / "manifest.json")
    try:
        catalog.user.manifest()
        unreadable = any(p.startswith(index) for p in problems)  # lost or replaced
    except StoreError:
        unreadable = True
    if problems:
        print(
            "Store problems: these files could not be read, or not all of their rows; "
            "everything else is shown:"
        )
        for problem in problems:
            print(f"  {printable(problem)}")
        print()
    fresh = freshness(registry, tables, now := pd.Timestamp.now(tz="UTC"))
    print("Freshness (newest observation, age in days):")
    ages = fresh.pivot(index="project", columns="source", values="age_days")
    ages = ages.reindex([p.name for p in registry]).astype(object)
    print(printable_table(ages.where(ages.notna(), "-")))
    print("\nLast refresh runs:")
    runs = last_runs(user_runs)
    if len(runs):
        print(printable_table(runs, index=False))
    elif unreadable:
        print("  unknown: the refreshed data could not be read (see the store problems above)")
    else:
        print("  none yet (showing the default data)")
    print(f"\n{batches.waiting_text(settings, now)}")  # the shards' batches not merged yet
    budget = github_budget(user_runs).line(unreadable)
    print(f"\nGitHub budget left after the last GitHub run: {printable(budget)}")
    print(f"User data directory: {printable(settings.data.root)}")
    return EXIT_STORE if problems else 0


def _repair(args: argparse.Namespace, settings: Settings) -> int:
    from store.repair import rebuild_index

    store = SegmentStore(settings.data.store)
    if args.dry_run:
        report = rebuild_index(store, dry_run=True)
    else:
        with refresh.refresh_lock(settings.data.lock):  # never while a refresh writes
            report = rebuild_index(store)
    for line in report.lines():
        print(printable(line))
    return EXIT_STORE if report.set_aside else 0  # history is on disk that is not shown


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from exports import export_pages
    from static_site import export_site

    where = {"catalog": Catalog(DEFAULT_DATA, settings.data.store), "registry": _registry(settings)}
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if args.site is not None:  # the whole dashboard as a static report
        written = export_site(args.site, **where)
    else:
        written = export_pages(
            args.page, args.out, formats=formats, overwrite=args.overwrite, **where
        )
    print(f"wrote {len(written)} files to {printable(args.site or args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
