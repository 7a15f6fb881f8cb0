"""The evidence standard (issue 19): a project judged on its own repositories only, a verdict
on enough of its indicators, one window for everyone, fresh values in medians, CHAOSS
definitions, the pool rule for the group and the cohort. Each test is built by hand so that
the answer is known, and each pins a value that a plausible one-line bug would change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from claims.evaluate import standing, verdict_table
from claims.model import Claim, IndicatorRule, enough_indicators
from claims.verdicts import (
    INSUFFICIENT,
    SUPPORTED,
    fresh_values,
    judge,
    median_counts,
    medians,
    robustness,
)
from metrics import community, stats
from metrics.cohort import PackageFacts, pool_members
from metrics.coverage import coverage
from metrics.indicators import GIT_INDICATORS, Windows, _named, compute
from registry import Project, RepoRef
from registry.projects import CohortRule
from store.schema import TABLES
from tests.conftest import commit_rows as commits
from tests.conftest import download_rows

END = pd.Timestamp("2026-08-23", tz="UTC")  # the window ends before this day


def tables_with(commit_rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    tables = {name: spec.empty() for name, spec in TABLES.items()}
    tables["commits"] = commit_rows
    return tables


def values_of(frame: pd.DataFrame, project_id: str) -> dict[str, float]:
    mine = frame[frame["project_id"] == project_id]
    return dict(zip(mine["indicator"], mine["value"], strict=True))


MAIN_ROWS = [
    # ten people on the main repository in the window, one of them new, Alice since 2020
    {
        "repo": "org/main",
        "sha": f"m{i}",
        "authored_at": f"2026-0{1 + i % 7}-1{i % 9}",
        "author_id": f"p{i % 10}",
        "author_domain": "acme.com" if i % 3 else "independent",
    }
    for i in range(40)
] + [{"repo": "org/main", "sha": "old", "authored_at": "2020-01-01", "author_id": "p0"}]


def test_a_family_repository_never_moves_its_projects_figures():
    """10,000 commits by 500 other people in a family repository change nothing."""
    project = Project("p", "P", "AI", (RepoRef("org/main"), RepoRef("org/lib", role="family")), ())
    family = [
        {
            "repo": "org/lib",
            "sha": f"f{i}",
            "authored_at": f"2026-0{1 + i % 8}-0{1 + i % 9}",
            "author_id": f"x{i % 500}",
            "author_domain": f"corp{i % 7}.com",
        }
        for i in range(10_000)
    ]
    alone = compute([project], tables_with(commits(MAIN_ROWS)), Windows(end=END))
    both = compute([project], tables_with(commits(MAIN_ROWS + family)), Windows(end=END))
    assert values_of(alone, "p") == pytest.approx(values_of(both, "p"), nan_ok=True)
    assert values_of(both, "p")["active_contributors"] == 10


def test_without_its_own_history_every_git_figure_says_insufficient_and_what_supplies_it():
    project = Project("tf", "TF", "AI", (RepoRef("tf/tf"), RepoRef("tf/addons", role="family")), ())
    rows = [
        {"repo": "tf/addons", "sha": f"a{i}", "authored_at": "2026-05-01", "author_id": f"a{i}"}
        for i in range(50)
    ]
    tables = tables_with(commits(rows))
    tables["git_histories"] = TABLES["git_histories"].conform(
        pd.DataFrame(
            [
                {
                    "repo": "tf/tf",
                    "status": "not in data",
                    "snapshot": pd.NaT,
                    "size_mb": 2361.0,
                    "reason": "too large",
                    "source": "t",
                    "fetched_at": END,
                    "quality": "ok",
                }
            ]
        )
    )
    found = compute([project], tables, Windows(end=END))
    git = found[found["indicator"].isin(GIT_INDICATORS)]
    assert len(git) == len(GIT_INDICATORS)
    assert git["value"].isna().all()
    assert git["note"].str.startswith("insufficient data").all()
    assert git["note"].str.contains("./dev cli refresh --sources git", regex=False).all()
    assert git["note"].str.contains("2.4 GB", regex=False).all()


@pytest.mark.parametrize(("n", "needed"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4)])
def test_a_verdict_needs_two_thirds_of_its_indicators_rounded_up(n, needed):
    assert enough_indicators(n) == needed
    rules = tuple(IndicatorRule(f"m{i}", "higher", 1.0) for i in range(n))
    claim = Claim("c", "C", "H", rules)
    enough = {f"m{i}": 2.0 for i in range(needed)}
    short = {f"m{i}": 2.0 for i in range(needed - 1)}
    assert judge(claim, enough).verdict == SUPPORTED
    assert judge(claim, enough).k_of_n == f"{needed} of {n}"
    assert judge(claim, short).verdict == INSUFFICIENT
    assert judge(claim, short).k_of_n == f"{needed - 1} of {n}"


def test_retention_counts_everyone_tied_at_the_cut_whatever_their_order():
    # counts: 9 people with 10 contributions, then 3 tied with 5 at the 10th place
    people = [f"core{i}" for i in range(9) for _ in range(10)] + [
        f"tie{i}" for i in range(3) for _ in range(5)
    ]
    contribs = pd.DataFrame({"person": people})
    recent = pd.Series(["core0", "tie2"])
    assert community.core_retention(contribs, recent) == pytest.approx(2 / 12)
    shuffled = contribs.sample(frac=1.0, random_state=7)
    assert community.core_retention(shuffled, recent[::-1]) == pytest.approx(2 / 12)


def test_coverage_matches_package_names_exactly():
    notes = "pypa/packaging: no observations in the data; numpy: not counted"
    assert _named(notes) == {"pypa/packaging", "numpy"}
    assert "packaging" not in _named(notes)
    # a package named like its repository is fully counted when only the repository has no
    # GitHub figures (the note about pypa/packaging is not about the package packaging)
    project = Project("p", "P", "AI", (RepoRef("pypa/packaging"),), ("packaging",))
    tables = tables_with(TABLES["commits"].empty())
    monthly = download_rows("packaging", [("2026-03-01", "2026-03-31", 10, "all", "clickhouse")])
    tables["package_downloads"] = TABLES["package_downloads"].conform(
        TABLES["package_downloads"].widen(monthly)
    )
    row = compute([project], tables).set_index("indicator").loc["monthly_downloads"]
    assert (row["quality"], row["coverage"]) == ("ok", "PyPI: 1 of 1 packages")


def test_the_elephant_factor_is_chaoss_over_all_commits():
    # 100 commits: acme 30, beta 25, 45 from personal addresses
    domains = pd.Series(["acme.com"] * 30 + ["beta.org"] * 25 + ["independent"] * 45)
    assert community.elephant_factor(domains) == 2
    # over the affiliated commits only (the old, wrong rule) acme's 30 of 55 would give 1
    assert community.absence_factor(domains[domains != "independent"].value_counts()) == 1
    # organizations below half of all commits: undetermined, never a number
    few = pd.Series(["acme.com"] * 20 + ["beta.org"] * 20 + ["independent"] * 50 + [None] * 10)
    assert community.elephant_factor(few) is None
    assert community.elephant_factor(pd.Series([], dtype=object)) is None


def test_personal_and_unknown_addresses_are_no_organization_over_time():
    when = pd.date_range("2026-01-01", periods=10, freq="D", tz="UTC")
    contribs = pd.DataFrame(
        {
            "when": when,
            "person": [f"p{i}" for i in range(10)],
            "domain": ["acme.com"] * 4 + ["unknown"] * 3 + ["independent"] * 3,
            "role": "author",
        }
    )
    out = community.factor_over_time(
        contribs, "domain", freq="year", exclude=community.NO_ORGANIZATION
    )
    assert out["factor"].isna().all()  # acme: 4 of 10, short of half
    assert out["contributions"].tolist() == [10]


def test_one_window_for_everyone_and_new_means_first_contribution_ever():
    early = Project("a", "A", "AI", (RepoRef("o/a"),), ())
    late = Project("b", "B", "AI", (RepoRef("o/b"),), ())
    rows = [
        # A's newest commit is in 2026-03: its window still ends with the data's (2026-08)
        {"repo": "o/a", "sha": "a1", "authored_at": "2025-06-01", "author_id": "old"},
        {"repo": "o/a", "sha": "a2", "authored_at": "2026-03-01", "author_id": "old"},
        {"repo": "o/a", "sha": "a3", "authored_at": "2026-03-02", "author_id": "new"},
        {"repo": "o/a", "sha": "a0", "authored_at": "2025-08-01", "author_id": "gone"},
        {"repo": "o/b", "sha": "b1", "authored_at": "2026-08-22", "author_id": "b"},
    ]
    found = compute([early, late], tables_with(commits(rows)), Windows())
    a = values_of(found, "a")
    # window 2025-08-23 .. 2026-08-22: 'gone' (2025-08-01) is out; 'old' is in, not new
    assert a["active_contributors"] == 2
    assert a["new_contributors"] == 1
    assert a["days_since_last_commit"] == 173  # 2026-03-02 to 2026-08-22
    git = found[(found["project_id"] == "a") & found["indicator"].isin(GIT_INDICATORS)]
    assert set(git["as_of"]) == {pd.Timestamp("2026-08-22")}


def test_the_bus_factor_window_is_the_whole_twelve_months():
    # early (5 of 11, in the window's first month) is needed with late (4) to make half:
    # 2; a window a month short would leave early out and give 1
    rows = (
        [
            {"repo": "o/a", "sha": f"x{i}", "authored_at": "2025-09-01", "author_id": "early"}
            for i in range(5)
        ]
        + [
            {"repo": "o/a", "sha": f"y{i}", "authored_at": "2026-08-01", "author_id": "late"}
            for i in range(4)
        ]
        + [
            {"repo": "o/a", "sha": f"z{i}", "authored_at": "2026-08-02", "author_id": "third"}
            for i in range(2)
        ]
    )
    project = Project("a", "A", "AI", (RepoRef("o/a"),), ())
    found = compute([project], tables_with(commits(rows)), Windows(end=END))
    assert values_of(found, "a")["bus_factor"] == 2
    assert values_of(found, "a")["active_contributors"] == 3


def test_a_history_ending_long_before_the_window_is_stale_never_zero():
    rows = [
        {"repo": "o/a", "sha": "a", "authored_at": "2025-01-01", "author_id": "x"},
        {"repo": "o/b", "sha": "b", "authored_at": "2026-08-22", "author_id": "y"},
    ]
    projects = [Project(i, i, "AI", (RepoRef(f"o/{i}"),), ()) for i in ("a", "b")]
    found = compute(projects, tables_with(commits(rows)), Windows())
    a = found[found["project_id"] == "a"].set_index("indicator")
    assert pd.isna(a.loc["active_contributors", "value"])  # not 0
    assert a.loc["active_contributors", "quality"] == "stale"
    assert "stale copy or an inactive project" in a.loc["active_contributors", "note"]
    assert a.loc["contributors_all_time", "value"] == 1


def test_maintained_weeks_counts_weeks_with_human_commits():
    rows = commits(
        [
            {"repo": "o/a", "sha": "1", "authored_at": "2026-08-21", "author_id": "a"},
            {"repo": "o/a", "sha": "2", "authored_at": "2026-08-20", "author_id": "a"},
            {"repo": "o/a", "sha": "3", "authored_at": "2026-08-10", "author_id": "a"},
            {"repo": "o/a", "sha": "4", "authored_at": "2026-06-01", "author_id": "a"},
            {
                "repo": "o/a",
                "sha": "5",
                "authored_at": "2026-07-01",
                "author_id": "bot",
                "author_is_bot": True,
            },
            {"repo": "o/a", "sha": "6", "authored_at": "2026-01-01", "author_id": "a"},
        ]
    )
    # weeks back from 2026-08-23: 0 (two commits), 1, 11 (2026-06-01); the bot's is left out
    assert community.active_weeks(rows, END) == 3


def test_medians_leave_out_stale_values_and_say_n_of_n():
    frame = pd.DataFrame(
        {
            "project_id": ["a", "b", "c", "d"],
            "indicator": "stars",
            "value": [10.0, 20.0, 1000.0, np.nan],
            "as_of": pd.to_datetime(["2026-08-22", "2026-08-01", "2024-01-01", "2026-08-22"]),
            "quality": ["ok", "ok", "ok", "ok"],
        }
    )
    assert medians(frame, ["a", "b", "c", "d"]) == {"stars": 15.0}
    assert median_counts(frame, ["a", "b", "c", "d"]) == {"stars": "2 of 4"}
    flagged = frame.assign(quality=["ok", "stale", "ok", "ok"])
    assert fresh_values(flagged, ["a", "b", "c", "d"])["project_id"].tolist() == ["a"]
    # one of four members is not the group: no median at all
    assert medians(flagged, ["a", "b", "c", "d"]) == {}
    assert median_counts(flagged, ["a", "b", "c", "d"]) == {"stars": "1 of 4"}


def test_the_comparison_row_says_ahead_level_or_behind_from_the_adjusted_intervals():
    claim = Claim(
        "c",
        "C",
        "H",
        (
            IndicatorRule("a", "higher", 1),
            IndicatorRule("b", "higher", 1),
            IndicatorRule("c", "higher", 1),
        ),
    )

    def effect(position: str) -> stats.Effect:
        return stats.Effect(1, 1, 1, 1, 1, 1, 10, 10, position, "")

    assert standing(claim, [effect(stats.AHEAD)] * 2 + [effect(stats.LEVEL)])[0] == stats.AHEAD
    assert standing(claim, [effect(stats.BEHIND)] * 2 + [effect(stats.AHEAD)])[0] == stats.BEHIND
    assert (
        standing(claim, [effect(stats.AHEAD), effect(stats.BEHIND), effect(stats.LEVEL)])[0]
        == stats.LEVEL
    )
    undetermined = [effect(stats.AHEAD)] + [effect(stats.UNDETERMINED)] * 2
    assert standing(claim, undetermined)[0] == stats.UNDETERMINED


def test_the_verdict_table_uses_the_rule_group_and_says_k_of_n():
    claim = Claim(
        "c",
        "C",
        "H",
        (
            IndicatorRule("active_contributors", "higher", 5),
            IndicatorRule("bus_factor", "higher", 5),
        ),
    )
    rows = []
    for pid, x in [("tracked", 1.0), ("group-1", 10.0), ("group-2", 10.0), ("cohort-1", 1.0)]:
        rows += [
            {
                "project_id": pid,
                "indicator": "active_contributors",
                "value": x,
                "as_of": pd.NaT,
                "quality": "ok",
                "note": "",
                "coverage": "",
            },
            {
                "project_id": pid,
                "indicator": "bus_factor",
                "value": np.nan,
                "as_of": pd.NaT,
                "quality": "missing",
                "note": "missing: needs z",
                "coverage": "",
            },
        ]
    frame = pd.DataFrame(rows)
    table = verdict_table(
        [claim], frame, [("tracked", "T")], ["cohort-1"], group_ids=["group-1", "group-2"]
    ).set_index("kind")
    assert table.loc["group", "verdict"] == INSUFFICIENT  # 1 of 2: two thirds need 2
    assert table.loc["group", "k_of_n"] == "1 of 2"
    assert table.loc["cohort", "verdict"] == stats.UNDETERMINED


# ----- the pool rule ---------------------------------------------------------------------


def _downloads(names_and_counts):
    return pd.DataFrame(
        {
            "package": [n for n, _ in names_and_counts],
            "downloads": [c for _, c in names_and_counts],
            "series": "monthly",
            "period_end": pd.Timestamp("2026-03-31"),
            "fetched_at": pd.Timestamp("2026-04-01", tz="UTC"),
        }
    )


def test_the_pool_rule_splits_ai_from_the_rest_with_every_exclusion_named():
    repos = pd.DataFrame(
        {
            "repo": [
                "o/torchy",
                "o/words",
                "o/plain",
                "x/renamed",
                "o/big",
                "o/tracked",
                "o/plain2",
                "o/nohist",
            ],
            "description": [
                "a tensor library",
                "Natural language processing tools",
                "HTTP",
                "deep learning",
                "machine learning",
                "tools",
                "utils",
                "LLM apps",
            ],
        }
    )
    downloads = _downloads(
        [
            ("torchy", 900),
            ("words", 800),
            ("plain", 700),
            ("renamed", 600),
            ("big", 500),
            ("tracked", 400),
            ("plain2", 300),
            ("nohist", 200),
            ("absent", 100),
        ]
    )
    facts = {
        "torchy": PackageFacts("o/torchy", is_ai=True),  # AI by PyPI's classifier
        "words": PackageFacts("o/words"),  # AI by its description
        "plain": PackageFacts("o/plain"),
        "renamed": PackageFacts("y/renamed"),  # PyPI links another repository
        "big": PackageFacts("o/big"),
        "tracked": PackageFacts("o/tracked"),
        "plain2": PackageFacts("o/plain2"),
        "nohist": PackageFacts("o/nohist"),
    }
    histories = {r.lower(): None for r in repos["repo"]} | {"o/big": "too large"}
    del histories["o/nohist"]
    rule = CohortRule(ranking_pool=True, group_top=5, pypi_top=5)
    out = pool_members(
        repos,
        downloads,
        rule,
        facts,
        histories,
        tracked_packages={"tracked"},
        tracked_repos=set(),
        source="t",
    ).set_index("name")
    assert out.loc[["torchy", "words"], "side"].tolist() == ["group", "group"]
    assert out.loc[["torchy", "words"], "status"].tolist() == ["member", "member"]
    assert out.loc["plain", ["side", "status"]].tolist() == ["cohort", "member"]
    assert out.loc["renamed", "status"] == "excluded"
    assert "PyPI links y/renamed" in out.loc["renamed", "reason"]
    assert out.loc["big", ["side", "reason"]].tolist() == ["group", "too large"]
    assert out.loc["tracked", "reason"] == "a tracked project's package or repository"
    assert out.loc["nohist", "reason"] == "its full git history was not sought"
    assert "absent" not in out.index  # no repository of that name in the archive
    members = out[out["status"] == "member"]
    assert members.groupby("side").size().to_dict() == {"cohort": 2, "group": 2}


def test_the_community_summary_counts_new_people_by_their_first_contribution_ever():
    project = Project("a", "A", "AI", (RepoRef("o/a"), RepoRef("o/fam", role="family")), ())
    rows = commits(
        [
            {"repo": "o/a", "sha": "1", "authored_at": "2024-01-01", "author_id": "veteran"},
            {"repo": "o/a", "sha": "2", "authored_at": "2026-05-01", "author_id": "veteran"},
            {"repo": "o/a", "sha": "3", "authored_at": "2026-06-01", "author_id": "n1"},
            {"repo": "o/a", "sha": "4", "authored_at": "2026-07-01", "author_id": "n2"},
            {"repo": "o/fam", "sha": "5", "authored_at": "2026-08-22", "author_id": "other"},
        ]
    )
    row = community.summary([project], rows, TABLES["releases"].empty()).iloc[0]
    assert (row["active"], row["new"], row["contributors_all_time"]) == (3, 2, 3)
    assert row["as_of"] == pd.Timestamp("2026-08-22")  # the data's day, not the project's


def test_the_fragility_sweep_moves_the_tuned_threshold_not_the_default():
    claim = Claim("c", "C", "H", (IndicatorRule("active_contributors", "higher", 100),))
    values = {"active_contributors": 21.0}
    # default 100: clearly not met; tuned to 20: met, and 20 × 1.125 = 22.5 is not: fragile
    assert robustness(claim, values)[0] is False
    fragile, by_scale = robustness(claim, values, {"active_contributors": 20.0})
    assert fragile is True
    assert by_scale[1.0] == SUPPORTED


def test_missing_daily_downloads_say_which_refresh_supplies_them():
    project = Project("p", "P", "AI", (), ("pkg",))
    tables = {name: spec.empty() for name, spec in TABLES.items()}
    monthly = download_rows("pkg", [("2026-03-01", "2026-03-31", 10, "all", "clickhouse")])
    tables["package_downloads"] = TABLES["package_downloads"].conform(
        TABLES["package_downloads"].widen(monthly)
    )
    days = pd.DataFrame({"source": ["test"], "date": [pd.Timestamp("2026-04-01")]})
    found = coverage([project], tables, days).set_index("data")
    assert found.loc["Daily downloads", "status"] == "not collected yet (needs a pypistats refresh)"
    assert found.loc["Monthly downloads", "status"] == "ok"


def test_download_share_growth_stays_within_one_counting_method():
    from metrics.packages import download_share_growth

    ends = ["2025-03-31", "2025-06-30", "2025-07-31", "2025-10-31", "2026-03-31"]
    methods = ["bigquery", "bigquery", "clickhouse", "clickhouse", "clickhouse"]
    pkg = [10, 10, 10, 30, 40]  # the package's downloads
    top = [100, 100, 200, 300, 200]  # the top list's, together

    def rows(values, **extra):
        return pd.DataFrame(
            {
                "series": "monthly",
                "period_end": pd.to_datetime(ends),
                "downloads": values,
                "installers": "all",
                "method": methods,
                **extra,
            }
        )

    found = download_share_growth(rows(pkg, package="p"), rows(top, top_n=4000), ["p"])
    # 2026-03: 40/200 = 0.2 against 2025-07, the first window counted the same way: 10/200
    # (never 2025-03's 10/100, counted another way): 0.2 / 0.05 - 1 = 3
    assert found.value == pytest.approx(3.0)
    assert found.note == "over 8 months: the window counted the same way"
    assert found.as_of == pd.Timestamp("2026-03-31")
    recent = rows(pkg, package="p")[rows(pkg, package="p")["period_end"] != ends[2]]
    only_old = download_share_growth(recent, rows(top, top_n=4000).drop(index=2), ["p"])
    # without 2025-07 the only window counted the same way is 5 months back: too short
    assert only_old.value is None
    assert only_old.note == "no window counted the same way 6 to 12 months earlier"
