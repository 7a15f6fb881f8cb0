"""The Explore page's values for untracked repositories and packages, checked against the
raw archives in ../shared/datasets read here directly (never against the embedded copy):
a renamed repository, a case variant, a repository that left the lists, 22-, 28- and 31-day
download windows and a 365-day-only package. Plus the reading layer's search and the
pure helpers (indexed, aligned by age, where the data ends)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from errors import CorruptFileError, StoreError
from metrics.explore import aligned_by_age, chart_frame, data_end, indexed_from_first
from registry import load_registry
from store import DEFAULT_DATA, SegmentStore
from store.archive import Archive
from views.explore import ExploreSettings, archive_subject, explore_view

REPOS = {
    "robbyrussell/oh-my-zsh",  # renamed to ohmyzsh/ohmyzsh on 2019-11-21
    "ohmyzsh/ohmyzsh",
    "AppFlowy-IO/appflowy",  # case variant of AppFlowy-IO/AppFlowy
    "AppFlowy-IO/AppFlowy",
    "laravel/laravel",  # left the lists in 2025-09 (its language became Blade)
}
PACKAGES = {"rsa", "colorama", "six", "cloudflare", "access-points"}


@pytest.fixture(scope="module")
def raw(shared_datasets):
    """The raw rows of the names above, read straight from the gzip CSVs."""
    daily = pacsv.read_csv(
        shared_datasets / "github-ranking-daily.csv.gz",
        convert_options=pacsv.ConvertOptions(
            include_columns=["date", "repo", "stars", "forks", "open_issues"],
            column_types={"date": pa.date32(), "repo": pa.string()},
        ),
    )
    daily = daily.filter(pc.is_in(daily["repo"], pa.array(sorted(REPOS)))).to_pandas()
    pypi = pacsv.read_csv(
        shared_datasets / "pypi-top-downloads-monthly.csv.gz",
        convert_options=pacsv.ConvertOptions(column_types={"snapshot_date": pa.date32()}),
    )
    pypi = pypi.filter(pc.is_in(pypi["project"], pa.array(sorted(PACKAGES)))).to_pandas()
    return daily, pypi


@pytest.fixture(scope="module")
def archive():
    return Archive()


def _raw_repo(daily, repo: str, day: str) -> pd.Series:
    row = daily[(daily["repo"] == repo) & (daily["date"] == date.fromisoformat(day))]
    assert len(row) == 1, (repo, day)
    return row.iloc[0]


def _raw_downloads(pypi, project: str, snapshot: str, window: int) -> int:
    row = pypi[
        (pypi["project"] == project)
        & (pypi["snapshot_date"] == date.fromisoformat(snapshot))
        & (pypi["window_days"] == window)
    ]
    assert len(row) == 1, (project, snapshot, window)
    return int(row.iloc[0]["download_count"])


def _shown(archive, name: str, kind: str, metric: str, **settings):
    """What the Explore page charts for one archive name: its view's data and end notes."""
    entry = archive.entry(name, kind)
    assert entry is not None, name
    rows = archive.repo_series(entry) if kind == "repo" else archive.package_series(entry)
    subject = archive_subject(entry, rows, archive.sources()[kind].as_of)
    view = explore_view([subject], ExploreSettings(metric=metric, **settings))
    return entry, view


def _value(view, series: str, day: str) -> float:
    data = view.chart.data
    row = data[(data["series"] == series) & (data["date"] == pd.Timestamp(day))]
    assert len(row) == 1, (series, day)
    return float(row.iloc[0]["value"])


@pytest.mark.raw_archives
def test_the_names_checked_here_are_untracked():
    registry = load_registry()
    tracked = {r.lower() for p in registry for r in p.repo_names}
    tracked |= {pkg for p in registry for pkg in p.packages}
    members = SegmentStore(DEFAULT_DATA, read_only=True).read("cohort_members").frame
    tracked |= {str(n).lower() for n in members["name"]} | {
        str(r).lower() for r in members["repo"].dropna()
    }
    assert not ({n.lower() for n in REPOS | PACKAGES} & tracked)


