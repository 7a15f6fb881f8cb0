"""The Explore page, driven like a user: search any name (a former name included), add it,
see its chart beside a tracked project, switch log / indexed / aligned by age, and read
where each line's data ends."""

from __future__ import annotations

import numpy as np

from tests.apptest import figure, open_page, texts, trace_values


def _search_and_add(at, text: str, pick: str):
    at.text_input(key="explore_query").input(text).run()
    box = at.selectbox(key="explore_match")
    choice = next(o for o in box.options if o.startswith(pick + " ("))
    box.select(choice).run()
    at.button(key="explore_add").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _captions(at) -> str:
    """Every caption's text, markdown escapes removed (text from data is escaped)."""
    return " ".join(c.value for c in at.caption).replace("\\", "")


def test_the_page_opens_in_the_navigation_with_its_sources_and_no_chart_yet():
    at = open_page("explore")
    assert at.title[0].value == "Explore any repository or package"
    text = _captions(at)
    assert "22,981 repository names" in text and "30,444 packages" in text
    assert "2026-08-22" in text and "2026-04-01" in text  # the archives' ages
    assert not at.get("plotly_chart")
    assert "Search for a name" in at.info[0].value


def test_search_a_former_name_pick_it_and_chart_it_beside_a_tracked_project():
    at = open_page("explore")
    _search_and_add(at, "robbyrussell", "robbyrussell/oh-my-zsh")
    at.multiselect(key="explore_tracked").select(at.multiselect(key="explore_tracked").options[0])
    at.run()
    names = [t["name"] for t in figure(at)["data"]]
    assert "ohmyzsh/ohmyzsh" in names  # the series after the rename, under its current name
    assert any(n.endswith("(tracked)") for n in names)
    text = _captions(at)
    assert "robbyrussell/oh-my-zsh: listed under this name until 2019-11-20" in text
    assert "renamed to ohmyzsh/ohmyzsh" in text
    assert "ohmyzsh/ohmyzsh: ends 2026-08-22, the last day of the GitHub ranking archive" in text
    assert "tracked; the last stored observation is" in text
    assert "Listed as: robbyrussell/oh-my-zsh 2018-12-18 to 2019-11-20" in text


def test_log_indexed_and_aligned_by_age_change_the_chart():
    at = _search_and_add(open_page("explore"), "laravel/lara", "laravel/laravel")
    fig = figure(at)
    assert fig["layout"]["yaxis"]["type"] == "linear"
    assert fig["layout"]["xaxis"]["type"] == "date"
    absolute = trace_values(fig["data"][0], "y").astype(float)
    assert "laravel/laravel: last listed 2025-09-13" in _captions(at)
    assert "not zero" in _captions(at)

    at.radio(key="explore_scale").set_value("Log").run()
    assert figure(at)["layout"]["yaxis"]["type"] == "log"

    at.radio(key="explore_view").set_value("Indexed (first = 100)").run()
    indexed = trace_values(figure(at)["data"][0], "y").astype(float)
    assert indexed[0] == 100.0
    assert np.allclose(indexed, 100.0 * absolute / absolute[0], equal_nan=True)

    at.radio(key="explore_axis").set_value("Aligned by age").run()
    fig = figure(at)
    assert fig["layout"]["xaxis"]["type"] == "linear"
    assert fig["layout"]["xaxis"]["title"]["text"] == "days since first observation"
    x = trace_values(fig["data"][0], "x").astype(float)
    assert x[0] == 0 and x[-1] > 2000


def test_a_package_charts_downloads_per_day_and_a_repository_metric_says_it_has_none():
    at = _search_and_add(open_page("explore"), "access-poi", "access-points")
    # a package alone: the page opens on downloads per day
    assert at.radio(key="explore_metric").value == "downloads"
    names = [t["name"] for t in figure(at)["data"]]
    assert names == ["access-points · 365-day windows"]
    assert "the archive's 365-day lists stopped after 2021-04-01" in _captions(at)
    at.radio(key="explore_metric").set_value("stars").run()
    assert "access-points is a package: it has no stars." in _captions(at)


def test_remove_takes_a_name_off_the_chart():
    at = _search_and_add(open_page("explore"), "laravel/lara", "laravel/laravel")
    remove = next(b for b in at.button if b.key and b.key.startswith("explore_remove_"))
    remove.click().run()
    assert not at.get("plotly_chart")


def test_track_from_explore_adds_the_series_under_its_latest_name_with_its_former_names(
    user_data_dir,
):
    from registry import load_registry
    from settings import Settings

    at = _search_and_add(open_page("explore"), "robbyrussell", "robbyrussell/oh-my-zsh")
    at.button(key=_track_key(at)).click().run()
    assert not at.exception, [e.message for e in at.exception]
    settings = Settings.from_environment()
    registry = load_registry(settings.projects_file, tracked=settings.data.tracked_file)
    mine = [p for p in registry if p.by_user]
    assert [p.repo_names for p in mine] == [("ohmyzsh/ohmyzsh",)]
    # the history before the rename joins the refreshed one
    assert "robbyrussell/oh-my-zsh" in mine[0].repos[0].formerly
    said = texts(at)
    assert "Tracked ✓" in said and "refresh" in said.lower()


def _track_key(at) -> str:
    """The Track button's key (one series picked)."""
    keys = [b.key for b in at.button if b.key and b.key.startswith("explore_track_repo_")]
    assert len(keys) == 1 and keys[0].endswith("_track"), keys
    return keys[0]
