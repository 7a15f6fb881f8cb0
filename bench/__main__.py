"""Print the foundation's speed and size figures against their targets.

    python -m bench [--repos 1000] [--years 8] [--skip-slow]
    python -m bench browser [--runs 5] [--pages overview,compare]   each page drawn in Chromium
    python -m bench firstrun [--no-pip-cache]   a fresh clone's `./dev run` until drawn
    python -m bench explore [--prefixes 400] [--repos 40]   the Explore page's figures
    python -m bench git REPO=PATH ...   the git collector against plain `git log`
    python -m bench export [--page compare]   chart export
    python -m bench site [--runs 2]   the static report (export --site): time and size
    python -m bench mutants [--only NAME]   injected bugs the tests must catch
    python -m bench tracked [--entries 10000]   the pages and edits with a crowded tracked.toml
    python -m bench store [--writes 10000]   what an append costs at 100 and 10,000 writes
    python -m bench scale [--repos 3000] [--years 8] [--segments 4]   the app on a big store

- default data load: every table of data/default read through the Catalog;
- Overview render with AppTest: cold (first run in a fresh process state) and warm (rerun);
- a synthetic store of N repositories x Y years of daily snapshots: write, then read back;
- each chart's figure payload, with the largest selection the Compare page allows;
- then bench.export (the Compare page's charts to PNG/SVG/HTML/CSV, cold and warm) and
  bench.refresh (a refresh of the default projects against the fake servers).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from store import DEFAULT_DATA, TABLES, Catalog, SegmentStore  # noqa: E402


def _line(name: str, value: float, unit: str, target: float | None = None) -> bool:
    ok = target is None or value <= target
    goal = f"(target <= {target:g} {unit})" if target is not None else ""
    print(f"{name:48} {value:10.3f} {unit:3} {goal:22} {'ok' if ok else 'OVER'}")
    return ok


def default_data_load() -> float:
    with tempfile.TemporaryDirectory() as user:
        start = time.perf_counter()
        catalog = Catalog(DEFAULT_DATA, user)
        for name in TABLES:
            catalog.read(name)
        return time.perf_counter() - start


def overview_render() -> tuple[float, float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    warm = []
    for _ in range(5):
        start = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - start)
    assert not at.exception
    return cold, statistics.median(warm)


def synthetic_store(repos: int, years: int) -> tuple[int, float, float, float]:
    days = pd.date_range("2018-01-01", periods=365 * years, freq="D")
    rng = np.random.default_rng(0)
    n = repos * len(days)
    stars = np.cumsum(rng.integers(0, 50, size=(repos, len(days))), axis=1).ravel()
    frame = pd.DataFrame(
        {
            "repo": np.repeat([f"owner{i}/repo{i}" for i in range(repos)], len(days)),
            "date": np.tile(days.to_numpy(), repos),
            "stars": stars,
            "forks": stars // 4,
            "open_issues": stars // 100,
            "listed_as": np.repeat([f"owner{i}/repo{i}" for i in range(repos)], len(days)),
            "source": "bench",
            "fetched_at": pd.Timestamp("2026-01-01", tz="UTC"),
            "quality": "ok",
        }
    )
    frame = TABLES["repo_snapshots"].widen(frame)  # what the bench does not vary is null
    with tempfile.TemporaryDirectory() as root:
        store = SegmentStore(root)
        start = time.perf_counter()
        store.append({"repo_snapshots": frame})
        write = time.perf_counter() - start
        start = time.perf_counter()
        got = store.read("repo_snapshots").frame
        read = time.perf_counter() - start
        assert len(got) == n
        # a year of daily refreshes later: 365 more small segments, then compaction
        last = frame[frame["date"] == days[-1]]
        for day in range(3):
            store.append(
                {"repo_snapshots": last.assign(date=days[-1] + pd.Timedelta(days=day + 1))}
            )
        start = time.perf_counter()
        store.read("repo_snapshots")
        read_many = time.perf_counter() - start
    return n, write, read, read_many


def chart_payloads() -> dict[str, int]:
    from charts.timeseries import history_chart
    from metrics.cohort import cohort_projects
    from metrics.compare import METRICS, compare
    from registry import load_registry

    with tempfile.TemporaryDirectory() as user:
        catalog = Catalog(DEFAULT_DATA, user)
        snaps = catalog.read("repo_snapshots").frame
        downloads = catalog.read("package_downloads").frame
        registry = load_registry()
        projects = list(registry) + cohort_projects(
            catalog.read("cohort_members").frame, registry.cohort.label
        )
    sizes = {}
    for key, metric in METRICS.items():
        result = compare(projects, metric, snaps, downloads)
        fig = history_chart(
            result.frame,
            x="date",
            y="value",
            series="series",
            title=key,
            y_title=metric.label,
            events=result.events,
        )
        sizes[f"compare/{key} (all {len(projects)} projects)"] = len(fig.to_json().encode())
    return sizes


# The benches run by name: python -m bench NAME [ARGS] (each module's docstring says more).
BENCHES = (
    "browser",
    "explore",
    "export",
    "firstrun",
    "git",
    "mutants",
    "scale",
    "site",
    "store",
    "tracked",
)


def main() -> int:
    if sys.argv[1:2] and sys.argv[1] in BENCHES:  # python -m bench NAME [ARGS]
        module = importlib.import_module(f"bench.{sys.argv[1]}")
        return module.main(sys.argv[2:])
    parser = argparse.ArgumentParser(description="Foundation benchmarks")
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--years", type=int, default=8)
    parser.add_argument(
        "--skip-slow", action="store_true", help="leave out the export and refresh benchmarks"
    )
    args = parser.parse_args()
    ok = True
    print(f"{'figure':48} {'value':>10} unit")
    ok &= _line("default data load (all tables)", default_data_load(), "s")
    cold, warm = overview_render()
    ok &= _line("Overview render, cold (AppTest)", cold, "s", 1.5)
    ok &= _line("Overview rerun, warm (AppTest, median of 5)", warm * 1000, "ms", 300)
    n, write, read, read_many = synthetic_store(args.repos, args.years)
    print(f"synthetic store: {args.repos} repos x {args.years} years daily = {n:,} rows")
    _line("  write (one segment)", write, "s")
    ok &= _line("  load", read, "s", 2.0)
    ok &= _line("  load after 3 more daily segments", read_many, "s", 2.0)
    for name, size in chart_payloads().items():
        ok &= _line(f"payload {name}", size / 1e6, "MB", 1.0)
    if not args.skip_slow:
        from bench import export, refresh

        print()
        ok &= export.main([]) == 0
        print()
        ok &= refresh.main() == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