@pytest.mark.raw_archives
def test_a_renamed_repository_is_one_series_with_the_raw_values(raw, archive):
    daily, _ = raw
    entry, view = _shown(archive, "robbyrussell/oh-my-zsh", "repo", "stars")
    assert entry.series == "ohmyzsh/ohmyzsh" and entry.is_former_name
    # the last day under the old name and the first under the new one, on one line
    for repo, day in (
        ("robbyrussell/oh-my-zsh", "2018-12-18"),
        ("robbyrussell/oh-my-zsh", "2019-11-20"),
        ("ohmyzsh/ohmyzsh", "2019-11-21"),
        ("ohmyzsh/ohmyzsh", "2026-08-22"),
    ):
        assert _value(view, "ohmyzsh/ohmyzsh", day) == _raw_repo(daily, repo, day)["stars"]
    _, forks = _shown(archive, "ohmyzsh/ohmyzsh", "repo", "forks")
    assert (
        _value(forks, "ohmyzsh/ohmyzsh", "2019-11-20")
        == (_raw_repo(daily, "robbyrussell/oh-my-zsh", "2019-11-20")["forks"])
    )
    texts = " ".join(e.text for e in view.ends)
    assert "renamed to ohmyzsh/ohmyzsh" in texts
    assert "ends 2026-08-22, the last day of the GitHub ranking archive" in texts
    # the former name is found by search, and points at the series
    found = archive.search("robbyrussell/oh-my")
    assert found.iloc[0][["name", "series"]].tolist() == [
        "robbyrussell/oh-my-zsh",
        "ohmyzsh/ohmyzsh",
    ]


@pytest.mark.raw_archives
def test_a_case_variant_is_one_series_with_the_raw_values(raw, archive):
    daily, _ = raw
    entry, view = _shown(archive, "appflowy-io/appflowy", "repo", "open_issues")
    assert entry.series == "AppFlowy-IO/AppFlowy"
    first = daily[daily["repo"] == "AppFlowy-IO/appflowy"]["date"].min().isoformat()
    last_lower = daily[daily["repo"] == "AppFlowy-IO/appflowy"]["date"].max().isoformat()
    first_upper = daily[daily["repo"] == "AppFlowy-IO/AppFlowy"]["date"].min().isoformat()
    for repo, day in (
        ("AppFlowy-IO/appflowy", first),
        ("AppFlowy-IO/appflowy", last_lower),
        ("AppFlowy-IO/AppFlowy", first_upper),
    ):
        raw_row = _raw_repo(daily, repo, day)
        assert _value(view, "AppFlowy-IO/AppFlowy", day) == raw_row["open_issues"]
    assert set(archive.names_of(entry)["name"]) == {"AppFlowy-IO/appflowy", "AppFlowy-IO/AppFlowy"}


@pytest.mark.raw_archives
def test_a_repository_that_left_the_lists_ends_there_with_a_gap_not_a_zero(raw, archive):
    daily, _ = raw
    mine = daily[daily["repo"] == "laravel/laravel"]
    last = mine["date"].max()
    entry, view = _shown(archive, "laravel/laravel", "repo", "stars")
    assert entry.series_last == last < date(2026, 8, 22)
    assert _value(view, "laravel/laravel", last.isoformat()) == mine.iloc[-1]["stars"]
    assert view.chart.data["date"].max() == pd.Timestamp(last)
    # every day, as listed: no day invented, none dropped, no value changed
    shown = view.chart.data.set_index("date")["value"]
    listed = mine.set_index(pd.to_datetime(mine["date"]))["stars"].astype("float64")
    assert len(shown) == len(mine) > 2000
    pd.testing.assert_series_equal(shown, listed, check_names=False, check_index_type=False)
    (end,) = view.ends
    assert end.reason == "left the lists"
    assert f"last listed {last:%Y-%m-%d}" in end.text and "not zero" in end.text


@pytest.mark.raw_archives
@pytest.mark.parametrize(
    ("project", "snapshot", "window", "period_end"),
    [
        ("rsa", "2025-06-13", 22, "2025-06-12"),  # BigQuery, window cut to 22 days
        ("colorama", "2025-03-01", 28, "2025-02-28"),  # BigQuery, 28 days
        ("six", "2026-03-01", 28, "2026-02-28"),  # ClickHouse: February 2026
        ("cloudflare", "2025-08-01", 31, "2025-07-31"),  # ClickHouse: July 2025
        ("rsa", "2018-02-07", 30, "2018-02-06"),  # pip only, 30 days
    ],
)
def test_downloads_per_day_divide_each_raw_count_by_its_own_window(
    raw, archive, project, snapshot, window, period_end
):
    _, pypi = raw
    _, view = _shown(archive, project, "package", "downloads")
    expected = _raw_downloads(pypi, project, snapshot, window) / window
    assert _value(view, project, period_end) == pytest.approx(expected)
    data = view.chart.data
    row = data[(data["series"] == project) & (data["date"] == pd.Timestamp(period_end))]
    assert row["window_days"].tolist() == [window]


