"""A crowded list of the user's own tracked projects: how long the pages and the list's
edits take with N entries in tracked.toml (issue 20).

    python -m bench tracked [--entries 10000] [--pages overview,compare,data]

- `track` and `untrack` on the list (read, lock, edit by structure, check, atomic write);
- each page drawn with streamlit's AppTest, wall and CPU seconds (the pages draw at most
  registry.tracking.SHOWN of the user's projects, and warn about the rest).

Before the limit, 10,000 entries took 79 s on the Overview and 210 s on Compare.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.__main__ import _line  # noqa: E402


def crowded_list(count: int) -> str:
    """`count` valid [[projects]] tables, one repository each."""
    return "".join(
        f'[[projects]]\nid = "p{i}"\nname = "o{i}/p{i}"\ngroup = "Tracked by you"\n'
        f'repos = ["o{i}/p{i}"]\n\n'
        for i in range(count)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A crowded tracked.toml")
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--pages", default="overview,compare,data")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["OSSAI_DATA_DIR"] = folder  # read by the app's settings, at the edge
        path = Path(folder) / "tracked.toml"
        path.write_text(crowded_list(args.entries))
        from registry import load_registry
        from registry.tracking import track, untrack

        shipped = load_registry()
        start = time.perf_counter()
        track(path, shipped, repo="someone/new-one")
        _line(f"track, {args.entries:,} entries", time.perf_counter() - start, "s")
        start = time.perf_counter()
        untrack(path, shipped, "new-one")
        _line(f"untrack, {args.entries:,} entries", time.perf_counter() - start, "s")

        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=3600)
        for page in args.pages.split(","):
            wall, cpu = time.perf_counter(), time.process_time()
            if page == "overview":
                at.run()
            else:
                at.switch_page(f"app/{page}_page.py").run()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if at.exception:
                print(f"{page}: {at.exception[0].message}")
                return 1
            warned = any("You track" in str(w.value) for w in at.warning)
            _line(f"{page} page, wall{' (warns)' if warned else ''}", wall, "s")
            _line(f"{page} page, CPU", cpu, "s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
