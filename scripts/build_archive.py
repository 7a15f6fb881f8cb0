"""Build the embedded whole archive (data/archive/) from the public archives, offline.

    python scripts/build_archive.py [--datasets DIR] [--out DIR]

Defaults: ../shared/datasets and data/archive. `./dev build-data` runs it after the default
data. Every repository's daily stars, forks and open issues and every package's download
snapshots are kept at full resolution (no thinning), with a name index over every spelling:

- names.parquet           one row per name (every archive spelling of a repository, former
                          names and case variants included, and every package) -> its series
- repo_series.parquet     (sid, date) rows, sorted by series then date
- package_series.parquet  (pid, series, period_end) rows, sorted the same way
- manifest.json           sources, revisions, as-of days, counts, the encoding and sizes

Encoding, chosen by measurement (docs/explore.md): Parquet, zstd level 19; integer columns
DELTA_BINARY_PACKED (day-to-day differences are small), dates of the download snapshots
dictionary-encoded (260 distinct days); row groups of 32,768 rows so one series is a one- or
two-row-group read located by the row groups' id statistics. The same inputs give the same
bytes (same pyarrow version), and the folder is swapped in with a rename, so an interrupted
build leaves the previous archive intact.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collectors import archives
from errors import DashboardError
from registry import load_registry
from store.archive import ARCHIVE_DATA, FORMAT, MANIFEST

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASETS = ROOT.parent / "shared" / "datasets"
ROW_GROUP = 32_768
ZSTD_LEVEL = 19
NAMES_ROW_GROUP = 4_096  # a description is read from one small row group


def build(datasets: Path) -> tuple[dict[str, pa.Table], dict]:
    """The archive's tables and manifest from the raw archives. Raises SourceError."""
    daily = archives.read_ranking_daily(datasets)
    repos_raw = archives.read_ranking_repos(datasets)
    pypi_raw = archives.read_pypi_monthly(datasets)

    spans = archives.name_spans(daily)
    renames = archives.detected_renames(spans)
    aliases = archives.series_aliases(spans, renames, load_registry().repo_aliases())
    rows = archives.archive_series(
        daily[["repo", "date", "stars", "forks", "open_issues"]], aliases
    )
    del daily
    series_names = sorted(rows["repo"].unique(), key=lambda n: (n.lower(), n))
    sid = {name: i for i, name in enumerate(series_names)}
    rows["sid"] = rows["repo"].map(sid).astype("int32")
    rows = rows.sort_values(["sid", "date"], kind="stable")
    repo_table = pa.table(
        {
            "sid": pa.array(rows["sid"].to_numpy(), pa.int32()),
            "date": pa.array(rows["date"].dt.date, pa.date32()),
            "stars": pa.array(rows["stars"].to_numpy(), pa.int32()),
            "forks": pa.array(rows["forks"].to_numpy(), pa.int32()),
            "open_issues": pa.array(rows["open_issues"].to_numpy(), pa.int32()),
            "anomalous": pa.array(rows["anomalous"].to_numpy(), pa.bool_()),
        }
    )
    repo_names = _repo_names(spans, repos_raw, aliases, sid, rows)

    downloads = archives.pypi_downloads(pypi_raw)
    packages = sorted(downloads["package"].unique())
    pid = {name: i for i, name in enumerate(packages)}
    downloads = downloads.assign(pid=downloads["package"].map(pid).astype("int32"))
    downloads = downloads.sort_values(["pid", "series", "period_end"], kind="stable")
    package_table = pa.table(
        {
            "pid": pa.array(downloads["pid"].to_numpy(), pa.int32()),
            "series": pa.array(downloads["series"].astype(str)).dictionary_encode(),
            "snapshot": pa.array(downloads["fetched_at"].dt.tz_convert(None).dt.date, pa.date32()),
            "period_end": pa.array(downloads["period_end"].dt.date, pa.date32()),
            "window_days": pa.array(downloads["window_days"].to_numpy("int64"), pa.int16()),
            "downloads": pa.array(downloads["downloads"].to_numpy("int64"), pa.int64()),
            "installers": pa.array(downloads["installers"].astype(str)).dictionary_encode(),
            "method": pa.array(downloads["method"].astype(str)).dictionary_encode(),
        }
    )
    package_names = _package_names(downloads, pid)
    names = pd.concat([repo_names, package_names], ignore_index=True)
    names_table = pa.Table.from_pandas(names, preserve_index=False)
    manifest = {
        "format": FORMAT,
        "built_by": "scripts/build_archive.py",
        "sources": [
            {
                "kind": "repo",
                **archives.RANKING_INFO.__dict__,
                "as_of": str(rows["date"].max().date()),
            },
            {
                "kind": "package",
                **archives.PYPI_INFO.__dict__,
                "as_of": str(pd.to_datetime(pypi_raw["snapshot_date"]).max().date()),
            },
        ],
        "counts": {
            "repository_names": len(repo_names),
            "repository_series": len(series_names),
            "repository_rows": int(repo_table.num_rows),
            "renames_detected": len(renames),
            "packages": len(packages),
            "package_rows": int(package_table.num_rows),
        },
        "encoding": {
            "format": "parquet",
            "compression": f"zstd level {ZSTD_LEVEL}",
            "row_group_rows": ROW_GROUP,
            "resolution": "daily (repositories), every snapshot (packages): no thinning",
        },
    }
    return {
        "names": names_table,
        "repo_series": repo_table,
        "package_series": package_table,
    }, manifest


