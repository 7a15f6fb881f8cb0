"""The Explore page's figures against the issue's targets.

    python -m bench explore [--prefixes 400] [--repos 40]

- size of everything under data/ (target <= 40 MB), and of data/archive;
- search: many prefixes of real names (1 to 8 characters) and every one- and two-letter
  prefix, warm, each the median of 3 runs; worst and median (target <= 100 ms for any);
- an untracked repository's chart (index entry, series read, view with its figure): warm,
  median and worst over random repositories (target <= 300 ms), and cold in a new process
  (target <= 1 s; the modules' import is printed apart);
- the app's memory after opening Explore and charting a repository, in a new process
  with streamlit's AppTest (target <= 600 MB RSS);
- the default data load and the Overview render, as in `python -m bench`, to show the
  tracked pages are no slower (0.20 s for the default data before this page).
"""

from __future__ import annotations

import argparse
import json
import statistics
import string
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.__main__ import _line, default_data_load, overview_render  # noqa: E402
from store.archive import ARCHIVE_DATA, Archive  # noqa: E402


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def search_times(archive: Archive, prefixes: int) -> tuple[float, list[float]]:
    start = time.perf_counter()
    archive.search("a")
    first = time.perf_counter() - start
    rng = np.random.default_rng(13)
    names = archive.names()["key"].to_numpy(object)
    queries = [c for c in string.ascii_lowercase + string.digits]
    queries += [a + b for a in string.ascii_lowercase for b in string.ascii_lowercase + "-/"]
    for name in rng.choice(names, prefixes):
        queries.append(name[: rng.integers(1, min(8, len(name)) + 1)])
    times = []
    for query in queries:  # each query 3 times, its median: one scheduler pause is not a query
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            archive.search(query, 20)
            runs.append(time.perf_counter() - start)
        times.append(statistics.median(runs))
    return first, times


def chart_once(archive: Archive, name: str) -> float:
    from views.explore import ExploreSettings, archive_subject, explore_view

    start = time.perf_counter()
    entry = archive.entry(name, "repo")
    rows = archive.repo_series(entry)
    subject = archive_subject(entry, rows, archive.sources()["repo"].as_of)
    view = explore_view([subject], ExploreSettings(metric="stars"))
    view.chart.figure.to_json()
    return time.perf_counter() - start


def untracked_repos(archive: Archive, count: int) -> list[str]:
    from registry import load_registry

    tracked = {r.lower() for p in load_registry() for r in p.repo_names}
    names = archive.names()
    repos = names[(names["kind"] == "repo") & names["current"] & ~names["key"].isin(tracked)]
    rng = np.random.default_rng(7)
    picks = list(rng.choice(repos["name"].to_numpy(object), count, replace=False))
    return ["ohmyzsh/ohmyzsh", *picks]  # the longest series first (2,500 days)


COLD = """
import sys, time, json
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from bench.explore import chart_once
from store.archive import Archive
import views.explore, plotly.graph_objects
imported = time.perf_counter() - t0
print(json.dumps([imported, chart_once(Archive(), {name!r})]))
"""

MEMORY = """
import sys, json, resource
sys.path.insert(0, {root!r})
from tests.apptest import open_page
at = open_page("explore")
at.text_input(key="explore_query").input("ohmyzsh").run()
at.button(key="explore_add").click().run()
assert not at.exception and at.get("plotly_chart")
rss = [l for l in open("/proc/self/status") if l.startswith(("VmRSS", "VmHWM"))]
print(json.dumps({{l.split(":")[0]: int(l.split()[1]) / 1024 for l in rss}}))
"""


def in_new_process(code: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Explore page benchmarks")
    parser.add_argument("--prefixes", type=int, default=400)
    parser.add_argument("--repos", type=int, default=40)
    args = parser.parse_args(argv)
    ok = True
    print(f"{'figure':48} {'value':>10} unit")
    ok &= _line("data/ in the repository, total", folder_mb(ROOT / "data"), "MB", 40)
    _line("  of which data/archive (the whole archives)", folder_mb(ARCHIVE_DATA), "MB")
    _line("  of which data/default (tracked + cohort)", folder_mb(ROOT / "data" / "default"), "MB")

    archive = Archive()
    first, times = search_times(archive, args.prefixes)
    _line("search, first (reads the name index)", first * 1000, "ms")
    ok &= _line(
        f"search, worst of {len(times)} prefixes (warm, median of 3)", max(times) * 1000, "ms", 100
    )
    _line("search, median (warm)", statistics.median(times) * 1000, "ms")

    repos = untracked_repos(archive, args.repos)
    chart_once(archive, repos[-1])  # warm: plotly's validators and the row-group statistics
    warm = [chart_once(archive, name) for name in repos]
    ok &= _line(f"untracked repo chart, worst of {len(repos)} (warm)", max(warm) * 1000, "ms", 300)
    _line("untracked repo chart, median (warm)", statistics.median(warm) * 1000, "ms")
    imported, cold = in_new_process(COLD.format(root=str(ROOT), name=repos[1]))
    ok &= _line("untracked repo chart, cold (new process)", cold * 1000, "ms", 1000)
    _line("  imports in that process (not counted)", imported, "s")

    memory = in_new_process(MEMORY.format(root=str(ROOT)))
    ok &= _line("app RSS after opening Explore + a chart", memory["VmRSS"], "MB", 600)
    _line("  peak RSS (VmHWM)", memory["VmHWM"], "MB")

    ok &= _line("default data load (all tables)", default_data_load(), "s", 0.20)
    cold_overview, warm_overview = overview_render()
    ok &= _line("Overview render, cold (AppTest)", cold_overview, "s", 1.5)
    ok &= _line("Overview rerun, warm (AppTest)", warm_overview * 1000, "ms", 300)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
