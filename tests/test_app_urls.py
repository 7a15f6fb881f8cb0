"""Every view in its address: on each page, choices made with the widgets go into the
address, and that address opened in a new session shows the same choices; an address with
unknown or hostile parameters opens the page with its defaults and a notice naming them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from streamlit.testing.v1 import AppTest

from app import urlstate
from tests.apptest import APP, open_page

NOTICE = "Some of this link's choices were ignored"
PAGES = ("overview", "compare", "explore", "community", "claims", "project", "methods", "data")


def reopened(page: str, params: dict) -> AppTest:
    """A new session opened at `page` with the address's `params` (AppTest can switch pages
    only after a first run, which opens the main page without parameters)."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page(f"app/{page}_page.py")
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def notices(at: AppTest) -> str:
    """The notices as a reader sees them: escapes, emphasis and invisible joiners out."""
    said = [str(e.value) for e in at.info if str(e.value).startswith(NOTICE)]
    shown = "\n".join(said).replace("**", "").replace("\u2060", "")
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", shown)


def address(at: AppTest) -> dict:
    return {k: v for k, v in at.query_params.items()}


def _search(at: AppTest, page: str, text: str, pick: str) -> None:
    at.text_input(key=f"{page}_query").input(text).run()
    box = at.selectbox(key=f"{page}_match")
    box.select(next(o for o in box.options if o.startswith(pick + " ("))).run()
    at.button(key=f"{page}_add").click().run()
    assert not at.exception, [e.message for e in at.exception]


def test_compare_choices_survive_a_copied_link():
    at = open_page("compare")
    assert address(at) == {}  # the defaults need no parameter
    at.multiselect(key="compare_projects").set_value(["TensorFlow", "Keras"]).run()
    cohort = at.multiselect(key="compare_cohort")
    cohort.set_value(cohort.options[:1]).run()
    _search(at, "compare", "ohmyzsh/ohmy", "ohmyzsh/ohmyzsh")
    at.radio(key="compare_metric").set_value("forks").run()
    at.radio(key="compare_scale").set_value("Log").run()
    at.radio(key="compare_view").set_value("Indexed (start = 100)").run()
    at.radio(key="compare_axis").set_value("Aligned by age").run()
    at.slider(key="compare_range").set_value((dt.date(2020, 1, 1), dt.date(2024, 6, 30))).run()
    link = address(at)
    assert link["project"] == ["tensorflow", "keras"] and link["archive"] == "repo:ohmyzsh/ohmyzsh"
    assert link["x"] == "age" and link["dates"] == "2020-01-01..2024-06-30"

    new = reopened("compare", link)
    assert new.multiselect(key="compare_projects").value == ["TensorFlow", "Keras"]
    assert new.multiselect(key="compare_cohort").value == cohort.options[:1]
    for key, value in (
        ("compare_metric", "forks"),
        ("compare_scale", "Log"),
        ("compare_view", "Indexed (start = 100)"),
        ("compare_axis", "Aligned by age"),
    ):
        assert new.radio(key=key).value == value, key
    assert new.slider(key="compare_range").value == (dt.date(2020, 1, 1), dt.date(2024, 6, 30))
    assert new.session_state["compare_picked"] == [("repo", "ohmyzsh/ohmyzsh")]
    assert address(new) == link and not notices(new)

    # back to a default: its parameter leaves the address
    new.radio(key="compare_scale").set_value("Linear").run()
    assert "scale" not in new.query_params


def test_explore_choices_and_picks_survive_a_copied_link():
    at = open_page("explore")
    _search(at, "explore", "six", "six")
    at.multiselect(key="explore_tracked").set_value(["Keras"]).run()
    at.radio(key="explore_scale").set_value("Log").run()
    at.radio(key="explore_axis").set_value("Aligned by age").run()
    link = address(at)
    assert link == {"archive": "package:six", "project": "keras", "scale": "log", "x": "age"}

    new = reopened("explore", link)
    assert new.session_state["explore_picked"] == [("package", "six")]
    assert new.multiselect(key="explore_tracked").value == ["Keras"]
    assert new.radio(key="explore_scale").value == "Log"
    assert new.radio(key="explore_axis").value == "Aligned by age"
    assert address(new) == link and not notices(new)


