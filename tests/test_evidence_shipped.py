"""The evidence standard on the shipped data (issue 19): the named projects judged on their own
repositories, every verdict on two thirds of its indicators, the group and the cohort large
enough to compare, one window end, the Overview and the Claims page in agreement, thresholds
that say "the cohort's median" being that median."""

from __future__ import annotations

import pandas as pd
import pytest

from claims.evaluate import standing
from claims.verdicts import INSUFFICIENT, fresh_values, medians
from metrics import stats
from metrics.indicators import GIT_INDICATORS
from store.schema import TABLES


@pytest.fixture(scope="module")
def shipped():
    """The default data's tables, its indicators, the verdict table and the registry."""
    from claims.model import load_claims
    from registry import load_registry
    from store import DEFAULT_DATA, SegmentStore
    from views import claims as claim_views

    store = SegmentStore(DEFAULT_DATA, read_only=True)
    tables = {name: store.read(name).frame for name in TABLES}
    registry, claims = load_registry(), load_claims()
    found, cohort_ids = claim_views.indicators(registry, tables)
    table = claim_views.verdicts(claims, found, registry, cohort_ids)
    members = claim_views.members_in(registry, found)
    return tables, registry, claims, found, cohort_ids, members, table


NO_OWN_HISTORY = ("tensorflow", "pytorch", "transformers", "scikit-learn", "opencv")


def test_projects_without_their_own_history_say_insufficient_on_every_git_figure(shipped):
    _, _, _, found, _, _, table = shipped
    git = found[found["indicator"].isin(GIT_INDICATORS)]
    for pid in NO_OWN_HISTORY:
        mine = git[git["project_id"] == pid]
        assert mine["value"].isna().all(), pid
        assert mine["note"].str.contains("./dev cli refresh --sources git", regex=False).all()
        assert mine["note"].str.contains("GB, too large", regex=False).all(), pid
    # their git-only claims are insufficient, never judged on a family repository
    names = {"tensorflow": "TensorFlow", "opencv": "OpenCV"}
    rows = table[table["subject"].isin(names.values()) & (table["claim_id"] == "collaboration")]
    assert set(rows["verdict"]) == {INSUFFICIENT}


def test_no_figure_of_a_tracked_project_moves_without_its_family_repositories(shipped):
    from views import claims as claim_views

    tables, registry, _, found, _, _, _ = shipped
    family = {r.full_name for p in registry for r in p.repos if r.role == "family"}
    assert family  # tensorflow/addons, pytorch/examples, ...
    commits = tables["commits"]
    alone = dict(tables, commits=commits[~commits["repo"].isin(family)])
    again, _ = claim_views.indicators(registry, alone)
    ids = [p.id for p in registry]
    before = found[found["project_id"].isin(ids)].set_index(["project_id", "indicator"])
    after = again[again["project_id"].isin(ids)].set_index(["project_id", "indicator"])
    pd.testing.assert_series_equal(before["value"].sort_index(), after["value"].sort_index())


def test_every_verdict_rests_on_two_thirds_of_its_indicators_and_says_so(shipped):
    _, _, claims, _, _, _, table = shipped
    needed = {c.id: (c.required, len(c.indicators)) for c in claims}
    for row in table.itertuples():
        k, n = (int(x) for x in row.k_of_n.split(" of "))
        assert n == needed[row.claim_id][1]
        if row.verdict != INSUFFICIENT:
            assert k >= needed[row.claim_id][0], row


def test_the_group_and_the_cohort_by_rule_are_large_enough_to_compare(shipped):
    tables, _, _, found, cohort_ids, members, _ = shipped
    rule = tables["cohort_members"]
    assert (rule[rule["side"] == "group"]["status"] == "member").sum() >= 30
    excluded = rule[rule["status"] == "excluded"]
    assert excluded["reason"].notna().all() and len(excluded) > 0
    active = fresh_values(found, members + list(cohort_ids))
    active = active[active["indicator"] == "active_contributors"]
    large = active[active["value"] >= 30]["project_id"]
    assert large.str.startswith("group-").sum() >= 15
    assert large.str.startswith("cohort-").sum() >= 15
    # every member's history is in the data
    histories = set(tables["commits"]["repo"].str.lower())
    listed = rule[rule["status"] == "member"]
    assert all(str(r).lower() in histories for r in listed["repo"])


def test_one_window_end_for_every_subject(shipped):
    _, _, _, found, _, _, _ = shipped
    git = found[found["indicator"].isin(GIT_INDICATORS) & found["value"].notna()]
    windowed = git[~git["indicator"].isin(["contributors_all_time", "days_since_last_commit"])]
    assert set(windowed["as_of"]) == {pd.Timestamp("2026-08-22")}


def test_the_overview_and_the_claims_never_contradict(shipped):
    from views.overview import default_views

    tables, registry, claims, _, _, _, table = shipped
    views = {v.name: v for v in default_views(registry, tables, claims)}
    board = views["claims-verdicts"].data.set_index(["kind", "claim_id"])["verdict"]
    chart = views["claims-vs-cohort"].data
    for claim in claims:
        positions = chart[chart["claim_id"] == claim.id]["position"].tolist()
        effects = [stats.Effect(1, 1, 1, 1, 1, 1, 0, 0, p, "") for p in positions]
        assert board[("cohort", claim.id)] == standing(claim, effects)[0], claim.id
        assert (
            board[("group", claim.id)]
            == (table.set_index(["kind", "claim_id"])["verdict"][("group", claim.id)])
        )


def test_thresholds_stated_as_the_cohorts_median_are_its_median(shipped):
    _, _, claims, found, cohort_ids, _, _ = shipped
    cohort = medians(found, list(cohort_ids))
    checked = 0
    for claim in claims:
        for rule in claim.indicators:
            if rule.basis.startswith("the comparison cohort's median"):
                assert rule.threshold == pytest.approx(cohort[rule.metric], rel=0.02), rule
                checked += 1
    assert checked >= 6
