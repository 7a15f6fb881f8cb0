"""The Compare page, driven like a user (issue 13 parts 2 and 4): lines aligned by age (days
since each line's first observation, star-history's "timeline" mode), any repository or
package of the archives added beside the tracked projects — its values checked against the
raw archives in ../shared/datasets read here directly — the picks kept in the address so a
comparison can be shared, and the CSV of the aligned view holding what is drawn."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from streamlit.testing.v1 import AppTest

from exports import export_tables
from metrics.compare import METRICS
from registry import load_registry
from store import DEFAULT_DATA, Catalog
from store.archive import Archive
from tests.apptest import APP, figure, open_page, texts, trace, trace_values
from views.compare import CompareSettings, compare_view
from views.explore import archive_subject

OHMYZSH = "ohmyzsh/ohmyzsh (archive)"  # searched by its former name robbyrussell/oh-my-zsh


def _add(at: AppTest, text: str, pick: str) -> AppTest:
    """Search the archives from the Compare page and add the result named `pick`."""
    at.text_input(key="compare_query").input(text).run()
    box = at.selectbox(key="compare_match")
    box.select(next(o for o in box.options if o.startswith(pick + " ("))).run()
    at.button(key="compare_add").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _lines(spec: dict) -> list[dict]:
    """The legend's lines (not the markers of isolated points)."""
    return [t for t in spec["data"] if t.get("showlegend") is not False]


def _points(line: dict) -> tuple[np.ndarray, np.ndarray]:
    return trace_values(line, "x"), trace_values(line, "y").astype(float)


def _archive_subject(kind: str, name: str):
    """An archive series as the page passes it to the view."""
    archive = Archive()
    entry = archive.entry(name, kind)
    rows = archive.repo_series(entry) if kind == "repo" else archive.package_series(entry)
    return archive_subject(entry, rows, archive.sources()[kind].as_of)


def _view(projects, metric: str, settings: CompareSettings, archive):
    """The Compare view the page draws and offers as CSV, on the shipped data."""
    tables = export_tables(Catalog(DEFAULT_DATA, "/nonexistent-user-dir"))
    snapshots, downloads = tables["repo_snapshots"], tables["package_downloads"]
    return compare_view(projects, METRICS[metric], snapshots, downloads, settings, archive)


@pytest.fixture(scope="module")
def raw_daily(shared_datasets) -> pd.DataFrame:
    """The raw daily rows of oh-my-zsh under both its names."""
    daily = pacsv.read_csv(
        shared_datasets / "github-ranking-daily.csv.gz",
        convert_options=pacsv.ConvertOptions(
            include_columns=["date", "repo", "stars", "forks", "open_issues"],
            column_types={"date": pa.date32(), "repo": pa.string()},
        ),
    )
    names = pa.array(["robbyrussell/oh-my-zsh", "ohmyzsh/ohmyzsh"])
    return daily.filter(pc.is_in(daily["repo"], names)).to_pandas()


@pytest.fixture(scope="module")
def raw_pypi(shared_datasets) -> pd.DataFrame:
    pypi = pacsv.read_csv(
        shared_datasets / "pypi-top-downloads-monthly.csv.gz",
        convert_options=pacsv.ConvertOptions(column_types={"snapshot_date": pa.date32()}),
    )
    return pypi.filter(pc.equal(pypi["project"], "six")).to_pandas()


