"""Community metrics checked against values computed by hand on a repository built here.

The repository (tests/gitrepo.py, build_community_repo):
  2023-01-10 Alice (acme.com)         2023-01-20 Alice, old address mapped by .mailmap
  2023-02-05 Bob (gmail: independent)  tag v1.0
  2023-04-15 Carol (acme.com), co-authored by Dave (other.org) and a bot
  2023-05-01 dependabot[bot]           tag v1.1rc1 (pre-release) on 2023-05-02
  2023-06-20 Bob, on a branch merged by Alice on 2023-07-01; tag v1.1 on 2023-08-01
  2024-03-01 Dave (other.org)
"""

from __future__ import annotations

import pandas as pd
import pytest

from collectors import git
from metrics import community
from tests.gitrepo import build_community_repo, collect_widget


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    repo = build_community_repo(tmp_path_factory.mktemp("community") / "work")
    ids = git.Pseudonymizer(b"k" * 32)
    return collect_widget(repo.path, ids), ids


def test_absence_factor_matches_the_chaoss_example():
    assert community.absence_factor([1000, 433, 343, 332, 202, 90, 42, 33]) == 2
    assert community.absence_factor([5]) == 1
    assert community.absence_factor([]) is None
    assert community.absence_factor([1, 1, 1, 1], share=0.75) == 3


def test_contributions_leave_out_bots_and_merges_by_default(collected):
    result, ids = collected
    contribs = community.contributions(result.commits)
    people = contribs.groupby("person").size()
    assert people.to_dict() == {
        ids.id_for("alice@acme.com"): 2,
        ids.id_for("bob@gmail.com"): 2,
        ids.id_for("carol@acme.com"): 1,
        ids.id_for("dave@other.org"): 2,  # one co-authored, one authored
    }
    with_all = community.contributions(result.commits, include_bots=True, include_merges=True)
    assert len(with_all) == len(contribs) + 3  # the bot commit, the bot co-author, the merge


def test_contributor_flow_per_quarter_by_hand(collected):
    result, _ = collected
    flow = community.contributor_flow(community.contributions(result.commits), "quarter")
    flow = flow.set_index(flow["period"].dt.strftime("%Y-%m"))
    assert flow.loc["2023-01", ["active", "new", "returning"]].tolist() == [2, 2, 0]
    assert flow.loc["2023-04", ["active", "new", "returning"]].tolist() == [3, 2, 1]
    assert flow.loc["2023-07", "active"] == 0  # only the merge, which does not count
    # at the end of 2024Q1: Dave active; Bob (2023-06) and Carol (2023-04) silent 6-12
    # months: drifting; Alice (2023-01) silent over 12 months: away
    assert flow.loc["2024-01", ["active", "new", "returning", "drifting", "away"]].tolist() == [
        1,
        0,
        1,
        2,
        1,
    ]


def test_bus_and_elephant_factors_by_hand(collected):
    result, _ = collected
    contribs = community.contributions(result.commits)
    people = community.factor_over_time(contribs, "person", window_months=24, freq="year")
    # 2024 window (24 months to 2025-01-01): Alice 2, Bob 2, Carol 1, Dave 2 -> 2 people
    assert people.set_index(people["period"].dt.year).loc[2024, "factor"] == 2
    orgs = community.factor_over_time(
        contribs, "domain", window_months=24, freq="year", exclude=community.NO_ORGANIZATION
    )
    # authored, affiliated: acme.com 3 (Alice 2, Carol 1), other.org 1 -> 1 organization
    assert orgs.set_index(orgs["period"].dt.year).loc[2024, "factor"] == 1
    shares = community.organization_shares(contribs, "year")
    y2023 = shares[shares["period"].dt.year == 2023].set_index("organization")["share"]
    assert y2023.to_dict() == pytest.approx({"acme.com": 0.6, "independent": 0.4})


def test_release_frequency_and_activity_heatmap_by_hand(collected):
    result, _ = collected
    per_year, median_gap = community.release_frequency(result.releases, "year")
    assert per_year.set_index(per_year["period"].dt.year)["releases"].to_dict() == {2023: 2}
    # gaps are between release days (UTC): 2023-02-05 to 2023-08-01
    assert median_gap == (pd.Timestamp("2023-08-01") - pd.Timestamp("2023-02-05")).days == 177
    heat = community.activity_heatmap(community.contributions(result.commits))
    assert heat.loc["Tue", 10] == 1  # 2023-01-10 10:00 in Alice's own time zone (+01:00)
    assert heat.to_numpy().sum() == 7


def test_summary_lists_projects_without_git_data(collected):
    from registry import Project, RepoRef

    result, _ = collected
    projects = [
        Project("w", "Widget", "AI", (RepoRef("acme/widget"),), ()),
        Project("n", "Nothing", "AI", (RepoRef("acme/none"),), ()),
    ]
    table = community.summary(projects, result.commits, result.releases, window_months=24)
    row = table.set_index("project").loc["Widget"]
    assert row["contributors_all_time"] == 4 and row["active"] == 4 and row["bus_factor"] == 2
    assert row["elephant_factor"] == 1 and row["releases"] == 2  # v1.0 and v1.1, not the rc
    assert table.set_index("project").loc["Nothing", "note"] == (
        "insufficient data: no git history of its own repositories"
    )


def test_a_merge_by_someone_else_is_a_second_person_taking_the_change_in(collected):
    result, ids = collected
    commits = result.commits
    merge = commits[commits["is_merge"].fillna(False).astype(bool)].iloc[0]
    assert merge["author_id"] == ids.id_for("alice@acme.com")
    assert bool(merge["merged_by_other"])  # Alice merged Bob's branch
    assert commits.loc[~commits["is_merge"].astype(bool), "merged_by_other"].isna().all()
    # landed changes: Alice twice, Bob, Carol, the merge, Dave (the bot's is left out): one of
    # six was taken in by a second person
    assert community.second_person_share(commits) == pytest.approx(1 / 6)
    # read before the column existed: not known, never 0
    assert community.second_person_share(commits.drop(columns="merged_by_other")) is None
