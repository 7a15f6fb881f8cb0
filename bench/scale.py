"""The app at scale: a user store of thousands of tracked repositories (issue 21).

    python -m bench scale [--repos 3000] [--years 8] [--segments 4] [--runs 3]
                          [--warm 3] [--pages overview,compare,...] [--keep PATH]
                          [--no-live]

Builds a synthetic user store: `--repos` repositories x `--years` years of daily
repo_snapshots in `--segments` uncompacted segments (consecutive slices of the history, the
last one observing its first weeks again with a newer `fetched_at`, so the newest-observation
rule has work to do), plus the shipped commits nine more times (ten in all: each copy with its
own shas, dated a few days earlier), and a tracked.toml naming every one of those
repositories, so they are the user's tracked projects (the pages draw the first
`registry.tracking.SHOWN`).

Then it measures the two ways the app can meet that store, and prints both:

(a) as a refresh leaves it: a user store reaches the app through a refresh, whose
    `after_publish` computes the pages' heavy views in the background
    (derived.background.after_refresh, with this store as the user store and its tracked.toml,
    in a process of its own like the refresh's). That build's wall and CPU time and its peak
    RSS are printed beside no target: they are the refresh's cost, in the refresh's process.
    Then the app on the store with those views: every lookup of a view computed ahead
    (app.precomputed.lookup) is recorded, and the bench FAILS if any one of them missed
    (a key mismatch would otherwise fall back to computing live without a word);
(b) with no views computed ahead (every lookup answers "none", as for data no refresh has
    followed): the pages compute them live, the worst case (`--no-live` leaves it out).

Each app measurement is `--runs` fresh processes opening the app with streamlit's AppTest
(OSSAI_DATA_DIR pointing at the store): the Overview's first render, each page's first visit,
then each page's server-side script warm (`--warm` reruns); and the process's peak RSS.
Medians over the runs are printed beside the targets:

- app peak RSS <= 1.5 GB (before the app read through DuckDB: 6.7 GB);
- the Overview's first render <= 5 s (before: 27 s);
- every page's server-side script <= 2 s warm.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.__main__ import _line  # noqa: E402
from store import DEFAULT_DATA, TABLES, SegmentStore  # noqa: E402

PAGES = ("overview", "compare", "explore", "community", "claims", "project", "methods", "data")
RSS_TARGET_GB = 1.5
FIRST_RENDER_TARGET_S = 5.0
WARM_TARGET_S = 2.0
COMMIT_COPIES = 10
START = pd.Timestamp("2018-08-01")  # 8 years of days end before the shipped data's as-of day


class _Uncompacted(SegmentStore):
    """A store that never merges segments: the bench wants them as a user's store has them
    between two compactions."""

    def _compact_tiers(self, manifest: dict, table: str) -> None:
        return None


def repo_name(i: int) -> str:
    return f"owner{i}/repo{i}"


def tracked_list(repos: int) -> str:
    """A tracked.toml naming every synthetic repository, one project each."""
    return "".join(
        f'[[projects]]\nid = "s{i}"\nname = "{repo_name(i)}"\ngroup = "Tracked by you"\n'
        f'repos = ["{repo_name(i)}"]\n\n'
        for i in range(repos)
    )


def _snapshots(repos: int, days: pd.DatetimeIndex, fetched: pd.Timestamp) -> pd.DataFrame:
    rng = np.random.default_rng(len(days) + days[0].value % 997)
    names = np.array([repo_name(i) for i in range(repos)], dtype=object)
    base = np.arange(repos, dtype="int64") * 7 + int((days[0] - START).days) * 20
    stars = base[:, None] + np.cumsum(rng.integers(0, 40, size=(repos, len(days))), axis=1)
    stars = stars.ravel()
    frame = pd.DataFrame(
        {
            "repo": np.repeat(names, len(days)),
            "date": np.tile(days.to_numpy(), repos),
            "stars": stars,
            "forks": stars // 4,
            "open_issues": stars // 100,
            "listed_as": np.repeat(names, len(days)),
            "source": "bench",
            "fetched_at": fetched,
            "quality": "ok",
        }
    )
    return TABLES["repo_snapshots"].widen(frame)


def _commit_copies(shipped: pd.DataFrame, copies: range) -> pd.DataFrame:
    """The shipped commits again, each copy with its own shas and dated `copy` x 3 days
    earlier (so each repository's history is ten times as dense)."""
    parts = []
    for copy in copies:
        shift = pd.Timedelta(days=3 * copy)
        parts.append(
            shipped.assign(
                sha=shipped["sha"] + f"-{copy}",
                authored_at=shipped["authored_at"] - shift,
                committed_at=shipped["committed_at"] - shift,
                fetched_at=pd.Timestamp("2026-09-01", tz="UTC"),
            )
        )
    return pd.concat(parts, ignore_index=True)


def build(folder: Path, repos: int, years: int, segments: int) -> dict[str, int]:
    """Write the synthetic user store and its tracked.toml into `folder`; rows per table."""
    store = _Uncompacted(folder)
    days = pd.date_range(START, periods=365 * years, freq="D")
    slices = np.array_split(np.arange(len(days)), segments)
    shipped = SegmentStore(DEFAULT_DATA, read_only=True).read("commits").frame
    copies = np.array_split(np.arange(1, COMMIT_COPIES), segments)  # the shipped one is 0
    rows = {"repo_snapshots": 0, "commits": 0}
    for n, (part, mine) in enumerate(zip(slices, copies, strict=True)):
        if n and n == segments - 1:
            part = np.concatenate([np.arange(part[0] - 30, part[0]), part])  # seen again
        fetched = pd.Timestamp("2026-08-01", tz="UTC") + pd.Timedelta(days=n)
        frames = {"repo_snapshots": _snapshots(repos, days[part], fetched)}
        if len(mine):
            frames["commits"] = _commit_copies(shipped, range(mine[0], mine[-1] + 1))
        store.append(frames)
        for name, frame in frames.items():
            rows[name] += len(frame)
        del frames
    (folder / "tracked.toml").write_text(tracked_list(repos))
    return rows


def _record_lookups(ahead: bool) -> list[tuple[str, bool]]:
    """Wrap the app's lookup of views computed ahead: each call is recorded as (view, found);
    without `ahead`, every lookup answers None, as when no refresh computed them."""
    from app import precomputed

    real, seen = precomputed.lookup, []

    def lookup(name: str, *args: object) -> object | None:
        found = real(name, *args) if ahead else None
        seen.append((name, found is not None))
        return found

    precomputed.lookup = lookup  # app.loaders calls it through the module
    return seen


def measure(folder: str, pages: list[str], warm: int, ahead: bool = True) -> dict:
    """In this (fresh) process: the app on the store in `folder`, page by page."""
    os.environ["OSSAI_DATA_DIR"] = folder  # read by the app's settings, at the edge
    from streamlit.testing.v1 import AppTest

    lookups = _record_lookups(ahead)

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=3600)
    first, warmed, failed, cpu = {}, {}, {}, {}
    for page in pages:
        start, began = time.perf_counter(), time.process_time()
        if page == "overview" and not first:
            at.run()
        else:
            at.switch_page(f"app/{page}_page.py").run()
        first[page] = time.perf_counter() - start
        cpu[page] = time.process_time() - began
        if at.exception:
            failed[page] = at.exception[0].message + " ".join(at.exception[0].stack_trace[-3:])
    for page in pages:
        if page in failed:
            continue
        at.switch_page(f"app/{page}_page.py").run()  # on the page, then its reruns
        times = []
        for _ in range(warm):
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
        warmed[page] = statistics.median(times)
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "first": first,
        "first_cpu": cpu,
        "warm": warmed,
        "failed": failed,
        "rss_gb": rss_kb / 1024**2,
        "lookups": lookups,
    }


