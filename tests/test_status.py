"""`cli.py status` and the sidebar's last refresh say what is true: markers are not
observations, a failed GitHub run is not "no run yet", and a store it cannot read is named."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import cli
from metrics.status import freshness, github_budget, last_outcomes
from registry import load_registry
from store import SegmentStore
from store.schema import TABLES
from tests.conftest import snapshot_rows
from tests.fakes.projects_toml import projects_toml

NOW = pd.Timestamp("2026-11-30 12:00", tz="UTC")


@pytest.fixture
def widget_registry(tmp_path, monkeypatch):
    path = tmp_path / "projects.toml"
    path.write_text(projects_toml(("widget", '["acme/widget"]', "")))
    monkeypatch.setenv("OSSAI_PROJECTS", str(path))
    return load_registry(path)


def run_rows(collector: str, fetched: str, rows: list[tuple]) -> pd.DataFrame:
    """collection_runs rows of one refresh: (target, status, message, rate_limit_remaining)."""
    when = pd.Timestamp(fetched, tz="UTC")
    frame = pd.DataFrame(
        [
            {
                "run_id": f"{collector}-{when:%Y%m%dT%H%M%SZ}-abc123",
                "collector": collector,
                "target": target,
                "started_at": when,
                "finished_at": when + pd.Timedelta(seconds=5),
                "status": status,
                "requests": 1,
                "not_modified": 0,
                "retries": 0,
                "wait_seconds": 0.0,
                "rate_limit_remaining": remaining,
                "rows_written": 0,
                "message": message,
                "source": collector,
                "fetched_at": when,
                "quality": "ok",
            }
            for target, status, message, remaining in rows
        ]
    )
    return TABLES["collection_runs"].conform(frame)


def test_null_marker_rows_are_not_fresh_observations(widget_registry):
    today = str(NOW.date())
    restricted = snapshot_rows("acme/widget", [today], [None], quality=["restricted"])
    old = snapshot_rows("acme/widget", ["2026-11-20"], [5])
    scorecard = pd.DataFrame(
        {
            "repo": ["acme/widget"],
            "date": [pd.Timestamp(today)],
            "check": ["overall"],
            "score": [None],
            "scorecard_date": [pd.NaT],
            "scorecard_version": [None],
            "reason": [None],
            "source": ["test"],
            "fetched_at": [NOW],
            "quality": ["missing"],
        }
    )
    tables = {table: TABLES[table].empty() for table in TABLES}
    tables["repo_snapshots"] = pd.concat([old, restricted], ignore_index=True)
    tables["scorecards"] = TABLES["scorecards"].conform(scorecard)
    ages = freshness(widget_registry, tables, NOW).set_index("source")["age_days"]
    assert ages["GitHub counters"] == 10  # the restricted row today says nothing new
    assert pd.isna(ages["OpenSSF Scorecard"])  # an all-null scorecard is no observation


def _budget_line(capsys) -> str:
    cli.main(["status"])
    return next(x for x in capsys.readouterr().out.splitlines() if x.startswith("GitHub budget"))


def test_the_budget_after_failed_github_runs_is_not_said_to_be_from_no_run(
    widget_registry, user_data_dir, capsys
):
    store = SegmentStore(user_data_dir)
    offline = [("acme/widget", "failed", "api.github.com: offline", None)]
    store.append({"collection_runs": run_rows("github", "2026-11-30 08:00", offline)})
    line = _budget_line(capsys)  # was: "unknown (no GitHub run yet)"
    assert "no GitHub run yet" not in line
    assert "the last GitHub run (failed) reported none: api.github.com: offline" in line
    # a budget from an earlier run is given as that run's, never as the last run's
    store.append(
        {
            "collection_runs": run_rows(
                "github", "2026-11-29 08:00", [("acme/widget", "ok", None, 4321)]
            )
        }
    )
    budget = github_budget(store.read("collection_runs").frame)
    assert budget.remaining is None and budget.last_outcome == "failed"
    line = _budget_line(capsys)  # was: "4321", as if the failed run had reported it
    assert "(failed) reported none" in line
    assert "4321 after the run before (2026-11-29 08:00 UTC)" in line


def test_each_source_s_last_refresh_outcome_with_one_line_why():
    runs = pd.concat(
        [
            run_rows(
                "github", "2026-11-29 08:00", [("a/b", "ok", None, 10), ("c/d", "ok", None, 9)]
            ),
            run_rows(
                "github",
                "2026-11-30 08:00",
                [
                    ("a/b", "failed", "offline: name resolution failed\nmore", None),
                    ("c/d", "ok", None, 5),
                ],
            ),
            run_rows("pypi", "2026-11-30 09:00", [("x", "failed", "pypi.org: offline", None)]),
            run_rows(
                "git",
                "2026-11-30 07:00",
                [("a/b", "ok", None, None), ("c/d", "skipped", "current", None)],
            ),
            run_rows("build-x", "2026-01-01", [("t", "failed", "built", None)]).assign(
                run_id="build-1"
            ),
        ]
    )
    out = last_outcomes(runs).set_index("collector")
    assert list(out.index) == ["pypi", "github", "git"]  # newest first; no build run
    assert out.loc["github", ["outcome", "targets", "failed"]].tolist() == ["partial", 2, 1]
    assert out.loc["github", "reason"] == "offline: name resolution failed"
    assert out.loc["pypi", ["outcome", "reason"]].tolist() == ["failed", "pypi.org: offline"]
    assert out.loc["git", ["outcome", "reason"]].tolist() == ["ok", ""]


def test_status_says_the_store_was_written_by_a_newer_version(
    widget_registry, user_data_dir, capsys
):
    store = SegmentStore(user_data_dir)
    store.append({"repo_snapshots": snapshot_rows("acme/widget", ["2026-11-29"], [1])})
    manifest = json.loads((user_data_dir / "manifest.json").read_text())
    (user_data_dir / "manifest.json").write_text(json.dumps({**manifest, "format": 2}))
    code = cli.main(["status"])
    out = capsys.readouterr().out
    assert code == cli.EXIT_STORE
    assert "written by a newer version of this dashboard" in out
    assert "none yet" not in out and "no GitHub run yet" not in out
    assert "unknown: the refreshed data could not be read" in out


def test_status_with_a_missing_segment_names_it_and_shows_everything_else(
    widget_registry, user_data_dir, capsys
):
    store = SegmentStore(user_data_dir)
    store.append({"repo_snapshots": snapshot_rows("acme/widget", ["2026-11-28"], [1])})
    store.append(
        {
            "collection_runs": run_rows(
                "git", "2026-11-29 08:00", [("acme/widget", "ok", None, None)]
            )
        }
    )
    gone = user_data_dir / store.manifest()["tables"]["repo_snapshots"][0]
    gone.unlink()
    code = cli.main(["status"])  # was: exit 2, "table 'repo_snapshots' kept changing"
    captured = capsys.readouterr()
    assert code == cli.EXIT_STORE and "kept changing" not in captured.err
    assert str(gone) in captured.out and "./dev cli repair" in captured.out
    assert "Freshness" in captured.out
    assert "git" in captured.out.split("Last refresh runs:")[1]


HOSTILE = "Evil\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eeman"  # retitle, clear, C1 CSI, bidi


def test_status_and_tracked_escape_control_characters_in_outside_text(
    tmp_path, monkeypatch, capsys
):
    """Was: a name from tracked.toml (or a data folder's path) printed raw, so it could
    retitle the terminal, clear the screen or reorder the line."""
    folder = tmp_path / "data\x1b[2J"
    folder.mkdir()
    escaped = HOSTILE.encode("unicode_escape").decode()
    (folder / "tracked.toml").write_text(
        '[[projects]]\nid = "evil"\nname = "'
        + escaped.replace("\\x", "\\u00")
        + '"\ngroup = "Tracked by you"\nrepos = ["acme/evil"]\n'
    )
    monkeypatch.setenv("OSSAI_DATA_DIR", str(folder))
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert r"Evil\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eeman" in out  # shown, escaped
    assert r"data\x1b[2J" in out
    assert cli.main(["tracked"]) == 0
    out += capsys.readouterr().out
    assert r"data\x1b[2J" in out and "acme/evil" in out
    assert not any(ch in out for ch in "\x1b\x07\x9b\u202e")


def test_printable_escapes_what_a_terminal_would_obey_and_keeps_the_rest():
    assert cli.printable("TensorFlow — 深度学习 🧠") == "TensorFlow — 深度学习 🧠"
    assert cli.printable("a\x1b[2Jb\rc\td") == r"a\x1b[2Jb\rc\td"
    assert cli.printable("one\ntwo\x1b", lines=True) == "one\ntwo\\x1b"
    assert cli.printable("one\ntwo") == r"one\ntwo"
    assert cli.printable("\u202e\u2066\u200b") == r"\u202e\u2066\u200b"
