"""Build the embedded default dataset (data/default/) from the public archives.

    python scripts/build_default_data.py [--datasets DIR] [--registry FILE] [--out DIR]

Defaults: ../shared/datasets, data/projects.toml, data/default.

Reads the raw archives once, resolves the comparison cohort from the registry's rule, keeps
the rows of the tracked projects and the cohort, and publishes them as a fresh read-only
store. The new store is built beside the old one and swapped in with a rename, so an
interrupted build leaves the previous default data intact.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collectors import archives
from errors import DashboardError
from metrics.cohort import cohort_packages, cohort_repos
from registry import Registry, load_registry
from store import DEFAULT_DATA, SegmentStore, table

DEFAULT_DATASETS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


def build_tables(datasets: Path, registry: Registry) -> dict[str, pd.DataFrame]:
    """All default tables from the archives in `datasets`. Raises SourceError."""
    started = datetime.now(UTC)
    daily = archives.read_ranking_daily(datasets)
    repos_raw = archives.read_ranking_repos(datasets)
    pypi_raw = archives.read_pypi_monthly(datasets)

    aliases = registry.repo_aliases()
    tracked_packages = {p for project in registry for p in project.packages}
    downloads_all = archives.pypi_downloads(pypi_raw)

    members = pd.concat(
        [
            cohort_repos(daily, registry.cohort, set(aliases), archives.RANKING_SOURCE),
            cohort_packages(downloads_all, registry.cohort, tracked_packages, archives.PYPI_SOURCE),
        ],
        ignore_index=True,
    )
    wanted_repos = set(aliases) | set(members.loc[members["kind"] == "repo", "name"].str.lower())
    wanted_packages = tracked_packages | set(members.loc[members["kind"] == "package", "name"])

    selected = daily[daily["repo"].str.lower().isin(wanted_repos)]
    snapshots = archives.ranking_snapshots(selected, aliases)
    repositories = archives.ranking_repositories(
        repos_raw[repos_raw["repo"].str.lower().isin(wanted_repos)], selected, aliases
    )
    downloads = downloads_all[downloads_all["package"].isin(wanted_packages)]
    days = pd.concat(
        [
            archives.source_days(daily["date"], archives.RANKING_SOURCE),
            archives.source_days(pypi_raw["snapshot_date"], archives.PYPI_SOURCE),
        ],
        ignore_index=True,
    )
    sources = pd.DataFrame(
        [
            {
                **info.__dict__,
                "as_of": as_of,
                "fetched_at": pd.Timestamp(as_of, tz="UTC"),
                "quality": "ok",
            }
            for info, as_of in (
                (archives.RANKING_INFO, daily["date"].max()),
                (archives.PYPI_INFO, pypi_raw["snapshot_date"].max()),
            )
        ]
    )
    tables = {
        "sources": sources,
        "source_days": days,
        "repositories": repositories,
        "repo_snapshots": snapshots,
        "package_downloads": downloads.reset_index(drop=True),
        "cohort_members": members,
    }
    finished = datetime.now(UTC)
    run_id = f"build-{started:%Y%m%dT%H%M%SZ}"
    tables["collection_runs"] = pd.DataFrame(
        [
            {
                "run_id": run_id,
                "collector": "build_default_data",
                "target": name,
                "started_at": started,
                "finished_at": finished,
                "status": "ok",
                "requests": 0,
                "not_modified": 0,
                "retries": 0,
                "wait_seconds": 0.0,
                "rate_limit_remaining": None,
                "rows_written": len(frame),
                "message": None,
                "source": "scripts/build_default_data.py",
                "fetched_at": finished,
                "quality": "ok",
            }
            for name, frame in tables.items()
        ]
    )
    return {name: table(name).conform(frame) for name, frame in tables.items()}


def publish(tables: dict[str, pd.DataFrame], target: Path) -> None:
    """Write a new store beside `target`, then swap it in with renames."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}-new-{uuid.uuid4().hex[:8]}"
    retired = target.parent / f".{target.name}-old-{uuid.uuid4().hex[:8]}"
    try:
        SegmentStore(staging).append(tables)
        (staging / ".write.lock").unlink(missing_ok=True)
        if target.exists():
            target.rename(retired)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--registry", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        registry = load_registry(args.registry) if args.registry else load_registry()
        tables = build_tables(args.datasets, registry)
        publish(tables, args.out)
    except DashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, frame in tables.items():
        print(f"{name:18} {len(frame):>9,} rows")
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"published {args.out} ({size / 1e6:.2f} MB) in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
