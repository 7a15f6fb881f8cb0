"""Alerts, as pure functions: which rule's condition holds for which tracked project now
(`evaluate`), and what changed since the last evaluation (`transitions`).

A condition is true, false, or unknown (no data: never a firing). An alert fires when a
condition last known to be false is now true, and only then: a condition that stays true says
nothing more until it has been false again. A condition already true the first time it could
be checked (a newly tracked project, the first refresh) is shown as standing, not fired, since
nothing was seen to change. The rules and their thresholds are in registry/alerts.py; each
figure comes from the metrics the pages show (metrics.indicators, metrics.packages,
metrics.community), so an alert says what the Project page says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

import pandas as pd

from metrics import community, indicators
from metrics.packages import MONTHLY_MAX_GAP_DAYS, latest_scorecards
from metrics.series import usable, with_rate
from registry.alerts import DEFAULT_RULES, AlertRule, AlertRules
from registry.names import repo_key
from registry.projects import Project

# the stored tables the rules read (indicators.compute reads the rest of this list)
ALERT_TABLES = (
    "commits",
    "releases",
    "package_downloads",
    "download_totals",
    "scorecards",
    "repo_snapshots",
    "issue_activity",
    "package_dependents",
    "truck_factors",
    "git_histories",
)
FIRED, RECOVERED = "fired", "recovered"


@dataclass(frozen=True)
class Condition:
    """One rule for one project (and one repository or package of it) at one evaluation."""

    rule: str
    project_id: str
    project: str
    subject: str  # the repository, package or project the figures are of
    state: bool | None  # True: the rule's condition holds; None: no data to say
    message: str  # the figures and their dates, or why there are none
    figures: dict = field(default_factory=dict)  # JSON-safe numbers and dates

    @property
    def key(self) -> str:
        return f"{self.rule}|{self.project_id}|{self.subject}"


def view_link(project_id: str) -> str:
    """The address of the view that shows a project's figures: the Project page."""
    return f"/project?project={quote(project_id, safe='')}"


def evaluate(
    projects: Iterable[Project],
    tables: Mapping[str, pd.DataFrame],
    rules: AlertRules,
    now: pd.Timestamp,
) -> list[Condition]:
    """Every enabled rule's condition for every project, at `now` (UTC)."""
    projects = list(projects)
    enabled = {rule.id: rule for rule in rules.enabled()}
    out: list[Condition] = []
    if {"absence_factor", "active_contributors_drop"} & set(enabled):
        out += _git_rules(projects, tables, enabled)
    checks = {
        "no_release": _no_release,
        "downloads_drop": _downloads_drop,
        "scorecard_low": _scorecard_low,
        "repository_archived": _archived,
        "repository_renamed": _renamed,
    }
    for rule_id, check in checks.items():
        if rule_id in enabled:
            for project in projects:
                out += check(enabled[rule_id], project, tables, now)
    return out


def _condition(rule: AlertRule, project: Project, subject: str, state, message, **figures):
    safe = {k: _json_safe(v) for k, v in figures.items()}
    known = None if state is None else bool(state)
    return Condition(rule.id, project.id, project.name, subject, known, message, safe)


def _json_safe(value: object) -> object:
    if hasattr(value, "item") and not isinstance(value, pd.Timestamp):
        value = value.item()  # a numpy number
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return round(float(value), 4) if isinstance(value, float) else int(value)
    return value if isinstance(value, bool | str) else str(value)


def _day(value: object) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def _git_rules(projects: list[Project], tables, enabled: dict[str, AlertRule]) -> list[Condition]:
    """The contributor absence factor and active contributors, over the same 12-month
    window the pages use (ending on the data's as-of day), and the 12 months before."""
    commits = tables["commits"]
    end = community.data_end(commits)
    own = {repo for p in projects for repo in p.main_repo_names}
    mine = dict(tables, commits=commits[commits["repo"].isin(own)])  # the rest is not read
    now = _indicator_values(projects, mine, end)
    before = (
        _indicator_values(projects, mine, end - pd.DateOffset(months=12)) if end is not None else {}
    )
    out = []
    for p in projects:
        if rule := enabled.get("absence_factor"):
            out.append(_absence(rule, p, now.get((p.id, "bus_factor"))))
        if rule := enabled.get("active_contributors_drop"):
            out.append(
                _contributors(
                    rule,
                    p,
                    now.get((p.id, "active_contributors")),
                    before.get((p.id, "active_contributors")),
                )
            )
    return out


