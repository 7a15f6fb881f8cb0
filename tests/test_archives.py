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


def _spans(rows):
    daily = _daily([(d, r, s, f, 0) for d, r, s, f in rows])
    daily["language"] = daily["repo"].map(lambda r: "Shell" if "zsh" in r else "Python")
    return archives.name_spans(daily)


def test_renames_are_detected_from_the_archive_evidence_and_coincidences_are_not():
    spans = _spans(
        [
            # a move to a new owner: the next day continues the stars and forks
            ("2019-11-19", "robbyrussell/oh-my-zsh", 98900, 18070),
            ("2019-11-20", "robbyrussell/oh-my-zsh", 98934, 18076),
            ("2019-11-21", "ohmyzsh/ohmyzsh", 99001, 18092),
            # a viral repository renamed while it grows 12,000 stars a day
            ("2023-04-14", "Torantulino/Auto-GPT", 50350, 6776),
            ("2023-04-15", "Torantulino/Auto-GPT", 62403, 8750),
            ("2023-04-16", "Significant-Gravitas/Auto-GPT", 70222, 10228),
            # two unrelated small repositories with similar counts on an anomalous day
            ("2024-01-20", "SirVer/ultisnips", 7351, 691),
            ("2024-01-23", "khuedoan/homelab", 7457, 687),
            # a case variant is the same name, never a rename
            ("2020-01-01", "AppFlowy-IO/appflowy", 100, 10),
            ("2020-01-02", "AppFlowy-IO/AppFlowy", 101, 10),
        ]
    )
    renames = archives.detected_renames(spans)
    assert dict(zip(renames["former"], renames["current"], strict=True)) == {
        "robbyrussell/oh-my-zsh": "ohmyzsh/ohmyzsh",
        "torantulino/auto-gpt": "significant-gravitas/auto-gpt",
    }
    aliases = archives.series_aliases(spans, renames, {})
    assert aliases["robbyrussell/oh-my-zsh"] == "ohmyzsh/ohmyzsh"
    assert aliases["torantulino/auto-gpt"] == "Significant-Gravitas/Auto-GPT"
    assert aliases["appflowy-io/appflowy"] == "AppFlowy-IO/AppFlowy"  # the latest spelling
    assert aliases["sirver/ultisnips"] == "SirVer/ultisnips"
    assert aliases["khuedoan/homelab"] == "khuedoan/homelab"
    # a tracked project's registry name wins for its whole chain
    tracked = archives.series_aliases(spans, renames, {"ohmyzsh/ohmyzsh": "ohmyzsh/OhMyZsh"})
    assert tracked["robbyrussell/oh-my-zsh"] == "ohmyzsh/OhMyZsh"


def test_the_whole_archive_series_join_renames_keep_gaps_and_flag_dips():
    daily = _daily(
        [
            ("2019-09-24", "huggingface/pytorch-transformers", 13000, 3000, 10),
            ("2019-09-25", "huggingface/pytorch-transformers", 13210, 3135, 10),
            ("2019-09-26", "huggingface/transformers", 13256, 3148, 11),
            ("2019-09-27", "huggingface/transformers", 130, 3150, 11),  # the archive's glitch
            ("2019-10-05", "huggingface/transformers", 13400, 3160, 12),
        ]
    )
    aliases = {
        "huggingface/pytorch-transformers": "huggingface/transformers",
        "huggingface/transformers": "huggingface/transformers",
    }
    rows = archives.archive_series(daily, aliases)
    assert set(rows["repo"]) == {"huggingface/transformers"}
    assert rows["stars"].tolist() == [13000, 13210, 13256, 130, 13400]
    assert rows["anomalous"].tolist() == [False, False, False, True, False]
    assert len(rows) == 5  # 2019-09-28..10-04 stay missing
