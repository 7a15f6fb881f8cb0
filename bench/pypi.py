"""PyPI-side refresh cost: PyPI JSON, pypistats.org, deps.dev and the top-PyPI dump for the
default packages, against the fake hosts.

    python -m bench.pypi

The fakes (tests/fakes/pypi/) serve each default package with a plausible size (tensorflow:
160 versions of 20 files, several MB of JSON), 180 days of pypistats data ending yesterday,
deps.dev dependents and a Scorecard for every listed repository, and a 15,000-row dump.
Printed: requests per source for a cold refresh, a warm refresh the same day, and a refresh
the next day with nothing new upstream, next to the targets:

- the same day again: 0 requests per source;
- the next day, nothing new: at most 1 request per package per source (PyPI answers 304;
  pypistats gives the one new day; deps.dev waits a week; the dump answers 304).
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collectors.depsdev import refresh_depsdev  # noqa: E402
from collectors.pypi import refresh_pypi  # noqa: E402
from collectors.pypistats import refresh_pypistats  # noqa: E402
from collectors.toppypi import refresh_top_pypi  # noqa: E402
from registry import load_registry  # noqa: E402
from store import SegmentStore  # noqa: E402
from tests.fakes.github import FakeClock  # noqa: E402
from tests.fakes.pypi import (  # noqa: E402
    NOW,
    FakePackageHosts,
    clients_for,
    default_world,
    scorecard,
    top_dump,
)

SOURCES = ("pypi", "pypistats", "depsdev", "top-pypi")


def _dump(packages: list[str]) -> dict:
    rows = [(name, 10_000_000 - i) for i, name in enumerate(packages)]
    rows += [(f"filler-package-{i}", 1_000_000 - i) for i in range(15_000 - len(rows))]
    return top_dump(f"{NOW:%Y-%m}-01", rows)


def main() -> int:
    registry = load_registry()
    packages = [name for project in registry for name in project.packages]
    repos = [name for project in registry for name in project.repo_names]
    clock = FakeClock(NOW)
    cards = {r.lower(): scorecard(r) for r in repos if r != "CompVis/stable-diffusion"}
    cards["compvis/stable-diffusion"] = None  # deps.dev knows it but has no Scorecard
    world = default_world(packages)
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakePackageHosts(world, clock=clock, scorecards=cards, dump=_dump(packages)) as hosts,
    ):
        store = SegmentStore(Path(tmp) / "store")
        clients = clients_for(hosts, clock, Path(tmp) / "http-cache")
        biggest = max(len(b) for b in _bodies(hosts))
        print(
            f"Fake PyPI-side hosts at {hosts.url}: {len(packages)} packages, {len(repos)} "
            f"repositories, now = {NOW:%Y-%m-%d}"
        )

        def run_all(label: str) -> dict[str, tuple[int, int, int, float, str]]:
            out = {}
            now = clock.timestamp()
            runs = {
                "pypi": lambda: refresh_pypi(registry, store, clients["pypi"], now=now),
                "pypistats": lambda: refresh_pypistats(
                    registry, store, clients["pypistats"], now=now
                ),
                "depsdev": lambda: refresh_depsdev(registry, store, clients["depsdev"], now=now),
                "top-pypi": lambda: refresh_top_pypi(store, clients["top-pypi"], now=now),
            }
            for source, run in runs.items():
                hosts.reset_log()
                start = time.perf_counter()
                summary = run()
                seconds = time.perf_counter() - start
                statuses = ",".join(sorted({o.status for o in summary}))
                served = len(hosts.log)
                assert served == summary.requests, (source, served, summary.requests)
                out[source] = (
                    summary.requests,
                    summary.not_modified,
                    summary.rows_written,
                    seconds,
                    statuses,
                )
            return out

        cold = run_all("cold")
        clock.advance(timedelta(hours=2).total_seconds())
        warm = run_all("warm")
        clock.advance(timedelta(days=1).total_seconds())
        nextday = run_all("next day")
        for client in clients.values():
            client.close()

    print(f"largest answer served: {biggest / 1e6:.1f} MB")
    print()
    header = (
        f"{'source':10} {'targets':>7} | {'cold req':>8} {'rows':>6} {'s':>6} | "
        f"{'same-day req':>12} | {'next-day req':>12} {'304':>4} {'rows':>5} {'s':>6} | "
        f"{'target next day':>15}"
    )
    print(header)
    print("-" * len(header))
    checks = []
    targets = {
        "pypi": len(packages),
        "pypistats": len(packages),
        "depsdev": len(packages) + len(repos),
        "top-pypi": 1,
    }
    for source in SOURCES:
        c, w, n = cold[source], warm[source], nextday[source]
        limit = targets[source]
        print(
            f"{source:10} {limit:7} | {c[0]:8} {c[2]:6} {c[3]:6.2f} | {w[0]:12} | "
            f"{n[0]:12} {n[1]:4} {n[2]:5} {n[3]:6.2f} | {'<= ' + str(limit):>15}"
        )
        checks.append((f"{source}: same day again, 0 requests", w[0] == 0, str(w[0])))
        checks.append(
            (f"{source}: next day, <= 1 request per target", n[0] <= limit, f"{n[0]}/{limit}")
        )
        checks.append((f"{source}: cold refresh without failures", c[4] == "ok", c[4]))
    print()
    for text, ok, figure in checks:
        print(f"{text:58} {figure:>8}  {'ok' if ok else 'FAILED'}")
    return 0 if all(ok for _, ok, _ in checks) else 1


def _bodies(hosts: FakePackageHosts) -> list[bytes]:
    import json

    from tests.fakes.pypi.pypi_json import project_json as _pypi_json

    return [json.dumps(_pypi_json(p, hosts.url)).encode() for p in hosts.projects.values()]


if __name__ == "__main__":
    sys.exit(main())
