"""Figures the app shows, checked against the raw public archives in ../shared/datasets
(not against the embedded snapshot), including the caveat cases: a rename, a gap, a
changed download window, a repository the archive never lists."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from tests.apptest import figure, frame, open_page, trace, trace_values

pytestmark = pytest.mark.raw_archives

TRACKED = {
    "tensorflow/tensorflow",
    "pytorch/pytorch",
    "huggingface/transformers",
    "huggingface/pytorch-transformers",
    "scikit-learn/scikit-learn",
    "keras-team/keras",
    "openai/gpt-2",
    "numpy/numpy",
}


@pytest.fixture(scope="module")
def raw_daily(shared_datasets) -> pd.DataFrame:
    table = pacsv.read_csv(
        shared_datasets / "github-ranking-daily.csv.gz",
        convert_options=pacsv.ConvertOptions(
            column_types={"date": pa.string(), "repo": pa.string()},
            include_columns=["date", "repo", "stars", "forks"],
        ),
    )
    frame_ = table.to_pandas()
    frame_["date"] = pd.to_datetime(frame_["date"])
    return frame_


@pytest.fixture(scope="module")
def raw_pypi(shared_datasets) -> pd.DataFrame:
    frame_ = pd.read_csv(shared_datasets / "pypi-top-downloads-monthly.csv.gz")
    frame_["snapshot_date"] = pd.to_datetime(frame_["snapshot_date"])
    return frame_


def _raw(raw_daily, repo):
    return raw_daily[raw_daily["repo"] == repo].sort_values("date")


@pytest.fixture(scope="module")
def overview_page():
    return open_page("overview")


def test_overview_latest_stars_and_forks_match_the_raw_archive(overview_page, raw_daily):
    table = frame(overview_page, "overview_tracked").set_index("project")
    last_day = raw_daily["date"].max()
    tf = _raw(raw_daily, "tensorflow/tensorflow").iloc[-1]
    assert tf["date"] == last_day
    assert table.loc["TensorFlow", "stars"] == tf["stars"]  # 197,213
    assert table.loc["TensorFlow", "github_as_of"] == last_day
    torch = _raw(raw_daily, "pytorch/pytorch").iloc[-1]
    assert table.loc["PyTorch", "forks"] == torch["forks"]  # 28,947


def test_overview_star_growth_matches_the_raw_archive(overview_page, raw_daily):
    table = frame(overview_page, "overview_tracked").set_index("project")
    raw = _raw(raw_daily, "huggingface/transformers")
    now = raw.iloc[-1]
    target = now["date"] - pd.Timedelta(days=365)
    then = raw[(raw["date"] <= target) & (raw["date"] >= target - pd.Timedelta(days=31))].iloc[-1]
    expected = now["stars"] / then["stars"] - 1
    assert table.loc["Hugging Face Transformers", "star_growth_12m"] == pytest.approx(expected)


def test_a_project_that_left_the_lists_shows_its_last_value_with_its_date(overview_page, raw_daily):
    table = frame(overview_page, "overview_tracked").set_index("project")
    gpt2 = _raw(raw_daily, "openai/gpt-2").iloc[-1]
    assert table.loc["GPT", "stars"] == gpt2["stars"]  # 20,849
    assert table.loc["GPT", "github_as_of"] == gpt2["date"]  # 2024-03-17, not the archive's end


def test_overview_monthly_downloads_match_the_raw_archive(overview_page, raw_pypi):
    table = frame(overview_page, "overview_tracked").set_index("project")
    last = raw_pypi[raw_pypi["snapshot_date"] == raw_pypi["snapshot_date"].max()]
    expected = last.set_index("project")["download_count"]
    assert table.loc["scikit-learn", "monthly_downloads"] == expected["scikit-learn"]
    assert table.loc["PyTorch", "monthly_downloads"] == expected["torch"]  # 87,347,847
    assert table.loc["PyTorch", "downloads_period"] == "Mar 2026"  # ClickHouse: previous month


def test_cohort_figures_match_the_raw_archive(overview_page, raw_daily, raw_pypi):
    # a cohort member is a package with the repository its PyPI metadata names
    cohort = frame(overview_page, "overview_cohort").set_index("project")
    numpy = _raw(raw_daily, "numpy/numpy").iloc[-1]
    assert cohort.loc["numpy", "stars"] == numpy["stars"]
    last = raw_pypi[raw_pypi["snapshot_date"] == raw_pypi["snapshot_date"].max()]
    assert (
        cohort.loc["numpy", "monthly_downloads"]
        == last.set_index("project").loc["numpy", "download_count"]
    )


@pytest.fixture(scope="module")
def compare_page():
    return open_page("compare")


def test_the_renamed_repository_is_one_series_from_its_first_name(compare_page, raw_daily):
    spec = figure(compare_page)
    transformers = trace(spec, "Hugging Face Transformers")
    xs, ys = trace_values(transformers, "x"), trace_values(transformers, "y")
    first_old = _raw(raw_daily, "huggingface/pytorch-transformers").iloc[0]
    assert xs[0] == f"{first_old['date']:%Y-%m-%d}"  # 2019-07-17, under the old name
    assert ys[0] == first_old["stars"]
    first_new = _raw(raw_daily, "huggingface/transformers").iloc[0]
    at_rename = list(xs).index(f"{first_new['date']:%Y-%m-%d}")
    assert ys[at_rename] == first_new["stars"]


def test_the_archive_gap_is_a_gap_in_the_chart(compare_page, raw_daily):
    tf = trace(figure(compare_page), "TensorFlow")
    xs, ys = list(trace_values(tf, "x")), trace_values(tf, "y").astype(float)
    raw = _raw(raw_daily, "tensorflow/tensorflow")
    inside = raw[(raw["date"] > "2021-10-01") & (raw["date"] < "2021-12-18")]
    assert inside.empty  # the archive has nothing in those 77 days
    before, after = xs.index("2021-10-01"), xs.index("2021-12-18")
    assert after - before == 2 and pd.isna(ys[before + 1])  # one break, nothing invented
    assert ys[before] == raw.set_index("date").loc["2021-10-01", "stars"]


def test_a_shortened_download_window_is_shown_per_day(compare_page, raw_pypi):
    at = compare_page
    at.radio(key="compare_metric").set_value("downloads").run()
    torch = trace(figure(at), "PyTorch")
    points = dict(zip(trace_values(torch, "x"), trace_values(torch, "y"), strict=True))
    raw = raw_pypi[(raw_pypi["project"] == "torch") & (raw_pypi["window_days"] < 365)]
    row = raw[raw["snapshot_date"] == "2025-03-01"].iloc[0]
    assert row["window_days"] == 28
    assert points["2025-02-28"] == pytest.approx(row["download_count"] / 28)


def test_data_page_coverage_matches_the_raw_archive(raw_daily):
    at = open_page("data")
    cover = frame(at, "data_coverage").set_index("subject")
    raw = _raw(raw_daily, "pytorch/pytorch")
    assert cover.loc["pytorch/pytorch", "observations"] == len(raw)  # 2,498 days
    archive_days = raw_daily["date"].drop_duplicates()
    span = archive_days[(archive_days >= raw["date"].min()) & (archive_days <= raw["date"].max())]
    assert cover.loc["pytorch/pytorch", "missing_inside"] == len(span) - len(raw)  # 24
    assert "never in the archive" in cover.loc["CompVis/stable-diffusion", "status"]
    assert _raw(raw_daily, "CompVis/stable-diffusion").empty
    sources = frame(at, "data_sources")
    assert pd.Timestamp(raw_daily["date"].max()) in set(pd.to_datetime(sources["as_of"]))