def test_community_choices_survive_a_copied_link():
    at = open_page("community")
    at.radio(key="community_freq").set_value("year").run()
    at.slider(key="community_window").set_value(24).run()
    at.slider(key="community_share").set_value(0.8).run()
    at.checkbox(key="community_bots").check().run()
    at.checkbox(key="community_merges").check().run()
    at.selectbox(key="community_project").set_value("Stable Diffusion").run()
    at.session_state["community_chart"] = "Organizations"  # as a click on the tab
    at.run()
    link = address(at)
    assert link == {
        "period": "year",
        "window": "24",
        "share": "0.8",
        "bots": "1",
        "merges": "1",
        "project": "stable-diffusion",
        "chart": "organizations",
    }

    new = reopened("community", link)
    assert new.radio(key="community_freq").value == "year"
    assert new.slider(key="community_window").value == 24
    assert new.slider(key="community_share").value == pytest.approx(0.8)
    assert new.checkbox(key="community_bots").value and new.checkbox(key="community_merges").value
    assert new.selectbox(key="community_project").value == "Stable Diffusion"
    assert new.session_state["community_chart"] == "Organizations"
    assert address(new) == link and not notices(new)


def test_claims_windows_and_sidebar_thresholds_survive_a_copied_link():
    at = open_page("claims")
    at.slider(key="claims_activity_months").set_value(6).run()
    at.slider(key="claims_growth_months").set_value(24).run()
    at.toggle(key="claims_tune").set_value(True).run()
    at.number_input(key="threshold__acceleration__releases").set_value(2.5).run()
    at.session_state["claims_tab"] = "Acceleration"  # as a click on the claim's tab
    at.run()
    link = address(at)
    assert link == {
        "activity": "6",
        "growth": "24",
        "tune": "1",
        "t.acceleration.releases": "2.5",
        "claim": "acceleration",
    }
    verdicts = [str(e.value) for e in at.markdown if "·" in str(e.value)]
    assert len(verdicts) == 1  # the open claim's two verdicts in words

    new = reopened("claims", link)
    assert new.slider(key="claims_activity_months").value == 6
    assert new.slider(key="claims_growth_months").value == 24
    assert new.number_input(key="threshold__acceleration__releases").value == 2.5
    assert new.session_state["claims_tab"] == "Acceleration"
    assert any("Accelerates development" in h.value for h in new.subheader)
    assert [str(e.value) for e in new.markdown if "·" in str(e.value)] == verdicts
    assert address(new) == link and not notices(new)
    # a link copied before the thresholds were shown on request carries a threshold alone
    older = reopened("claims", {k: v for k, v in link.items() if k != "tune"})
    assert older.number_input(key="threshold__acceleration__releases").value == 2.5
    assert address(older) == link and not notices(older)
    # turned off: the claims' own thresholds again, and the address forgets the changed one
    new.toggle(key="claims_tune").set_value(False).run()
    assert not new.number_input and not notices(new)
    assert address(new) == {
        k: v for k, v in link.items() if k not in ("tune", "t.acceleration.releases")
    }
    assert [str(e.value) for e in new.markdown if "·" in str(e.value)] != verdicts


def test_project_and_data_choices_survive_a_copied_link():
    at = open_page("project")
    at.selectbox(key="project_name").set_value("Stable Diffusion").run()
    assert address(at) == {"project": "stable-diffusion"}
    at.session_state["project_section"] = "On PyPI"  # as a click on the tab
    at.run()
    assert address(at) == {"project": "stable-diffusion", "section": "pypi"}
    new = reopened("project", address(at))
    assert new.selectbox(key="project_name").value == "Stable Diffusion"
    assert new.session_state["project_section"] == "On PyPI"
    assert [c.key for c in new.get("plotly_chart")] == ["project_releases_chart"]
    assert new.title[0].value == "One project in depth" and not notices(new)

    at = open_page("data")
    at.selectbox(key="data_kind").set_value("Releases (PyPI)").run()
    at.checkbox(key="data_include_cohort").check().run()
    assert address(at) == {"kind": "releases-pypi", "cohort": "1"}
    new = reopened("data", address(at))
    assert new.selectbox(key="data_kind").value == "Releases (PyPI)"
    assert new.checkbox(key="data_include_cohort").value
    assert address(new) == {"kind": "releases-pypi", "cohort": "1"}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_names_and_drops_a_parameter_it_does_not_know(page):
    at = reopened(page, {"colour": "red"})
    assert "colour: this page has no such choice" in notices(at)
    assert "colour" not in at.query_params


