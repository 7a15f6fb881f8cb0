"""Export time: every chart of the Compare page to PNG, SVG, HTML and CSV, on the default data.

    python -m bench.export [--page compare] [--runs 3]

Cold: one `export_pages` call as `cli.py export` makes it (starts Chromium, renders, stops it).
Warm: the same export repeated while one Chromium stays up (`exports.warm_browser`, as a batch
export of several pages runs). Target: warm <= 10 s for the Compare page. Also prints the
export's size, zipped and unpacked.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exports import export_pages, warm_browser  # noqa: E402
from store import DEFAULT_DATA, Catalog  # noqa: E402

WARM_TARGET_SECONDS = 10.0


def _export(page: str, out: Path) -> tuple[float, list[str]]:
    start = time.perf_counter()
    # the default data, with an empty user history beside the output
    names = export_pages(page, out, catalog=Catalog(DEFAULT_DATA, out.parent / "user-data"))
    return time.perf_counter() - start, names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="compare")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cold, names = _export(args.page, Path(tmp) / "cold.zip")
        charts = len([n for n in names if n.endswith(".csv")])
        size = (Path(tmp) / "cold.zip").stat().st_size
        with zipfile.ZipFile(Path(tmp) / "cold.zip") as archive:
            assert archive.testzip() is None
            unpacked = sum(info.file_size for info in archive.infolist())
        warm = []
        with warm_browser(True):
            _export(args.page, Path(tmp) / "first")  # the first render in a new Chromium
            for run in range(args.runs):
                seconds, _ = _export(args.page, Path(tmp) / f"warm-{run}")
                warm.append(seconds)
    median = statistics.median(warm)
    ok = median <= WARM_TARGET_SECONDS
    print(f"export of the {args.page!r} page: {charts} charts x PNG, SVG, HTML, CSV + METHODS.md")
    print(
        f"  cold (starts and stops Chromium)         {cold:7.2f} s   zip {size / 1e6:.1f} MB, "
        f"unpacked {unpacked / 1e6:.1f} MB (one plotly.min.js for all HTML files)"
    )
    print(
        f"  warm (Chromium kept up), median of {args.runs}     {median:7.2f} s   "
        f"(target <= {WARM_TARGET_SECONDS:g} s) {'ok' if ok else 'OVER'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
