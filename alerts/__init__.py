"""Alerts after a refresh: read the rules (`alerts.toml`), evaluate them on the published data,
keep what changed in the history (`alerts-history.json`), and send new alerts to the webhook.

    registry/alerts.py   the rules, their defaults and thresholds, alerts.toml's validation
    metrics/alerts.py    pure: each rule's condition per project, and the transitions
    alerts/history.py    the history file, written atomically
    collectors/webhook.py    the JSON POST, retried with backoff

`after_refresh` is the one call the refresh service makes, after the run has published its
data and under the same lock, so two evaluations never interleave. It never raises: a broken
rules file, an unreadable history or a failed webhook is a line in the outcome, and the
refresh's data stays stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from alerts.history import AlertHistory, read_history, write_history
from collectors.webhook import post_alerts, shown_url
from errors import ConfigError, SourceError, StoreError
from metrics.alerts import ALERT_TABLES, FIRED, evaluate, transitions
from registry import Project
from registry.alerts import load_alert_rules
from settings import Settings
from store import DEFAULT_DATA, Catalog

log = logging.getLogger("ossai.refresh")
CONFIG, STORE = 2, 7  # what a problem means for the exit status (cli.py's table)
RESEND_AT_MOST = 100  # undelivered alerts sent again with the next ones


@dataclass
class AlertOutcome:
    """What one evaluation found: the new events, how many conditions stand, any problem."""

    fired: list[dict] = field(default_factory=list)
    recovered: list[dict] = field(default_factory=list)
    standing: int = 0  # conditions true now, fired or not
    problem: str | None = None  # why the rules were not evaluated (or not recorded)
    problem_code: int | None = None  # CONFIG or STORE
    webhook: str | None = None  # what the webhook did, when there was something to send

    def summary(self) -> str:
        return (
            f"alerts: {len(self.fired)} new, {len(self.recovered)} over, "
            f"{self.standing} standing (the Alerts page lists them)"
        )

    def lines(self) -> list[str]:
        """The refresh's lines about alerts: one per new alert and per alert over, then the
        summary; nothing when nothing changed (the log has the summary all the same)."""
        if self.problem:
            return [f"alerts: {self.problem}"]
        out = [f"alert: {e['project']}: {e['message']} (see {e['link']})" for e in self.fired]
        out += [f"alert over: {e['project']}: {e['message']}" for e in self.recovered]
        if out:
            out.append(self.summary())
        if self.webhook:
            out.append(f"alerts: {self.webhook}")
        return out


def after_refresh(
    projects: Sequence[Project],
    settings: Settings,
    now: pd.Timestamp,
    run_id: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> AlertOutcome:
    """Evaluate the alert rules on the data as published now; record and send what changed."""
    try:
        rules = load_alert_rules(settings.data.alerts_file)
        history = read_history(settings.data.alert_history)
    except ConfigError as exc:
        return AlertOutcome(problem=f"not evaluated: {exc}", problem_code=CONFIG)
    except StoreError as exc:
        return AlertOutcome(problem=f"not evaluated: {exc}", problem_code=STORE)
    catalog = Catalog(DEFAULT_DATA, settings.data.store)
    tables = {name: catalog.read(name).frame for name in ALERT_TABLES}
    at = f"{now.tz_convert('UTC'):%Y-%m-%dT%H:%M:%SZ}"
    conditions = evaluate(projects, tables, rules, now)
    state, events = transitions(history.conditions, conditions, at, run_id)
    titles = {rule.id: rule.title for rule in rules}
    for event in events:
        event["title"] = titles.get(event["rule"], event["rule"])
    outcome = AlertOutcome(
        fired=[e for e in events if e["kind"] == FIRED],
        recovered=[e for e in events if e["kind"] != FIRED],
        standing=sum(1 for c in state.values() if c.get("state") is True),
    )
    history = AlertHistory(state, history.events + events, history.watching_since or at)
    if settings.alert_webhook:
        outcome.webhook = _send(settings.alert_webhook, history, events, run_id, at, sleep)
    try:
        write_history(settings.data.alert_history, history)
    except OSError as exc:
        where = settings.data.alert_history
        outcome.problem = f"the alert history {where} cannot be written ({exc.strerror or exc})"
        outcome.problem_code = STORE
    return outcome


def webhook_payload(alerts: list[dict], run_id: str, at: str) -> dict:
    """The JSON the webhook receives (docs/alerts.md): the run and its alerts."""
    keys = (
        "id",
        "kind",
        "rule",
        "title",
        "project_id",
        "project",
        "subject",
        "at",
        "message",
        "before",
        "figures",
        "link",
    )
    return {
        "source": "oss-ai-dashboard",
        "run_id": run_id,
        "sent_at": at,
        "alerts": [{key: alert.get(key) for key in keys} for alert in alerts],
    }


def _send(
    url: str,
    history: AlertHistory,
    events: list[dict],
    run_id: str,
    at: str,
    sleep: Callable[[float], None],
) -> str | None:
    """POST this run's events and any earlier ones not delivered yet; mark what went."""
    pending = [e for e in history.events if e.get("delivered") is False and e not in events]
    pending = pending[-RESEND_AT_MOST:] + events
    if not pending:
        return None
    try:
        post_alerts(url, webhook_payload(pending, run_id, at), sleep=sleep)
    except SourceError as exc:
        for event in pending:
            event["delivered"] = False
        log.warning("alert webhook: %s", exc.problem)
        return (
            f"the webhook failed: {exc.problem}; {len(pending)} alert(s) will be sent again "
            "after the next refresh"
        )
    for event in pending:
        event["delivered"] = True
    return f"sent {len(pending)} alert(s) to the webhook at {shown_url(url)}"
