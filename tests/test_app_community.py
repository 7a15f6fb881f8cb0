"""The Community page on the default data (real git histories of four tracked repositories)."""

from __future__ import annotations

import pandas as pd

from app.community_page import IN_DEPTH
from tests.apptest import figure, open_page, texts


def _summary(at):
    value = at.dataframe[0].value
    assert "bus_factor" in value.columns
    return value.set_index("project")


def test_community_page_compares_projects_and_says_which_have_no_git_data():
    at = open_page("community")
    table = _summary(at)
    # a project is judged on its own repositories: PyTorch's is not in the data, and
    # pytorch/examples is a row of its own, never PyTorch's figures
    assert pd.isna(table.loc["PyTorch", "active"]) and table.loc["PyTorch", "git_repos"] == "0 of 1"
    examples = table.loc["pytorch/examples — PyTorch family"]
    assert examples["git_repos"] == "1 of 1" and pd.notna(examples["contributors_all_time"])
    with_history = ["Keras", "Stable Diffusion", "GPT"]
    for column in ("active", "new", "bus_factor", "median_days_between_releases"):
        assert table.loc[with_history, column].notna().all(), column
    assert table.loc["Keras", "git_repos"] == "1 of 1"
    said = texts(at).replace("\\", "")
    assert "**PyTorch**: insufficient data: no git history of its own repositories" in said
    assert "PyPI releases of torch" in said
    keras = table.loc["Keras"]
    assert keras["contributors_all_time"] > 1000 and keras["bus_factor"] >= 1
    assert str(keras["history_ends"])[:10] == "2026-08-21"
    names = {t["name"] for t in figure(at, 0)["data"]}
    assert "TensorFlow" not in names and "tensorflow/addons — TensorFlow family" in names
    # the comparison, then one project's charts one tab at a time (only the open one drawn)
    assert [tab.label for tab in at.tabs] == list(IN_DEPTH.values())
    assert len(at.get("plotly_chart")) == 2
    assert "the same for every project" in said


def test_changing_a_setting_changes_the_figures_it_governs_and_nothing_else():
    at = open_page("community")
    before = _summary(at)
    at.slider(key="community_share").set_value(0.8).run()
    after = _summary(at)
    assert (after["bus_factor"].dropna() >= before["bus_factor"].dropna()).all()
    assert after.loc["Keras", "bus_factor"] > before.loc["Keras", "bus_factor"]
    assert after["active"].equals(before["active"])
    at.checkbox(key="community_bots").check().run()
    with_bots = _summary(at)
    assert (
        with_bots.loc["Keras", "contributors_all_time"]
        > after.loc["Keras", "contributors_all_time"]
    )


def test_one_project_in_depth():
    at = open_page("community")
    at.selectbox(key="community_project").set_value("Stable Diffusion").run()
    assert not at.exception
    titles = []
    for chart, label in IN_DEPTH.items():
        at.session_state["community_chart"] = label  # as a click on the tab (it reruns)
        at.run()
        assert not at.exception
        assert len(at.get("plotly_chart")) == 2, chart
        titles.append(figure(at, 1)["layout"]["title"]["text"])
    assert len(set(titles)) == len(IN_DEPTH)  # each tab its own chart
    assert all(t.startswith("Stable Diffusion") for t in titles), titles
