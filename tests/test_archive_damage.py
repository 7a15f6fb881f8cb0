"""A damaged embedded archive (data/archive/) is refused, named and survivable.

Every case works on a COPY of the archive in a tmp folder (data/archive in the checkout is
never touched): the middle of repo_series.parquet overwritten, 200 bits flipped in it
(seeded), names.parquet deleted, the manifest truncated. The reading layer must refuse
corrupt bytes rather than return other values, and Explore and Compare must say which file
is damaged and what to do, keep a Remove button for a pick they cannot read, and keep
working for what is intact."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from errors import CorruptFileError, StoreError
from store import archive as archive_module
from store.archive import ARCHIVE_DATA, Archive
from tests.apptest import APP, figure, open_page, texts

REPAIR = "./dev build-archive"


@pytest.fixture
def archive_copy(tmp_path) -> Path:
    """A byte-for-byte copy of data/archive/ to damage."""
    copy = tmp_path / "archive"
    shutil.copytree(ARCHIVE_DATA, copy)
    return copy


@pytest.fixture
def intact() -> Archive:
    return Archive(ARCHIVE_DATA)


@pytest.fixture
def app_archive(archive_copy, monkeypatch) -> Path:
    """The app reads the copy instead of data/archive/."""
    from app import loaders

    monkeypatch.setattr(loaders, "ARCHIVE_DATA", archive_copy)
    return archive_copy


def overwrite_middle(path: Path, seed: int = 3) -> None:
    """Random bytes over the middle third (repo_series: ohmyzsh/ohmyzsh and
    microsoft/vscode live there)."""
    data = bytearray(path.read_bytes())
    size = len(data) // 3
    start = size
    data[start : start + size] = np.random.default_rng(seed).bytes(size)
    path.write_bytes(bytes(data))


def flip_bits(path: Path, count: int = 200, seed: int = 20) -> None:
    """Flip `count` bits of the pages, sparing the footer: the file still opens, and
    without a check some values simply read differently."""
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little") + 8
    for bit in np.random.default_rng(seed).choice((len(data) - footer) * 8, count, replace=False):
        data[bit // 8] ^= 1 << (bit % 8)
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _no_exception(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def _errors(at: AppTest) -> str:
    return " ".join(str(e.value) for e in at.error).replace("\\", "").replace("**", "")


# ----- the reading layer ---------------------------------------------------------------------


def test_flipped_bits_are_refused_in_every_row_group_never_read_as_other_values(
    archive_copy, intact
):
    flip_bits(archive_copy / "repo_series.parquet")
    damaged = Archive(archive_copy)
    meta = pq.read_metadata(ARCHIVE_DATA / "repo_series.parquet")
    column = meta.schema.names.index("sid")
    names = intact.names()
    by_sid = names[names["kind"] == "repo"].drop_duplicates("sid").set_index("sid")["name"]
    wrong, refusals = [], []
    for group in range(meta.num_row_groups):  # one series from each of the 239 row groups
        stats = meta.row_group(group).column(column).statistics
        sid = next(s for s in range(stats.min, stats.max + 1) if s in by_sid.index)
        entry = intact.entry(by_sid[sid], "repo")
        try:
            rows = damaged.repo_series(entry)
        except CorruptFileError as exc:
            refusals.append(str(exc))
            continue
        if not rows.equals(intact.repo_series(entry)):
            wrong.append(entry.series)
    assert wrong == []  # no series read with other values, without a word
    assert len(refusals) == meta.num_row_groups
    assert all("repo_series.parquet: damaged" in r and "SHA-256" in r for r in refusals)
    assert all(REPAIR in r for r in refusals)
    vscode = intact.entry("microsoft/vscode", "repo")
    with pytest.raises(CorruptFileError, match=r"repo_series\.parquet"):
        damaged.repo_series(vscode)
    # the intact files still read, the same values as the checkout's
    six = intact.entry("six", "package")
    assert damaged.package_series(six).equals(intact.package_series(six))
    assert damaged.search("transformers", 5).equals(intact.search("transformers", 5))
    # restored, the file is checked again and read again
    shutil.copyfile(ARCHIVE_DATA / "repo_series.parquet", archive_copy / "repo_series.parquet")
    assert damaged.repo_series(vscode).equals(intact.repo_series(vscode))


def test_an_overwritten_middle_is_refused_naming_the_file_and_what_to_do(archive_copy, intact):
    overwrite_middle(archive_copy / "repo_series.parquet")
    damaged = Archive(archive_copy)
    for name in ("ohmyzsh/ohmyzsh", "microsoft/vscode", "laravel/laravel"):
        with pytest.raises(CorruptFileError) as caught:
            damaged.repo_series(intact.entry(name, "repo"))
        message = str(caught.value)
        assert "repo_series.parquet: damaged" in message
        assert REPAIR in message and "git checkout -- data/archive" in message


def test_a_missing_name_index_or_a_broken_manifest_is_named_with_what_to_do(archive_copy):
    (archive_copy / "names.parquet").unlink()
    with pytest.raises(StoreError, match=rf"names\.parquet: missing .*{REPAIR}"):
        Archive(archive_copy).search("torch")
    shutil.copyfile(ARCHIVE_DATA / "names.parquet", archive_copy / "names.parquet")
    manifest = archive_copy / "manifest.json"
    text = manifest.read_text(encoding="utf-8")
    # a manifest without a file's checksum cannot vouch for it: refused, not trusted
    manifest.write_text(text.replace('"sha256"', '"sha_256"', 1), encoding="utf-8")
    with pytest.raises(CorruptFileError, match=r"manifest\.json: .*SHA-256 for names\.parquet"):
        Archive(archive_copy).search("torch")
    manifest.write_text(text, encoding="utf-8")
    truncate(manifest)
    with pytest.raises(CorruptFileError, match=rf"manifest\.json: damaged.*{REPAIR}"):
        Archive(archive_copy).sources()
    manifest.unlink()
    with pytest.raises(StoreError, match=rf"the embedded archive is missing; .*{REPAIR}"):
        Archive(archive_copy).search("torch")


def test_each_file_is_hashed_once_per_version_not_on_every_read(archive_copy, monkeypatch):
    hashed = []
    real = archive_module._sha256

    def counting(path):
        hashed.append(path.name)
        return real(path)

    monkeypatch.setattr(archive_module, "_sha256", counting)
    first = Archive(archive_copy)
    entry = first.entry("ohmyzsh/ohmyzsh", "repo")
    for _ in range(3):
        first.repo_series(entry)
        first.search("torch")
    Archive(archive_copy).repo_series(entry)  # another reader of the same files: no rehash
    assert sorted(hashed) == ["names.parquet", "repo_series.parquet"]
    # a new version of a file (rewritten, or only touched) is checked again, once
    path = archive_copy / "repo_series.parquet"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    first.repo_series(entry)
    first.repo_series(entry)
    assert sorted(hashed) == ["names.parquet", "repo_series.parquet", "repo_series.parquet"]


# ----- the pages -----------------------------------------------------------------------------


def _add(at: AppTest, page: str, text: str, pick: str) -> AppTest:
    at.text_input(key=f"{page}_query").input(text).run()
    box = at.selectbox(key=f"{page}_match")
    box.select(next(o for o in box.options if o.startswith(pick + " ("))).run()
    at.button(key=f"{page}_add").click().run()
    return _no_exception(at)


def _compare_with(address: list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    _no_exception(at.run())  # the Overview opens whatever the archive's state
    at.switch_page("app/compare_page.py")
    at.query_params["archive"] = address
    return _no_exception(at.run())


def test_explore_shows_a_pick_it_cannot_read_as_unavailable_with_a_remove_button(app_archive):
    overwrite_middle(app_archive / "repo_series.parquet")
    at = open_page("explore")
    _add(at, "explore", "ohmyzsh/ohmyzsh", "ohmyzsh/ohmyzsh")
    said = _errors(at)
    assert "ohmyzsh/ohmyzsh (repository) is unavailable" in said
    assert "repo_series.parquet: damaged" in said and REPAIR in said
    _no_exception(at.run())  # every rerun of the session too
    # what is intact still charts: a package beside it
    _add(at, "explore", "six", "six")
    lines = [t["name"] for t in figure(at)["data"]]
    assert "six" in lines and not any("ohmyzsh" in n for n in lines)
    at.button(key="explore_remove_repo_ohmyzsh/ohmyzsh").click().run()
    _no_exception(at)
    assert "unavailable" not in _errors(at)
    lines = [t["name"] for t in figure(at)["data"]]
    assert "six" in lines and not any("ohmyzsh" in n for n in lines)


def test_compare_from_an_address_names_the_damaged_file_and_draws_the_rest(app_archive):
    overwrite_middle(app_archive / "repo_series.parquet")
    at = _compare_with(["repo:ohmyzsh/ohmyzsh", "package:six"])
    said = _errors(at)
    assert "ohmyzsh/ohmyzsh (repository) is unavailable" in said
    assert "repo_series.parquet: damaged" in said and REPAIR in said
    lines = {t["name"] for t in figure(at)["data"]}
    assert "PyTorch" in lines and "ohmyzsh/ohmyzsh (archive)" not in lines
    at.button(key="compare_remove_repo_ohmyzsh/ohmyzsh").click().run()
    _no_exception(at)
    assert "unavailable" not in _errors(at)
    assert at.query_params["archive"] == "package:six"


def test_search_without_the_name_index_says_why_and_the_page_still_works(app_archive):
    (app_archive / "names.parquet").unlink()
    at = open_page("explore")
    at.text_input(key="explore_query").input("torch").run()
    _no_exception(at)
    said = _errors(at)
    assert "Search is unavailable" in said and "names.parquet: missing" in said
    assert REPAIR in said
    tracked = at.multiselect(key="explore_tracked")
    tracked.select(tracked.options[0]).run()
    _no_exception(at)
    assert any(t["name"].endswith("(tracked)") for t in figure(at)["data"])


def test_a_truncated_manifest_leaves_compare_explore_and_the_other_pages_open(app_archive):
    truncate(app_archive / "manifest.json")
    at = _compare_with(["repo:ohmyzsh/ohmyzsh"])
    said = _errors(at)
    assert "ohmyzsh/ohmyzsh (repository) is unavailable" in said
    assert "manifest.json: damaged" in said and REPAIR in said
    assert "PyTorch" in {t["name"] for t in figure(at)["data"]}
    at.switch_page("app/explore_page.py")
    _no_exception(at.run())
    assert "manifest.json: damaged" in _errors(at)
    for page in ("data", "methods"):
        at.switch_page(f"app/{page}_page.py")
        _no_exception(at.run())
    assert "manifest.json" not in texts(at)
