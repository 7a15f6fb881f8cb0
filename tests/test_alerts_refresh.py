"""Alerts through the refresh: the refresh that crosses a rule exits 8 and says so in a line,
later ones do not; the webhook on a local server gets the documented JSON and never the token;
a broken alerts.toml is named with its line while the refresh still stores its data."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from alerts.history import read_history
from service import refresh
from store import SegmentStore
from tests.fakes.clock import FakeClock
from tests.test_alerts import REGISTRY, frame

WEEK = 7 * 24 * 3600.0
START = datetime(2026, 9, 1, 12, tzinfo=UTC)  # weeks later are still in the past: plausible
TOKEN = "ghp_" + "t0ken" * 8  # made up: the webhook must never see it


@pytest.fixture
def scores(monkeypatch):
    """A toy source registered like the others: each refresh publishes the next OpenSSF
    Scorecard of acme/lib from this list (None: the source has nothing this time)."""
    from collectors.source import Collected, Source, Target
    from service import sources

    given: list[float | None] = []

    class Cards(Source):
        name, label, provenance = "cards", "nobody", "test:cards"

        def targets(self, projects):
            return [Target(p.id, repo) for p in projects for repo in p.main_repo_names]

        def collect(self, client, key, target, now):
            score = given.pop(0)
            if score is None:
                return Collected({}, "nothing new")
            day = now.tz_convert("UTC").tz_localize(None).normalize()
            row = {"repo": key, "date": day, "check": "overall", "score": score}
            return Collected({"scorecards": frame("scorecards", [{**row, "fetched_at": now}])})

    monkeypatch.setitem(
        sources.SOURCES,
        "cards",
        sources.interface(lambda step: Cards(), lambda **o: sources.pypi.pypi_client(**o)),
    )
    return given


def _refresh(settings, clock: FakeClock):
    clock.advance(WEEK)
    options = refresh.RefreshOptions(sources=["cards"])
    return refresh.run(REGISTRY, settings, options, clock=clock, sleep=clock.sleep)


def test_the_refresh_that_crosses_a_rule_exits_8_once(scores, user_settings):
    clock = FakeClock(START)
    scores += [6.0, 4.5, 4.5, 5.5, 3.0]
    reports = [_refresh(user_settings, clock) for _ in range(5)]
    assert [r.exit_code for r in reports] == [0, 8, 0, 0, 8]
    assert [r.refresh_code for r in reports] == [0] * 5
    crossing = [line for line in reports[1].lines() if line.startswith("alert: ")]
    assert crossing == [
        "alert: Acme: acme/lib: OpenSSF Scorecard 4.5 of 10, read 2026-09-15 (alert below 5) "
        "(see /project?project=acme)"
    ]
    assert any(
        line.startswith("alert over: Acme: acme/lib: OpenSSF Scorecard 5.5")
        for line in reports[3].lines()
    )
    log = user_settings.data.log.read_text(encoding="utf-8")
    assert log.count("alert: Acme: acme/lib: OpenSSF Scorecard") == 2  # the refresh log too
    history = read_history(user_settings.data.alert_history)
    assert [e["kind"] for e in history.events] == ["fired", "recovered", "fired"]


def test_a_refresh_with_no_new_data_keeps_the_alert_quiet(scores, user_settings):
    clock = FakeClock(START)
    scores += [6.0, 4.0, None, None]
    assert [_refresh(user_settings, clock).exit_code for _ in range(4)] == [0, 8, 0, 0]


def test_a_broken_rules_file_is_named_and_the_refresh_still_stores_its_data(scores, user_settings):
    user_settings.data.root.mkdir(parents=True, exist_ok=True)
    user_settings.data.alerts_file.write_text(
        "[scorecard_low]\nenabled = true\nbelow = 'five'\n", encoding="utf-8"
    )
    scores += [3.0]
    report = _refresh(user_settings, FakeClock(START))
    where = f"{user_settings.data.alerts_file}:3: [scorecard_low] below must be a number"
    assert report.alerts.problem.startswith(f"not evaluated: {where}")
    assert f"alerts: not evaluated: {where}" in "\n".join(report.lines())
    assert report.refresh_code == 0 and report.exit_code == 2
    stored = SegmentStore(user_settings.data.store).read("scorecards").frame
    assert list(stored["score"]) == [3.0]
    assert not user_settings.data.alert_history.exists()  # nothing was judged


class _Hook(BaseHTTPRequestHandler):
    answers: ClassVar[list[int]]
    received: ClassVar[list[tuple[dict, bytes]]]

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        status = type(self).answers.pop(0) if type(self).answers else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    """A webhook receiver on 127.0.0.1 that records every POST and answers `answers`."""

    class Hook(_Hook):
        answers: ClassVar[list[int]] = []
        received: ClassVar[list[tuple[dict, bytes]]] = []

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Hook.url = f"http://127.0.0.1:{server.server_port}/hooks/SECRET-PATH"
    yield Hook
    server.shutdown()
    server.server_close()


def test_the_webhook_gets_the_documented_json_and_never_the_token(scores, user_settings, webhook):
    settings = dataclasses.replace(user_settings, alert_webhook=webhook.url, github_token=TOKEN)
    clock = FakeClock(START)
    scores += [6.0, 4.5]
    webhook.answers += [503]  # the first try fails: retried after a backoff
    first = _refresh(settings, clock)
    assert webhook.received == [] and first.alerts.webhook is None  # nothing to send
    second = _refresh(settings, clock)
    assert len(webhook.received) == 2 and clock.sleeps[-1] == 2.0
    headers, body = webhook.received[-1]
    assert TOKEN not in body.decode() and TOKEN not in json.dumps(headers)
    assert "authorization" not in {h.lower() for h in headers}
    assert headers["Content-Type"] == "application/json"
    sent = json.loads(body)
    assert set(sent) == {"source", "run_id", "sent_at", "alerts"}
    assert sent["source"] == "oss-ai-dashboard" and sent["run_id"] == second.run_id
    (alert,) = sent["alerts"]
    assert alert == {
        "id": f"{second.run_id}/scorecard_low|acme|acme/lib",
        "kind": "fired",
        "rule": "scorecard_low",
        "title": "OpenSSF Scorecard below the threshold",
        "project_id": "acme",
        "project": "Acme",
        "subject": "acme/lib",
        "at": sent["sent_at"],
        "message": "acme/lib: OpenSSF Scorecard 4.5 of 10, read 2026-09-15 (alert below 5)",
        "before": "acme/lib: OpenSSF Scorecard 6.0 of 10, read 2026-09-08 (alert below 5)",
        "figures": {"score": 4.5, "date": "2026-09-15", "threshold": 5},
        "link": "/project?project=acme",
    }
    said = "\n".join(second.lines())
    assert "sent 1 alert(s) to the webhook at http://127.0.0.1:" in said
    assert "SECRET-PATH" not in said  # a webhook's path is its secret: never shown


def test_a_failed_webhook_is_said_and_its_alerts_are_sent_after_the_next_refresh(
    scores, user_settings, webhook
):
    settings = dataclasses.replace(user_settings, alert_webhook=webhook.url)
    clock = FakeClock(START)
    scores += [6.0, 4.5, 6.0]
    webhook.answers += [500] * 4  # every try of the second refresh's POST fails
    _refresh(settings, clock)
    second = _refresh(settings, clock)
    assert second.exit_code == 8 and len(webhook.received) == 4
    assert clock.sleeps[-3:] == [2.0, 4.0, 8.0]  # backoff, doubling
    said = "\n".join(second.lines())
    assert "the webhook failed: http://127.0.0.1:" in said and "answered 500 (4 tries)" in said
    assert "SECRET-PATH" not in said
    assert "SECRET-PATH" not in settings.data.log.read_text(encoding="utf-8")
    third = _refresh(settings, clock)  # recovers: its event and the undelivered one go
    kinds = [a["kind"] for a in json.loads(webhook.received[-1][1])["alerts"]]
    assert kinds == ["fired", "recovered"] and third.alerts.webhook.startswith("sent 2 alert(s)")


def test_the_cli_prints_the_alert_and_exits_8(scores, tmp_path, monkeypatch, capsys):
    import cli

    projects = tmp_path / "projects.toml"
    projects.write_text(
        '[[projects]]\nid = "acme"\nname = "Acme"\ngroup = "Tracked"\nrepos = ["acme/lib"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("OSSAI_PROJECTS", str(projects))
    clock, real = FakeClock(START), refresh.run

    def a_week_later(*args, **kwargs):
        clock.advance(WEEK)
        return real(*args, clock=clock, sleep=clock.sleep, **kwargs)

    monkeypatch.setattr(refresh, "run", a_week_later)
    scores += [6.0, 4.0]
    assert cli.main(["refresh", "--sources", "cards", "--quiet"]) == 0
    capsys.readouterr()
    assert cli.main(["refresh", "--sources", "cards", "--quiet"]) == 8
    out = capsys.readouterr().out
    assert "alert: Acme: acme/lib: OpenSSF Scorecard 4.0 of 10" in out
    assert "exit status 8" in out


def test_each_scheduled_run_checks_the_rules_and_prints_a_new_alert(
    scores, tmp_path, monkeypatch, capsys
):
    import cli

    projects = tmp_path / "projects.toml"
    projects.write_text(
        '[[projects]]\nid = "acme"\nname = "Acme"\ngroup = "Tracked"\nrepos = ["acme/lib"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("OSSAI_PROJECTS", str(projects))
    clock, real = FakeClock(START), refresh.run

    def a_week_later(*args, **kwargs):
        clock.advance(WEEK)
        return real(*args, clock=clock, sleep=clock.sleep, **kwargs)

    monkeypatch.setattr(refresh, "run", a_week_later)
    monkeypatch.setattr(cli, "schedule_clock", lambda: START)
    monkeypatch.setattr(cli, "schedule_sleep", lambda seconds: None)
    scores += [6.0, 4.0, 4.0]
    argv = ["schedule", "--every-hours", "6", "--run-now", "--max-runs", "3", "--sources", "cards"]
    cli.main(argv)
    runs = capsys.readouterr().out.split("\n2026-")[1:]
    assert len(runs) == 3
    assert "exit status 8 (a new alert fired" in runs[1]
    assert "alert: Acme: acme/lib: OpenSSF Scorecard 4.0 of 10" in runs[1]
    assert "alert:" not in runs[0] + runs[2]


def test_refresh_now_in_the_app_checks_the_rules_and_says_a_new_alert_fired(
    user_settings, monkeypatch
):
    """The app's button runs the same refresh: the second click, with keras's scorecard
    fallen below 5, fires the alert and says so."""
    from collectors.source import Collected, Source, Target
    from service import sources
    from tests.apptest import open_page

    given = {"keras-team/keras": [6.0, 4.0]}

    class Cards(Source):
        name, label, provenance = "cards", "nobody", "test:cards"

        def targets(self, projects):
            return [Target(p.id, r) for p in projects for r in p.main_repo_names if r in given]

        def collect(self, client, key, target, now):
            day = now.tz_convert("UTC").tz_localize(None).normalize()
            row = {"repo": key, "date": day, "check": "overall", "score": given[key].pop(0)}
            return Collected({"scorecards": frame("scorecards", [{**row, "fetched_at": now}])})

    monkeypatch.setitem(
        sources.SOURCES,
        "cards",
        sources.interface(lambda step: Cards(), lambda **o: sources.pypi.pypi_client(**o)),
    )
    monkeypatch.setenv("OSSAI_REFRESH_SOURCES", "cards")
    at = open_page("overview")
    at.button(key="refresh_now").click().run(timeout=300)
    assert not [e for e in at.error if "new alert" in str(e.value)]
    at.button(key="refresh_now").click().run(timeout=300)
    assert any("1 new alert(s)" in str(e.value) for e in at.error)
    assert "alert: Keras: keras-team/keras: OpenSSF Scorecard 4.0 of 10" in "\n".join(
        str(t.value) for t in at.text
    )
    history = read_history(user_settings.data.alert_history)
    assert [e["kind"] for e in history.events] == ["fired"]
