"""The command line: refresh, schedule, status and export, over the same library the app uses.

    python cli.py refresh [--projects ID,...] [--sources github,git] [--git-location R=PATH]
    python cli.py schedule (--every-hours N | --cron "15 */6 * * *") [refresh options]
    python cli.py status
    python cli.py export [--page PAGE|all] [--out DIR|FILE.zip] [--formats png,svg,html,csv]

(`./dev refresh ...` and so on run the same in the project's environment.) Errors from the
library are mapped to one message and an exit code here, and nowhere else.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from errors import DashboardError, ExportError, StoreError
from registry import Registry, load_registry
from service import refresh
from service.sources import SOURCES
from settings import Settings, parse_api_urls
from store import DEFAULT_DATA, Catalog

EXIT_USAGE = 2
EXIT_EXPORT = 6
EXIT_STORE = 7
EXIT_CODES = """exit status:
  0  every target refreshed
  2  the command line, a setting or a configuration file is wrong
  3  partial failure: some targets failed or were skipped
  4  total failure: nothing was refreshed
  5  another refresh is already running
  6  the export could not be written (no Chromium for PNG/SVG, the target exists, ...)
  7  the data folder could not be read or written"""


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    """Run one command; `settings` default to the environment's, read here once."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args, settings or Settings.from_environment())
    except refresh.AlreadyRunningError as exc:
        print(f"already running: {exc}", file=sys.stderr)
        return refresh.ALREADY_RUNNING
    except ExportError as exc:
        print(f"export failed: {exc}", file=sys.stderr)
        return EXIT_EXPORT
    except StoreError as exc:
        print(f"data folder: {exc}", file=sys.stderr)
        return EXIT_STORE
    except (DashboardError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


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
        description="Refresh every N hours or on a cron schedule (UTC), until stopped. A failed "
        "run is logged and the next one goes ahead; runs never overlap.",
    )
    when = schedule.add_mutually_exclusive_group(required=True)
    when.add_argument("--every-hours", type=float, metavar="N", help="hours between runs")
    when.add_argument("--cron", metavar="EXPR", help='a crontab expression, e.g. "15 */6 * * *"')
    schedule.add_argument("--max-runs", type=int, default=None, help=argparse.SUPPRESS)
    _refresh_options(schedule)
    schedule.set_defaults(handler=_schedule)

    status = commands.add_parser(
        "status",
        help="show how fresh the data is, the last runs and the GitHub budget",
        description="Freshness per project and source, the last refresh runs, and the GitHub "
        "rate-limit budget left after the last GitHub run.",
    )
    status.set_defaults(handler=_status)

    export = commands.add_parser(
        "export",
        help="export a page's charts as PNG, SVG, HTML and CSV",
        description="Write every chart of a page (or of all pages) as PNG, SVG and "
        "self-contained HTML, the CSV of each chart's data, and a methods note, into a folder "
        "or a .zip file. PNG and SVG need Chromium (see README).",
    )
    export.add_argument(
        "--page", default="all", help="overview, compare, community, claims, project or all"
    )
    export.add_argument("--out", type=Path, default=Path("export"), help="a folder, or a .zip file")
    export.add_argument("--overwrite", action="store_true", help="replace what --out already holds")
    export.add_argument(
        "--formats", default="png,svg,html,csv", help="comma-separated: png, svg, html, csv"
    )
    export.set_defaults(handler=_export)
    return parser


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
        "deps.dev, this week)",
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
    )


def _refresh_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    """The settings, with servers given by --api-url taking the place of the environment's."""
    if not args.api_url:
        return settings
    return dataclasses.replace(
        settings, api_urls={**settings.api_urls, **parse_api_urls(args.api_url)}
    )


def _registry(settings: Settings) -> Registry:
    return load_registry(settings.projects_file)


def _progress_bar(quiet: bool) -> Callable[[int, int, str], None] | None:
    if quiet:
        return None

    def show(done: int, total: int, label: str) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        print(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label[:50]:50}",
            end=end,
            file=sys.stderr,
            flush=True,
        )

    return show


