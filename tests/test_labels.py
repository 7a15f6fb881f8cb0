"""Labels that mislead (issue 12, items 25-29), tried on the shipped data as a user sees it
and checked against the raw public archives in ../shared/datasets: a total never mixes days
silently, dates of counting changes come from one place, downloads over windows of different
length are compared per day, a month of 365-day counts only is no missing month, and a
project named after the data was built is never called "never listed"."""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest

from collectors import archives
from metrics import overview as overview_metrics
from registry import load_registry
from store import archive
from tests.apptest import frame, open_page, texts
from tests.conftest import ROOT

# the tracked projects' figures are from the archive's last day, GPT's from the day
# openai/gpt-2 last appeared in a top-100 list
LAST_DAY = "2026-08-22"
GPT_DAY = "2024-03-17"
# packages the issue found "missing inside span: 1" for
ARCHIVE_PACKAGES = ["torch", "tensorflow", "scikit-learn", "opencv-python", "keras"]


@pytest.fixture(scope="module")
def raw_pypi(shared_datasets) -> pd.DataFrame:
    raw = pd.read_csv(shared_datasets / "pypi-top-downloads-monthly.csv.gz")
    raw["snapshot_date"] = pd.to_datetime(raw["snapshot_date"])
    return raw


@pytest.fixture(scope="module")
def raw_last_days(shared_datasets) -> pd.DataFrame:
    """The daily ranking rows of the archive's last day and of GPT's last listed day."""
    raw = pd.read_csv(
        shared_datasets / "github-ranking-daily.csv.gz", usecols=["date", "repo", "stars"]
    )
    return raw[raw["date"].isin([LAST_DAY, GPT_DAY])]


# ----- item 25: a total over projects adds figures of one day only ------------------------


def test_dated_total_adds_only_the_newest_days_figures_and_names_the_rest():
    table = pd.DataFrame(
        {
            "project": ["A", "B", "Old", "None"],
            "stars": pd.array([100, 50, 7, None], dtype="Int64"),
            "as_of": pd.to_datetime(["2026-08-22", "2026-08-22", "2024-03-17", None]),
        }
    )
    total = overview_metrics.dated_total(table, "stars", "as_of")
    assert total.value == 150  # not 157: the 2024 figure describes another day
    assert (total.period, total.counted) == ("2026-08-22", 2)
    assert total.older == [("Old", 7, "2024-03-17")]
    assert pd.isna(
        overview_metrics.dated_total(table.iloc[3:], "stars", "as_of").value
    )  # none: missing, not 0


@pytest.mark.raw_archives
def test_overview_star_total_is_of_one_day_and_names_gpt_with_its_older_day(raw_last_days):
    at = open_page("overview")
    stars = at.metric[0]
    mains = {r.lower() for p in load_registry() for r in p.main_repo_names}
    last = raw_last_days[raw_last_days["date"] == LAST_DAY]
    expected = int(last.loc[last["repo"].str.lower().isin(mains), "stars"].sum())
    assert int(stars.value.replace(",", "")) == expected
    assert stars.label == f"Stars, 7 of 8 projects ({LAST_DAY})"
    gpt = raw_last_days[
        (raw_last_days["date"] == GPT_DAY) & (raw_last_days["repo"] == "openai/gpt-2")
    ]
    said = texts(at)
    assert f"The stars total adds only figures of {LAST_DAY}" in said
    assert f"GPT ({int(gpt['stars'].iloc[0]):,} as of {GPT_DAY})" in said
    # the downloads total is of one window for all eight: nothing to say
    assert at.metric[1].label == "Downloads, all 8 projects (Mar 2026)"


# ----- item 26: the dates of counting changes come from one constant (store.archive) -----


@pytest.mark.raw_archives
def test_pip_only_boundary_is_the_archives_documented_one_on_both_pages(shared_datasets):
    documented = " ".join((shared_datasets / "README.md").read_text().split())
    assert f"snapshots up to {archives.PIP_ONLY_UNTIL:%Y-%m-%d} count pip only" in documented
    at = open_page("project")
    said = texts(at)
    assert f"pip downloads only up to {archives.PIP_ONLY_UNTIL:%Y-%m-%d}" in said
    assert "mid-2022" not in said
    data = texts(open_page("data"))
    assert f"Up to {archives.PIP_ONLY_UNTIL:%Y-%m-%d} only pip downloads were counted" in data


