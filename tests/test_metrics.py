"""Metrics are pure functions with written definitions; these check them by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metrics.compare import METRICS, compare, method_changes
from metrics.coverage import coverage
from metrics.freshness import source_ages
from metrics.overview import overview
from metrics.series import break_gaps, indexed, thin
from registry import Project, RepoRef
from store.schema import TABLES
from tests.conftest import download_rows, snapshot_rows


def _project(pid, repos=(), packages=()):
    return Project(pid, pid.title(), "AI", tuple(RepoRef(r) for r in repos), tuple(packages))


def _snapshots(*frames):
    return pd.concat([TABLES["repo_snapshots"].conform(f) for f in frames], ignore_index=True)


def _downloads(*frames):
    return pd.concat([TABLES["package_downloads"].conform(f) for f in frames], ignore_index=True)


SNAPS = _snapshots(
    snapshot_rows("a/one", ["2023-01-01", "2024-01-01"], [100, 150], forks=[10, 12]),
    snapshot_rows("a/two", ["2023-01-01", "2024-01-01"], [50, 50], forks=[5, None]),
    snapshot_rows("a/old", ["2022-06-01"], [999]),
    snapshot_rows("a/new", ["2023-12-30", "2024-01-01"], [10, 11]),
    snapshot_rows("a/glitch", ["2023-01-01", "2024-01-01"], [7, 1], quality=["ok", "anomalous"]),
)
DLS = _downloads(
    download_rows(
        "pkg",
        [
            ("2023-01-02", "2023-01-31", 300, "pip", "bigquery-pypinfo"),
            ("2024-01-01", "2024-01-31", 620, "all", "clickhouse"),
        ],
    ),
    download_rows("other", [("2024-01-01", "2024-01-31", 31, "all", "clickhouse")]),
)


def test_overview_sums_current_repositories_and_computes_growth_by_hand():
    row = overview([_project("p", ["a/one", "a/two", "a/old"], ["pkg"])], SNAPS, DLS).iloc[0]
    assert row["stars"] == 200  # 150 + 50; a/old (2022) is left out, not added
    assert row["forks"] == 12  # a/two's missing forks are not counted as zero
    assert row["star_growth_12m"] == pytest.approx(200 / 150 - 1)
    assert row["github_as_of"] == pd.Timestamp("2024-01-01")
    assert row["repos_counted"] == "2 of 3"
    assert "a/old: last observed 2022-06-01, not counted" in row["notes"]
    assert row["monthly_downloads"] == 620
    assert row["downloads_period"] == "Jan 2024"
    # the windows a year apart were counted differently: no growth, and the notes say why
    assert pd.isna(row["download_growth_12m"])
    assert "counting method changed within the 12 months: no growth figure" in row["notes"]
    # counted the same way, growth compares per-day rates: 620 / 31 days against 300 / 30
    same = DLS.assign(installers="all", method="clickhouse")
    again = overview([_project("p", ["a/one", "a/two", "a/old"], ["pkg"])], SNAPS, same).iloc[0]
    assert again["download_growth_12m"] == pytest.approx((620 / 31) / (300 / 30) - 1)
    assert bool(again["download_growth_same_method"])


def test_overview_leaves_missing_figures_missing():
    rows = overview(
        [
            _project("none", ["x/never"], ["nopkg"]),
            _project("young", ["a/new"], ["other"]),
            _project("glitchy", ["a/glitch"]),
        ],
        SNAPS,
        DLS,
    ).set_index("project_id")
    never = rows.loc["none"]
    assert pd.isna(never["stars"]) and pd.isna(never["monthly_downloads"])
    assert "x/never: no observations" in never["notes"]
    # no rows is not "never listed": the data may have been built before it was named
    assert "nopkg: no monthly downloads in the data" in never["notes"]
    assert "never in" not in never["notes"]
    young = rows.loc["young"]
    assert young["stars"] == 11 and np.isnan(young["star_growth_12m"])
    assert "no observation about 12 months earlier" in young["notes"]
    assert np.isnan(young["download_growth_12m"])
    # an anomalous value is never shown: the latest usable value is the 2023 one
    assert rows.loc["glitchy", "stars"] == 7


def test_gaps_break_lines_and_indexing_starts_at_100():
    frame = pd.DataFrame(
        {
            "series": ["s"] * 4,
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-03-01", "2024-03-02"]),
            "value": [10.0, 20.0, 30.0, 40.0],
        }
    )
    broken = break_gaps(frame, "series", "date", 7)
    assert broken["value"].isna().tolist() == [False, False, True, False, False]
    assert indexed(frame, "value", "series", "date", pd.Timestamp("2024-01-02"))[
        "value"
    ].tolist() == [100.0, 150.0, 200.0]
    many = pd.DataFrame(
        {"series": "s", "date": pd.date_range("2020-01-01", periods=1000), "value": 1.0}
    )
    thinned, resolution = thin(many, "series", "date", 200)
    assert resolution == "weekly" and len(thinned) <= 200
    assert thin(many, "series", "date", 5000)[1] is None


def test_compare_labels_series_and_reports_what_is_missing():
    result = compare(
        [_project("p", ["a/one", "a/nothing"]), _project("q", ["a/two"])],
        METRICS["stars"],
        SNAPS,
        DLS,
    )
    assert set(result.frame["series"]) == {"P · a/one", "Q"}
    assert result.missing == ["P · a/nothing (a/nothing): no data"]
    rel = compare([_project("q", ["a/one"])], METRICS["stars"], SNAPS, DLS, relative=True)
    # a year apart: the line is broken between the two points, and the second is 150
    assert rel.frame["value"].tolist()[0] == 100.0
    assert rel.frame["value"].dropna().tolist() == [100.0, 150.0]
    assert rel.frame["value"].isna().sum() == 1


def test_download_comparison_uses_daily_rates_and_marks_method_changes():
    result = compare([_project("p", packages=["pkg"])], METRICS["downloads"], SNAPS, DLS)
    values = result.frame.dropna()["value"].tolist()
    assert values == pytest.approx([300 / 30, 620 / 31])
    assert [e.label for e in result.events] == ["counts all installers from here (was pip)"]
    assert method_changes(DLS.iloc[0:0]) == []


def test_coverage_counts_days_and_explains_absences():
    days = pd.DataFrame(
        {
            "source": "test",
            "date": pd.to_datetime(["2023-01-01", "2023-06-01", "2024-01-01"]),
            "fetched_at": pd.Timestamp("2024-01-01", tz="UTC"),
            "quality": "ok",
        }
    )
    tables = {name: TABLES[name].empty() for name in TABLES}
    tables["repo_snapshots"] = SNAPS
    tables["package_downloads"] = DLS
    table = coverage([_project("p", ["a/one", "x/never"], ["pkg"])], tables, days)
    one = table[(table["subject"] == "a/one") & table["data"].str.startswith("GitHub")].iloc[0]
    assert (one["observations"], one["missing_inside"]) == (2, 1)  # 2023-06-01 is missing
    never = table[(table["subject"] == "x/never") & table["data"].str.startswith("GitHub")]
    assert "never in the archive" in never.iloc[0]["status"]
    commits = table[table["data"].str.startswith("Commits")].iloc[0]
    assert commits["status"] == "not collected yet (needs a git refresh)"


def test_freshness_counts_days_since_each_source():
    sources = TABLES["sources"].empty()
    sources.loc[0, ["source", "title", "as_of", "fetched_at", "quality"]] = [
        "s",
        "Archive",
        pd.Timestamp("2026-08-22"),
        pd.Timestamp("2026-08-22", tz="UTC"),
        "ok",
    ]
    ages = source_ages(
        sources, TABLES["collection_runs"].empty(), pd.Timestamp("2026-11-22 10:00", tz="UTC")
    )
    assert ages.to_dict("records") == [
        {
            "source": "Archive",
            "as_of": pd.Timestamp("2026-08-22"),
            "age_days": 92,
            "refreshed": False,
        }
    ]
