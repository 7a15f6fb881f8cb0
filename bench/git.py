"""Git collector benchmark: the collector against plain `git log`, alternated, on real histories.

    python -m bench.git [OWNER/NAME=PATH ...] [--pairs 5] [--clones]

PATH is a local clone or bare mirror (numpy/numpy: about 42,000 commits on its default branch;
keras-team/keras: about 12,600). Without arguments the repositories come from
$OSSAI_BENCH_GIT (`owner/name=PATH,...`). Nothing is written next to them.

For each repository, in pairs that alternate which runs first (at least five), it measures wall
time and CPU time (the process and every git it starts) and prints the median and the minimum:

- in process: `collectors.git.collect` (git, parse, pseudonymize, build the frame) in a
  started interpreter, against plain `git log` printing the same fields (the collector's own
  command: `git log HEAD --topo-order --format=LOG_FORMAT`, to /dev/null);
- whole process: `cli.py refresh --sources git` into a fresh data folder (interpreter start-up,
  imports, store write included), against the same `git log` as a process;
- an incremental refresh with nothing new, whole process, into the store just written;
- peak memory (maximum resident set) of the collector's process;
- with --clones: bytes a local smart-HTTP server (`git http-backend`, tests/fakes/git_http.py,
  on 127.0.0.1) sends for a full clone and for the treeless clone the git source makes.

Targets (issue 15): in process <= 1.3x plain git log (median of CPU time), whole process <= 2x
on numpy, memory <= 500 MB, incremental with nothing new <= 1 s whole process, treeless clone
bytes <= 15 % of a full clone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENV_VAR = "OSSAI_BENCH_GIT"
TARGETS = {"in_process": 1.3, "whole_process": 2.0, "memory_mb": 500, "incremental_s": 1.0}
CLONE_TARGET = 0.15

# The in-process half: one interpreter, imports done, git and the collector alternated.
_CHILD = r"""
import json, resource, subprocess, sys, time
sys.path.insert(0, {root!r})
from collectors import git
from collectors.gitlog import LOG_FORMAT

def cpu():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

def timed(work):
    wall, used = time.perf_counter(), cpu()
    out = work()
    return time.perf_counter() - wall, cpu() - used, out

path, repo = {path!r}, {repo!r}
repository = git.GitRepository(path)
ids = git.Pseudonymizer(b"b" * 32)
now = __import__("pandas").Timestamp.now(tz="UTC")
plain = ["git", "-C", path, "log", "HEAD", "--topo-order", "--format=" + LOG_FORMAT]
log = lambda: subprocess.run(plain, stdout=subprocess.DEVNULL, check=True)
collect = lambda: git.collect(repo, repository, ids, last_stored=None, fetched_at=now)
imported_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
timed(log); timed(collect)  # warm the page cache
pairs = {{"git": [], "collector": []}}
for n in range({pairs}):
    order = ("git", "collector") if n % 2 == 0 else ("collector", "git")
    for name in order:
        wall, used, result = timed(log if name == "git" else collect)
        pairs[name].append((wall, used))
rows = result.commits
bounds, known = git.newest_stored(rows), frozenset(rows["sha"])
again = [timed(lambda: git.collect(repo, repository, ids, last_stored=bounds, known=known,
                                   fetched_at=now)) for _ in range(5)]
