"""The deps.dev collector against the fake: dependents of the latest stable version, Scorecards
of every listed repository, markers (never zeros) for what is unavailable, a weekly cadence."""

from __future__ import annotations

import pandas as pd
import pytest

from collectors.depsdev import CADENCE_DAYS, latest_stable_versions, refresh_depsdev
from collectors.pypi import refresh_pypi
from store import TABLES
from tests.conftest import DAY, TODAY, at_clock
from tests.fakes.pypi import HOSTILE, NOW, Fault

pytest_plugins = ["tests.fakes.pypi"]


_run = at_clock(refresh_depsdev)


def _cards(store, repo):
    frame = store.read("scorecards").frame
    return frame[frame["repo"] == repo].set_index("check")


def _dependents(store, package):
    frame = store.read("package_dependents").frame
    return frame[frame["package"] == package]


def test_dependents_of_the_latest_stable_release_the_pypi_collector_stored(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    refresh_pypi(package_registry, fresh_store, source_clients["pypi"], now=pypi_clock.timestamp())
    package_hosts.reset_log()
    summary = _run(package_registry, fresh_store, source_clients["depsdev"], pypi_clock)
    latest = package_hosts.project("alpha-lib").latest
    row = _dependents(fresh_store, "alpha-lib").iloc[0]
    assert row["version"] == latest and row["date"] == TODAY
    assert (row["dependents"], row["direct_dependents"], row["indirect_dependents"]) == (
        51_234, 6_000, 45_234)  # fmt: skip
    assert row["quality"] == "ok"
    paths = [e.path for e in package_hosts.served("depsdev", "packages/alpha-lib")]
    assert paths == [f"/v3alpha/systems/pypi/packages/alpha-lib/versions/{latest}:dependents"]
    assert summary.outcome("alpha-lib").requests == 1
    # beta's answer leaves a count out (proto3 drops zeros): null, flagged partial, not 0
    beta = _dependents(fresh_store, "beta-kit").iloc[0]
    assert beta["dependents"] == 120 and pd.isna(beta["indirect_dependents"])
    assert beta["quality"] == "partial"
    for name in ("package_dependents", "scorecards", "collection_runs"):
        TABLES[name].conform(fresh_store.read(name).frame)


def test_without_stored_releases_deps_dev_chooses_the_version(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    _run(package_registry, fresh_store, source_clients["depsdev"], pypi_clock, projects=["alpha"])
    served = [e.path for e in package_hosts.served("depsdev", "packages/alpha-lib")]
    latest = package_hosts.project("alpha-lib").latest
    assert served == [
        "/v3/systems/pypi/packages/alpha-lib",
        f"/v3alpha/systems/pypi/packages/alpha-lib/versions/{latest}:dependents",
    ]
    assert _dependents(fresh_store, "alpha-lib").iloc[0]["version"] == latest


def test_scorecards_of_every_listed_repository(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    summary = _run(package_registry, fresh_store, source_clients["depsdev"], pypi_clock)
    cards = _cards(fresh_store, "alpha-org/alpha-lib")
    assert cards.loc["overall", "score"] == 6.8
    assert cards.loc["overall", "scorecard_version"] == "v5.0.0"
    assert cards.loc["overall", "scorecard_date"] == pd.Timestamp("2026-11-16", tz="UTC")
    assert cards.loc["Maintained", "score"] == 10.0
    assert cards.loc["Maintained", "reason"] == f"Maintained: {HOSTILE}"  # plain text
    # a check that did not run (score -1): null, flagged, never zero or negative
    assert pd.isna(cards.loc["Fuzzing", "score"]) and cards.loc["Fuzzing", "quality"] == "missing"
    assert set(cards.index) == {"overall", "Maintained", "Code-Review", "Fuzzing",
                                "Signed-Releases"}  # fmt: skip
    served = package_hosts.served("depsdev", r"^/v3/projects/")
    assert "/v3/projects/github.com%2Falpha-org%2Falpha-lib" in [e.path for e in served]
    # the second repository of the project has no scorecard; the ghost is unknown (404)
    for repo, words in (("alpha-org/alpha-docs", "no Scorecard"), ("ghost-org/ghost",
                                                                     "does not know")):  # fmt: skip
        marker = _cards(fresh_store, repo)
        assert list(marker.index) == ["overall"] and pd.isna(marker.loc["overall", "score"])
        assert marker.loc["overall", "quality"] == "missing"
        assert summary.outcome(repo).status == "ok" and words in summary.outcome(repo).message


def test_unknown_packages_are_marked_missing_not_zero(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    summary = _run(package_registry, fresh_store, source_clients["depsdev"], pypi_clock)
    ghost = _dependents(fresh_store, "no-such-package").iloc[0]
    assert pd.isna(ghost["dependents"]) and ghost["quality"] == "missing"
    assert "marked missing" in summary.outcome("no-such-package").message
    frame = fresh_store.read("package_dependents").frame
    assert not (frame["dependents"] == 0).any()


def test_asked_at_most_once_a_week(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    client = source_clients["depsdev"]
    _run(package_registry, fresh_store, client, pypi_clock)
    package_hosts.reset_log()
    for days in (1, CADENCE_DAYS - 1):
        pypi_clock.now = NOW.timestamp() + days * DAY
        summary = _run(package_registry, fresh_store, client, pypi_clock)
        assert package_hosts.log == [] and {o.status for o in summary} == {"skipped"}
    pypi_clock.now = NOW.timestamp() + CADENCE_DAYS * DAY
    summary = _run(package_registry, fresh_store, client, pypi_clock)
    assert {o.status for o in summary} == {"ok"} and summary.requests > 0
    package_hosts.reset_log()
    forced = _run(package_registry, fresh_store, client, pypi_clock, projects=["beta"], force=True)
    assert [o.requests for o in forced] == [2, 1]


def test_a_failing_target_keeps_the_others(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    package_hosts.fail(r"^/v3/projects/github.com%2Fbeta-org", Fault.http_error(500), times=None)
    package_hosts.fail(r"alpha-lib", Fault.truncated_json(), times=None)
    summary = _run(package_registry, fresh_store, source_clients["depsdev"], pypi_clock)
    assert summary.outcome("beta-org/beta").status == "failed"
    assert "kept failing with 500" in summary.outcome("beta-org/beta").message
    assert summary.outcome("alpha-lib").status == "failed"
    assert summary.outcome("beta-kit").status == "ok"
    assert len(_cards(fresh_store, "beta-org/beta")) == 0
    # a failed target is asked again the next day (the cadence counts successes only)
    pypi_clock.advance(DAY)
    package_hosts.reset_log()
    again = _run(package_registry, fresh_store, source_clients["depsdev"], pypi_clock)
    assert again.outcome("beta-org/beta").requests > 0
    assert again.outcome("beta-kit").status == "skipped"


def test_latest_stable_version_ignores_prereleases_yanked_and_legacy():
    rows = pd.DataFrame(
        {
            "subject_kind": "package",
            "subject": "p",
            "version": ["1.0", "2.0rc1", "1.5", "1.9", "2004d"],
            "prerelease": pd.array([False, True, False, False, None], dtype="boolean"),
            "yanked": pd.array([False, False, None, True, False], dtype="boolean"),
        }
    )
    assert latest_stable_versions(rows) == {"p": "1.5"}


@pytest.mark.parametrize("card", [{"overallScore": "9"}, {"checks": "x"}, []])
def test_malformed_scorecards_become_markers(
    card, source_clients, package_hosts, package_registry, fresh_store, pypi_clock
):
    package_hosts.scorecards["beta-org/beta"] = card
    _run(package_registry, fresh_store, source_clients["depsdev"], pypi_clock, projects=["beta"])
    marker = _cards(fresh_store, "beta-org/beta")
    assert marker["score"].isna().all() and set(marker["quality"]) == {"missing"}
