"""The command line: refresh lock, exit codes, summary, log; schedule; status; help texts."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

import cli
from errors import ConfigError
from service import refresh
from store import SegmentStore
from tests.conftest import ROOT, snapshot_rows
from tests.fakes.projects_toml import projects_toml
from tests.gitrepo import build_community_repo

REGISTRY = projects_toml(
    ("widget", '["acme/widget"]', ""), ("gadget", '["acme/gadget", "acme/gizmo"]', "")
)


@pytest.fixture
def small_registry(tmp_path, monkeypatch):
    path = tmp_path / "projects.toml"
    path.write_text(REGISTRY)
    monkeypatch.setenv("OSSAI_PROJECTS", str(path))
    return path


@pytest.fixture
def widget_repo(tmp_path):
    return build_community_repo(tmp_path / "widget")


def _refresh(*args: str) -> list[str]:
    return ["refresh", "--sources", "git", "--quiet", *args]


def test_a_full_success_exits_0_and_prints_the_summary(
    small_registry, widget_repo, user_data_dir, capsys
):
    code = cli.main(
        _refresh("--projects", "widget", "--git-location", f"acme/widget={widget_repo.path}")
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Widget  git" in out and "new_rows" in out
    assert "exit status 0" in out
    assert len(SegmentStore(user_data_dir).read("commits").frame) == 8
    log = (user_data_dir / "refresh.log").read_text()
    assert "git Widget acme/widget: ok" in log


def test_partial_and_total_failure_have_their_own_exit_codes(
    small_registry, widget_repo, tmp_path, capsys
):
    nowhere = tmp_path / "nowhere"
    args = [
        "--git-location",
        f"acme/widget={widget_repo.path}",
        "--git-location",
        f"acme/gadget={nowhere}",
        "--git-location",
        f"acme/gizmo={nowhere}",
    ]
    assert cli.main(_refresh(*args)) == refresh.PARTIAL
    out = capsys.readouterr().out
    assert (  # one line for the source, naming the first failure; each target is in the log
        "git: partial: 1 of 3 targets refreshed, 2 failed; first: acme/gadget: "
        "only https:// URLs or local folders can be cloned"
    ) in out
    assert cli.main(_refresh("--projects", "gadget", *args)) == refresh.FAILED


def test_a_second_refresh_says_already_running_and_exits(small_registry, user_data_dir, capsys):
    with refresh.refresh_lock(user_data_dir / "refresh.lock"):
        code = cli.main(_refresh())
    assert code == refresh.ALREADY_RUNNING
    assert "already running" in capsys.readouterr().err


def test_bad_arguments_are_explained(small_registry, capsys):
    assert cli.main(["refresh", "--sources", "twitter"]) == cli.EXIT_USAGE
    assert "unknown sources ['twitter']" in capsys.readouterr().err
    assert cli.main(["refresh", "--projects", "nope", "--sources", "git"]) == cli.EXIT_USAGE
    assert "unknown project ids ['nope']" in capsys.readouterr().err


def test_the_schedule_survives_a_failed_run_and_never_overlaps():
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    slept: list[float] = []
    calls: list[datetime] = []

    def job() -> int:
        calls.append(now[0])
        now[0] += timedelta(minutes=10)  # a run takes ten minutes
        if len(calls) == 1:
            raise RuntimeError("network down")
        return 0

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += timedelta(seconds=seconds)

    code = cli.schedule_loop(
        job, lambda after: after + timedelta(hours=1), max_runs=3, clock=lambda: now[0], sleep=sleep
    )
    assert code == 0 and len(calls) == 3  # the failure did not end the schedule
    assert [c.hour for c in calls] == [0, 1, 2]
    assert slept == [3000.0, 3000.0]  # waits out the rest of the hour after each run


def test_cron_expressions_give_the_next_run_and_bad_ones_are_refused():
    next_time = cli.cron_schedule("15 */6 * * *")
    assert next_time(datetime(2026, 1, 1, 0, 0, tzinfo=UTC)) == datetime(
        2026, 1, 1, 0, 15, tzinfo=UTC
    )
    assert next_time(datetime(2026, 1, 1, 0, 15, tzinfo=UTC)) == datetime(
        2026, 1, 1, 6, 15, tzinfo=UTC
    )
    with pytest.raises(ConfigError):
        cli.cron_schedule("every tuesday")


FRIDAY = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)  # a Friday afternoon


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 12 * * 1-5", FRIDAY, datetime(2026, 12, 7, 12, 0, tzinfo=UTC)),  # Monday, not Sat
        ("0 0 * * 0", FRIDAY, datetime(2026, 12, 6, 0, 0, tzinfo=UTC)),  # Sunday, not Monday
        ("0 0 * * 7", FRIDAY, datetime(2026, 12, 6, 0, 0, tzinfo=UTC)),  # 7 is Sunday too
        ("30 6 * * 6", FRIDAY, datetime(2026, 12, 5, 6, 30, tzinfo=UTC)),  # Saturday
        ("0 0 1 * 1", FRIDAY, datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),  # 1st OR Monday, as cron
        ("@daily", FRIDAY, datetime(2026, 12, 5, 0, 0, tzinfo=UTC)),
    ],
)
def test_cron_weekdays_count_from_sunday_as_cron_does(expression, after, expected):
    """APScheduler 3's from_crontab counted weekdays from Monday: 1-5 fired on Saturday,
    0 on Monday, and 7 was refused."""
    assert cli.cron_schedule(expression)(after) == expected


def _locations(widget: object, elsewhere: object) -> list[str]:
    """--git-location options: acme/widget from `widget`, acme/gadget and acme/gizmo from
    `elsewhere` (a folder that does not exist fails them at once, offline)."""
    return [
        *("--git-location", f"acme/widget={widget}"),
        *("--git-location", f"acme/gadget={elsewhere}"),
        *("--git-location", f"acme/gizmo={elsewhere}"),
    ]


BAD_SCHEDULES = {
    "empty cron": ["--cron", ""],
    "31 February": ["--cron", "0 0 31 2 *"],
    "six fields": ["--cron", "0 0 * * * *"],
    "minute 61": ["--cron", "61 * * * *"],
    "inf hours": ["--every-hours", "inf"],
    "1e308 hours": ["--every-hours", "1e308"],
    "nan hours": ["--every-hours", "nan"],
    "zero hours": ["--every-hours", "0"],
    "two years": ["--every-hours", "17568"],
}


@pytest.mark.parametrize("when", BAD_SCHEDULES.values(), ids=BAD_SCHEDULES.keys())
def test_a_schedule_that_cannot_work_is_refused_before_the_first_run(
    when, small_registry, tmp_path
):
    """Was: a TypeError traceback (empty), one run and then a TypeError (31 February),
    OverflowError tracebacks (inf, 1e308) and 'cannot convert float NaN to integer'."""
    nowhere = tmp_path / "nowhere"  # if a run did start, it would fail here, offline
    options = ["--max-runs", "1", "--sources", "git", *_locations(nowhere, nowhere)]
    result = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "schedule", *when, *options],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env=dict(os.environ),
    )
    assert result.returncode == cli.EXIT_USAGE, result.stdout + result.stderr
    assert result.stderr.startswith(f"error: {when[0]}: "), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""  # no run, no "next refresh at"
    assert "never fires" in result.stderr if when[1] == "0 0 31 2 *" else True


def test_the_schedule_never_dies_on_a_next_time_it_cannot_compute(capsys):
    """A next-time function that raises or gives nothing (APScheduler's None for 31
    February) is reported and asked again an hour later; the runs go on."""
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    calls: list[datetime] = []
    answers = itertools.chain([None, RuntimeError("tz database gone")], itertools.repeat("ok"))

    def next_time(after: datetime) -> datetime | None:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return None if answer is None else after + timedelta(hours=6)

    def job() -> int:
        calls.append(now[0])
        return 0

    def sleep(seconds: float) -> None:
        now[0] += timedelta(seconds=seconds)

    code = cli.schedule_loop(job, next_time, max_runs=3, clock=lambda: now[0], sleep=sleep)
    assert code == 0 and len(calls) == 3
    # no next time at 00:00 (asked again at 01:00, then 02:00): the second run at 08:00
    assert [f"{c:%H:%M}" for c in calls] == ["00:00", "08:00", "14:00"]
    err = capsys.readouterr().err
    assert err.count("the next run time could not be computed") == 2
    assert "tz database gone" in err and "Traceback" not in err


def _fake_clock(monkeypatch, start: datetime) -> tuple[list[datetime], list[float]]:
    """cli's schedule clock and sleep replaced: sleeping moves the clock, never waits."""
    now, slept = [start], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += timedelta(seconds=seconds)

    monkeypatch.setattr(cli, "schedule_clock", lambda: now[0])
    monkeypatch.setattr(cli, "schedule_sleep", sleep)
    return now, slept