print(json.dumps({{"commits": len(rows), "pairs": pairs,
    "incremental": [(w, c) for w, c, _ in again], "incremental_rows": len(again[-1][2].commits),
    "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "imported_kb": imported_kb}}))
"""

PROJECTS = """[[projects]]
id = "bench"
name = "Bench"
group = "Bench"
repos = [{repo!r}]
"""


def _line(name: str, value: float, unit: str, target: float | None = None) -> bool:
    if target is None:
        print(f"  {name:48} {value:9.3f}{unit}")
        return True
    ok = value <= target
    goal = f"(target <= {target:g}{unit.strip()})"
    print(f"  {name:48} {value:9.3f}{unit:3} {goal:20} {'ok' if ok else 'OVER'}")
    return ok


def _figures(runs: list[tuple[float, float]]) -> dict[str, float]:
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    return {
        "wall_median": statistics.median(walls),
        "wall_min": min(walls),
        "cpu_median": statistics.median(cpus),
        "cpu_min": min(cpus),
    }


def _pair_lines(label: str, git: list, collector: list, target: float | None) -> bool:
    g, c = _figures(git), _figures(collector)
    print(f"  {label}: median / minimum over {len(git)} alternated pairs")
    for kind in ("cpu", "wall"):
        print(
            f"    plain git log   {kind:4} {g[kind + '_median']:7.3f} s / {g[kind + '_min']:7.3f} s"
        )
        print(
            f"    collector       {kind:4} {c[kind + '_median']:7.3f} s / {c[kind + '_min']:7.3f} s"
        )
    ok = _line(
        f"{label}, CPU ratio of medians",
        c["cpu_median"] / g["cpu_median"],
        "x",
        target,
    )
    _line(f"{label}, CPU ratio of minimums", c["cpu_min"] / g["cpu_min"], "x")
    _line(f"{label}, wall ratio of medians", c["wall_median"] / g["wall_median"], "x")
    return ok


def _process(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall time, CPU time (the process and every child it waited for) and peak memory (KB)."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=errors, env=env, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if child.returncode != 0:
            errors.seek(0)
            text = errors.read().decode(errors="replace")
            raise SystemExit(f"{' '.join(args[:4])} ... failed: {text[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def in_process(repo: str, path: str, pairs: int) -> bool:
    code = _CHILD.format(root=str(ROOT), path=path, repo=repo, pairs=pairs)
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    if child.returncode != 0:
        raise SystemExit(f"the in-process bench failed:\n{child.stderr[-2000:]}")
    got = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"{repo}: {got['commits']:,} commits")
    git_runs, collector_runs = got["pairs"]["git"], got["pairs"]["collector"]
    ok = _pair_lines("in process", git_runs, collector_runs, TARGETS["in_process"])
    inc = _figures(got["incremental"])
    _line("in process, incremental, nothing new (median)", inc["wall_median"], " s")
    peak = got["peak_kb"] / 1024
    ok &= _line("in process, peak memory", peak, " MB", TARGETS["memory_mb"])
    _line("  of which the interpreter and imports", got["imported_kb"] / 1024, " MB")
    return ok


def whole_process(repo: str, path: str, pairs: int) -> bool:
    """The CLI refresh into a fresh data folder against `git log` as a process; the ratio
    target is numpy's (issue 15), other histories print theirs for comparison."""
    from collectors.gitlog import LOG_FORMAT

    plain = ["git", "-C", path, "log", "HEAD", "--topo-order", f"--format={LOG_FORMAT}"]
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("OSSAI_", "GIT"))}
    runs: dict[str, list[tuple[float, float]]] = {"git": [], "collector": []}
    peaks, increments = [], []
    with tempfile.TemporaryDirectory(prefix="bench-git-") as tmp:
        projects = Path(tmp) / "projects.toml"
        projects.write_text(PROJECTS.format(repo=repo))
        cli = [
            sys.executable,
            str(ROOT / "cli.py"),
            "refresh",
            "--sources",
            "git",
            "--quiet",
            "--git-location",
            f"{repo}={path}",
        ]

        def refresh(data: Path) -> tuple[float, float, int]:
            env = {**base_env, "OSSAI_DATA_DIR": str(data), "OSSAI_PROJECTS": str(projects)}
            return _process(cli, env)

        _process(plain), refresh(Path(tmp) / "warm")  # warm the page cache
        for n in range(pairs):
            data = Path(tmp) / f"data{n}"
            order = ("git", "collector") if n % 2 == 0 else ("collector", "git")
            for name in order:
                wall, used, peak = refresh(data) if name == "collector" else _process(plain)
                runs[name].append((wall, used))
                if name == "collector":
                    peaks.append(peak)
            increments.append(refresh(data)[:2])  # the same store again: nothing is new
        imports = [_process([sys.executable, "-c", "import cli"])[:2] for _ in range(pairs)]
    target = TARGETS["whole_process"] if repo == "numpy/numpy" else None
    ok = _pair_lines("whole process", runs["git"], runs["collector"], target)
    inc, start = _figures(increments), _figures(imports)
    ok &= _line(
        "whole process, incremental, nothing new (median)",
        inc["wall_median"],
        " s",
        TARGETS["incremental_s"],
    )
    _line("  minimum", inc["wall_min"], " s")
    _line("  CPU (median)", inc["cpu_median"], " s")
    _line("start-up alone (python -c 'import cli'), wall", start["wall_median"], " s")
    _line("  CPU (median)", start["cpu_median"], " s")
    ok &= _line("whole process, peak memory", max(peaks) / 1024, " MB", TARGETS["memory_mb"])
    return ok


_SKIP_MISSING = '#!/bin/sh\nexec "$@" --missing=allow-any\n'


def clone_bytes(path: str) -> bool:
    """Bytes a local smart-HTTP server sends for the git source's treeless clone and for a
    full clone of the same branches and tags.

    A mirror brought by a tool may itself be a partial clone lacking a few large objects; the
    server is then told to skip what it lacks (pack-objects --missing=allow-any) and the full
    clone asks for `--filter=blob:limit=4g` (a partial clone that leaves nothing else out), so
    the full figure is smaller than the real one by those objects: the ratio errs high."""
    from collectors import git
    from tests.fakes.git_http import GitHttpServer

    served = Path(path)
    env = git.git_env({"PATH": os.environ.get("PATH", os.defpath), "HOME": tempfile.gettempdir()})
    missing = subprocess.run(
        ["git", "-C", path, "rev-list", "--objects", "--missing=print", "--branches", "--tags"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.count("\n?")
    sent: dict[str, tuple[int, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-clone-") as tmp:
        hook = Path(tmp) / "skip-missing"
        hook.write_text(_SKIP_MISSING)
        hook.chmod(0o755)
        with GitHttpServer(served.parent, pack_objects_hook=str(hook)) as server:
            url = server.url_for(served.name)
            start = time.perf_counter()
            git.clone_or_fetch(url, Path(tmp) / "treeless.git")  # what the git source does
            sent["treeless (the git source)"] = (server.bytes_sent, time.perf_counter() - start)
            for label, spec in (("blob:none (for comparison)", "blob:none"), ("full", None)):
                if spec is None and missing:
                    spec = "blob:limit=4g"
                server.reset_log()
                start = time.perf_counter()
                subprocess.run(
                    ["git", "clone", "-q", "--bare"]
                    + ([f"--filter={spec}"] if spec else [])
                    + [url, str(Path(tmp) / label.split()[0].replace(":", "-"))],
                    check=True,
                    env=env,
                )
                sent[label] = (server.bytes_sent, time.perf_counter() - start)
    for label, (size, seconds) in sent.items():
        print(f"  clone over smart HTTP, {label:28} {size / 1e6:9.1f} MB in {seconds:6.1f} s")
    if missing:
        print(f"  (the mirror lacks {missing} object(s): the full clone is measured without them)")
    return _line(
        "treeless clone bytes / full clone bytes",
        100 * sent["treeless (the git source)"][0] / sent["full"][0],
        " %",
        100 * CLONE_TARGET,
    )


def _repositories(items: list[str]) -> list[tuple[str, str]]:
    if not items:
        items = [i for i in os.environ.get(ENV_VAR, "").split(",") if i.strip()]
    found = []
    for item in items:
        repo, sep, path = item.strip().partition("=")
        if not sep or "/" not in repo:
            raise SystemExit(f"{item!r}: expected OWNER/NAME=PATH")
        if not ((Path(path) / "HEAD").is_file() or (Path(path) / ".git").exists()):
            raise SystemExit(
                f"{path!r} is not a git repository: give a clone or bare mirror of {repo} "
                "(for example a mirror made with `git clone --mirror`)"
            )
        found.append((repo, path))
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repos", nargs="*", metavar="OWNER/NAME=PATH")
    parser.add_argument("--pairs", type=int, default=5, help="alternated pairs (at least 5)")
    parser.add_argument("--clones", action="store_true", help="also measure clone bytes")
    parser.add_argument("--skip-whole", action="store_true", help="leave out whole process")
    parser.add_argument("--skip-in-process", action="store_true", help="leave out in process")
    args = parser.parse_args(argv)
    repositories = _repositories(args.repos)
    if not repositories:
        print(
            f"No repository to measure: give OWNER/NAME=PATH arguments or set ${ENV_VAR} "
            "(for example numpy/numpy=PATH-TO-A-NUMPY-CLONE)."
        )
        return 2
    pairs = max(args.pairs, 5)
    ok = True
    for repo, path in repositories:
        if not args.skip_in_process:
            ok &= in_process(repo, path, pairs)
        else:
            print(repo)
        if not args.skip_whole:
            ok &= whole_process(repo, path, pairs)
        if args.clones:
            ok &= clone_bytes(path)
        print()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