def _repo_names(
    spans: pd.DataFrame,
    repos_raw: pd.DataFrame,
    aliases: dict[str, str],
    sid: dict[str, int],
    rows: pd.DataFrame,
) -> pd.DataFrame:
    usable = rows[~rows["anomalous"]]
    by_series = usable.groupby("repo", sort=False)
    latest = by_series["stars"].last()
    series_first, series_last = by_series["date"].min(), by_series["date"].max()
    described = repos_raw.set_index("repo")["description"]
    names = spans.reset_index()
    series = names["repo"].str.lower().map(aliases)
    frame = pd.DataFrame(
        {
            "name": names["repo"],
            "key": names["repo"].str.lower(),
            "kind": "repo",
            "sid": series.map(sid).astype("int32"),
            "series": series,
            "current": names["repo"] == series,
            "first_seen": names["first_seen"].dt.date,
            "last_seen": names["last_seen"].dt.date,
            "series_first": series.map(series_first).dt.date,
            "series_last": series.map(series_last).dt.date,
            "latest": series.map(latest).astype("float64"),
            "language": names["language"].replace("", None),
            "description": names["repo"].map(described).where(names["repo"] == series),
        }
    )
    frame["description"] = frame["description"].replace("", None)
    return frame.sort_values(["key", "name"], kind="stable").reset_index(drop=True)


def _package_names(downloads: pd.DataFrame, pid: dict[str, int]) -> pd.DataFrame:
    monthly = downloads[downloads["series"] == "monthly"]
    per_day = monthly["downloads"].astype("float64") / monthly["window_days"].astype("float64")
    latest = per_day.groupby(monthly["package"]).last()
    spans = downloads.groupby("package")["period_end"].agg(["min", "max"])
    names = sorted(pid)
    return pd.DataFrame(
        {
            "name": names,
            "key": names,
            "kind": "package",
            "sid": np.array([pid[n] for n in names], dtype="int32"),
            "series": names,
            "current": True,
            "first_seen": spans.loc[names, "min"].dt.date.to_numpy(),
            "last_seen": spans.loc[names, "max"].dt.date.to_numpy(),
            "series_first": spans.loc[names, "min"].dt.date.to_numpy(),
            "series_last": spans.loc[names, "max"].dt.date.to_numpy(),
            "latest": latest.reindex(names).to_numpy(),
            "language": None,
            "description": None,
        }
    )


def _write_options(name: str) -> dict:
    delta = {
        "names": (),
        "repo_series": ("sid", "date", "stars", "forks", "open_issues"),
        "package_series": ("pid", "downloads"),
    }[name]
    return {
        "compression": "zstd",
        "compression_level": ZSTD_LEVEL,
        "row_group_size": ROW_GROUP if name != "names" else NAMES_ROW_GROUP,
        "use_dictionary": [c for c in _columns(name) if c not in delta] if delta else True,
        "column_encoding": dict.fromkeys(delta, "DELTA_BINARY_PACKED") or None,
    }


def _columns(name: str) -> tuple[str, ...]:
    return {
        "names": (
            "name",
            "key",
            "kind",
            "series",
            "first_seen",
            "last_seen",
            "series_first",
            "series_last",
            "language",
            "description",
        ),
        "repo_series": ("sid", "date", "stars", "forks", "open_issues", "anomalous"),
        "package_series": (
            "pid",
            "series",
            "snapshot",
            "period_end",
            "window_days",
            "downloads",
            "installers",
            "method",
        ),
    }[name]


def publish(tables: dict[str, pa.Table], manifest: dict, target: Path) -> dict[str, int]:
    """Write the files beside `target`, then swap the folder in with renames; file sizes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}-new-{uuid.uuid4().hex[:8]}"
    retired = target.parent / f".{target.name}-old-{uuid.uuid4().hex[:8]}"
    sizes = {}
    try:
        staging.mkdir()
        files = {}
        for name, table in tables.items():
            path = staging / f"{name}.parquet"
            pq.write_table(table, path, **_write_options(name))
            sizes[path.name] = path.stat().st_size
            files[path.name] = {
                "bytes": sizes[path.name],
                "rows": table.num_rows,
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            }
        manifest = {**manifest, "files": files}
        (staging / MANIFEST).write_text(
            json.dumps(manifest, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8"
        )
        if target.exists():
            target.rename(retired)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--out", type=Path, default=ARCHIVE_DATA)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        tables, manifest = build(args.datasets)
    except DashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sizes = publish(tables, manifest, args.out)
    for name, size in sizes.items():
        rows = tables[name.removesuffix(".parquet")].num_rows
        print(f"{name:24} {rows:>10,} rows {size / 1e6:8.2f} MB")
    print(
        f"published {args.out} ({sum(sizes.values()) / 1e6:.2f} MB, "
        f"{manifest['counts']['renames_detected']} renames detected) "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