def _indicator_values(projects, tables, end) -> dict[tuple[str, str], tuple]:
    frame = indicators.compute(projects, tables, indicators.Windows(end=end))
    frame = frame[frame["indicator"].isin(["bus_factor", "active_contributors"])]
    return {(r.project_id, r.indicator): (r.value, r.as_of, r.note) for r in frame.itertuples()}


def _absence(rule: AlertRule, p: Project, found) -> Condition:
    value, as_of, note = found or (None, None, "no git history in the data")
    if value is None or pd.isna(value):
        return _condition(rule, p, p.id, None, f"no contributor absence factor: {note}")
    message = (
        f"contributor absence factor {value:.0f} over the 12 months to {_day(as_of)} "
        f"(alert at {rule.value:g} or less)"
    )
    return _condition(
        rule, p, p.id, value <= rule.value, message, value=value, as_of=as_of, at_most=rule.value
    )


def _contributors(rule: AlertRule, p: Project, now, before) -> Condition:
    value, as_of, note = now or (None, None, "no git history in the data")
    earlier, earlier_as_of, earlier_note = before or (None, None, "no git history a year earlier")
    if value is None or pd.isna(value):
        return _condition(rule, p, p.id, None, f"no active contributors: {note}")
    if earlier is None or pd.isna(earlier) or earlier == 0:
        why = earlier_note or "none in the 12 months before"
        return _condition(rule, p, p.id, None, f"no figure a year earlier to compare: {why}")
    drop = (earlier - value) / earlier
    change = f"down {drop:.0%}" if drop > 0 else f"up {-drop:.0%}" if drop < 0 else "unchanged"
    message = (
        f"{value:.0f} active contributors in the 12 months to {_day(as_of)}, {earlier:.0f} in "
        f"the 12 months to {_day(earlier_as_of)}: {change} (alert at a drop of "
        f"{rule.value:.0%} or more)"
    )
    return _condition(
        rule,
        p,
        p.id,
        drop >= rule.value - 1e-9,
        message,
        value=value,
        as_of=as_of,
        year_earlier=earlier,
        year_earlier_as_of=earlier_as_of,
        drop=drop,
        threshold=rule.value,
    )


def _no_release(rule: AlertRule, p: Project, tables, now: pd.Timestamp) -> list[Condition]:
    """Days from the latest final release to the day its list was last read (not to now: a
    list not read for a year must not look like a year without releases)."""
    releases = tables["releases"]
    subjects = releases["subject"].isin([*p.packages, *p.main_repo_names])
    rel, source = community.project_releases(p.main_repo_names, p.packages, releases[subjects])
    rel = rel[~rel["prerelease"].fillna(False).astype(bool)].dropna(subset=["published_at"])
    if rel.empty:
        return [_condition(rule, p, p.id, None, "no release in the data (PyPI or tags)")]
    latest = rel.loc[rel["published_at"].idxmax()]
    read_on = rel["fetched_at"].max()
    read_on = now if pd.isna(read_on) else min(read_on, now)
    days = (read_on - latest["published_at"]).days
    message = (
        f"latest release {latest['version']} on {_day(latest['published_at'])} ({source}), "
        f"{days} days before the list was read on {_day(read_on)} "
        f"(alert after {rule.value:g} days)"
    )
    return [
        _condition(
            rule,
            p,
            p.id,
            days > rule.value,
            message,
            version=latest["version"],
            released=latest["published_at"],
            read_on=read_on,
            days=days,
            threshold=rule.value,
        )
    ]