HOSTILE = {
    "window": "99",  # out of range
    "share": "0.33",  # not a step of the slider
    "period": ["month", "year"],  # one value expected
    "bots": "<img src=x onerror=alert(1)>",  # markup
    "merges": "\x1b[31mred",  # control characters
    "project": "no-such-project-" + "x" * 5000,  # very long
    "<script>alert(1)</script>": "1",  # a hostile name
}


def test_hostile_parameters_are_ignored_with_a_notice_and_the_defaults_shown():
    at = reopened("community", HOSTILE)
    said = notices(at)
    for expected in (
        "window: 99 is outside 3 to 36",
        "share: 0.33 is not a step of 0.05",
        "period: 2 values given, one expected",
        "bots: “<img src=x onerror=alert(1)>” is not 1 or 0",
        "merges: “\\x1b[31mred” holds control characters",
        "project: a value of 5,016 characters (at most 200)",
        "<script>alert(1)</script>: this page has no such choice",
    ):
        assert expected in said, (expected, said)
    raw = "\n".join(str(e.value) for e in at.info)
    assert not re.search(r"(?<!\\)[<>]", raw)  # every < and > escaped: shown, never markup
    assert at.radio(key="community_freq").value == "quarter"
    assert at.slider(key="community_window").value == 12
    assert not at.checkbox(key="community_bots").value
    assert address(at) == {}  # nothing unusable stays in the address
    # said once: the next rerun has nothing to say
    at.run()
    assert not notices(at)


def test_unknown_projects_are_left_out_by_name_and_the_known_ones_kept():
    at = reopened("compare", {"project": ["keras", "no-such-id"], "metric": "stars\u202e"})
    said = notices(at)
    assert "project: “no-such-id” is not one of" in said and "(left out)" in said
    assert "metric: “stars\\u202e” holds control characters" in said
    assert at.multiselect(key="compare_projects").value == ["Keras"]
    assert address(at) == {"project": "keras"}


def test_an_archive_name_the_archives_lack_is_named_on_explore():
    at = reopened("explore", {"archive": ["package:six", "package:no-such-package-xyz", "x:y"]})
    said = notices(at)
    assert "package:no-such-package-xyz is not in the archives" in said
    assert "“x:y” is not repo:NAME or package:NAME" in said
    assert at.session_state["explore_picked"] == [("package", "six")]
    assert address(at) == {"archive": "package:six"}


@pytest.mark.parametrize(
    ("param", "values", "reason"),
    [
        (urlstate.whole("w", "k", 3, 36), ["1e3"], "is not a whole number"),
        (urlstate.number("n", "k", 0.0, 1.0), ["nan"], "is not a number"),
        (urlstate.number("n", "k", 0.0, 1e12), ["9" * 13], "is not a number"),
        (urlstate.number("n", "k", -5.0, 5.0), ["-6"], "is outside -5 to 5"),
        (urlstate.flag("f", "k"), ["maybe"], "is not 1 or 0"),
        (
            urlstate.days("d", "k", dt.date(2020, 1, 1), dt.date(2021, 1, 1)),
            ["2020-02-30..2020-03-01"],
            "not a real date",
        ),
        (urlstate.choices("c", "k", {"a": "A"}), ["b"], "is not one of a"),
    ],
)
def test_each_kind_of_value_refuses_what_it_cannot_use(param, values, reason):
    with pytest.raises(urlstate.UnusableValueError, match=reason):
        param.read(values)


def test_each_kind_of_value_reads_back_what_it_writes():
    day = urlstate.days("d", "k", dt.date(2020, 1, 1), dt.date(2021, 1, 1))
    share = urlstate.number("s", "k", 0.1, 0.9, 0.05)
    cases = (
        (urlstate.whole("w", "k", 3, 36), 24),
        (share, 0.35),
        (urlstate.number("t", "k", -1e12, 1e12), -2.5),
        (urlstate.flag("f", "k"), True),
        (day, (dt.date(2020, 3, 1), dt.date(2020, 9, 30))),
        (urlstate.choice("c", "k", {"log": "Log"}), "Log"),
        (urlstate.choices("c", "k", {"a": "A", "b": "B"}), ["B", "A"]),
        (urlstate.choices("c", "k", {"a": "A"}), []),
        (urlstate.picks("p", "k", ["repo"]), [("repo", "o/n")]),
    )
    for param, value in cases:
        assert param.read(param.show(value)) == (value, []), param.name
