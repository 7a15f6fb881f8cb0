"""The command line: refresh lock, exit codes, summary, log; schedule; status; help texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import cli
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
    with pytest.raises(ValueError):
        cli.cron_schedule("every tuesday")


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
    "command", ["refresh", "schedule", "status", "repair", "export", "track", "untrack", "tracked"]
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
    small_registry, tmp_path, capsys, monkeypatch
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("OSSAI_DATA_DIR", str(blocker / "data"))
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