def precompute(folder: str) -> dict:
    """In this (fresh) process: what a refresh's `after_publish` runs once it has published
    into the store in `folder`: the pages' views computed in the background thread, awaited
    (as the CLI awaits it before exiting). Its wall and CPU time, peak RSS and whether it
    wrote the views of the store's current data."""
    os.environ["OSSAI_DATA_DIR"] = folder
    from derived.background import after_refresh
    from derived.folder import open_key
    from derived.keys import data_key
    from settings import Settings
    from store import DEFAULT_DATA

    settings = Settings.from_environment()
    if not settings.precompute:
        return {"error": "OSSAI_PRECOMPUTE is off: unset it to measure the views computed ahead"}
    shutil.rmtree(settings.data.derived, ignore_errors=True)  # computed now, not reused
    start, began = time.perf_counter(), time.process_time()
    thread = after_refresh(settings)
    thread.join()
    wall, cpu = time.perf_counter() - start, time.process_time() - began
    built = open_key(settings.data.derived, data_key(DEFAULT_DATA, settings.data.store))
    return {
        "wall": wall,
        "cpu": cpu,
        "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "built": built is not None,
    }


def _child(folder: Path, *args: str) -> dict:
    """One measurement in a new process (`args` say which), so its caches start cold and its
    peak RSS is its own (not the store build's, nor the other measurements')."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.scale", *args, str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        return {"error": (out.stderr or out.stdout)[-2000:]}
    return json.loads(lines[-1])


def _app_runs(folder: Path, args, pages: list[str], ahead: bool) -> list[dict] | str:
    """`args.runs` fresh app processes on the store; the results, or what went wrong."""
    results = []
    for run in range(args.runs):
        result = _child(
            folder,
            *("--pages", ",".join(pages), "--warm", str(args.warm)),
            *("--ahead", "1" if ahead else "0", "--measure"),
        )
        if "error" in result:
            return f"run {run + 1}: the app failed: {result['error']}"
        missed = sorted({name for name, found in result["lookups"] if not found})
        if ahead and (missed or not result["lookups"]):
            return f"run {run + 1}: the app did NOT serve the views computed ahead: " + (
                f"computed live: {', '.join(missed)}" if missed else "it looked none up"
            )
        results.append(result)
    return results


def report(results: list[dict], pages: list[str]) -> bool:
    ok = True
    print(f"{'figure':48} {'value':>10} unit")
    rss = statistics.median(r["rss_gb"] for r in results)
    ok &= _line("app peak RSS", rss, "GB", RSS_TARGET_GB)
    for page in pages:
        first = statistics.median(r["first"][page] for r in results)
        target = FIRST_RENDER_TARGET_S if page == pages[0] == "overview" else None
        label = "Overview first render" if target else f"{page} first visit"
        ok &= _line(label, first, "s", target)
        if "first_cpu" in results[0]:  # CPU seconds (all threads): steadier on a busy machine
            _line(f"  {label}, CPU", statistics.median(r["first_cpu"][page] for r in results), "s")
    for page in pages:
        failed = [r["failed"][page] for r in results if page in r.get("failed", {})]
        if failed:
            print(f"{page} page FAILED in {len(failed)} run(s): {failed[0][-600:]}")
            ok = False
            continue
        warm = statistics.median(r["warm"][page] for r in results)
        ok &= _line(f"{page} server-side script, warm", warm, "s", WARM_TARGET_S)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The app on a store of N tracked repos")
    parser.add_argument("--repos", type=int, default=3000)
    parser.add_argument("--years", type=int, default=8)
    parser.add_argument("--segments", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3, help="fresh app processes measured")
    parser.add_argument("--warm", type=int, default=3, help="warm reruns of each page")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--keep", help="build (or reuse) the store in this folder")
    parser.add_argument(
        "--no-live",
        dest="live",
        action="store_false",
        help="measure only (a), the app on the views computed ahead (at 10,000 repositories "
        "the live pages take many minutes a run)",
    )
    # the child processes: the app on a store, or the build a refresh runs after publishing
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ahead", default="1", help=argparse.SUPPRESS)
    parser.add_argument("--precompute", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("store", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    pages = args.pages.split(",")
    if args.measure:
        print(json.dumps(measure(args.store, pages, args.warm, ahead=args.ahead == "1")))
        return 0
    if args.precompute:
        print(json.dumps(precompute(args.store)))
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch)
        if not (folder / "manifest.json").exists():
            start = time.perf_counter()
            rows = build(folder, args.repos, args.years, args.segments)
            print(
                f"synthetic user store: {args.repos:,} tracked repos x {args.years} years daily "
                f"= {rows['repo_snapshots']:,} snapshot rows in {args.segments} segments, "
                f"{rows['commits']:,} more commits (the shipped ones x{COMMIT_COPIES} in all); "
                f"built in {time.perf_counter() - start:.0f} s"
            )
        print(
            "\n(a) as a refresh leaves the store: its after_publish computes the pages' views "
            "in the background (derived.background.after_refresh, in the refresh's process)"
        )
        built = _child(folder, "--precompute")
        if "error" in built or not built["built"]:
            print(f"the views computed ahead were not written: {built.get('error', built)}")
            return 1
        _line("views computed ahead: wall (the refresh's cost)", built["wall"], "s")
        _line("views computed ahead: CPU", built["cpu"], "s")
        _line("views computed ahead: peak RSS (refresh process)", built["rss_gb"], "GB")
        ahead = _app_runs(folder, args, pages, ahead=True)
        if isinstance(ahead, str):
            print(ahead)
            return 1
        served = sorted({name for name, _ in ahead[0]["lookups"]})
        print(
            f"the app served every view it looked up from the views computed ahead "
            f"({', '.join(served)}); median of {len(ahead)} fresh app process(es), "
            f"{args.warm} warm rerun(s) each"
        )
        ok = report(ahead, pages)
        if not args.live:
            return 0 if ok else 1
        print("\n(b) no views computed ahead: the pages compute them live")
        live = _app_runs(folder, args, pages, ahead=False)
        if isinstance(live, str):
            print(live)
            return 1
        print(f"median of {len(live)} fresh app process(es), {args.warm} warm rerun(s) each")
        ok &= report(live, pages)
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
