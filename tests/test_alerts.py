"""Alerts on constructed histories: each default rule fires once, on the evaluation that
crosses it, and not again until it has recovered and crossed again; missing data never fires;
a broken alerts.toml is named with its line; the refresh's exit status and lines say it."""

from __future__ import annotations

import pandas as pd
import pytest

from errors import ConfigError
from metrics.alerts import ALERT_TABLES, FIRED, RECOVERED, evaluate, transitions, view_link
from registry import parse_registry
from registry.alerts import RULE_IDS, AlertRules, parse_alert_rules
from store import TABLES

REGISTRY = parse_registry(
    """
[[projects]]
id = "acme"
name = "Acme"
group = "Tracked"
repos = ["acme/lib"]
packages = ["acme-lib"]
""",
    "projects.toml",
)
PROJECTS = list(REGISTRY)
DAY = pd.Timestamp("2026-01-01", tz="UTC")


def frame(name: str, rows: list[dict]) -> pd.DataFrame:
    """Rows of a stored table, with provenance, as a collector would give them."""
    table = TABLES[name]
    base = {"source": "test", "fetched_at": DAY, "quality": "ok"}
    full = [{c: {**base, **row}.get(c) for c in table.column_names} for row in rows]
    return table.conform(pd.DataFrame(full, columns=table.column_names))


def tables(**given: pd.DataFrame) -> dict[str, pd.DataFrame]:
    out = {name: TABLES[name].empty() for name in ALERT_TABLES}
    out.update(given)
    return out


def commits(*spans: tuple[str, str, str, int]) -> pd.DataFrame:
    """(author, first day, last day, how many) -> commits spread evenly over the days."""
    rows = []
    for author, first, last, count in spans:
        for i, when in enumerate(pd.date_range(first, last, periods=count, tz="UTC")):
            rows.append(
                {
                    "repo": "acme/lib",
                    "sha": f"{author}-{first}-{i}",
                    "authored_at": when,
                    "committed_at": when,
                    "author_id": author,
                    "author_domain": "independent",
                    "author_is_bot": False,
                    "is_merge": False,
                    "first_parent": True,
                }
            )
    return frame("commits", rows)


def steps_of(states: list[dict[str, pd.DataFrame]], rule: str, nows=None) -> list[list[str]]:
    """The events of `rule` at each evaluation of the sequence, carrying the state along."""
    state: dict = {}
    seen = []
    for i, given in enumerate(states):
        now = nows[i] if nows else DAY + pd.Timedelta(days=i)
        conditions = evaluate(PROJECTS, given, AlertRules(), now)
        state, events = transitions(state, conditions, f"2026-01-0{i + 1}T00:00:00Z", f"r{i}")
        seen.append([e["kind"] for e in events if e["rule"] == rule])
    return seen


ONCE = [[], [FIRED], [], [RECOVERED], [FIRED]]  # healthy, crosses, stays, recovers, crosses


def test_the_absence_factor_alert_fires_when_one_person_makes_half_the_contributions():
    four = [(who, "2026-01-01", "2026-03-01", 10) for who in "abcd"]
    crossing = [*four, ("a", "2026-03-02", "2026-04-01", 100)]
    staying = [*crossing, ("a", "2026-04-02", "2026-04-10", 10)]
    recovered = [*staying, *[(w, "2026-04-11", "2026-05-01", 210) for w in "bcd"]]
    again = [*recovered, ("a", "2026-05-02", "2026-06-01", 2000)]
    history = [
        tables(commits=commits(*spans)) for spans in (four, crossing, staying, recovered, again)
    ]
    assert steps_of(history, "absence_factor") == ONCE


def test_the_contributor_drop_alert_compares_the_last_12_months_with_the_12_before():
    six = [(w, "2024-01-01", "2025-10-31", 22) for w in "abcdef"]
    alone = [*six, ("a", "2026-01-01", "2026-12-01", 12)]
    staying = [*alone, ("a", "2026-12-02", "2026-12-03", 2)]
    back = [*staying, *[(w, "2026-12-04", "2026-12-10", 3) for w in "bcdef"]]
    alone_again = [*back, ("a", "2027-01-01", "2027-12-20", 12)]
    history = [tables(commits=commits(*s)) for s in (six, alone, staying, back, alone_again)]
    assert steps_of(history, "active_contributors_drop") == ONCE


