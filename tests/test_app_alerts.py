"""The Alerts page and the Overview's Alerts section, on a constructed alert history; the
Project page opens on the project an alert links to; the webhook setting is checked and never
shown with its path."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from alerts.history import AlertHistory, write_history
from errors import ConfigError
from metrics.alerts import evaluate, transitions
from registry import load_registry
from registry.alerts import AlertRules
from settings import Settings
from tests.apptest import open_page, texts
from tests.hostile_text import plain
from tests.test_alerts import frame, tables


def _history_with_an_alert(settings: Settings) -> None:
    """keras's scorecard fine on one refresh, below 5 on the next: one alert in force."""
    projects = [p for p in load_registry(settings.projects_file) if p.id == "keras"]

    def cards(score: float, day: str):
        row = {"repo": "keras-team/keras", "date": day, "check": "overall", "score": score}
        return tables(scorecards=frame("scorecards", [row]))

    now = pd.Timestamp("2026-09-15", tz="UTC")
    first = evaluate(projects, cards(6.0, "2026-09-08"), AlertRules(), now)
    state, _ = transitions({}, first, "2026-09-08T12:00:00Z", "r1")
    second = evaluate(projects, cards(4.5, "2026-09-15"), AlertRules(), now)
    state, events = transitions(state, second, "2026-09-15T12:00:00Z", "r2")
    write_history(settings.data.alert_history, AlertHistory(state, events, "2026-09-08T12:00:00Z"))


def test_the_alerts_page_lists_the_alert_in_force_with_its_link_and_history(user_settings):
    _history_with_an_alert(user_settings)
    at = open_page("alerts")
    said = texts(at)
    assert "In force: 1" in said and "History: 1 alerts fired or over" in said
    in_force = at.dataframe[0].value
    assert list(in_force["message"]) == [
        "keras-team/keras: OpenSSF Scorecard 4.5 of 10, read 2026-09-15 (alert below 5)"
    ]
    assert list(in_force["link"]) == ["/project?project=keras"]
    rules = at.dataframe[2].value
    assert "scorecard_low" in set(rules["id"]) and rules["enabled"].all()


def test_the_alerts_page_names_a_broken_rules_file_with_its_line(user_settings):
    user_settings.data.root.mkdir(parents=True, exist_ok=True)
    user_settings.data.alerts_file.write_text("[no_release]\ndays = -1\n", encoding="utf-8")
    at = open_page("alerts")
    # as the reader sees it: markdown's backslash escapes rendered
    said = re.sub(r"\\(.)", r"\1", plain("\n".join(str(e.value) for e in at.error)))
    assert "alerts.toml:2: [no_release] days must be from 1 to 3660, not -1" in said


def test_the_overview_shows_alerts_only_while_one_is_in_force(user_settings):
    at = open_page("overview")
    assert "Alerts in force" not in texts(at)
    _history_with_an_alert(user_settings)
    at = open_page("overview")
    assert "**Alerts in force: 1**" in texts(at)
    assert "[Project page](/project?project=keras)" in texts(at)


def test_an_alerts_link_opens_the_project_page_on_its_project():
    from tests.test_app_urls import reopened

    at = reopened("project", {"project": "keras"})  # the link an alert gives: /project?...
    assert at.selectbox(key="project_name").value == "Keras"


def test_the_webhook_url_is_checked_and_never_shown_with_its_path(tmp_path):
    env = {"OSSAI_DATA_DIR": str(tmp_path)}
    url = "https://hooks.example.com/services/T0/B0/SECRET"
    settings = Settings.from_environment({**env, "OSSAI_ALERT_WEBHOOK": url})
    assert settings.alert_webhook == url and "SECRET" not in repr(settings)
    for bad in ("ftp://hooks.example.com/SECRET", "https://me:pw@hooks.example.com/SECRET"):
        with pytest.raises(ConfigError) as caught:
            Settings.from_environment({**env, "OSSAI_ALERT_WEBHOOK": bad})
        assert "OSSAI_ALERT_WEBHOOK" in str(caught.value)
        assert "SECRET" not in str(caught.value) and "pw" not in str(caught.value)
