"""The pages' heavy views computed ahead (derived/): a fresh server on the shipped data
looks them up instead of computing them; anything that does not match the data, the code or
the arguments exactly is computed live, never served stale; a damaged file is named and
skipped; a refresh's new data gets its views in the background, used by the next view."""

from __future__ import annotations

import importlib
import json
import shutil
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import plotly.io as pio
import pytest
import streamlit as st

from app import precomputed
from claims.model import DEFAULT_CLAIMS, load_claims
from derived import background, codec, compute
from derived.background import Inputs, after_refresh
from derived.folder import SHIPPED, open_key
from derived.keys import data_key, entry_id
from registry import DEFAULT_REGISTRY, load_registry
from registry import tracking as user_list
from settings import Settings
from store import DEFAULT_DATA, Catalog, SegmentStore
from store.reader import CatalogReader
from tests.apptest import open_page
from tests.conftest import snapshot_rows
from tests.gitrepo import build_community_repo
from tests.test_cli import REGISTRY
from views.base import ChartView
from views.community import CommunityViews, ProjectCommunity

# what a page calls to compute its views live, by module and name
LIVE = (
    ("derived.compute", "community_views"),
    ("derived.compute", "coverage_table"),
    ("views.claims", "indicators"),
    ("views.claims", "claim_views"),
    ("views.claims", "verdicts"),
    ("views.overview", "overview_views"),
    ("views.overview", "project_tables"),
    ("views.overview", "group_table"),
)
PAGES = ("overview", "community", "claims", "project", "data")


@pytest.fixture
def computed_live(monkeypatch) -> list[str]:
    """A fresh server (empty caches) whose live computations are recorded by name."""
    st.cache_data.clear()
    st.cache_resource.clear()
    calls: list[str] = []
    for module_name, name in LIVE:
        module = importlib.import_module(module_name)
        original = getattr(module, name)

        def recorded(*args, _original=original, _name=name, **options):
            calls.append(_name)
            return _original(*args, **options)

        monkeypatch.setattr(module, name, recorded)
    yield calls
    st.cache_data.clear()
    st.cache_resource.clear()


def _registry(tracked: Path) -> object:
    return user_list.shown(load_registry(DEFAULT_REGISTRY, tracked=tracked))


def test_the_shipped_views_are_current_and_equal_what_is_computed_live(user_data_dir):
    key = data_key(DEFAULT_DATA, user_data_dir / "no-store")
    shipped = open_key(SHIPPED, key)
    assert shipped is not None, (
        "data/default/derived does not match the shipped data and code: run ./dev build-derived"
    )
    reader = CatalogReader(Catalog(DEFAULT_DATA, user_data_dir / "no-store"))
    registry = _registry(user_data_dir / "tracked.toml")
    live = dict(compute.defaults(reader, registry, load_claims(DEFAULT_CLAIMS)))
    assert set(live) == set(shipped.entries)
    for entry, value in live.items():
        _assert_same(shipped.get(entry), value, entry)


def _spec(figure) -> dict:
    return json.loads(pio.to_json(figure, validate=False))


def _assert_same(stored: object, live: object, where: str) -> None:
    if isinstance(live, pd.DataFrame):
        pd.testing.assert_frame_equal(stored, live, obj=where)
    elif live is None or isinstance(live, str | int | float | bool):
        assert stored == live, where
    elif hasattr(live, "to_plotly_json"):
        # the same figure, property by property (a template's keys may come in another order)
        assert _spec(stored) == _spec(live), where
    elif isinstance(live, ChartView):
        assert stored.name == live.name, where
        _assert_same(stored.figure, live.figure, f"{where}/{live.name}")
        _assert_same(stored.data, live.data, f"{where}/{live.name}")
    elif isinstance(live, CommunityViews | ProjectCommunity):
        assert type(stored) is type(live), where
        for field in live.__dataclass_fields__:
            _assert_same(getattr(stored, field), getattr(live, field), f"{where}.{field}")
    elif isinstance(live, dict):
        assert isinstance(stored, Mapping) and list(stored) == list(live), where
        for k in live:
            _assert_same(stored[k], live[k], f"{where}[{k}]")
    else:  # a list of charts or frames is decoded item by item (a Sequence), as it is asked
        lazy = isinstance(live, list) and isinstance(stored, Sequence)
        same_kind = type(stored) is type(live) or lazy
        assert same_kind and len(stored) == len(live), where
        for i, (a, b) in enumerate(zip(stored, live, strict=True)):
            _assert_same(a, b, f"{where}[{i}]")