def _refresh(args: argparse.Namespace, settings: Settings) -> int:
    settings = _refresh_settings(args, settings)
    report = refresh.run(
        _registry(settings), settings, _options(args), progress=_progress_bar(args.quiet)
    )
    _print_report(report, settings)
    return report.exit_code


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
        print(summary.to_string())
        for row in table[~table["status"].isin(refresh.SUCCEEDED)].itertuples():
            print(f"{row.source} {row.target}: {row.status}: {row.message}")
    for note in report.notes:
        print(note)
    print(f"run {report.run_id}: exit status {report.exit_code}; log: {settings.data.log}")


def _schedule(args: argparse.Namespace, settings: Settings) -> int:
    options = _options(args)
    settings = _refresh_settings(args, settings)
    registry = _registry(settings)
    if args.cron:
        next_time = cron_schedule(args.cron)
    else:
        if args.every_hours <= 0:
            raise ValueError("--every-hours must be more than 0")
        step = timedelta(hours=args.every_hours)

        def next_time(after: datetime) -> datetime:
            return after + step

    def job() -> int:
        report = refresh.run(registry, settings, options)
        _print_report(report, settings)
        return report.exit_code

    return schedule_loop(job, next_time, max_runs=args.max_runs)


def cron_schedule(expression: str) -> Callable[[datetime], datetime]:
    """next-run-time function for a crontab expression (UTC). Raises ValueError if invalid."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(expression, timezone=UTC)

    def next_time(after: datetime) -> datetime:
        return trigger.get_next_fire_time(None, after + timedelta(seconds=1))

    return next_time


def schedule_loop(
    job: Callable[[], int],
    next_time: Callable[[datetime], datetime],
    *,
    max_runs: int | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run `job` now and then at each next time, one run at a time, surviving failures.

    A run that raises or fails is logged and the schedule goes on; a run still going when
    the next is due delays it (never overlaps). Returns 0 after `max_runs` (tests) or on Ctrl-C.
    """
    runs = 0
    due = clock()
    try:
        while max_runs is None or runs < max_runs:
            wait = (due - clock()).total_seconds()
            if wait > 0:
                sleep(wait)
            started = clock()
            try:
                code = job()
                print(f"{started:%Y-%m-%d %H:%M} UTC: refresh finished with status {code}")
            except refresh.AlreadyRunningError as exc:
                print(f"{started:%Y-%m-%d %H:%M} UTC: skipped, {exc}", file=sys.stderr)
            except Exception as exc:
                print(f"{started:%Y-%m-%d %H:%M} UTC: refresh failed: {exc}", file=sys.stderr)
            runs += 1
            # the next slot after this run's start; if the run overran it, go at once
            # (one catch-up run, never two at a time)
            due = max(next_time(started), clock())
            print(f"next refresh at {due:%Y-%m-%d %H:%M} UTC", flush=True)
    except KeyboardInterrupt:
        print("schedule stopped")
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.status import FRESHNESS, freshness, github_budget, last_runs

    registry = _registry(settings)
    catalog = Catalog(DEFAULT_DATA, settings.data.store)
    tables = {name: catalog.read(name).frame for name, *_ in FRESHNESS.values()}
    user_runs = catalog.user.read("collection_runs").frame
    fresh = freshness(registry, tables, pd.Timestamp.now(tz="UTC"))
    print("Freshness (newest observation, age in days):")
    ages = fresh.pivot(index="project", columns="source", values="age_days")
    ages = ages.reindex([p.name for p in registry]).astype(object)
    print(ages.where(ages.notna(), "-").to_string())
    print("\nLast refresh runs:")
    runs = last_runs(user_runs)
    print(runs.to_string(index=False) if len(runs) else "  none yet (showing the default data)")
    budget = github_budget(user_runs)
    print(
        f"\nGitHub budget left after the last GitHub run: "
        f"{budget if budget is not None else 'unknown (no GitHub run yet)'}"
    )
    print(f"User data directory: {settings.data.root}")
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from exports import export_pages

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    written = export_pages(
        args.page,
        args.out,
        formats=formats,
        catalog=Catalog(DEFAULT_DATA, settings.data.store),
        registry=_registry(settings),
        overwrite=args.overwrite,
    )
    print(f"wrote {len(written)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