def _downloads_drop(rule: AlertRule, p: Project, tables, now: pd.Timestamp) -> list[Condition]:
    """Each package's latest monthly window against the one before, per day (windows run
    from 22 to 31 days), only when both were counted the same way (method and installers):
    across a counting change the two figures are not comparable, so there is no figure."""
    downloads = tables["package_downloads"]
    out = []
    for package in p.packages:
        rows = usable(downloads[(downloads["package"] == package)])
        rows = with_rate(rows[rows["series"] == "monthly"].dropna(subset=["downloads"]))
        rows = rows[rows["window_days"] > 0].sort_values("period_end")
        rows = rows.drop_duplicates("period_end", keep="last")
        if len(rows) < 2:
            message = "fewer than two monthly download windows in the data"
            out.append(_condition(rule, p, package, None, message))
            continue
        before, latest = rows.iloc[-2], rows.iloc[-1]
        how_before = f"{before['method']}, {before['installers']}"
        how_latest = f"{latest['method']}, {latest['installers']}"
        gap = (latest["period_start"] - before["period_end"]).days
        if how_before != how_latest:
            message = (
                f"not compared: the window to {_day(latest['period_end'])} was counted "
                f"differently ({how_latest}) from the one before ({how_before})"
            )
            out.append(_condition(rule, p, package, None, message))
            continue
        if gap > MONTHLY_MAX_GAP_DAYS:
            message = f"not compared: {gap} days missing between the last two windows"
            out.append(_condition(rule, p, package, None, message))
            continue
        drop = 1 - latest["per_day"] / before["per_day"] if before["per_day"] > 0 else None
        if drop is None:
            out.append(_condition(rule, p, package, None, "no downloads in the window before"))
            continue
        change = f"down {drop:.0%}" if drop > 0 else f"up {-drop:.0%}" if drop < 0 else "unchanged"
        message = (
            f"{package}: {latest['per_day']:,.0f} downloads a day in the window to "
            f"{_day(latest['period_end'])}, {before['per_day']:,.0f} in the window to "
            f"{_day(before['period_end'])} ({how_latest}): {change} "
            f"(alert at a fall of {rule.value:.0%} or more)"
        )
        out.append(
            _condition(
                rule,
                p,
                package,
                drop >= rule.value - 1e-9,
                message,
                per_day=latest["per_day"],
                period_end=latest["period_end"],
                per_day_before=before["per_day"],
                period_end_before=before["period_end"],
                method=latest["method"],
                installers=latest["installers"],
                drop=drop,
                threshold=rule.value,
            )
        )
    return out


def _scorecard_low(rule: AlertRule, p: Project, tables, now: pd.Timestamp) -> list[Condition]:
    cards = latest_scorecards(tables["scorecards"], p.main_repo_names)
    overall = cards[cards["check"] == "overall"].dropna(subset=["score"]).set_index("repo")
    out = []
    for repo in p.main_repo_names:
        if repo not in overall.index:
            message = f"{repo}: no OpenSSF Scorecard in the data (a deps.dev refresh reads it)"
            out.append(_condition(rule, p, repo, None, message))
            continue
        row = overall.loc[repo]
        message = (
            f"{repo}: OpenSSF Scorecard {row['score']:.1f} of 10, read {_day(row['date'])} "
            f"(alert below {rule.value:g})"
        )
        out.append(
            _condition(
                rule,
                p,
                repo,
                row["score"] < rule.value,
                message,
                score=row["score"],
                date=row["date"],
                threshold=rule.value,
            )
        )
    return out


def _latest_snapshots(snapshots: pd.DataFrame, repos: tuple[str, ...]) -> dict[str, pd.Series]:
    mine = usable(snapshots[snapshots["repo"].isin(list(repos))]).sort_values("date")
    return {repo: rows.iloc[-1] for repo, rows in mine.groupby("repo")}


def _archived(rule: AlertRule, p: Project, tables, now: pd.Timestamp) -> list[Condition]:
    snapshots = tables["repo_snapshots"]
    known = snapshots.dropna(subset=["archived"])
    latest = _latest_snapshots(known, p.main_repo_names)
    out = []
    for repo in p.main_repo_names:
        row = latest.get(repo)
        if row is None:
            message = f"{repo}: not known whether it is archived (a GitHub refresh reads it)"
            out.append(_condition(rule, p, repo, None, message))
            continue
        archived = bool(row["archived"])
        said = "archived (read-only)" if archived else "not archived"
        message = f"{repo}: {said} on GitHub, seen {_day(row['date'])}"
        out.append(_condition(rule, p, repo, archived, message, date=row["date"]))
    return out


def _renamed(rule: AlertRule, p: Project, tables, now: pd.Timestamp) -> list[Condition]:
    latest = _latest_snapshots(tables["repo_snapshots"], p.main_repo_names)
    out = []
    for repo in p.main_repo_names:
        row = latest.get(repo)
        if row is None:
            message = f"{repo}: no observation of the repository in the data"
            out.append(_condition(rule, p, repo, None, message))
            continue
        listed = row["listed_as"]
        moved = isinstance(listed, str) and bool(listed) and repo_key(listed) != repo_key(repo)
        message = (
            f"{repo} answers as {listed} on GitHub, seen {_day(row['date'])} (update "
            "data/projects.toml or tracked.toml with the new name)"
            if moved
            else f"{repo}: listed under this name, seen {_day(row['date'])}"
        )
        figures = {"date": row["date"], "listed_as": listed if moved else repo}
        out.append(_condition(rule, p, repo, moved, message, **figures))
    return out