@pytest.mark.parametrize("page", PAGES)
def test_a_fresh_server_on_the_shipped_data_serves_the_views_computed_ahead(computed_live, page):
    open_page(page)
    assert computed_live == [], f"the {page} page computed {computed_live} live"


def test_an_edited_projects_file_is_computed_live(computed_live, monkeypatch, tmp_path):
    edited = tmp_path / "projects.toml"
    edited.write_text(
        DEFAULT_REGISTRY.read_text().replace('name = "PyTorch"', 'name = "PyTorch (edited)"', 1)
    )
    monkeypatch.setenv("OSSAI_PROJECTS", str(edited))
    at = open_page("data")
    assert "coverage_table" in computed_live
    assert "PyTorch (edited)" in set(at.dataframe[1].value["project"])


def _refreshed(user_data_dir: Path) -> None:
    """The user's store after a refresh: one more day of stars for a tracked repository."""
    rows = snapshot_rows("pytorch/pytorch", ["2030-01-02"], [123456], fetched="2030-01-02")
    SegmentStore(user_data_dir).append({"repo_snapshots": rows})


def test_a_refreshed_store_is_computed_live_until_its_views_are_computed(
    computed_live, user_data_dir
):
    _refreshed(user_data_dir)
    open_page("data")
    assert "coverage_table" in computed_live


def test_views_of_other_code_are_never_served(computed_live, monkeypatch):
    # the code that computes the views changed since they were built: their key names it
    monkeypatch.setattr("derived.keys.code_fingerprint", lambda: "other code")
    open_page("data")
    assert "coverage_table" in computed_live


def _shipped_copy(tmp_path: Path, monkeypatch) -> Path:
    copy = tmp_path / "derived"
    shutil.copytree(SHIPPED, copy)
    monkeypatch.setattr("app.precomputed.SHIPPED", copy)
    (folder,) = [p for p in copy.iterdir() if p.is_dir()]
    return folder


def _files_of(tree: object) -> list[str]:
    if isinstance(tree, dict):
        names = [v[0] if k == "frame" else v for k, v in tree.items() if k in {"frame", "figure"}]
        return names + [n for k, v in tree.items() if k != "frame" for n in _files_of(v)]
    if isinstance(tree, list):
        return [n for v in tree for n in _files_of(v)]
    return []


@pytest.mark.parametrize("damage", ["truncated", "garbled", "missing"])
def test_a_damaged_file_is_named_and_computed_live(
    computed_live, monkeypatch, tmp_path, user_data_dir, damage
):
    folder = _shipped_copy(tmp_path, monkeypatch)
    index = json.loads((folder / "index.json").read_text())
    projects = tuple(load_registry(DEFAULT_REGISTRY))
    (name,) = _files_of(index["entries"][entry_id("coverage", projects)])
    path = folder / name
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbled":
        path.write_bytes(data[:100] + bytes(b ^ 0xFF for b in data[100:200]) + data[200:])
    else:
        path.unlink()
    at = open_page("data")
    assert "coverage_table" in computed_live
    problems = "\n".join(str(c.value) for c in at.sidebar.code)
    assert str(path) in problems, problems
    assert len(at.dataframe[1].value) > 0  # the coverage table is shown all the same


def test_a_damaged_file_of_a_project_not_shown_yet_is_still_found_at_lookup(
    computed_live, monkeypatch, tmp_path, user_data_dir
):
    """Community decodes a project's views when the page first shows it (derived/codec.py),
    but checks every project's files when the views are looked up: a damaged one is named
    and the page computed live, never a failure when the reader picks that project later."""
    folder = _shipped_copy(tmp_path, monkeypatch)
    index = json.loads((folder / "index.json").read_text())
    (tree,) = [t for t in index["entries"].values() if "community" in t]
    _, _, projects = tree["community"]
    _, last = projects["dict"][-1]  # the page opens on the first project, not this one
    path = _truncate_first_file(folder, last)
    at = open_page("community")
    assert "community_views" in computed_live
    _assert_named(at, path)
    assert not at.exception


