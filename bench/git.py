"""Git collector benchmark: the collector against plain `git log` on the same repository.

    python -m bench.git owner/name=PATH [owner/name=PATH ...]

PATH is a local clone or bare mirror (for example of numpy/numpy, about 42,000 commits on
its default branch, and keras-team/keras, about 12,600). For each repository it prints, in
the same run: plain `git log` printing the collector's fields, the collector's own time
(parse, pseudonymize, build the frame; interpreter start-up excluded), its peak memory, and
an incremental refresh with no new commits. Targets: <= 1.5x plain git log, <= 500 MB,
incremental <= 1 s.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collectors.gitlog import LOG_FORMAT  # noqa: E402

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
import pandas as pd
from collectors import git
repository = git.GitRepository({path!r})
ids = git.Pseudonymizer(b"b" * 32)
now = pd.Timestamp.now(tz="UTC")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for _ in range(3):
    start = time.perf_counter()
    result = git.collect({repo!r}, repository, ids, last_stored=None, fetched_at=now)
    times.append(time.perf_counter() - start)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
again = git.collect({repo!r}, repository, ids, last_stored=result.head, fetched_at=now)
incremental = time.perf_counter() - start
print(json.dumps({{"commits": len(result.commits), "times": times, "peak_kb": peak,
                   "before_kb": before, "incremental": incremental,
                   "incremental_commits": len(again.commits)}}))
"""


def plain_git_log(path: str) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(
            ["git", "-C", path, "log", "HEAD", f"--format={LOG_FORMAT}"],
            stdout=subprocess.DEVNULL,
            check=True,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str]) -> int:
    if not argv or any("=" not in a for a in argv):
        print(__doc__)
        return 2
    ok = True
    for item in argv:
        repo, _, path = item.partition("=")
        baseline = plain_git_log(path)
        child = subprocess.run(
            [sys.executable, "-c", _CHILD.format(root=str(ROOT), path=path, repo=repo)],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        collector = statistics.median(figures["times"])
        ratio = collector / baseline
        peak_mb = figures["peak_kb"] / 1024
        print(f"{repo}: {figures['commits']:,} commits")
        print(f"  plain git log, same fields        {baseline:8.3f} s")
        print(
            f"  collector (median of 3)           {collector:8.3f} s   {ratio:.2f}x  "
            f"(target <= 1.5x) {'ok' if ratio <= 1.5 else 'OVER'}"
        )
        print(
            f"  peak memory (process RSS)         {peak_mb:8.1f} MB  (target <= 500 MB) "
            f"{'ok' if peak_mb <= 500 else 'OVER'}; "
            f"{(figures['peak_kb'] - figures['before_kb']) / 1024:.1f} MB above the imports"
        )
        print(
            f"  incremental, no new commits       {figures['incremental']:8.3f} s   "
            f"({figures['incremental_commits']} commits; target <= 1 s) "
            f"{'ok' if figures['incremental'] <= 1 else 'OVER'}"
        )
        ok &= ratio <= 1.5 and peak_mb <= 500 and figures["incremental"] <= 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
