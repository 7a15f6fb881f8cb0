"""Recorded PyPI answers: recorded against the fake PyPI, replayed offline, same rows.

The default data's package releases and facts come from data/inputs/pypi/, replayed through
the project's own collector (scripts/pypi_inputs.py over collectors/recorded.py). These tests
record against the local fake, replay with no socket at all, and check the trimmed answers
give the rows the full answers gave.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import socket
from pathlib import Path

import pandas as pd
import pytest
import requests

from collectors.http import HttpClient
from collectors.pypi import package_rows, pypi_client, refresh_pypi, versions_from_json
from collectors.recorded import (
    INDEX,
    NotRecordedError,
    RecordingAdapter,
    RecordingError,
    ReplayAdapter,
    answers_file,
    encode_answers,
    mount,
    package_of,
    read_answers,
    read_index,
    trim_answer,
)
from collectors.sourcerun import PackageNameError
from registry import load_registry, parse_registry
from store import SegmentStore
from tests.conftest import ROOT
from tests.fakes.pypi import NOW, SMALL_REGISTRY, FakePackageHosts, make_project, small_world
from tests.fakes.pypi.pypi_json import project_json as _pypi_json

_spec = importlib.util.spec_from_file_location("pypi_inputs", ROOT / "scripts" / "pypi_inputs.py")
assert _spec and _spec.loader
pypi_inputs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pypi_inputs)
COMMITTED = pypi_inputs.DEFAULT_INPUTS

# The small registry without its package unknown to PyPI, and a project with many files per
# release (as torch or aiohttp have: dozens of wheels each).
REGISTRY_TEXT = SMALL_REGISTRY.split('[[projects]]\nid = "ghost"')[0] + (
    '[[projects]]\nid = "many"\nname = "Many"\ngroup = "Test"\n'
    'repos = ["many-org/many-wheels"]\npackages = ["many-wheels"]\n'
)


def many_wheels():
    return make_project(
        "Many_Wheels",
        versions=120,
        files=40,
        yanked_every=15,
        pre_every=5,
        legacy=("2004d",),
        empty=("0.0.0a0",),
        project_urls={"Source": "https://github.com/many-org/many-wheels"},
        license="\n".join(["Apache License, Version 2.0, January 2004"] * 40),
        classifiers=["Topic :: Scientific/Engineering :: Artificial Intelligence"],
    )


@pytest.fixture
def pypi_world():
    """The fake PyPI with alpha (a redirect), beta, gamma (no releases), many-wheels and a
    package no registry lists (Extra.Pkg)."""
    extra = make_project("Extra.Pkg", versions=12, files=3)
    with FakePackageHosts([*small_world(), many_wheels(), extra]) as hosts:
        yield hosts


@pytest.fixture
def registry():
    return parse_registry(REGISTRY_TEXT, "projects.toml")


@pytest.fixture
def recorded(pypi_world, registry, tmp_path):
    """A folder recorded live against the fake, and the tables that live run gave."""
    folder = tmp_path / "inputs"
    tables = pypi_inputs.collect_packages(
        registry, ["beta-kit", "Extra.Pkg"], folder, live=True, base_url=pypi_world.url
    )
    return folder, tables


def forbid_sockets(monkeypatch) -> list:
    """From now on any attempt to open a connection, even to loopback, fails the test."""
    attempts: list = []

    def refuse(self, address):
        attempts.append(address)
        raise AssertionError(f"replay opened a socket to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.fixture
def no_sockets(monkeypatch):
    return forbid_sockets(monkeypatch)


def _plain_run(registry, url, store, now, cache):
    """The collector as a refresh runs it: live, no recorder, no trimming."""
    with pypi_client(base_url=url, cache_path=cache) as client:
        summary = refresh_pypi(registry, store, client, now=now, force=True)
    return summary


def _tables(store):
    releases = store.read("releases").frame
    releases = releases[releases["subject_kind"] == "package"]
    return {
        "releases": releases.sort_values(["subject", "version"]).reset_index(drop=True),
        "packages": store.read("packages").frame.sort_values("package").reset_index(drop=True),
    }


# ----- record, replay, compare ---------------------------------------------------------------


def test_replay_gives_the_rows_a_plain_live_run_gives(pypi_world, registry, tmp_path, monkeypatch):
    folder = tmp_path / "inputs"
    live = pypi_inputs.collect_packages(
        registry, ["Extra.Pkg"], folder, live=True, base_url=pypi_world.url
    )
    now = pypi_inputs.recorded_time(folder, ["alpha-lib", "many-wheels", "extra-pkg"])
    run_registry, _ = pypi_inputs.with_extra_packages(registry, ["Extra.Pkg"])
    store = SegmentStore(tmp_path / "plain")
    summary = _plain_run(run_registry, pypi_world.url, store, now, tmp_path / "c.json")
    assert all(o.status == "ok" for o in summary), summary.lines()
    plain = _tables(store)
    # the cohort package has nothing in projects.toml to agree with
    plain["packages"].loc[plain["packages"]["package"] == "extra-pkg", "repo_agrees"] = pd.NA
    no_sockets = forbid_sockets(monkeypatch)
    replayed = pypi_inputs.collect_packages(registry, ["Extra.Pkg"], folder, live=False)
    assert not no_sockets
    for name in ("releases", "packages"):
        pd.testing.assert_frame_equal(replayed[name], live[name])
        pd.testing.assert_frame_equal(replayed[name], plain[name], check_dtype=True)
    releases = replayed["releases"]
    packages = {"alpha-lib", "beta-kit", "gamma", "many-wheels", "extra-pkg"}
    assert set(replayed["packages"]["package"]) == packages
    assert set(releases["subject"]) == packages - {"gamma"}  # gamma has no release
    many = releases[releases["subject"] == "many-wheels"].set_index("version")
    assert len(many) == 122 and many["yanked"].sum() == 8
    assert pd.isna(many.loc["0.0.0a0", "published_at"]) and pd.isna(many.loc["2004d", "prerelease"])
    assert (replayed["packages"]["fetched_at"] == now).all()
    assert (releases["fetched_at"] == now).all()


def test_the_trimmed_answer_gives_the_same_rows_as_the_full_one():
    project = many_wheels()
    full = _pypi_json(project, "https://pypi.org")
    trimmed = trim_answer("/pypi/Many_Wheels/json", json.loads(json.dumps(full)))
    assert set(trimmed) == {"info", "releases", "last_serial"}
    assert "license" not in trimmed["info"] and "description" not in trimmed["info"]
    files = [f for fs in trimmed["releases"].values() for f in fs]
    assert len(files) == sum(len(f) for f in project.releases.values()) > 4000
    assert all(set(f) == {"upload_time_iso_8601", "yanked"} for f in files)
    assert len(json.dumps(trimmed)) * 8 < len(json.dumps(full))
    assert versions_from_json(trimmed["releases"]) == versions_from_json(full["releases"])
    project_ref = parse_registry(REGISTRY_TEXT).get("many")
    now = pd.Timestamp(NOW)
    rows = [
        package_rows(
            "many-wheels", body, None, project_ref, versions_from_json(body["releases"]), now
        )
        for body in (full, trimmed)
    ]
    pd.testing.assert_frame_equal(rows[0], rows[1])


def test_a_licence_name_and_files_without_iso_times_survive_the_trim():
    body = {
        "info": {"name": "x", "license": " MIT\n", "license_expression": None, "extra": 1},
        "releases": {
            "1.0": [{"upload_time": "2020-01-01T00:00:00", "yanked": True, "size": 3}],
            "2.0": "not a list",
            "3.0": [None, {"upload_time_iso_8601": None, "upload_time": "2021-01-01T00:00:00"}],
        },
        "urls": [],
    }
    trimmed = trim_answer("/pypi/x/json", body)
    assert trimmed["info"] == {"name": "x", "license": " MIT\n", "license_expression": None}
    assert trimmed["releases"]["1.0"] == [{"upload_time": "2020-01-01T00:00:00", "yanked": True}]
    assert trimmed["releases"]["2.0"] == "not a list"
    assert versions_from_json(trimmed["releases"]) == versions_from_json(body["releases"])
    assert trim_answer("/pypi/x/json", {"message": "Not Found"}) == {"message": "Not Found"}


def test_a_second_replay_gives_identical_frames_without_a_socket(recorded, registry, no_sockets):
    folder, live = recorded
    first = pypi_inputs.collect_packages(registry, ["beta-kit", "Extra.Pkg"], folder, live=False)
    second = pypi_inputs.collect_packages(registry, ["extra-pkg"], folder, live=False)
    for name in ("releases", "packages"):
        pd.testing.assert_frame_equal(first[name], second[name])
        pd.testing.assert_frame_equal(first[name], live[name])
    assert not no_sockets


def test_the_recorded_folder_is_what_the_docstring_says(recorded):
    folder, tables = recorded
    index = json.loads((folder / INDEX).read_text())
    assert index["format"] == 1 and "trimmed" in index["trim"]
    packages = index["packages"]
    assert set(packages) == {"alpha-lib", "beta-kit", "gamma", "many-wheels", "extra-pkg"}
    # the redirect to the canonical name is recorded, host-free, with the answer it led to
    alpha = read_answers(folder, "alpha-lib")
    assert packages["alpha-lib"]["paths"] == ["/pypi/Alpha.Lib/json", "/pypi/alpha-lib/json"]
    assert alpha["/pypi/alpha-lib/json"]["status"] == 301
    assert alpha["/pypi/alpha-lib/json"]["headers"]["Location"] == "/pypi/Alpha.Lib/json"
    assert alpha["/pypi/Alpha.Lib/json"]["headers"]["X-PyPI-Last-Serial"] == "1000"
    # a project without releases: the JSON API's 404 and the index that answered instead
    gamma = read_answers(folder, "gamma")
    assert gamma["/pypi/gamma/json"]["status"] == 404
    assert set(gamma["/simple/gamma/"]["body"]) == {"name", "versions", "meta", "files"}
    for entry in packages.values():
        assert entry["read_at"].endswith("Z") and entry["raw_bytes"] > 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [INDEX, *(f"{name}.json.gz" for name in packages)]
    )
    # what the lead chooses the cohort with
    assert pypi_inputs.package_repos(folder) == {
        "alpha-lib": "Alpha-Org/Alpha-Lib",
        "beta-kit": "beta-org/beta-kit",
        "extra-pkg": None,
        "gamma": None,
        "many-wheels": "many-org/many-wheels",
    }
    assert pypi_inputs.ai_classified(folder) == {
        "alpha-lib": False,
        "beta-kit": False,
        "extra-pkg": False,
        "gamma": False,
        "many-wheels": True,
    }
    packages_table = tables["packages"].set_index("package")
    assert pd.isna(packages_table.loc["extra-pkg", "repo_agrees"])
    assert pd.isna(packages_table.loc["extra-pkg", "registry_repos"])
    assert bool(packages_table.loc["alpha-lib", "repo_agrees"])


def test_recorded_files_are_deterministic_bytes(recorded, pypi_world, registry, tmp_path):
    folder, _ = recorded
    again = tmp_path / "again"
    pypi_inputs.collect_packages(
        registry, ["beta-kit", "Extra.Pkg"], again, live=True, base_url=pypi_world.url
    )
    for path in folder.glob("*.json.gz"):
        data = path.read_bytes()
        assert data == (again / path.name).read_bytes(), path.name
        assert data[4:8] == b"\0\0\0\0"  # gzip mtime 0
        content = json.loads(gzip.decompress(data))
        assert encode_answers(content["package"], content["answers"]) == data
    # paths, fields and headers are sorted; a body keeps the order it was served in
    body = {"info": {"project_urls": {"Source": "s", "Homepage": "h"}}}
    one = {"/b": {"status": 200, "headers": {"ETag": "e", "Content-Type": "c"}, "body": body}}
    two = {"/b": {"body": body, "headers": {"Content-Type": "c", "ETag": "e"}, "status": 200}}
    assert encode_answers("x", {**one, "/a": {}}) == encode_answers("x", {"/a": {}, **two})
    served = json.loads(gzip.decompress(encode_answers("x", one)))["answers"]["/b"]["body"]
    assert list(served["info"]["project_urls"]) == ["Source", "Homepage"]


# ----- refusals ------------------------------------------------------------------------------


def _replay_client(folder: Path) -> HttpClient:
    session = mount(requests.Session(), ReplayAdapter(folder))
    return HttpClient("https://pypi.org", user_agent="test", session=session, max_retries=0)


def test_replay_of_an_unrecorded_url_names_it_and_opens_no_socket(recorded, no_sockets):
    folder, _ = recorded
    with _replay_client(folder) as client:
        with pytest.raises(NotRecordedError) as caught:
            client.get("/pypi/numpy/json")
        assert "https://pypi.org/pypi/numpy/json" in str(caught.value)
        assert "--live" in str(caught.value)
        with pytest.raises(NotRecordedError, match="/simple/beta-kit/"):
            client.get("/simple/beta-kit/")  # the package is recorded, this page is not
        assert client.get("/pypi/beta-kit/json").json_object()["info"]["name"] == "beta-kit"
    assert not no_sockets


def test_collecting_an_unrecorded_package_fails_before_any_request(recorded, registry, no_sockets):
    folder, _ = recorded
    with pytest.raises(RecordingError, match="numpy not recorded"):
        pypi_inputs.collect_packages(registry, ["numpy"], folder, live=False)
    assert not no_sockets


def test_a_package_unknown_to_pypi_stops_a_live_collection(pypi_world, registry, tmp_path):
    with pytest.raises(RecordingError, match=r"no-such-package.*404"):
        pypi_inputs.collect_packages(
            registry, ["no-such-package"], tmp_path / "in", live=True, base_url=pypi_world.url
        )


@pytest.mark.parametrize("name", ["../x", "..", "a/../../b", "/etc/passwd", "x\0", ""])
def test_a_traversal_name_is_refused(name, tmp_path, pypi_world, registry, no_sockets):
    with pytest.raises(RecordingError):
        answers_file(tmp_path, name)
    with pytest.raises(PackageNameError):
        pypi_inputs.collect_packages(registry, [name], tmp_path / "in", live=False)
    assert not no_sockets
    assert not pypi_world.log


@pytest.mark.parametrize(
    "path", ["/pypi/..%2Fx/json", "/pypi/%2e%2e/json", "/simple/..%2F..%2Fetc/", "/other/x"]
)
def test_a_hostile_path_is_neither_replayed_nor_recorded(path, tmp_path, no_sockets):
    with pytest.raises(RecordingError):
        package_of(path)
    with _replay_client(tmp_path) as client, pytest.raises(RecordingError):
        client.get(path)
    recorder = RecordingAdapter(tmp_path / "rec", inner=ReplayAdapter(tmp_path))
    with pytest.raises(RecordingError):
        mount(requests.Session(), recorder).get(f"https://pypi.org{path}")
    assert not (tmp_path / "rec").exists() and not no_sockets


# ----- the committed inputs ------------------------------------------------------------------


def test_the_committed_inputs_replay_offline_with_releases_for_every_package(no_sockets):
    index = read_index(COMMITTED)
    assert len(index) >= 40, "data/inputs/pypi/index.json lists too few packages"
    registry = load_registry()
    tracked = {p for project in registry for p in project.packages}
    assert tracked <= set(index), "record the tracked packages: scripts/pypi_inputs.py --live"
    # candidates the rule checked but did not take keep their facts only, and say so
    whole = sorted(p for p, entry in index.items() if not entry.get("facts_only"))
    facts_only = sorted(set(index) - set(whole))
    assert facts_only and not set(facts_only) & tracked
    tables = pypi_inputs.collect_packages(registry, whole, COMMITTED, live=False)
    releases, packages = tables["releases"], tables["packages"]
    counts = releases.groupby("subject").size()
    assert set(counts.index) == set(whole)
    assert (counts > 0).all()
    assert sorted(packages["package"]) == whole
    # replaying one of them would give a member no releases: refused, with what to do
    with pytest.raises(RecordingError, match="only the facts were kept"):
        pypi_inputs.collect_packages(registry, facts_only[:1], COMMITTED, live=False)
    assert pypi_inputs.ai_classified(COMMITTED)[facts_only[0]] in (True, False)
    assert packages.set_index("package").loc[sorted(tracked), "repo_agrees"].notna().any()
    cohort = packages[~packages["package"].isin(tracked)]
    assert cohort["repo_agrees"].isna().all()
    assert not no_sockets
    size = sum(p.stat().st_size for p in COMMITTED.iterdir())
    assert size < 5_000_000, f"data/inputs/pypi is {size / 1e6:.1f} MB"


def test_the_summary_command_reads_the_committed_inputs(capsys, no_sockets):
    assert pypi_inputs.main(["--inputs", str(COMMITTED)]) == 0
    out = capsys.readouterr().out
    assert "torch" in out and "packages," in out