def transitions(
    previous: Mapping[str, Mapping], conditions: Iterable[Condition], at: str, run_id: str
) -> tuple[dict[str, dict], list[dict]]:
    """The conditions' new state and the events of this evaluation (fired, recovered).

    `previous` maps a condition's key to what was last known of it. A condition with no data
    keeps its last known state (missing data never fires, nor recovers, anything); one seen
    for the first time is recorded without an event."""
    state = {key: dict(value) for key, value in previous.items()}
    events: list[dict] = []
    for c in conditions:
        before = previous.get(c.key) or {}
        known = before.get("state")  # True, False, or None: never known
        entry = {
            **before,
            "rule": c.rule,
            "project_id": c.project_id,
            "project": c.project,
            "subject": c.subject,
            "checked_at": at,
            "link": view_link(c.project_id),
        }
        if c.state is None:
            entry["now"] = c.message  # why it cannot be said now
            entry["no_data"] = True
            entry.setdefault("state", None)
            state[c.key] = entry
            continue
        entry.update(
            state=c.state,
            message=c.message,
            figures=c.figures,
            now=c.message,
            no_data=False,
            since=before.get("since") if known == c.state else at,
        )
        if known is None:
            entry["first_seen"] = at  # standing since it was first checked: no event
        elif known != c.state:
            entry.pop("first_seen", None)
            events.append(
                {
                    "id": f"{run_id}/{c.key}",
                    "kind": FIRED if c.state else RECOVERED,
                    "rule": c.rule,
                    "project_id": c.project_id,
                    "project": c.project,
                    "subject": c.subject,
                    "at": at,
                    "run_id": run_id,
                    "message": c.message,
                    "before": before.get("message", ""),
                    "before_at": before.get("checked_at", ""),
                    "figures": c.figures,
                    "link": view_link(c.project_id),
                }
            )
        state[c.key] = entry
    return state, events


# ----- what the app shows: frames from the history (alerts/history.py) ---------------------

STANDING_COLUMNS = ["project", "rule", "subject", "fired", "since", "message", "link"]
EVENT_COLUMNS = ["at", "kind", "project", "rule", "subject", "message", "before", "link"]


def _title(rule_id: str) -> str:
    return next((r.title for r in DEFAULT_RULES if r.id == rule_id), rule_id)


def _when(text: object) -> pd.Timestamp:
    return pd.to_datetime(text, utc=True, errors="coerce") if text else pd.NaT


def standing(conditions: Mapping[str, Mapping], events: Iterable[Mapping]) -> pd.DataFrame:
    """Every condition true now, newest first: `fired` when an alert fired for it (the last
    event of its key is a firing), False when it was already true when first checked."""
    last: dict[str, Mapping] = {}
    for event in events:
        last[f"{event.get('rule')}|{event.get('project_id')}|{event.get('subject')}"] = event
    rows = []
    for key, c in conditions.items():
        if c.get("state") is not True:
            continue
        event = last.get(key)
        fired = event is not None and event.get("kind") == FIRED
        rows.append(
            {
                "project": c.get("project"),
                "rule": _title(str(c.get("rule"))),
                "subject": c.get("subject"),
                "fired": fired,
                "since": _when(event.get("at") if fired else c.get("since")),
                "message": c.get("message"),
                "link": view_link(str(c.get("project_id"))),
            }
        )
    frame = pd.DataFrame(rows, columns=STANDING_COLUMNS)
    frame["since"] = pd.to_datetime(frame["since"], utc=True)
    return frame.sort_values(["fired", "since"], ascending=False, kind="stable").reset_index(
        drop=True
    )


def event_history(events: Iterable[Mapping]) -> pd.DataFrame:
    """Every alert fired or recovered, newest first."""
    rows = [
        {
            "at": _when(e.get("at")),
            "kind": "fired" if e.get("kind") == FIRED else "over",
            "project": e.get("project"),
            "rule": _title(str(e.get("rule"))),
            "subject": e.get("subject"),
            "message": e.get("message"),
            "before": e.get("before"),
            "link": view_link(str(e.get("project_id"))),
        }
        for e in events
    ]
    frame = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame.iloc[::-1].reset_index(drop=True)


def unknown(conditions: Mapping[str, Mapping]) -> pd.DataFrame:
    """The conditions that could not be checked at the last evaluation, and why."""
    rows = [
        {
            "project": c.get("project"),
            "rule": _title(str(c.get("rule"))),
            "subject": c.get("subject"),
            "why": c.get("now"),
        }
        for c in conditions.values()
        if c.get("no_data")
    ]
    return pd.DataFrame(rows, columns=["project", "rule", "subject", "why"])