def _truncate_first_file(folder: Path, tree: object) -> Path:
    """Damage the first file a derived tree names; returns it."""
    path = folder / _files_of(tree)[0]
    path.write_bytes(path.read_bytes()[:10])
    return path


def _assert_named(at, path: Path) -> None:
    """The page names the damaged file among its problems (the sidebar)."""
    problems = "\n".join(str(c.value) for c in at.sidebar.code)
    assert str(path) in problems, problems


def _count_decoded(monkeypatch) -> list[str]:
    """The figures and frames decoded from now on, by kind."""
    decoded: list[str] = []
    for kind in ("figure", "frame"):
        original = codec._DECODERS[kind]

        def counted(reader, body, _original=original, _kind=kind):
            decoded.append(_kind)
            return _original(reader, body)

        monkeypatch.setitem(codec._DECODERS, kind, counted)
    return decoded


def test_a_damaged_file_of_a_claim_not_shown_yet_is_still_found_at_lookup(
    computed_live, monkeypatch, tmp_path, user_data_dir
):
    """Claims decodes a claim's chart when its tab is opened, but the lookup checks every
    claim's files: the damage is named and the views computed live, never an error when the
    reader opens that claim later."""
    folder = _shipped_copy(tmp_path, monkeypatch)
    index = json.loads((folder / "index.json").read_text())
    (tree,) = [t for name, t in index["entries"].items() if name.startswith("claim_views-")]
    _, charts, _ = tree["tuple"]
    last = charts["list"][-1]  # the last claim's chart: the page opens on the first claim
    path = _truncate_first_file(folder, last)
    at = open_page("claims")
    assert "claim_views" in computed_live
    _assert_named(at, path)
    at.session_state["claims_tab"] = "Customization"
    at.run()
    assert not at.exception


def test_a_first_claims_visit_decodes_the_matrix_and_the_open_claim_only(
    computed_live, monkeypatch
):
    """Of the eight charts and seven evidence tables computed ahead: the matrix, the open
    claim's chart and its table (decoding them all took 0.3 s of a first visit)."""
    decoded = _count_decoded(monkeypatch)
    at = open_page("overview")
    decoded.clear()
    at.switch_page("app/claims_page.py").run()
    assert not at.exception and not computed_live
    assert decoded.count("figure") == 2
    assert decoded.count("frame") == 4  # the verdicts, two charts' data, one evidence table
    at.session_state["claims_tab"] = "Access"
    at.run()
    assert decoded.count("figure") == 3 and decoded.count("frame") == 6


def test_a_first_community_visit_decodes_only_the_charts_it_draws(computed_live, monkeypatch):
    """The all-projects chart and the open tab of the first project: not every project's
    five charts and their data (decoding them took 0.65 s of a first visit)."""
    decoded = _count_decoded(monkeypatch)
    at = open_page("overview")
    decoded.clear()
    at.switch_page("app/community_page.py").run()
    assert not at.exception
    assert not computed_live
    assert len(at.get("plotly_chart")) == 2
    # two charts (a figure and its data each) and the summary table
    assert sorted(decoded) == ["figure", "figure", "frame", "frame", "frame"], decoded
    at.session_state["community_chart"] = "Organizations"
    at.run()
    assert sorted(decoded).count("figure") == 3  # one more, for the tab opened


def test_an_index_of_other_data_is_never_served(computed_live, monkeypatch, tmp_path):
    folder = _shipped_copy(tmp_path, monkeypatch)
    index = json.loads((folder / "index.json").read_text())
    index["key"]["shipped"] = "0" * 64  # a folder whose name says one key, its index another
    (folder / "index.json").write_text(json.dumps(index))
    at = open_page("data")
    assert "coverage_table" in computed_live
    assert "written for other data" in "\n".join(str(c.value) for c in at.sidebar.code)