def test_a_scheduled_run_prints_a_few_lines_and_its_details_go_to_the_log(
    small_registry, widget_repo, tmp_path, user_data_dir, capsys, monkeypatch
):
    """Was: the whole refresh summary on stdout for every run (about 140 lines, 17 KB for
    the default projects), and an undocumented run at start."""
    start = datetime(2026, 12, 4, 19, 7, tzinfo=UTC)
    _, slept = _fake_clock(monkeypatch, start)
    locations = _locations(widget_repo.path, tmp_path / "nowhere")
    code = cli.main(
        ["schedule", "--every-hours", "6", "--max-runs", "2", "--sources", "git", *locations]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert slept[0] == 6 * 3600  # no run at start: the first is at the first scheduled time
    assert "first refresh at 2026-12-05 01:07 UTC" in out
    runs = out.split("\n2026-")[1:]
    assert len(runs) == 2, out
    for block in runs:
        lines = block.strip().splitlines()
        assert len(lines) == 4, block  # when and status, one line per source, log, next refresh
        assert "UTC: refresh refresh-" in lines[0]
        assert "exit status 3 (partial failure: some targets refreshed, others" in lines[0]
        assert lines[1].startswith("  git: partial: ") and "2 failed" in lines[1], lines[1]
        assert lines[2] == f"  log: {user_data_dir / 'refresh.log'}"
    assert runs[0].startswith("12-05 01:07 UTC") and runs[1].startswith("12-05 07:07 UTC")
    # each target's message is in the log; the source's line gives only its first reason
    assert out.count("only https:// URLs or local folders") == 2, out  # once per run
    assert "acme/gizmo" not in out
    log = (user_data_dir / "refresh.log").read_text()
    assert "git Gadget acme/gadget: failed" in log and "only https:// URLs or local folders" in log
    assert len(out.encode()) < 1200, out


def test_run_now_refreshes_at_start_and_is_documented(
    small_registry, widget_repo, capsys, monkeypatch
):
    start = datetime(2026, 12, 4, 19, 7, tzinfo=UTC)
    _fake_clock(monkeypatch, start)
    where = ["--projects", "widget", "--git-location", f"acme/widget={widget_repo.path}"]
    code = cli.main(
        [
            "schedule",
            "--cron",
            "15 */6 * * *",
            "--run-now",
            "--max-runs",
            "2",
            "--sources",
            "git",
            *where,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "2026-12-04 19:07 UTC: refresh" in out and "exit status 0" in out  # at once
    assert "next refresh at 2026-12-05 00:15 UTC" in out
    assert "2026-12-05 00:15 UTC: refresh" in out
    help_text = cli.build_parser()._subparsers._group_actions[0].choices["schedule"].format_help()
    assert "--run-now" in help_text and "first scheduled time" in help_text
    assert "--run-now" in (ROOT / "README.md").read_text()


def test_status_reports_freshness_runs_and_budget(
    small_registry, widget_repo, user_data_dir, capsys
):
    cli.main(_refresh("--projects", "widget", "--git-location", f"acme/widget={widget_repo.path}"))
    capsys.readouterr()
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "Freshness" in out and "Widget" in out
    assert "git" in out.split("Last refresh runs:")[1]
    assert "GitHub budget left" in out


@pytest.mark.parametrize(
    "command",
    ["refresh", "schedule", "status", "repair", "merge", "export", "track", "untrack", "tracked"],
)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    assert len(capsys.readouterr().out) > 200


def test_the_cli_reads_servers_from_the_environment_and_refuses_ones_it_cannot_use(
    small_registry, user_data_dir, capsys, monkeypatch
):
    # one configuration path: OSSAI_API_URLS reaches the CLI as it reaches the app
    monkeypatch.setenv("OSSAI_API_URLS", "git=http://127.0.0.1:9")
    assert cli.main(_refresh("--sources", "git")) == cli.EXIT_USAGE
    assert "git cannot be pointed at another server" in capsys.readouterr().err
    monkeypatch.setenv("OSSAI_API_URLS", "pypi=ftp://x")
    assert cli.main(_refresh("--sources", "pypi")) == cli.EXIT_USAGE
    assert "OSSAI_API_URLS" in capsys.readouterr().err


def test_a_data_folder_that_cannot_be_written_is_one_line_and_exit_7(
    small_registry, user_data_dir, capsys
):
    (user_data_dir / "refresh.lock").mkdir()  # the lock cannot be opened, even by root
    assert cli.main(_refresh("--sources", "git")) == cli.EXIT_STORE
    err = capsys.readouterr().err
    assert err.startswith("data folder:") and "cannot be written" in err and "Traceback" not in err


def test_disk_full_during_a_refresh_is_one_line_exit_7_and_a_summary(
    small_registry, widget_repo, user_data_dir, capsys
):
    """The log sits on a full disk (/dev/full takes the open and fails every write): the CLI
    died with an OSError traceback from closing the log and printed no summary."""
    (user_data_dir / "refresh.log").symlink_to("/dev/full")
    code = cli.main(
        _refresh("--projects", "widget", "--git-location", f"acme/widget={widget_repo.path}")
    )
    captured = capsys.readouterr()
    assert code == cli.EXIT_STORE
    assert captured.err.startswith("data folder:") and "No space left on device" in captured.err
    assert len(captured.err.strip().splitlines()) == 1  # no traceback, no "Logging error"
    assert "intact" in captured.err
    assert "new_rows" in captured.out and "exit status 0" in captured.out  # the summary
    assert len(SegmentStore(user_data_dir).read("commits").frame) == 8  # and it is there
    assert "7  the data folder could not be read or written" in cli.EXIT_CODES


def test_repair_rebuilds_a_deleted_index_and_says_what_it_did(user_data_dir, capsys):
    import os
    import time

    store = SegmentStore(user_data_dir)
    store.append({"repo_snapshots": snapshot_rows("a/b", ["2024-01-01", "2024-01-02"], [1, 2])})
    store.append({"repo_snapshots": snapshot_rows("c/d", ["2024-01-01"], [3])})
    then = time.time() - 3600
    for path in user_data_dir.rglob("*.parquet"):
        os.utime(path, (then, then))
    (user_data_dir / "manifest.json").unlink()  # what the sidebar used to advise
    assert cli.main(["repair", "--dry-run"]) == 0
    assert not (user_data_dir / "manifest.json").exists()
    assert cli.main(["repair"]) == 0
    out = capsys.readouterr().out
    assert "repo_snapshots: 2 segment file(s), 3 rows" in out and "Nothing was deleted" in out
    assert sorted(SegmentStore(user_data_dir).read("repo_snapshots").frame["stars"]) == [1, 2, 3]
    assert "./dev cli repair" in (ROOT / "README.md").read_text()


def test_repair_refuses_while_a_refresh_runs(user_data_dir, capsys):
    with refresh.refresh_lock(user_data_dir / "refresh.lock"):
        assert cli.main(["repair"]) == refresh.ALREADY_RUNNING
    assert "already running" in capsys.readouterr().err
