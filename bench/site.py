"""The static report (`cli.py export --site`): its export time and size, on the default data.

    python -m bench site [--runs 2] [--against-export]

Each run writes the whole report (every page, every chart, the CSV files, one plotly.js)
into a new folder, reading the store as the CLI does. Prints the median time, the report's
size unpacked and zipped, the copies of plotly.js, the largest page, and whether every run
gave the same bytes. Targets: <= 60 s of CPU, <= 25 MB unpacked, one plotly.js. The wall
time is printed too; it depends on the machine's load.
`--against-export` also times `export --page all --formats html,csv` (each chart
its own HTML file) for comparison.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from static_site import export_site, site_files, site_zip  # noqa: E402
from store import DEFAULT_DATA, Catalog  # noqa: E402

SECONDS_TARGET = 60.0
MB_TARGET = 25.0


def _folder(folder: Path) -> tuple[int, str, list[Path]]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return sum(p.stat().st_size for p in files), digest.hexdigest(), files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--against-export", action="store_true")
    args = parser.parse_args(argv)
    times, cpu, digests = [], [], set()
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(DEFAULT_DATA, Path(tmp) / "user-data")  # the shipped data only
        for run in range(max(args.runs, 1)):
            out = Path(tmp) / f"report-{run}"
            start, start_cpu = time.perf_counter(), time.process_time()
            export_site(out, catalog=catalog)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            size, digest, files = _folder(out)
            digests.add(digest)
        pages = {p.name: p.stat().st_size for p in files if p.suffix == ".html"}
        plotly = [p for p in files if p.name == "plotly.min.js"]
        zipped = len(site_zip(site_files(catalog)))
        charts = sum(
            p.read_text().count('class="plotly-graph-div"') for p in files if p.suffix == ".html"
        )
        other = None
        if args.against_export:
            from exports import export_pages

            start = time.perf_counter()
            export_pages("all", Path(tmp) / "export", formats=("html", "csv"), catalog=catalog)
            other = (time.perf_counter() - start, _folder(Path(tmp) / "export")[0])
    median = statistics.median(times)
    mb = size / 1e6
    ok_time, ok_size = statistics.median(cpu) <= SECONDS_TARGET, mb <= MB_TARGET
    ok = ok_time and ok_size and len(plotly) == 1 and len(digests) == 1
    largest = max(pages, key=pages.get)
    print(f"static report of every page: {len(pages)} pages, {charts} charts, {len(files)} files")
    cpu_median = statistics.median(cpu)
    print(
        f"  export time (wall), median of {len(times)}   {median:7.2f} s   (the machine's load "
        "shows here; on an idle machine it is close to the CPU time)"
    )
    print(
        f"  CPU time of the export, median      {cpu_median:7.2f} s   "
        f"(target <= {SECONDS_TARGET:g} s) {'ok' if ok_time else 'OVER'}; most of it computing "
        "the views, as the pages do"
    )
    print(
        f"  size unpacked                       {mb:7.1f} MB  "
        f"(target <= {MB_TARGET:g} MB) {'ok' if ok_size else 'OVER'}; zipped {zipped / 1e6:.1f} MB"
    )
    print(f"  copies of plotly.js                 {len(plotly):7d}     (target 1)")
    print(f"  largest page                        {pages[largest] / 1e6:7.1f} MB  ({largest})")
    print(
        f"  runs giving the same bytes          {'all' if len(digests) == 1 else 'NOT ALL':>7}"
        "     (target: all)"
    )
    if other:
        print(
            f"  for comparison: export --page all --formats html,csv   {other[0]:7.2f} s, "
            f"{other[1] / 1e6:.1f} MB"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