def test_aligned_by_age_starts_every_line_at_day_0_and_keeps_gaps_as_gaps():
    at = open_page("compare")
    at.multiselect(key="compare_projects").set_value(["TensorFlow", "Stable Diffusion"]).run()
    by_date = {t["name"]: _points(t) for t in _lines(figure(at))}
    assert figure(at)["layout"]["xaxis"]["type"] == "date"

    at.radio(key="compare_axis").set_value("Aligned by age").run()
    spec = figure(at)
    assert spec["layout"]["xaxis"]["type"] == "linear"
    assert spec["layout"]["xaxis"]["title"]["text"] == "days since first observation"
    assert "day 0 is each line's first observation in the data" in texts(at)
    assert at.query_params.get("x") == "age"  # the axis is in the address too
    lines = {t["name"]: _points(t) for t in _lines(spec)}
    assert set(lines) == set(by_date) and len(lines) >= 3
    blanks_seen = 0
    for name, (ages, values) in lines.items():
        dates, dated_values = by_date[name]
        ages = ages.astype(float)
        assert ages[0] == 0 and values[0] == dated_values[0], name
        # each point keeps its own day: age = days since the line's first day, blanks too
        expected = (pd.to_datetime(dates) - pd.Timestamp(dates[0])).days.to_numpy()
        assert np.array_equal(ages, expected), name
        np.testing.assert_array_equal(values, dated_values)
        # a gap stays a gap: a blank (no value) inside, and the ages jump across it
        blanks = np.flatnonzero(np.isnan(values))
        blanks_seen += len(blanks)
        assert all(ages[i + 1] - ages[i - 1] > 7 for i in blanks), name
    assert blanks_seen >= 1
    # lines years apart in date start together in age
    young = pd.Timestamp(by_date["Stable Diffusion · AUTOMATIC1111/stable-diffusion-webui"][0][0])
    assert young - pd.Timestamp(by_date["TensorFlow"][0][0]) > pd.Timedelta(days=1000)

    # log and indexed still hold: day 0 is 100
    at.radio(key="compare_scale").set_value("Log").run()
    at.radio(key="compare_view").set_value("Indexed (start = 100)").run()
    spec = figure(at)
    assert spec["layout"]["yaxis"]["type"] == "log"
    for line in _lines(spec):
        ages, values = _points(line)
        assert float(ages[0]) == 0 and values[0] == pytest.approx(100.0)


def test_a_later_date_range_starts_a_line_at_its_age_then_not_at_zero():
    """Day 0 is the first observation in the data, whatever the date range (said on the
    page): the range limits the days drawn, it does not make a line younger."""
    at = open_page("compare")
    at.multiselect(key="compare_projects").set_value(["TensorFlow"]).run()
    first_day = pd.Timestamp(trace_values(_lines(figure(at))[0], "x")[0])
    at.radio(key="compare_axis").set_value("Aligned by age").run()
    at.slider(key="compare_range").set_value((date(2023, 1, 1), date(2024, 1, 1))).run()
    ages, _ = _points(_lines(figure(at))[0])
    start_age = (pd.Timestamp("2023-01-01") - first_day).days
    assert start_age <= float(ages[0]) <= start_age + 7


@pytest.mark.raw_archives
def test_an_untracked_archive_repository_shows_the_raw_archive_values(raw_daily):
    at = open_page("compare")
    at.multiselect(key="compare_projects").set_value(["Keras"]).run()
    _add(at, "robbyrussell", "robbyrussell/oh-my-zsh")  # its former name
    assert {t["name"] for t in _lines(figure(at))} == {"Keras", OHMYZSH}
    assert "ohmyzsh/ohmyzsh: ends 2026-08-22, the last day of the GitHub ranking archive" in (
        texts(at).replace("\\", "")
    )
    # shared through the address
    assert at.query_params["archive"] == "repo:robbyrussell/oh-my-zsh"
    for metric in ("stars", "forks", "open_issues"):
        at.radio(key="compare_metric").set_value(metric).run()
        days, values = _points(trace(figure(at), OHMYZSH))
        shown = dict(zip(days, values, strict=True))
        for repo, day in (
            ("robbyrussell/oh-my-zsh", "2018-12-18"),
            ("robbyrussell/oh-my-zsh", "2019-11-20"),
            ("ohmyzsh/ohmyzsh", "2019-11-21"),
            ("ohmyzsh/ohmyzsh", "2024-06-30"),
            ("ohmyzsh/ohmyzsh", "2026-08-22"),
        ):
            row = raw_daily[
                (raw_daily["repo"] == repo) & (raw_daily["date"] == date.fromisoformat(day))
            ]
            assert shown[day] == row.iloc[0][metric], (metric, repo, day)
    # a package has no stars: named, not drawn, not an error
    at.radio(key="compare_metric").set_value("stars").run()
    _add(at, "six", "six")
    assert "six (archive) is a package: it has no stars" in texts(at).replace("\\", "")
    # removing takes it off the chart and out of the address
    at.button(key="compare_remove_repo_robbyrussell/oh-my-zsh").click().run()
    assert {t["name"] for t in _lines(figure(at))} == {"Keras"}
    assert at.query_params["archive"] == "package:six"


