"""The embedded default data: compact, read-only, and exactly what the build script makes
from the raw archives with the current registry (so it cannot silently go stale)."""

from __future__ import annotations

import importlib.util
import json

import pandas as pd
import pytest

from registry import load_registry
from store import DEFAULT_DATA, SegmentStore
from store.archive import ARCHIVE_DATA
from store.schema import TABLES
from tests.conftest import ROOT


def _build_module():
    spec = importlib.util.spec_from_file_location(
        "build_default_data", ROOT / "scripts" / "build_default_data.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_data_is_compact_and_complete():
    size = sum(p.stat().st_size for p in DEFAULT_DATA.rglob("*") if p.is_file())
    # 92 repositories' full commit histories (576,000 commits: the group and the cohort by
    # rule, issue 19) are most of it, their SHA-1s alone 12 MB (they do not compress); the
    # explore issue budgets 40 MB for all embedded data (the next test)
    assert size < 21_000_000
    store = SegmentStore(DEFAULT_DATA, read_only=True)
    for name in ("sources", "repo_snapshots", "package_downloads", "cohort_members"):
        result = store.read(name)
        assert not result.problems
        assert len(result.frame) > 0, name


def test_all_embedded_data_stays_within_40_mb_and_holds_the_whole_archives():
    data = ROOT / "data"
    size = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
    assert size <= 40_000_000, f"data/ is {size / 1e6:.1f} MB"
    manifest = json.loads((ARCHIVE_DATA / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    assert (counts["repository_names"], counts["packages"]) == (22_981, 30_444)
    assert (counts["repository_rows"], counts["package_rows"]) == (7_823_967, 1_459_000)
    for name, facts in manifest["files"].items():
        assert (ARCHIVE_DATA / name).stat().st_size == facts["bytes"], name


@pytest.mark.raw_archives
def test_the_embedded_archive_equals_a_fresh_build_byte_for_byte(shared_datasets, tmp_path):
    spec = importlib.util.spec_from_file_location(
        "build_archive", ROOT / "scripts" / "build_archive.py"
    )
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.main(["--datasets", str(shared_datasets), "--out", str(tmp_path / "a")]) == 0
    for path in sorted(ARCHIVE_DATA.iterdir()):
        assert (tmp_path / "a" / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.raw_archives
def test_default_data_equals_a_fresh_build_from_the_archives(shared_datasets, tmp_path):
    build = _build_module()
    # what `./dev build-data` makes without --git: fresh archive tables, git tables carried over
    fresh = build.merge_tables(
        build.build_tables(shared_datasets, load_registry()),
        build.carried_git_tables(DEFAULT_DATA),
    )
    shipped = SegmentStore(DEFAULT_DATA, read_only=True)
    for name, table in fresh.items():
        if name == "collection_runs":
            continue  # times of the build differ by nature
        spec = TABLES[name]
        have = shipped.read(name).frame.sort_values(list(spec.key)).reset_index(drop=True)
        want = table.sort_values(list(spec.key)).reset_index(drop=True)
        pd.testing.assert_frame_equal(have, want, obj=name)
    # publishing swaps the whole folder in one go
    out = tmp_path / "default"
    build.publish(fresh, out)
    assert SegmentStore(out).read("sources").frame["title"].notna().all()
    assert not list(tmp_path.glob(".default-*"))