def test_pages_follow_the_one_constant_for_the_pip_only_boundary(monkeypatch):
    monkeypatch.setattr(archive, "PIP_ONLY_UNTIL", dt.date(2031, 2, 3))
    monkeypatch.setattr(archive, "CLICKHOUSE_FROM", dt.date(2032, 4, 5))
    project = texts(open_page("project"))
    assert "pip downloads only up to 2031-02-03" in project
    assert "calendar months counted by ClickHouse from 2032-04" in project
    data = texts(open_page("data"))
    assert "Up to 2031-02-03 only pip downloads were counted" in data
    assert "from 2032-04 the source moved" in data
    assert "2024-11-01" not in project + data


# ----- item 27: download notes on download rows; windows named, compared per day ----------


@pytest.mark.raw_archives
def test_project_monthly_downloads_name_their_windows_and_compare_per_day(raw_pypi):
    at = open_page("project")
    at.selectbox(key="project_name").set_value("PyTorch").run()
    assert not at.exception
    profile = at.dataframe[0].value.set_index("indicator")
    torch = raw_pypi[(raw_pypi["project"] == "torch") & (raw_pypi["window_days"] < 365)]
    torch = torch.set_index("snapshot_date")
    now = torch.loc["2026-04-01"]  # counts March 2026
    then = torch.loc["2025-04-01"]  # the window ending 2025-03-31
    assert (now["window_days"], then["window_days"]) == (31, 27)
    row = profile.loc["Monthly downloads"]
    assert row["value_shown"] == f"{now['download_count']:,} in 31 days"
    assert row["a_year_earlier_shown"] == f"{then['download_count']:,} in 27 days"
    per_day = (now["download_count"] / 31) / (then["download_count"] / 27) - 1
    assert row["change_shown"] == f"per day: {per_day * 100:+.1f}%"
    assert "windows of 31 and 27 days" in row["note"]
    # the download-counting note is on the download row only, never on star growth
    assert profile.loc["Star growth", "note"] == ""
    # growth across the 2025-07 change in counting is not computed: said, never a number
    assert "download counting method changed" in profile.loc["Download growth", "note"]
    assert profile.loc["Download growth", "value_shown"] == ""
    notes = [line for line in texts(at).splitlines() if "download counting method" in line]
    assert notes and all("Star growth" not in line for line in notes)


# ----- item 28: a snapshot of 365-day counts only is no missing month ---------------------


@pytest.mark.raw_archives
def test_data_page_counts_monthly_snapshots_as_the_raw_archive_has_them(raw_pypi):
    at = open_page("data")
    at.selectbox(key="data_kind").set_value("Monthly downloads").run()
    cover = frame(at, "data_coverage").set_index("subject")
    monthly = raw_pypi[raw_pypi["window_days"] < 365]
    for package in ARCHIVE_PACKAGES:
        snapshots = monthly.loc[monthly["project"] == package, "snapshot_date"].nunique()
        assert snapshots == 159
        assert cover.loc[package, "observations"] == snapshots, package
        assert cover.loc[package, "missing_inside"] == 0, package


@pytest.mark.raw_archives
def test_compare_downloads_range_starts_at_the_first_plotted_monthly_window(raw_pypi):
    at = open_page("compare")
    at.radio(key="compare_metric").set_value("downloads").run()
    first_monthly = raw_pypi.loc[raw_pypi["window_days"] < 365, "snapshot_date"].min()
    first_yearly = raw_pypi["snapshot_date"].min()
    assert first_yearly < first_monthly  # the 365-day series starts earlier
    # a BigQuery snapshot counts the days up to the day before it
    start = (first_monthly - pd.Timedelta(days=1)).date()
    slider = at.slider(key="compare_range")
    assert pd.Timestamp(slider.min, unit="us").date() == start  # AppTest: microseconds
    assert slider.value[0] == start


# ----- item 29: named after the data was built is not "never listed" ---------------------


@pytest.fixture
def added_project(tmp_path, monkeypatch):
    """data/projects.toml plus a project the shipped data was built without: django/django is
    in the GitHub archive's lists, entrypoints in every monthly top-PyPI snapshot."""
    path = tmp_path / "projects.toml"
    path.write_text(
        (ROOT / "data" / "projects.toml").read_text()
        + '\n[[projects]]\nid = "django"\nname = "Django"\ngroup = "Open-source AI"\n'
        'repos = ["django/django"]\npackages = ["entrypoints"]\n'
    )
    monkeypatch.setenv("OSSAI_PROJECTS", str(path))
    return path