@pytest.mark.raw_archives
def test_an_archive_package_shows_downloads_per_day_of_each_raw_window(raw_pypi):
    at = open_page("compare")
    at.multiselect(key="compare_projects").set_value([]).run()
    at.radio(key="compare_metric").set_value("downloads").run()
    _add(at, "six", "six")
    days, values = _points(trace(figure(at), "six (archive)"))
    shown = dict(zip(days, values, strict=True))
    for snapshot, window, period_end in (
        ("2018-02-07", 30, "2018-02-06"),  # pip only, 30-day windows
        ("2026-03-01", 28, "2026-02-28"),  # ClickHouse: February 2026
        ("2026-04-01", 31, "2026-03-31"),  # ClickHouse: March 2026
    ):
        raw = raw_pypi[
            (raw_pypi["snapshot_date"] == date.fromisoformat(snapshot))
            & (raw_pypi["window_days"] == window)
        ]
        assert shown[period_end] == pytest.approx(raw.iloc[0]["download_count"] / window)
    # the 365-day windows are never mixed into the monthly line
    assert "six (archive) · 365-day windows" not in {t["name"] for t in figure(at)["data"]}
    # the CSV (the view's data) keeps each value's window
    view = _view([], "downloads", CompareSettings(), [_archive_subject("package", "six")])
    windows = view.chart.data.set_index("date")["window_days"]
    assert windows[pd.Timestamp("2026-02-28")] == 28 and windows[pd.Timestamp("2026-03-31")] == 31
    assert windows[pd.Timestamp("2018-02-06")] == 30


def test_an_address_with_archive_names_opens_the_same_comparison():
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("app/compare_page.py")
    at.query_params["archive"] = ["repo:ohmyzsh/ohmyzsh", "repo:no-such/repository-anywhere"]
    at.query_params["x"] = "age"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert OHMYZSH in {t["name"] for t in _lines(figure(at))}
    assert figure(at)["layout"]["xaxis"]["type"] == "linear"
    said = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "Not in the archives, left out: repo:no-such/repository-anywhere" in said


@pytest.mark.raw_archives
def test_the_csv_of_the_aligned_view_holds_what_is_drawn(raw_daily):
    at = open_page("compare")
    at.multiselect(key="compare_projects").set_value(["TensorFlow"]).run()
    _add(at, "ohmyzsh/ohmy", "ohmyzsh/ohmyzsh")
    at.radio(key="compare_axis").set_value("Aligned by age").run()
    drawn = {t["name"]: _points(t) for t in _lines(figure(at))}
    # the page's CSV download is this view's data (views.compare, as the export uses it)
    start, end = at.slider(key="compare_range").value
    tensorflow = [p for p in load_registry() if p.name == "TensorFlow"]
    settings = CompareSettings(start=start, end=end, aligned=True)
    view = _view(tensorflow, "stars", settings, [_archive_subject("repo", "ohmyzsh/ohmyzsh")])
    csv = pd.read_csv(io.StringIO(view.chart.data.to_csv(index=False)), parse_dates=["date"])
    assert list(csv.columns) == ["date", "series", "value", "age_days"]
    assert set(csv["series"]) == set(drawn) == {"TensorFlow", OHMYZSH}
    for name, (ages, values) in drawn.items():
        rows = csv[csv["series"] == name].sort_values("age_days")
        kept = ~np.isnan(values)
        assert rows["age_days"].tolist() == ages.astype(float)[kept].astype(int).tolist()
        assert rows["value"].tolist() == values[kept].tolist()
        assert rows["age_days"].iloc[0] == 0
    # an age is the days since the line's first day; the value that day is the raw one
    oh = csv[csv["series"] == OHMYZSH].set_index("date")
    day = pd.Timestamp("2019-11-21")
    assert oh.loc[day, "age_days"] == (day - pd.Timestamp("2018-12-18")).days
    raw = raw_daily[(raw_daily["repo"] == "ohmyzsh/ohmyzsh") & (raw_daily["date"] == day.date())]
    assert oh.loc[day, "value"] == raw.iloc[0]["stars"]
