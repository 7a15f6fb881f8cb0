"""The Project page's PyPI side after a real refresh of PyPI, pypistats.org, deps.dev and the
top-PyPI dump (the fakes): downloads daily and monthly kept apart, every release on the
timeline, dependents and Scorecard, and a package that links to another repository."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from registry import load_registry
from service import refresh
from store import DEFAULT_DATA, SegmentStore
from tests.apptest import figure, open_page, texts
from tests.fakes.github import FakeClock
from tests.fakes.pypi import FakePackageHosts, default_world, scorecard, top_dump

SOURCES = ["pypi", "pypistats", "depsdev", "top-pypi"]


@pytest.fixture
def refreshed(user_settings, monkeypatch):
    """Keras and OpenCV refreshed from the fake PyPI-side hosts, as `cli.py refresh` does."""
    clock = FakeClock(datetime.now(UTC))
    world = default_world(["keras", "opencv-python"])
    # opencv-python as once published from its former home, a repository projects.toml
    # does not list (its current one, opencv/opencv-python, is an OpenCV family repository)
    world[1].project_urls = {"Source": "https://github.com/skvark/opencv-python"}
    cards = {"keras-team/keras": scorecard("keras-team/keras", 7.4, skipped=("Fuzzing",))}
    dump = top_dump("2026-11-01", [("keras", 21_000_000), ("opencv-python", 9_000_000)])
    with FakePackageHosts(world, clock=clock, scorecards=cards, dump=dump) as hosts:
        settings = dataclasses.replace(user_settings, api_urls=dict.fromkeys(SOURCES, hosts.url))
        options = refresh.RefreshOptions(sources=SOURCES, projects=["keras", "opencv"])
        report = refresh.run(load_registry(), settings, options, clock=clock, sleep=clock.sleep)
        assert report.exit_code == refresh.OK, report.table()
        yield hosts


def _charts(at) -> dict[str, dict]:
    specs = [figure(at, i) for i in range(len(at.get("plotly_chart")))]
    return {spec["layout"]["title"]["text"]: spec for spec in specs}


def _project(at, name: str, section: str | None = None):
    """The page on `name`, with its tab `section` open, as a click on it does."""
    at.selectbox(key="project_name").set_value(name).run()
    if section is not None:
        at.session_state["project_section"] = section
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_downloads_show_daily_and_monthly_as_separate_lines_never_summed(refreshed):
    at = _project(open_page("project"), "Keras")
    spec = _charts(at)["Keras: PyPI downloads per day"]
    lines = {t["name"]: t for t in spec["data"] if t.get("showlegend") is not False}
    daily = lines["keras: daily (pypistats.org, without mirrors)"]
    monthly = lines["keras: monthly window ÷ its days (top-PyPI)"]
    assert len(lines) == 2
    keras = refreshed.project("keras")
    days = dict(zip(daily["x"], _values(daily["y"]), strict=True))
    yesterday = date.fromtimestamp(refreshed.clock() - 86400)
    assert days[f"{yesterday:%Y-%m-%d}"] == keras.downloads(yesterday)  # as served, not summed
    assert len(days) >= 180
    # the dump's October and the archive's months are per-day averages of their windows
    october = dict(zip(monthly["x"], _values(monthly["y"]), strict=True))["2026-10-31"]
    assert october == pytest.approx(21_000_000 / 31)
    assert "never added together" in texts(at)


def test_every_release_is_on_the_timeline_and_majors_stand_out(refreshed):
    at = _project(open_page("project"), "Keras", "On PyPI")
    spec = _charts(at)["Keras: releases on PyPI"]
    by_kind = {t["name"].split(" (")[0]: t for t in spec["data"]}
    assert set(by_kind) <= {"major release", "release", "pre-release", "yanked"}
    marks = sum(len(t["x"]) for t in spec["data"])
    # the refresh's versions join the real PyPI history shipped in the default data
    shipped = SegmentStore(DEFAULT_DATA, read_only=True).read("releases").frame
    shipped = set(shipped.loc[shipped["subject"] == "keras", "version"])
    assert len(shipped) > 50
    assert marks == len(shipped | set(refreshed.project("keras").releases))
    majors = by_kind["major release"]
    assert {"2.0.0", "3.0.0"} <= set(majors["text"])  # keras 2 and 3, from PyPI
    assert majors["marker"]["size"] > by_kind["release"]["marker"]["size"]


def test_dependents_and_scorecard_are_shown_and_feed_the_indicators(refreshed):
    at = _project(open_page("project"), "Keras", "Dependents and security")
    metrics = {m.label.replace("\\", ""): m.value for m in at.metric}  # labels are escaped
    dependents = next(v for k, v in metrics.items() if k.startswith("Packages depending on keras"))
    assert dependents == "10,000"
    assert metrics["OpenSSF Scorecard, keras-team/keras"] == "7.4 / 10"
    card = _charts(at)["Keras: OpenSSF Scorecard checks"]["data"][0]
    labels = dict(zip(card["y"], card["text"], strict=True))
    assert labels["keras-team/keras · Fuzzing"] == "did not run"  # not drawn as 0
    profile = at.dataframe[0].value.set_index("indicator")
    assert profile.loc["OpenSSF Scorecard", "value"] == pytest.approx(7.4)
    assert profile.loc["OpenSSF Scorecard", "value_shown"] == "7.4 / 10"
    assert profile.loc["Dependent packages", "value_shown"] == "10,000"
    assert profile.loc["Dependent packages", "value"] == 10_000


def test_a_package_linking_to_another_repository_is_pointed_out(refreshed):
    at = _project(open_page("project"), "OpenCV", "On PyPI")
    warnings = [w.value.replace("\\", "") for w in at.warning]  # outside text is escaped
    assert any("skvark/opencv-python" in w and "opencv/opencv" in w for w in warnings)
    profile = at.dataframe[0].value.set_index("indicator")
    assert pd.isna(profile.loc["OpenSSF Scorecard", "value"])  # deps.dev has no scorecard


def test_without_a_refresh_the_page_shows_the_shipped_pypi_metadata_and_says_what_is_missing():
    at = _project(open_page("project"), "Keras", "On PyPI")
    # the default data carries PyPI's release history and facts (recorded answers)
    assert "No PyPI metadata yet" not in texts(at)
    assert "Keras: releases on PyPI" in _charts(at)
    at = _project(at, "Keras", "Dependents and security")
    assert "No deps.dev data yet" in texts(at)


def _values(values) -> list[float]:
    from tests.apptest import trace_values

    return [float(v) for v in trace_values({"y": values}, "y")]
