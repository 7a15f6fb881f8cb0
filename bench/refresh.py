"""A whole refresh of the default projects, as `cli.py refresh` runs it, against the fakes.

    python -m bench.refresh

Starts the fake servers on 127.0.0.1 with every tracked repository and package, then runs
`service.refresh.run` three times into an empty user data folder: cold, warm (straight
after: nothing new upstream) and the next day. Prints per source the time, the requests and
how many were answered 304, and the exit status.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry import load_registry  # noqa: E402
from service import refresh  # noqa: E402
from settings import DataLayout, Settings  # noqa: E402
from tests.fakes.github import FakeClock, FakeGitHub, default_world  # noqa: E402
from tests.fakes.pypi import FakePackageHosts, scorecard, top_dump  # noqa: E402
from tests.fakes.pypi import default_world as package_world  # noqa: E402

SOURCES = ["github", "pypi", "pypistats", "depsdev", "top-pypi"]  # git: see bench.git

TOKEN = "bench-token"  # the fake accepts any token; it is never a real one


def _run(label: str, registry, settings: Settings) -> None:
    start = time.perf_counter()
    report = refresh.run(registry, settings, refresh.RefreshOptions(sources=SOURCES))
    seconds = time.perf_counter() - start
    table = report.table()
    by_source = table.groupby("source").agg(
        targets=("target", "size"),
        rows=("rows", "sum"),
        requests=("requests", "sum"),
        not_modified=("not_modified", "sum"),
    )
    statuses = Counter(table["status"])
    print(
        f"{label:9} {seconds:7.2f} s   exit {report.exit_code}   "
        + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    )
    for source, row in by_source.iterrows():
        print(
            f"    {source:10} {row.targets:4} targets {row.rows:8,} new rows "
            f"{row.requests:6} requests ({row.not_modified} answered 304)"
        )


def main() -> int:
    registry = load_registry()
    repos = [name for project in registry for name in project.repo_names]
    packages = [name for project in registry for name in project.packages]
    now = datetime.now(UTC)
    clock = FakeClock(now)
    cards = {repo.lower(): scorecard(repo) for repo in repos}
    dump = top_dump(f"{now:%Y-%m}-01", [(name, 1_000_000) for name in packages])
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeGitHub(default_world(repos, now=now), clock=clock) as github,
        FakePackageHosts(
            package_world(packages), clock=clock, scorecards=cards, dump=dump
        ) as hosts,
    ):
        settings = Settings(
            data=DataLayout(Path(tmp)),
            github_token=TOKEN,
            api_urls={"github": github.url, **dict.fromkeys(SOURCES[1:], hosts.url)},
        )
        print(
            f"{len(list(registry))} projects, {len(repos)} repositories, {len(packages)} "
            f"packages; fake GitHub and PyPI-side hosts; sources {', '.join(SOURCES)}"
        )
        print("(pypistats.org is asked at most every 2 s, as its limit of 30 a minute asks)")
        _run("cold", registry, settings)
        _run("warm", registry, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