def _release(version: str, day: str, read: str) -> dict:
    return {
        "subject_kind": "package",
        "subject": "acme-lib",
        "version": version,
        "published_at": pd.Timestamp(day, tz="UTC"),
        "prerelease": False,
        "yanked": False,
        "fetched_at": pd.Timestamp(read, tz="UTC"),
    }


def test_the_release_alert_counts_days_to_when_the_release_list_was_read():
    reads = ["2026-03-01", "2026-08-01", "2026-09-01", "2026-09-20", "2027-04-01"]
    history = [
        tables(releases=frame("releases", [_release("1.0", "2026-01-01", read)]))
        for read in reads[:3]
    ]
    newer = [_release("1.0", "2026-01-01", reads[3]), _release("1.1", "2026-09-15", reads[3])]
    history.append(tables(releases=frame("releases", newer)))
    later = [{**r, "fetched_at": pd.Timestamp(reads[4], tz="UTC")} for r in newer]
    history.append(tables(releases=frame("releases", later)))
    nows = [pd.Timestamp(r, tz="UTC") for r in reads]
    assert steps_of(history, "no_release", nows) == ONCE


def _month(start: str, per_day: float, method: str = "clickhouse", installers: str = "all"):
    first = pd.Timestamp(start)
    last = first + pd.offsets.MonthEnd(0)
    days = (last - first).days + 1
    return {
        "package": "acme-lib",
        "series": "monthly",
        "period_start": first,
        "period_end": last,
        "window_days": days,
        "downloads": int(per_day * days),
        "installers": installers,
        "method": method,
    }


def test_the_downloads_alert_compares_windows_per_day_within_one_counting_method():
    months = [_month("2026-01-01", 1000), _month("2026-02-01", 1000)]
    down = [*months, _month("2026-03-01", 600)]
    up = [*down, _month("2026-04-01", 900)]
    down_again = [*up, _month("2026-05-01", 600)]
    history = [
        tables(package_downloads=frame("package_downloads", rows))
        for rows in (months, down, down, up, down_again)
    ]
    assert steps_of(history, "downloads_drop") == ONCE


def _card(score: float, day: str) -> dict:
    return {"repo": "acme/lib", "date": pd.Timestamp(day), "check": "overall", "score": score}


def test_the_scorecard_alert_fires_below_five():
    days = ["2026-01-01", "2026-01-08", "2026-01-15", "2026-01-22", "2026-01-29"]
    scores = [6.0, 4.5, 4.5, 5.5, 3.0]
    history = [
        tables(
            scorecards=frame(
                "scorecards", [_card(s, d) for s, d in zip(scores, days, strict=True)][: i + 1]
            )
        )
        for i in range(5)
    ]
    assert steps_of(history, "scorecard_low") == ONCE


def _snapshot(day: str, **facts) -> dict:
    return {"repo": "acme/lib", "date": pd.Timestamp(day), "stars": 10, **facts}


@pytest.mark.parametrize(
    ("rule", "facts"),
    [
        (
            "repository_archived",
            [{"archived": v} for v in (False, True, True, False, True)],
        ),
        (
            "repository_renamed",
            [{"listed_as": v} for v in (None, "acme/newlib", "acme/newlib", None, "other/lib")],
        ),
    ],
)
def test_the_repository_alerts_fire_when_archived_or_renamed(rule, facts):
    days = pd.date_range("2026-01-01", periods=5, freq="D")
    history = [
        tables(
            repo_snapshots=frame(
                "repo_snapshots",
                [
                    _snapshot(f"{d:%Y-%m-%d}", **f)
                    for d, f in zip(days[: i + 1], facts, strict=False)
                ],
            )
        )
        for i in range(5)
    ]
    assert steps_of(history, rule) == ONCE