@pytest.mark.raw_archives
def test_a_365_day_only_package_is_its_own_line_that_ends_with_those_lists(raw, archive):
    _, pypi = raw
    mine = pypi[pypi["project"] == "access-points"]
    assert set(mine["window_days"]) == {365}
    _, view = _shown(archive, "access-points", "package", "downloads")
    label = "access-points · 365-day windows"
    assert set(view.chart.data["series"]) == {label}
    for snapshot in mine["snapshot_date"]:  # every 365-day snapshot it is in
        count = _raw_downloads(pypi, "access-points", snapshot.isoformat(), 365)
        day = (pd.Timestamp(snapshot) - pd.Timedelta(days=1)).date().isoformat()
        assert _value(view, label, day) == pytest.approx(count / 365)
    assert len(mine) >= 8
    reasons = {e.series: e.reason for e in view.ends}
    assert reasons == {"access-points": "no data", label: "series discontinued"}


def test_search_finds_any_part_of_any_name_best_first(archive):
    assert archive.search("")["name"].tolist() == []
    top = archive.search("transformers", 5)
    assert top.iloc[0]["name"] == "transformers"  # the exact name first
    assert archive.search("TRANSFORMERS", 5)["name"].tolist() == top["name"].tolist()
    assert "huggingface/transformers" in set(archive.search("transformers", 10)["name"])
    # the part after the owner matches as a prefix; a substring anywhere still matches
    assert archive.search("oh-my-zsh", 3)["name"].iloc[0] == "robbyrussell/oh-my-zsh"
    assert "ohmyzsh/ohmyzsh" in set(archive.search("myzsh", 20)["name"])
    assert archive.search("zzzz-no-such-name")["name"].tolist() == []
    assert len(archive.search("a", 7)) == 7
    counts = archive.manifest()["counts"]
    assert (counts["repository_names"], counts["packages"]) == (22_981, 30_444)


def test_indexed_and_aligned_by_age_start_every_line_together():
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-01-01", "2020-01-03", "2023-05-01", "2023-05-11"]),
            "series": ["old", "old", "young", "young"],
            "value": [50.0, 75.0, 10.0, 30.0],
        }
    )
    assert indexed_from_first(frame)["value"].tolist() == [100.0, 150.0, 100.0, 300.0]
    assert aligned_by_age(frame)["age_days"].tolist() == [0, 2, 0, 10]
    both = chart_frame([frame], kind="repo", relative=True, aligned=True)
    young = both[both["series"] == "young"].dropna(subset=["value"])
    assert young[["age_days", "value"]].values.tolist() == [[0, 100.0], [10, 300.0]]
    # the 10-day gap of 'young' is longer than a week: a blank row breaks the line
    assert both["value"].isna().sum() == 1


def test_where_the_data_ends_says_why():
    end = date(2026, 8, 22)
    kw = {"archive_name": "GitHub ranking archive"}
    assert data_end("a/b", "repo", end, end, **kw).reason == "archive end"
    assert data_end("a/b", "repo", date(2024, 1, 1), end, **kw).reason == "left the lists"
    renamed = data_end("a/b", "repo", date(2019, 1, 1), end, renamed_to="c/d", **kw)
    assert (renamed.reason, "renamed to c/d" in renamed.text) == ("renamed", True)
    assert data_end("a/b", "repo", None, end, **kw).reason == "no data"


def test_a_missing_or_damaged_archive_is_named_with_what_to_do(tmp_path):
    with pytest.raises(StoreError, match=r"missing; .*rebuild it with `\./dev build-archive`"):
        Archive(tmp_path).search("torch")
    (tmp_path / "manifest.json").write_text('{"format": 1, "sources": []}', encoding="utf-8")
    (tmp_path / "names.parquet").write_bytes(b"not parquet")
    with pytest.raises(CorruptFileError, match=r"manifest\.json: damaged or incomplete"):
        Archive(tmp_path).search("torch")  # a manifest without checksums vouches for nothing
