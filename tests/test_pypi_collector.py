"""The PyPI JSON collector against the fake PyPI: releases, package facts, names, cost, faults."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest

from collectors.pypi import (
    discover_repo,
    github_repo_in,
    licence_of,
    prerelease_of,
    refresh_pypi,
    version_of_file,
)
from collectors.sourcerun import PackageNameError, checked_package
from registry.projects import Project, Registry, RepoRef
from store import TABLES
from tests.conftest import DAY, TODAY, at_clock
from tests.fakes.pypi import HOSTILE, FakeProject, Fault, make_project

pytest_plugins = ["tests.fakes.pypi"]


_run = at_clock(refresh_pypi)


def _releases(store, package):
    frame = store.read("releases").frame
    frame = frame[(frame["subject_kind"] == "package") & (frame["subject"] == package)]
    return frame.set_index("version")


def _package(store, package):
    frame = store.read("packages").frame
    return frame[frame["package"] == package].sort_values("date").iloc[-1]


def test_a_cold_refresh_stores_every_release_with_its_first_upload(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    summary = _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock)
    alpha = summary.outcome("alpha-lib")
    assert alpha.status == "ok" and alpha.rows_written > 300, summary.lines()
    fake = package_hosts.project("alpha-lib")
    releases = _releases(fresh_store, "alpha-lib")
    assert sorted(releases.index) == sorted(fake.releases)  # hundreds, every one
    for version, files in fake.releases.items():
        row = releases.loc[version]
        if files:
            first = min(f.uploaded for f in files)
            assert row["published_at"] == pd.Timestamp(first), version  # earliest file
            assert bool(row["yanked"]) == all(f.yanked for f in files)
            assert row["quality"] == "ok"
    assert releases["yanked"].sum() == 13
    # PEP 440 pre-releases; legacy versions keep prerelease null; a version without files
    # has no publication time: null and flagged, never made up.
    assert releases.loc["0.0.5rc1", "prerelease"] and not releases.loc["0.0.4", "prerelease"]
    for legacy in ("0.1-beta-final", "2004d", "latest"):
        assert pd.isna(releases.loc[legacy, "prerelease"]), legacy
    empty = releases.loc["0.0.1"]
    assert pd.isna(empty["published_at"]) and pd.isna(empty["yanked"])
    assert empty["quality"] == "missing"
    for name in ("releases", "packages", "collection_runs"):
        TABLES[name].conform(fresh_store.read(name).frame)


def test_the_package_row_says_what_pypi_says_and_checks_the_repository(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock)
    alpha = _package(fresh_store, "alpha-lib")
    assert alpha["date"] == TODAY
    assert alpha["canonical_name"] == "Alpha.Lib"
    fake = package_hosts.project("alpha-lib")
    assert alpha["latest_version"] == fake.latest
    assert alpha["licence"] == "BSD-3-Clause"
    assert alpha["requires_python"] == ">=3.10"
    # "Source Code" wins over the issue tracker and the sponsors page; '.git' dropped,
    # letter case kept as given; compared case-insensitively with projects.toml.
    assert alpha["repo"] == "Alpha-Org/Alpha-Lib"
    assert alpha["registry_repos"] == "alpha-org/alpha-lib,alpha-org/alpha-docs"
    assert alpha["repo_agrees"]
    assert json.loads(alpha["project_urls"])["Funding"] == "https://github.com/sponsors/alpha-org"
    assert alpha["release_count"] == len(fake.releases) and alpha["yanked_count"] == 13
    assert alpha["last_serial"] == fake.serial
    beta = _package(fresh_store, "beta-kit")
    # Home page only, with a trailing path; a licence text too long to be a name: the
    # classifier is used instead; the repository differs from projects.toml.
    assert beta["repo"] == "beta-org/beta-kit" and not beta["repo_agrees"]
    assert beta["licence"] == "MIT License"
    assert pd.isna(beta["project_urls"])


def test_a_301_is_followed_and_the_canonical_name_asked_directly_next_time(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock, projects=["alpha"])
    assert [(e.path, e.status) for e in package_hosts.served("pypi")] == [
        ("/pypi/alpha-lib/json", 301),
        ("/pypi/Alpha.Lib/json", 200),
    ]
    package_hosts.reset_log()
    pypi_clock.advance(DAY)
    summary = _run(
        package_registry, fresh_store, source_clients["pypi"], pypi_clock, projects=["alpha"]
    )
    assert [(e.path, e.status) for e in package_hosts.served()] == [("/pypi/Alpha.Lib/json", 304)]
    assert summary.requests == 1 and summary.not_modified == 1 and summary.rows_written == 0


def test_same_day_again_costs_nothing_and_next_day_one_304(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock)
    before = {n: fresh_store.read(n).frame for n in ("releases", "packages")}
    package_hosts.reset_log()
    pypi_clock.advance(3600)
    again = _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock)
    ok_before = {"alpha-lib", "beta-kit", "gamma"}
    assert {o.target for o in again if o.status == "skipped"} == ok_before
    assert all(again.outcome(name).requests == 0 for name in ok_before)
    # only the package that failed is asked again (a failure may have been passing)
    assert [e.path for e in package_hosts.log] == [
        "/pypi/no-such-package/json",
        "/simple/no-such-package/",
    ]
    pypi_clock.advance(DAY)
    nextday = _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock)
    pypi_requests = package_hosts.served("pypi")
    for name in ("alpha-lib", "beta-kit"):
        outcome = nextday.outcome(name)
        assert outcome.requests == 1 and outcome.not_modified == 1 and outcome.rows_written == 0
    assert len([e for e in pypi_requests if e.status == 304]) == 2
    assert nextday.outcome("gamma").requests == 2  # a 404, then the index (no ETag on 404)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(fresh_store.read(name).frame, frame, obj=name)
    forced = _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock, force=True)
    assert forced.outcome("alpha-lib").requests == 1  # force asks again, still conditionally


def test_a_new_upload_writes_only_the_new_release(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock)
    pypi_clock.advance(DAY)
    package_hosts.release("alpha-lib", "9.0.0")
    summary = _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock)
    outcome = summary.outcome("alpha-lib")
    assert outcome.requests == 1 and outcome.not_modified == 0
    assert outcome.rows_written == 2  # the new release and today's package row
    assert _releases(fresh_store, "alpha-lib").loc["9.0.0", "published_at"] == pd.Timestamp(
        pypi_clock.timestamp().floor("s")
    )
    packages = fresh_store.read("packages").frame
    assert len(packages[packages["package"] == "alpha-lib"]) == 2  # yesterday's kept
    assert _package(fresh_store, "alpha-lib")["latest_version"] == "9.0.0"


def test_names_are_normalized_and_invalid_ones_refused_before_any_request(
    package_hosts, source_clients, fresh_store, pypi_clock
):
    assert checked_package("Alpha_.Lib") == "alpha-lib"
    for bad in ("-alpha", "alpha lib", "../etc/passwd", "alpha/json", "", "é", "a" * 3 + "_"):
        with pytest.raises(PackageNameError):
            checked_package(bad)
    registry = Registry(
        path="test",
        projects=(
            Project("bad", "Bad", "Test", (RepoRef("o/r"),), ("../../pypi/x", "x y")),
            Project("odd", "Odd", "Test", (RepoRef("alpha-org/alpha-lib"),), ("ALPHA__lib",)),
        ),
    )
    summary = _run(registry, fresh_store, source_clients["pypi"], pypi_clock, projects=["bad"])
    assert package_hosts.log == []  # refused before any I/O
    assert [o.status for o in summary] == ["failed", "failed"]
    assert "PEP 508" in summary.outcomes[0].message
    runs = fresh_store.read("collection_runs").frame
    assert set(runs["target"]) == {"../../pypi/x", "x y"} and (runs["requests"] == 0).all()
    summary = _run(registry, fresh_store, source_clients["pypi"], pypi_clock, projects=["odd"])
    assert summary.outcomes[0].target == "alpha-lib" and summary.outcomes[0].status == "ok"
    assert package_hosts.served("pypi")[0].path == "/pypi/alpha-lib/json"  # PEP 503 form
    assert set(fresh_store.read("releases").frame["subject"]) == {"alpha-lib"}


def test_a_project_without_releases_and_an_unknown_one(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    summary = _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock)
    gamma = summary.outcome("gamma")
    assert gamma.status == "ok", gamma.message
    row = _package(fresh_store, "gamma")
    assert row["release_count"] == 0 and row["quality"] == "partial"
    assert pd.isna(row["latest_version"]) and pd.isna(row["repo"]) and pd.isna(row["repo_agrees"])
    ghost = summary.outcome("no-such-package")
    assert ghost.status == "failed" and "no project named 'no-such-package'" in ghost.message
    assert summary.outcome("alpha-lib").status == "ok"  # the others are not held up


def test_without_releases_in_the_json_the_index_gives_them(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    package_hosts.project("alpha-lib").json_has_releases = False
    summary = _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock)
    assert summary.outcome("alpha-lib").status == "ok"
    index = package_hosts.served("simple", "alpha")
    assert [e.path for e in index] == ["/simple/alpha-lib/"]
    assert index[0].accept == "application/vnd.pypi.simple.v1+json"
    fake = package_hosts.project("alpha-lib")
    releases = _releases(fresh_store, "alpha-lib")
    assert sorted(releases.index) == sorted(fake.releases)
    assert set(releases["source"]) == {"pypi:simple-v1"}
    for version in ("0.0.3", "0.0.5rc1", "2004d", "0.1-beta-final"):
        files = fake.releases[version]
        assert releases.loc[version, "published_at"] == pd.Timestamp(min(f.uploaded for f in files))
    assert releases["yanked"].sum() == 13


def test_a_very_large_answer_is_read_whole(package_hosts, source_clients, fresh_store, pypi_clock):
    big = make_project("huge-lib", versions=2500, files=4)
    package_hosts.add(big)
    registry = Registry(
        path="t", projects=(Project("huge", "Huge", "T", (RepoRef("o/huge"),), ("huge-lib",)),)
    )
    summary = _run(registry, fresh_store, source_clients["pypi"], pypi_clock)
    assert summary.outcomes[0].status == "ok"
    assert len(_releases(fresh_store, "huge-lib")) == 2500
    sent = package_hosts._body_cache
    assert max(len(b) for b in sent.values()) > 4_000_000  # several MB


@pytest.mark.parametrize(
    ("fault", "times", "status", "words"),
    [
        (Fault.http_error(503), 1, "ok", None),
        (Fault.http_error(502), None, "failed", "kept failing with 502"),
        (Fault.truncated_json(), 1, "ok", None),  # cut short once: asked again
        (Fault.truncated_json(), None, "failed", "cut short"),
        (Fault.html_page(), 1, "failed", "an HTML page instead of JSON"),
        (Fault.connection_reset(), None, "failed", "did not answer"),
        (Fault.answer(200, {"info": "nope", "releases": []}), 1, "failed", "without an `info`"),
    ],
)
def test_faults_fail_one_package_and_keep_the_others(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock, fault, times,
    status, words,
):  # fmt: skip
    package_hosts.fail(r"^/pypi/beta-kit/json", fault, times=times)
    summary = _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock)
    beta = summary.outcome("beta-kit")
    assert beta.status == status, beta.message
    if words:
        assert words in beta.message
        assert beta.rows_written == 0 and len(_releases(fresh_store, "beta-kit")) == 0
    alpha = summary.outcome("alpha-lib")
    assert alpha.status == "ok" and len(_releases(fresh_store, "alpha-lib")) > 300
    runs = fresh_store.read("collection_runs").frame
    assert runs.set_index("target").loc["beta-kit", "status"] == status
    assert pypi_clock.slept < 120  # backoff on the fake clock, never real sleeping


def test_a_damaged_remembered_answer_is_asked_again_in_full(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock, projects=["beta"])
    client = source_clients["pypi"]
    for entry in client.cache._load().values():
        entry.body = entry.body[:100]  # the cache file was damaged
    pypi_clock.advance(DAY)
    package_hosts.reset_log()
    summary = _run(package_registry, fresh_store, client, pypi_clock, projects=["beta"])
    assert summary.outcomes[0].status == "ok"
    assert [e.status for e in package_hosts.served("pypi")] == [304, 200]


def test_hostile_text_is_stored_as_plain_text(source_clients, package_hosts, fresh_store,
                                              pypi_clock):  # fmt: skip
    weird = FakeProject(
        name="weird",
        releases={"1.0": make_project("weird", versions=1).releases["0.0.0"]},
        latest="1.0",
        summary=HOSTILE,
        project_urls={
            "Source": "javascript:alert(1)//github.com/evil/repo",
            "Homepage": "https://github.com/../../etc/passwd",
            "<b>Repo</b>": "https://github.com/real-org/real-repo/issues?q=<script>",
            "number": 5,
            "nested": {"a": "b"},
        },
        license=HOSTILE,
    )
    package_hosts.add(weird)
    registry = Registry(
        path="t", projects=(Project("w", "W", "T", (RepoRef("real-org/real-repo"),), ("weird",)),)
    )
    assert (
        _run(registry, fresh_store, source_clients["pypi"], pypi_clock).outcomes[0].status == "ok"
    )
    row = _package(fresh_store, "weird")
    assert row["summary"] == HOSTILE  # exactly as given: stored as text, never interpreted
    assert row["licence"] == HOSTILE
    urls = json.loads(row["project_urls"])
    assert set(urls) == {"Source", "Homepage", "<b>Repo</b>"}  # non-text entries dropped
    assert row["repo"] == "real-org/real-repo" and row["repo_agrees"]


# ----- pure helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "repo"),
    [
        ("https://github.com/psf/requests", "psf/requests"),
        ("https://github.com/psf/requests.git", "psf/requests"),
        ("https://www.github.com/PSF/Requests/tree/main/src", "PSF/Requests"),
        ("git+https://github.com/psf/requests@v2", "psf/requests@v2"),
        ("git@github.com:psf/requests.git", "psf/requests"),
        ("https://github.com/sponsors/psf", None),
        ("https://github.com/psf", None),
        ("https://gitlab.com/psf/requests", None),
        ("https://github.com.evil.example/psf/requests", None),
        ("https://github.com/-bad-/requests", None),
    ],
)
def test_github_repository_urls(url, repo):
    if repo == "psf/requests@v2":
        repo = None  # '@' is not allowed in a repository name
    assert github_repo_in(url) == repo


def test_repository_labels_are_matched_case_insensitively_in_order():
    info = {
        "home_page": "https://github.com/home/page",
        "project_urls": {
            "Documentation": "https://github.com/docs/site",
            "HOMEPAGE": "https://github.com/label/home",
            "source_code": "https://github.com/label/source",
        },
    }
    assert discover_repo(info) == "label/source"
    del info["project_urls"]["source_code"]
    assert discover_repo(info) == "label/home"
    info["project_urls"] = None
    assert discover_repo(info) == "home/page"
    info["home_page"] = None
    assert discover_repo(info) is None


def test_licence_choice():
    assert licence_of({"license_expression": "MIT", "license": "BSD"}) == "MIT"
    assert licence_of({"license_expression": "", "license": "BSD"}) == "BSD"
    long = {"license": "x" * 500, "classifiers": ["License :: OSI Approved :: MIT License"]}
    assert licence_of(long) == "MIT License"
    assert licence_of({"license": None, "classifiers": "oops"}) is None


def test_versions_of_files_and_prereleases():
    versions = ["1.0", "1.0.1", "1.0-rc1", "2004d"]
    assert version_of_file("pkg-1.0.tar.gz", versions) == "1.0"
    assert version_of_file("pkg-1.0.1-py3-none-any.whl", versions) == "1.0.1"
    assert version_of_file("pkg-1.0rc1-py3-none-any.whl", versions) == "1.0-rc1"
    assert version_of_file("pkg-2004d.zip", versions) == "2004d"
    assert version_of_file("other-9.tar.gz", versions) is None
    assert prerelease_of("1.0.dev3") and prerelease_of("2.0b1") and not prerelease_of("1.0.post1")
    assert prerelease_of("2004d") is None


def test_releases_older_than_the_first_refresh_are_never_lost(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock)
    fake = package_hosts.project("alpha-lib")
    removed = next(iter(fake.releases))
    del fake.releases[removed]  # a maintainer deleted a release upstream
    fake.serial += 1
    package_hosts._body_cache.clear()
    pypi_clock.advance(timedelta(days=2).total_seconds())
    _run(package_registry, fresh_store, source_clients["pypi"], pypi_clock)
    assert removed in _releases(fresh_store, "alpha-lib").index  # history kept


def test_a_link_to_a_former_name_agrees_with_the_registry(
    package_hosts, source_clients, fresh_store, pypi_clock
):
    registry = Registry(
        path="t",
        projects=(
            Project("b", "B", "T", (RepoRef("beta-org/beta", ("Beta-Org/Beta-Kit",)),),
                    ("beta-kit",)),
        ),
    )  # fmt: skip
    _run(registry, fresh_store, source_clients["pypi"], pypi_clock)
    row = _package(fresh_store, "beta-kit")
    assert row["repo"] == "beta-org/beta-kit" and row["repo_agrees"]
    assert row["registry_repos"] == "beta-org/beta"