@pytest.mark.raw_archives
def test_a_project_added_without_a_rebuild_is_never_called_never_listed(
    added_project, raw_pypi, shared_datasets
):
    repos = pd.read_csv(shared_datasets / "github-ranking-repos.csv.gz")
    assert repos.loc[repos["repo"] == "django/django", "days_seen"].iloc[0] > 1000
    monthly = raw_pypi[raw_pypi["window_days"] < 365]
    assert monthly.loc[monthly["project"] == "entrypoints", "snapshot_date"].nunique() == 159

    at = open_page("data")
    github = frame(at, "data_coverage").set_index("subject")
    at.selectbox(key="data_kind").set_value("Monthly downloads").run()
    downloads = frame(at, "data_coverage").set_index("subject")
    for status in (github.loc["django/django", "status"], downloads.loc["entrypoints", "status"]):
        assert "never" not in status
        assert "shipped data was built before data/projects.toml named Django" in status
        assert "`./dev build-data`" in status
    # a repository of a project the data was built with keeps its explanation
    assert "never in the archive" in github.loc["CompVis/stable-diffusion", "status"]

    overview = open_page("overview")
    tracked = frame(overview, "overview_tracked").set_index("project")
    assert not re.search(r"\bnever\b", tracked.loc["Django", "notes"])
    assert "entrypoints: no monthly downloads in the data" in tracked.loc["Django", "notes"]


# ----- issue 20, item 17: pages as drawn at 1440 px ---------------------------------------

TABLE_PAGES = ["overview", "community", "claims", "project", "methods", "data"]
# the main column at 1440 px (wide layout, sidebar open: about 980 px), less a scroll bar
CONTENT_WIDTH = 960
RAW = re.compile(r"[a-z0-9_]+")  # a raw header: run_id, status


@pytest.mark.parametrize("page", TABLE_PAGES)
def test_every_table_column_has_a_human_title_and_a_width_and_all_fit_at_1440_px(page):
    """Every column a table shows has a title in words (never its raw snake_case name) and
    a width, and the widths add up to no more than the main column at 1440 px: no table is
    cut at the right edge ('180 da', 'Coh…', 'Licence', 'run_id'). A plain table (st.table)
    wraps its cells and needs no widths: its headers are words too."""
    at = open_page(page)
    assert len(at.dataframe) + len(at.table), page
    problems = [
        (index, column, "raw title in a plain table", column)
        for index, table in enumerate(at.table)
        for column in table.value.columns
        if not str(column) or RAW.fullmatch(str(column))
    ]
    for index, table in enumerate(at.dataframe):
        config = json.loads(table.proto.columns or "{}")
        shown = list(table.proto.column_order) or list(table.value.columns)
        shown = [c for c in shown if not config.get(c, {}).get("hidden")]
        total = 0
        for column in shown:
            entry = config.get(column, {})
            label = entry.get("label") or ""
            if not label or RAW.fullmatch(label):
                problems.append((index, column, "raw title", label))
            width = entry.get("width")
            if isinstance(width, int):
                total += width
            else:  # none, or 'large': as wide as Streamlit likes
                problems.append((index, column, "no width in pixels", width))
        if total > CONTENT_WIDTH:
            problems.append((index, "all", "wider than the page", total))
    assert not problems, (page, problems)


def test_the_overview_intro_names_every_claim_of_the_claims_file_under_a_heading_that_counts_them():
    from claims.model import load_claims

    claims = load_claims(ROOT / "data" / "claims.toml")
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    at = open_page("overview")
    headings = [str(h.value) for h in at.subheader]
    assert f"What the data says about {words[len(claims)]} claims" in headings
    intro = " ".join(str(m.value) for m in at.markdown).replace("\\", "")  # markdown escapes
    for claim in claims:  # each by its title, however many the file holds
        assert claim.title[:1].lower() + claim.title[1:] in intro, claim.id


def test_a_table_of_a_few_dozen_rows_shows_them_all_not_in_a_scroll_box(monkeypatch):
    import streamlit as st

    from app import widgets

    asked = {}
    monkeypatch.setattr(st, "dataframe", lambda data, **options: asked.update(options))
    # the Project page's profile: 28 indicators, of which a 10-row box showed a third
    widgets.table(pd.DataFrame({"indicator": [f"i{n}" for n in range(28)]}), {}, key="t")
    assert asked["height"] == "content"
    # text that needs it wraps in taller rows: Streamlit wraps only above 4 rem (64 px)
    widgets.table(pd.DataFrame({"status": ["a long status"]}), {}, key="u", wrap=3)
    assert asked["row_height"] > 64
