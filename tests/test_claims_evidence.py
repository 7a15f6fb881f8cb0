"""Evidence behind the claims: family repositories, coverage, release cadence from PyPI,
changes through public pull requests, and partial verdicts — checked by hand on small frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from claims.evaluate import verdict_table
from claims.profile import project_profile
from metrics import community
from metrics.cohort import MissingFactsError, PackageFacts, cohort_packages, cohort_projects
from metrics.indicators import CATALOGUE, Windows, compute
from metrics.overview import overview
from registry import Project, RepoRef
from registry.projects import CohortRule
from store.schema import TABLES
from tests.conftest import commit_rows, download_rows, hand_made_claim, snapshot_rows

MAIN = RepoRef("org/main")
FAMILY = RepoRef("org/lib", role="family", note="its library")
PROJECT = Project("p", "P", "AI", (MAIN, FAMILY), ("pkg",))
NOW = pd.Timestamp("2024-06-01", tz="UTC")


def _releases(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "subject_kind": kind,
                "subject": subject,
                "version": version,
                "published_at": pd.Timestamp(when, tz="UTC"),
                "prerelease": pre,
                "yanked": yanked,
                "source": "pypi:json" if kind == "package" else "git",
                "fetched_at": NOW,
                "quality": "ok",
            }
            for kind, subject, version, when, pre, yanked in rows
        ]
    )
    return TABLES["releases"].conform(frame)


def _tables(**frames) -> dict[str, pd.DataFrame]:
    names = (
        "repo_snapshots",
        "package_downloads",
        "commits",
        "releases",
        "issue_activity",
        "package_dependents",
        "scorecards",
    )
    return {n: frames.get(n, TABLES[n].empty()) for n in names}


def test_a_family_repository_never_changes_the_main_repositorys_star_figure():
    snaps = pd.concat(
        [
            TABLES["repo_snapshots"].conform(
                snapshot_rows("org/main", ["2023-06-01", "2024-06-01"], [100, 150], forks=[5, 6])
            ),
            TABLES["repo_snapshots"].conform(
                snapshot_rows("org/lib", ["2023-06-01", "2024-06-01"], [9000, 9999], forks=[1, 2])
            ),
        ],
        ignore_index=True,
    )
    downloads = TABLES["package_downloads"].empty()
    with_family = overview([PROJECT], snaps, downloads).iloc[0]
    alone = overview([Project("p", "P", "AI", (MAIN,), ("pkg",))], snaps, downloads).iloc[0]
    assert with_family["stars"] == alone["stars"] == 150
    assert with_family["forks"] == 6
    assert with_family["star_growth_12m"] == pytest.approx(0.5)
    assert with_family["repos_counted"] == "1 of 1"
    values = compute([PROJECT], _tables(repo_snapshots=snaps)).set_index("indicator")
    assert values.loc["forks_per_star", "value"] == pytest.approx(6 / 150)
    assert values.loc["forks_per_star", "coverage"] == "GitHub: 1 of 1 main repositories"


def test_git_coverage_names_the_repositories_left_out():
    commits = commit_rows(
        [{"repo": "org/lib", "sha": "a", "authored_at": "2024-05-01", "author_id": "x"}]
    )
    split = community.ByRepo(commits)
    cov = split.coverage(PROJECT.repo_names)
    assert cov.partial and cov.covered == ("org/lib",) and cov.missing == ("org/main",)
    assert cov.text() == "git history: 1 of 2 repositories; org/main not collected"
    full = split.coverage(("org/lib",))
    assert not full.partial and full.text() == "git history: 1 of 1 repository"
    assert not split.coverage(("x/y",)).partial  # nothing is not partial
    assert split.rows(("x/y",)).empty and split.rows(PROJECT.repo_names)["sha"].tolist() == ["a"]


def test_git_indicators_on_partial_coverage_are_marked_partial_with_their_coverage():
    # two own repositories, one with history: partial, and the family repository's commits
    # count for nothing
    project = Project("p", "P", "AI", (MAIN, RepoRef("org/second"), FAMILY), ("pkg",))
    commits = commit_rows(
        [
            {
                "repo": repo,
                "sha": f"{repo}{i}",
                "authored_at": f"2024-0{1 + i % 5}-10",
                "author_id": f"{repo}{i % 3}",
            }
            for i in range(9)
            for repo in ("org/main", "org/lib")
        ]
    )
    values = compute([project], _tables(commits=commits)).set_index("indicator")
    for metric in ("active_contributors", "new_contributors", "bus_factor"):
        assert values.loc[metric, "quality"] == "partial"
        assert "org/second not collected" in values.loc[metric, "coverage"]
    assert values.loc["active_contributors", "value"] == 3


def test_git_indicators_never_rest_on_a_family_repository_alone():
    commits = commit_rows(
        [
            {
                "repo": "org/lib",
                "sha": f"s{i}",
                "authored_at": f"2024-0{1 + i % 5}-10",
                "author_id": f"a{i % 3}",
            }
            for i in range(9)
        ]
    )
    values = compute([PROJECT], _tables(commits=commits)).set_index("indicator")
    for metric in ("active_contributors", "new_contributors", "bus_factor"):
        assert pd.isna(values.loc[metric, "value"])
        assert values.loc[metric, "note"].startswith("insufficient data")


def test_release_cadence_comes_from_pypi_without_yanked_or_prereleases():
    releases = _releases(
        [
            ("package", "pkg", "1.0", "2024-01-01", False, False),
            ("package", "pkg", "1.1", "2024-01-31", False, False),
            ("package", "pkg", "1.2rc1", "2024-02-10", True, False),
            ("package", "pkg", "1.2", "2024-03-01", False, True),  # yanked
            ("package", "pkg", "1.3", "2024-04-30", False, False),
            ("repo", "org/main", "v0.1", "2024-05-01", False, None),  # tags lose to PyPI
            ("package", "other", "9.0", "2024-05-01", False, False),  # not this project's
        ]
    )
    rel, source = community.project_releases(PROJECT.main_repo_names, PROJECT.packages, releases)
    assert sorted(rel["version"]) == ["1.0", "1.1", "1.2rc1", "1.3"]  # yanked 1.2 left out
    # versions released on one day are one release event for the gap
    same_day = pd.concat(
        [releases, _releases([("package", "pkg", "1.0.1", "2024-01-01", False, False)])]
    )
    pace = community.release_pace(community.project_releases((), ("pkg",), same_day)[0], 12)
    assert pace.releases == 4 and pace.median_gap_days == 60
    assert pace.read_on == pd.Timestamp("2024-06-01")
    assert source == "PyPI releases of pkg"
    values = compute([PROJECT], _tables(releases=releases)).set_index("indicator")
    assert values.loc["releases", "value"] == 3  # 1.0, 1.1, 1.3 in the 12 months to 2024-06-01
    assert values.loc["median_days_between_releases", "value"] == pytest.approx(
        60
    )  # 30 and 90 days
    # a project with no package falls back to its main repositories' tags
    tags_only = Project("t", "T", "AI", (MAIN,), ())
    _, source = community.project_releases(tags_only.main_repo_names, (), releases)
    assert source == "tags of org/main"


def test_public_review_share_counts_first_parent_changes_by_people():
    commits = commit_rows(
        [
            {
                "repo": "org/main",
                "sha": "1",
                "authored_at": "2024-05-01",
                "author_id": "a",
                "pull_request": 12,
            },
            {"repo": "org/main", "sha": "2", "authored_at": "2024-05-02", "author_id": "a"},
            {
                "repo": "org/main",
                "sha": "3",
                "authored_at": "2024-05-03",
                "author_id": "b",
                "review_trailer": True,
            },
            {
                "repo": "org/main",
                "sha": "4",
                "authored_at": "2024-05-04",
                "author_id": "b",
                "first_parent": False,
            },
            {
                "repo": "org/main",
                "sha": "5",
                "authored_at": "2024-05-05",
                "author_id": "bot",
                "author_is_bot": True,
            },
            {
                "repo": "org/main",
                "sha": "6",
                "authored_at": "2022-01-01",
                "author_id": "a",
            },  # too old
        ]
    )
    since = pd.Timestamp("2023-06-01", tz="UTC")
    assert community.public_review_share(commits, since) == pytest.approx(2 / 3)
    # commits collected before the columns existed are unknown, never counted as pushes
    legacy = commits.assign(first_parent=None, pull_request=None, review_trailer=None)
    assert community.public_review_share(legacy, since) is None
    values = compute([PROJECT], _tables(commits=commits)).set_index("indicator")
    assert values.loc["public_review_share", "value"] == pytest.approx(2 / 3)
    assert "public_review_share" in CATALOGUE


def test_a_verdict_resting_on_partial_figures_is_marked_partial_not_fragile():
    claim = hand_made_claim("c", ("active_contributors", "higher", 2), ("releases", "higher", 1))
    rows = [
        (
            "p",
            "active_contributors",
            3.0,
            "partial",
            "git history: 1 of 2 repositories; org/main not collected",
        ),
        ("p", "releases", 4.0, "ok", ""),
        ("q", "active_contributors", 5.0, "ok", "git history: 1 of 1 repository"),
        ("q", "releases", 4.0, "ok", ""),
        ("c1", "active_contributors", 1.0, "ok", ""),
    ]
    indicators = pd.DataFrame(
        rows, columns=["project_id", "indicator", "value", "quality", "coverage"]
    ).assign(project="", group="", as_of=pd.NaT, note="")
    table = verdict_table([claim], indicators, [("p", "P"), ("q", "Q")], ["c1"]).set_index(
        "subject"
    )
    assert table.loc["P", "partial"] and not table.loc["Q", "partial"]
    assert table.loc["P", "coverage"] == "git history: 1 of 2 repositories; org/main not collected"
    group = table[table["kind"] == "group"].iloc[0]
    assert group["partial"] and group["coverage"] == "1 of 2 members with partial figures"
    assert not table[table["kind"] == "cohort"].iloc[0]["partial"]
    profile = project_profile("p", indicators, indicators.iloc[0:0], ["c1"]).set_index("indicator")
    assert "org/main not collected" in profile.loc["Active contributors", "coverage"]


def _monthly(package: str, downloads: int) -> pd.DataFrame:
    return TABLES["package_downloads"].conform(
        download_rows(package, [("2024-01-01", "2024-01-31", downloads, "all", "clickhouse")])
    )


def test_the_cohort_leaves_out_ai_packages_and_takes_each_packages_repository():
    downloads = pd.concat(
        [
            _monthly("big-ai", 900),
            _monthly("util", 800),
            _monthly("tool", 700),
            _monthly("tracked", 999),
        ],
        ignore_index=True,
    )
    facts = {
        "big-ai": PackageFacts("ai/big", is_ai=True),
        "util": PackageFacts("u/util"),
        "tool": PackageFacts(None),
    }
    rule = CohortRule(github_top=0, pypi_top=2, pypi_listed_since=None)
    members = cohort_packages(downloads, rule, {"tracked"}, "archive", facts)
    assert members["name"].tolist() == ["util", "tool"]
    assert members["repo"].tolist()[0] == "u/util" and pd.isna(members["repo"].tolist()[1])
    projects = cohort_projects(members, "Cohort")
    assert projects[0].repo_names == ("u/util",) and projects[0].packages == ("util",)
    assert projects[1].repo_names == ()
    # a candidate PyPI was never asked about cannot be judged: say which, never guess
    with pytest.raises(MissingFactsError, match="'util'"):
        cohort_packages(downloads, rule, {"tracked"}, "archive", {"big-ai": facts["big-ai"]})
    assert not np.isnan(members["value"].iloc[0])


def test_the_catalogue_windows_still_fill_the_definitions():
    assert "12 months" in CATALOGUE["public_review_share"].definition.format(
        activity_months=Windows().activity_months, growth_months=12
    )


def test_cohort_members_say_how_much_git_history_the_data_holds():
    from metrics.cohort import with_git_history

    members = pd.DataFrame(
        {
            "kind": ["package", "package", "repo"],
            "name": ["a", "b", "c/c"],
            "repo": ["a/a", None, None],
        }
    )
    commits = pd.DataFrame({"repo": ["a/a", "a/a", "c/c"]})
    got = with_git_history(members, commits)["commits"]
    assert got.iloc[0] == 2 and pd.isna(got.iloc[1]) and got.iloc[2] == 1
