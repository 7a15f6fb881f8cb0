"""A project's PyPI-side figures, from store frames: hand-made rows, hand-checked answers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.packages import (
    download_history,
    latest_dependents,
    latest_scorecards,
    release_timeline,
)
from tests.conftest import download_rows


def _releases(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["subject", "version", "published_at", "prerelease", "yanked"]
    ).assign(
        subject_kind="package",
        published_at=lambda f: pd.to_datetime(f["published_at"], utc=True),
    )


def test_daily_and_monthly_downloads_are_two_series_and_a_missing_day_is_a_gap():
    daily = download_rows(
        "keras",
        [(f"2026-10-0{d}", f"2026-10-0{d}", n, "all", "pypistats") for d, n in
         ((1, 100), (2, 120), (4, 90))],
        series="daily",
    )  # fmt: skip
    monthly = download_rows("keras", [("2026-09-01", "2026-09-30", 3_000, "all", "clickhouse")])
    history = download_history(pd.concat([daily, monthly]), ["keras"])
    kinds = history.groupby("kind")["series"].unique()
    assert len(kinds["daily"]) == 1 and len(kinds["monthly"]) == 1
    days = history[history["kind"] == "daily"].set_index("date")["value"]
    assert list(days.index.strftime("%m-%d")) == ["10-01", "10-02", "10-03", "10-04"]
    assert days["2026-10-02"] == 120 and np.isnan(days["2026-10-03"])  # a gap, not 0
    month = history[history["kind"] == "monthly"]
    assert month["value"].tolist() == [100.0]  # 3,000 over 30 days, at the window's end
    assert (history["value"] != 220).all()  # no daily + monthly sum anywhere


def test_months_far_apart_are_not_joined_by_a_line():
    monthly = download_rows(
        "keras",
        [
            ("2026-01-01", "2026-01-31", 3_100, "all", "clickhouse"),
            ("2026-05-01", "2026-05-31", 6_200, "all", "clickhouse"),
        ],
    )
    history = download_history(monthly, ["keras"])
    assert history["value"].isna().sum() == 1  # the missing months break the line


def test_release_kinds_major_pre_yanked_and_legacy_versions():
    timeline = release_timeline(
        _releases(
            [
                ("widget", "0.9", "2020-01-01", False, False),
                ("widget", "1.0rc1", "2020-06-01", True, False),
                ("widget", "1.0", "2020-07-01", False, False),
                ("widget", "1.1", "2020-08-01", False, True),
                ("widget", "2.0.0", "2021-01-01", False, False),
                ("widget", "1.0.5", "2021-02-01", False, False),  # a backport after 2.0
                ("widget", "2.1", "2021-03-01", False, False),
                ("widget", "2004d", "2004-05-01", None, False),  # legacy, not PEP 440
                ("widget", "3.0", None, False, False),  # no files: no date, not on a timeline
                ("other", "5.0", "2022-01-01", False, False),
            ]
        ),
        ["widget"],
    )
    kinds = dict(zip(timeline["version"], timeline["kind"], strict=True))
    assert kinds == {
        "2004d": "release",
        "0.9": "release",
        "1.0rc1": "pre-release",
        "1.0": "major release",
        "1.1": "yanked",
        "2.0.0": "major release",
        "1.0.5": "release",
        "2.1": "release",
    }
    assert pd.isna(timeline.set_index("version").loc["2004d", "major"])


def test_latest_dependents_and_scorecards_take_each_subjects_newest_day():
    dependents = pd.DataFrame(
        {
            "package": ["keras", "keras", "jax"],
            "version": ["3.0", "3.1", "0.4"],
            "date": pd.to_datetime(["2026-11-01", "2026-11-08", "2026-11-08"]),
            "dependents": pd.array([10, None, 5], dtype="Int64"),
        }
    )
    latest = latest_dependents(dependents, ["keras"])
    assert latest["version"].tolist() == ["3.1"] and pd.isna(latest["dependents"].iloc[0])
    cards = pd.DataFrame(
        {
            "repo": ["k/k"] * 4,
            "date": pd.to_datetime(["2026-11-01", "2026-11-08", "2026-11-08", "2026-11-08"]),
            "check": ["overall", "Maintained", "overall", "Fuzzing"],
            "score": [5.0, 10.0, 6.5, np.nan],
        }
    )
    newest = latest_scorecards(cards, ["k/k"])
    assert newest["check"].tolist() == ["overall", "Fuzzing", "Maintained"]
    assert newest["score"].iloc[0] == 6.5
