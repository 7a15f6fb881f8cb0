"""Compute the shipped data's derived views ahead (data/default/derived/), so a first visit
on the shipped data looks them up instead of computing them for seconds.

    python scripts/build_derived.py [--projects FILE] [--claims FILE]     (./dev build-derived)

Run after data/default is rebuilt (`./dev build-data` does), and after a change to the code
that computes the views (metrics, claims, charts, views, ...): their key names the code, so
until then the pages compute live, never from stale views. The result is deterministic for
the same data, code and libraries; commit it with the data.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from claims.model import DEFAULT_CLAIMS
from derived import folder
from derived.background import Inputs, build
from errors import DashboardError
from registry import DEFAULT_REGISTRY
from store import DEFAULT_DATA


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=Path, default=DEFAULT_REGISTRY)
    parser.add_argument("--claims", type=Path, default=DEFAULT_CLAIMS)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shipped store")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    target = args.data / "derived"
    with tempfile.TemporaryDirectory() as empty:  # the views of the shipped data alone
        inputs = Inputs(
            default_root=args.data,
            user_root=Path(empty) / "store",
            projects_file=args.projects,
            tracked_file=Path(empty) / "tracked.toml",
            claims_file=args.claims,
            target=target,
        )
        try:
            folder.remove_all(target)
            built = build(inputs)
        except DashboardError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if built is None:
        print("error: the shipped data changed while its views were computed", file=sys.stderr)
        return 2
    size = sum(p.stat().st_size for p in built.rglob("*") if p.is_file())
    print(f"wrote {built} ({size / 1e6:.2f} MB) in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
