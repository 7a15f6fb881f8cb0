"""The archive collector turns the archives' rows into store rows, caveats handled."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from collectors import archives
from errors import SourceError


def _daily(rows):
    frame = pd.DataFrame(rows, columns=["date", "repo", "stars", "forks", "open_issues"])
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[s]")
    frame["language"] = "Python"
    frame["last_commit"] = "2024-01-01T00:00:00Z"
    return frame


def test_a_rename_and_a_case_variant_join_into_one_series():
    daily = _daily(
        [
            ("2019-09-24", "huggingface/pytorch-transformers", 13000, 3000, 10),
            ("2019-09-25", "huggingface/pytorch-transformers", 13210, 3135, 10),
            ("2019-09-26", "huggingface/transformers", 13256, 3148, 11),
            ("2020-01-01", "Microsoft/vscode", 90, 9, 1),
            ("2020-01-02", "microsoft/vscode", 91, 9, 1),
        ]
    )
    aliases = {
        "huggingface/transformers": "huggingface/transformers",
        "huggingface/pytorch-transformers": "huggingface/transformers",
    }
    rows = archives.ranking_snapshots(daily, aliases)
    series = dict(tuple(rows.groupby("repo")))
    assert series["huggingface/transformers"]["stars"].tolist() == [13000, 13210, 13256]
    assert (
        series["huggingface/transformers"]["listed_as"].tolist()[-1] == "huggingface/transformers"
    )
    # without a registry entry, case variants join under the latest spelling
    assert series["microsoft/vscode"]["stars"].tolist() == [90, 91]
    assert set(rows["quality"]) == {"ok"}


def test_a_one_observation_dip_is_flagged_not_dropped_and_a_gap_stays_a_gap():
    daily = _daily(
        [
            ("2021-02-15", "ant-design/ant-design", 66000, 1, 1),
            ("2021-02-17", "ant-design/ant-design", 797, 1, 1),  # the archive's glitch
            ("2021-02-18", "ant-design/ant-design", 66100, 1, 1),
            ("2021-06-01", "ant-design/ant-design", 60000, 1, 1),  # a real, lasting fall
            ("2021-06-02", "ant-design/ant-design", 60010, 1, 1),
        ]
    )
    rows = archives.ranking_snapshots(daily, {})
    assert rows["quality"].tolist() == ["ok", "anomalous", "ok", "ok", "ok"]
    # the missing 2021-02-16 is not invented
    assert pd.Timestamp("2021-02-16") not in set(rows["date"])


def test_download_windows_keep_their_exact_period_installers_and_method():
    raw = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime(
                ["2024-11-01", "2024-11-26", "2025-03-01", "2025-07-05", "2025-08-01", "2021-04-01"]
            ),
            "window_days": [30, 30, 28, 30, 31, 365],
            "project": ["Scikit_Learn"] * 6,
            "download_count": [100, 200, 300, 400, 500, 600],
        }
    )
    rows = archives.pypi_downloads(raw).set_index("period_end")
    assert set(rows["package"]) == {"scikit-learn"}
    nov = rows.loc[pd.Timestamp("2024-10-31")]
    assert (nov["period_start"], nov["installers"], nov["method"]) == (
        pd.Timestamp("2024-10-02"),
        "pip",
        "bigquery-pypinfo",
    )
    assert rows.loc[pd.Timestamp("2024-11-25"), "installers"] == "all"
    feb = rows.loc[pd.Timestamp("2025-02-28")]
    assert (feb["period_start"], feb["window_days"]) == (pd.Timestamp("2025-02-01"), 28)
    june = rows.loc[pd.Timestamp("2025-06-30")]  # ClickHouse: the previous calendar month
    assert (june["period_start"], june["method"]) == (pd.Timestamp("2025-06-01"), "clickhouse")
    july = rows.loc[pd.Timestamp("2025-07-31")]
    assert july["period_start"] == pd.Timestamp("2025-07-01")
    yearly = rows.loc[pd.Timestamp("2021-03-31")]
    assert (yearly["series"], yearly["window_days"]) == ("yearly", 365)


def test_missing_and_malformed_archives_give_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="archive file not found"):
        archives.read_ranking_daily(tmp_path)
    path = tmp_path / archives.PYPI_MONTHLY
    with gzip.open(path, "wt") as handle:
        handle.write("snapshot_date,window_days,project,download_count\n2024-01-01,thirty,x,1\n")
    with pytest.raises(SourceError, match=str(path)):
        archives.read_pypi_monthly(tmp_path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(SourceError, match="cannot be read"):
        archives.read_pypi_monthly(tmp_path)