def test_a_refresh_computes_the_new_views_in_the_background_and_the_next_view_uses_them(
    computed_live, monkeypatch, user_data_dir
):
    _refreshed(user_data_dir)
    assert after_refresh(Settings.from_environment()) is None  # OSSAI_PRECOMPUTE=0: off
    monkeypatch.setenv("OSSAI_PRECOMPUTE", "1")
    thread = after_refresh(Settings.from_environment())
    thread.join()
    key = data_key(DEFAULT_DATA, user_data_dir)
    assert open_key(user_data_dir / "derived", key) is not None
    computed_live.clear()  # what the recompute itself computed
    for page in ("data", "claims"):
        at = open_page(page)
        assert computed_live == [], f"the {page} page computed {computed_live} live"
        assert not at.exception


def test_a_server_start_computes_missing_views_and_pages_wait_for_them(
    computed_live, monkeypatch, user_data_dir
):
    """Views no folder holds (new data, or new code after an upgrade) are computed when the
    server starts; a page opened meanwhile waits for them rather than computing them live
    beside them, and then finds them. Views already there are not computed again."""
    _refreshed(user_data_dir)
    assert background.at_start(Settings.from_environment()) is None  # OSSAI_PRECOMPUTE=0
    monkeypatch.setenv("OSSAI_PRECOMPUTE", "1")
    release = threading.Event()
    real_build = background.build

    def slow_build(inputs):
        release.wait(30)
        return real_build(inputs)

    monkeypatch.setattr(background, "build", slow_build)
    thread = background.at_start(Settings.from_environment())
    assert thread is not None and thread.daemon  # a server's: never holds its exit
    derived = user_data_dir / "derived"
    assert background.running_since(derived) is not None
    assert background.at_start(Settings.from_environment()) is None  # one at a time
    looked: list[tuple[str, bool, bool]] = []
    real_lookup = precomputed.lookup

    def recorded(name, *args):
        found = real_lookup(name, *args)
        looked.append((name, background.running_since(derived) is None, found is not None))
        return found

    monkeypatch.setattr(precomputed, "lookup", recorded)
    threading.Timer(1.0, release.set).start()
    at = open_page("data")  # opened while the views are computed
    assert not at.exception
    # every view was looked up once the recompute had ended, and found: none computed live
    assert looked and all(ended and found for _, ended, found in looked), looked
    key = data_key(DEFAULT_DATA, user_data_dir)
    assert open_key(user_data_dir / "derived", key) is not None
    assert background.at_start(Settings.from_environment()) is None  # there: not again


def test_a_recompute_for_unchanged_data_computes_nothing(user_data_dir, monkeypatch):
    _refreshed(user_data_dir)
    inputs = Inputs(
        DEFAULT_DATA,
        user_data_dir,
        DEFAULT_REGISTRY,
        user_data_dir / "tracked.toml",
        DEFAULT_CLAIMS,
        user_data_dir / "derived",
    )
    from derived.background import build

    first = build(inputs)
    monkeypatch.setattr(compute, "defaults", lambda *a: pytest.fail("computed again"))
    assert build(inputs) == first


def test_the_cli_refresh_computes_the_new_views_in_the_background(
    tmp_path, user_data_dir, monkeypatch, capsys
):
    import threading

    import cli

    small_registry = tmp_path / "projects.toml"
    small_registry.write_text(REGISTRY)
    monkeypatch.setenv("OSSAI_PROJECTS", str(small_registry))
    monkeypatch.setenv("OSSAI_PRECOMPUTE", "1")
    location = f"acme/widget={build_community_repo(tmp_path / 'widget').path}"
    argv = ["refresh", "--sources", "git", "--quiet", "--projects", "widget"]
    assert cli.main([*argv, "--git-location", location]) == 0
    for thread in threading.enumerate():
        if thread.name == "derived-recompute":
            thread.join()
    key = data_key(DEFAULT_DATA, user_data_dir)
    found = open_key(user_data_dir / "derived", key)
    assert found is not None
    # the views of the refreshed projects: the user's projects file, as the app reads it
    registry = user_list.shown(load_registry(small_registry, tracked=user_data_dir / "x.toml"))
    assert entry_id("coverage", tuple(registry)) in found.entries