def test_missing_data_never_fires_and_never_clears_what_was_known():
    low = tables(scorecards=frame("scorecards", [_card(6.0, "2026-01-01")]))
    high = tables(scorecards=frame("scorecards", [_card(4.0, "2026-01-08")]))
    # nothing at all: every rule has no data, for every project, and nothing fires
    conditions = evaluate(PROJECTS, tables(), AlertRules(), DAY)
    assert {c.rule for c in conditions} == set(RULE_IDS)
    assert all(c.state is None for c in conditions)
    assert steps_of([tables(), tables(), tables()], "scorecard_low") == [[], [], []]
    # known fine, then gone (a failed refresh), then known fine: no event either way
    assert steps_of([low, tables(), low], "scorecard_low") == [[], [], []]
    # fired, then gone, then still low: the alert is not fired a second time
    assert steps_of([low, high, tables(), high], "scorecard_low") == [[], [FIRED], [], []]
    # low the first time it can be checked: standing, not fired (nothing was seen to change)
    assert steps_of([tables(), high], "scorecard_low") == [[], []]


def test_a_change_in_how_downloads_were_counted_is_not_a_fall():
    before = [_month("2026-01-01", 1000), _month("2026-02-01", 1000, "bigquery-pypinfo", "pip")]
    changed = [*before, _month("2026-03-01", 100)]  # clickhouse, all installers: not compared
    history = [tables(package_downloads=frame("package_downloads", r)) for r in (before, changed)]
    assert steps_of(history, "downloads_drop") == [[], []]
    (found,) = [
        c for c in evaluate(PROJECTS, history[1], AlertRules(), DAY) if c.rule == "downloads_drop"
    ]
    assert found.state is None and "counted differently" in found.message


def test_an_alert_says_what_changed_with_figures_and_dates_and_links_to_its_view():
    low = tables(scorecards=frame("scorecards", [_card(6.0, "2026-01-01")]))
    high = tables(scorecards=frame("scorecards", [_card(4.0, "2026-01-08")]))
    state, _ = transitions({}, evaluate(PROJECTS, low, AlertRules(), DAY), "t1", "r1")
    _, events = transitions(state, evaluate(PROJECTS, high, AlertRules(), DAY), "t2", "r2")
    (event,) = events
    assert "4.0 of 10, read 2026-01-08" in event["message"]
    assert "6.0 of 10, read 2026-01-01" in event["before"]
    assert event["link"] == view_link("acme") == "/project?project=acme"


def test_a_rule_turned_off_or_with_a_new_threshold_is_obeyed():
    rules = parse_alert_rules("[scorecard_low]\nbelow = 7\n\n[no_release]\nenabled = false\n")
    card = tables(scorecards=frame("scorecards", [_card(6.0, "2026-01-01")]))
    found = {c.rule: c for c in evaluate(PROJECTS, card, rules, DAY)}
    assert "no_release" not in found
    assert found["scorecard_low"].state is True  # 6.0 is below 7


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("[no_release]\ndays = 180\n[absense_factor]\nenabled = false\n", 3, "unknown rule"),
        ("[no_release]\n\ndays = 'soon'\n", 3, "must be a whole number"),
        ("[scorecard_low]\nenabled = true\nbelow = 11\n", 3, "from 0.1 to 10"),
        ("[downloads_drop]\nfall = 0.5\n", 2, "has no 'fall'"),
        ("[absence_factor]\nenabled = 'no'\n", 2, "true or false"),
        ("[no_release]\ndays = 180\ndays = 90\n", 3, "not valid TOML"),
        ("scorecard_low = 5\n", 1, "must be a table"),
    ],
)
def test_a_broken_rules_file_is_named_with_its_line(text, line, words):
    with pytest.raises(ConfigError) as caught:
        parse_alert_rules(text, "alerts.toml")
    assert caught.value.line == line and words in caught.value.rule
    assert str(caught.value).startswith(f"alerts.toml:{line}: ")
