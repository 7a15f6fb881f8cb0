"""What an append to the store costs as it grows: flat, since compaction is size-tiered.

    python -m bench store [--writes 10000] [--rows 100] [--base-rows 1000000]

A store holding `--base-rows` rows of repo_snapshots (years of history) takes `--writes`
daily refreshes of `--rows` rows each, one day apart on an injected clock (so merged files
leave after their grace period, as they do in use). Printed: an append's cost around the
100th and around the last write (median, worst and mean of the 201 writes around it, merges
included), the mean of all writes, the segments listed, and a read at the end.
Target: flat, the last append's median within 1.5x of the 100th's. Before, compaction rewrote
the whole table every 24 appends (1.57 s at 2.9M rows); now a merge takes segments of one size
tier, so the whole table is rewritten only when what was appended since has grown to its size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from store import TABLES, SegmentStore  # noqa: E402


def _rows(repos: int, write: int) -> pd.DataFrame:
    """A daily refresh of `repos` repositories; past 5,000 days, another set of repositories
    (every day stays in the plausible past)."""
    rng = np.random.default_rng(write)
    day = pd.Timestamp("2011-01-01") + pd.Timedelta(days=write % 5000)
    names = [f"owner{i}/repo{i}-{write // 5000}" for i in range(repos)]
    frame = pd.DataFrame(
        {
            "repo": names,
            "date": day,
            "stars": rng.integers(0, 100_000, repos),
            "forks": rng.integers(0, 10_000, repos),
            "listed_as": names,
            "source": "bench",
            "fetched_at": day.tz_localize("UTC") + pd.Timedelta(hours=1),
            "quality": "ok",
        }
    )
    return TABLES["repo_snapshots"].widen(frame)


def _base(rows: int) -> pd.DataFrame:
    days = pd.date_range("2008-01-01", periods=1000, freq="D")
    repos = max(1, rows // len(days))
    names = np.array([f"owner{i}/base{i}" for i in range(repos)])
    frame = pd.DataFrame(
        {
            "repo": np.tile(names, len(days)),
            "date": np.repeat(days.to_numpy(), repos),
            "stars": np.arange(len(days) * repos) % 100_000,
            "forks": 0,
            "listed_as": np.tile(names, len(days)),
            "source": "bench",
            "fetched_at": pd.Timestamp("2020-01-01", tz="UTC"),
            "quality": "ok",
        }
    )
    return TABLES["repo_snapshots"].widen(frame)


def run(writes: int, rows: int, base_rows: int) -> dict:
    now = [time.time()]
    costs: list[float] = []
    with tempfile.TemporaryDirectory() as root:
        store = SegmentStore(root, clock=lambda: now[0])
        if base_rows:
            store.append({"repo_snapshots": _base(base_rows)})
        for i in range(writes):
            frame = _rows(rows, i)
            now[0] += 86400.0
            began = time.perf_counter()
            store.append({"repo_snapshots": frame})
            costs.append(time.perf_counter() - began)
        segments = len(store.manifest()["tables"]["repo_snapshots"])
        began = time.perf_counter()
        total = len(store.read("repo_snapshots").frame)
        read = time.perf_counter() - began
    return {"costs": costs, "segments": segments, "rows": total, "read": read}


def _window(costs: list[float], at: int) -> tuple[float, float, float]:
    """Median, worst and mean of the (up to) 201 appends around the `at`-th: the mean counts
    the merges that fall among them, what appends cost in the long run there."""
    around = costs[max(0, at - 101) : at + 100]
    return statistics.median(around), max(around), statistics.mean(around)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--base-rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    result = run(args.writes, args.rows, args.base_rows)
    costs = result["costs"]
    first = _window(costs, 100)
    last = _window(costs, len(costs))
    print(f"store appends: {args.writes:,} writes of {args.rows} rows onto {args.base_rows:,} rows")
    print(f"{'figure':48} {'value':>10} unit")
    print(f"{'append at write 100, median':48} {first[0] * 1000:10.1f} ms")
    print(f"{'append at write 100, worst of 201 around it':48} {first[1] * 1000:10.1f} ms")
    print(f"{'append at write 100, mean of 201 around it':48} {first[2] * 1000:10.1f} ms")
    at = f"{len(costs):,}"
    target = 1.5 * first[0]
    ok = last[0] <= target
    print(
        f"{f'append at write {at}, median':48} {last[0] * 1000:10.1f} ms "
        f"(target <= {target * 1000:.1f} ms: flat) {'ok' if ok else 'OVER'}"
    )
    print(f"{f'append at write {at}, worst of 201 around it':48} {last[1] * 1000:10.1f} ms")
    print(f"{f'append at write {at}, mean of 201 around it':48} {last[2] * 1000:10.1f} ms")
    print(f"{f'append, mean of all {at} writes':48} {statistics.mean(costs) * 1000:10.1f} ms")
    print(f"{'slowest append of all (a cascade of merges)':48} {max(costs) * 1000:10.1f} ms")
    print(f"{'segments listed at the end':48} {result['segments']:10d}")
    read = f"read at the end ({result['rows']:,} rows)"
    print(f"{read:48} {result['read']:10.3f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
