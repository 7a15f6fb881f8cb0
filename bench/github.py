"""GitHub refresh cost: a cold and a warm refresh of the default project list, against the fake.

    python -m bench.github

The fake GitHub (tests/fakes/github/) serves every tracked repository with a realistic age
and size (tensorflow created 2015-11, pytorch 2016-08, thousands of contributors, hundreds of
releases, up to 1,800 pull requests a month). Printed: requests and rate-limit points per
repository and per run, and the issue's targets:

- a warm refresh with nothing changed upstream costs 0 rate-limit points;
- cold star history costs ceil(age in weeks / 30) requests per repository;
- everything for one repository costs at most 60 requests cold.

A third run a day later (new stars, new pushes, a new issue window) shows the daily cost.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collectors.github import RefreshSummary  # noqa: E402
from registry import load_registry  # noqa: E402
from store import SegmentStore  # noqa: E402
from tests.fakes.github import (  # noqa: E402
    NOW,
    FakeClock,
    FakeGitHub,
    client_for,
    default_world,
    refresh,
)

MAX_COLD_REQUESTS = 60
TOKEN = "bench-token"  # the fake accepts any token; it is never a real one


def _history_requests(server: FakeGitHub, repo_id: int, name: str) -> int:
    return len(server.served(rf"^/(repos/{name}|repositories/{repo_id})/stargazers/history(\?|$)"))


def _run(server: FakeGitHub, label: str, run) -> tuple[RefreshSummary, dict[str, int], float]:
    server.reset_log()
    start = time.perf_counter()
    summary = run()
    seconds = time.perf_counter() - start
    points = {r: server.points(r) for r in ("core", "search", "graphql")}
    requests = len(server.log)
    not_modified = sum(1 for e in server.log if e.status == 304)
    print(
        f"{label:5} refresh: {requests:4} requests ({not_modified} answered 304), "
        f"rate-limit points: core {points['core']}, graphql {points['graphql']}, "
        f"search {points['search']}; {seconds:.2f} s"
    )
    return summary, points, seconds


def main() -> int:
    registry = load_registry()
    repos = [name for project in registry for name in project.repo_names]
    clock = FakeClock(NOW)
    world = default_world(repos)
    with tempfile.TemporaryDirectory() as tmp, FakeGitHub(world, clock=clock) as server:
        store = SegmentStore(Path(tmp) / "store")
        client = client_for(
            server, clock, Path(tmp) / "github.json", token=TOKEN, read_timeout=10.0
        )
        print(f"Fake GitHub at {server.url}, {len(repos)} repositories, now = {NOW:%Y-%m-%d}")
        cold, cold_points, _ = _run(server, "cold", lambda: refresh(registry, store, client, clock))
        history = {r.full_name: _history_requests(server, r.id, r.full_name) for r in world}
        weeks = {r.full_name: len(r.weeks_until(clock())) for r in world}
        warm, warm_points, _ = _run(server, "warm", lambda: refresh(registry, store, client, clock))
        clock.advance(86400)  # a day later: new stars, new pushes, a new issue window
        _, daily_points, _ = _run(server, "daily", lambda: refresh(registry, store, client, clock))
        client.close()

    print()
    print(
        f"{'repository':38} {'weeks':>5} {'history req':>11} {'target':>6} "
        f"{'cold req':>8} {'warm req':>8} {'warm 304':>8}  status"
    )
    history_ok, budget_ok = True, True
    for repo in world:
        name = repo.full_name
        target = math.ceil(weeks[name] / 30)
        c, w = cold.outcome(name), warm.outcome(name)
        history_ok &= history[name] == target
        budget_ok &= c.requests <= MAX_COLD_REQUESTS
        print(
            f"{name:38} {weeks[name]:5} {history[name]:11} {target:6} "
            f"{c.requests:8} {w.requests:8} {w.not_modified:8}  {c.status}/{w.status}"
        )
    worst = max(o.requests for o in cold)
    warm_total = sum(warm_points.values())
    checks = [
        ("warm refresh, nothing changed: 0 rate-limit points", warm_total == 0, f"{warm_total}"),
        ("cold star history: ceil(age in weeks / 30) requests per repository", history_ok, ""),
        (
            f"everything for one repository <= {MAX_COLD_REQUESTS} requests cold",
            budget_ok,
            f"max {worst}",
        ),
        ("every repository refreshed without a problem", all(o.status == "ok" for o in cold), ""),
    ]
    print()
    for text, ok, figure in checks:
        print(f"{text:70} {figure:>8}  {'ok' if ok else 'FAILED'}")
    print()
    print("Budget per repository (points of each bucket; a 304 costs none):")
    for label, points in (("cold", cold_points), ("next day", daily_points)):
        core = points["core"] / len(repos)
        graphql = points["graphql"] / len(repos)
        print(
            f"  {label:8}: core {core:5.1f}, graphql {graphql:4.1f} -> without a token "
            f"(60 core an hour) ~{60 / core if core else float('inf'):.0f} repositories an "
            f"hour; with one (5,000 core + 5,000 graphql an hour) "
            f"~{5000 / max(core, graphql, 1e-9):.0f}"
        )
    print(f"  warm    : {warm_total} points (nothing changed upstream)")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
