"""The schedule recipes in deploy/: each file is checked as far as this machine allows.

The GitHub Actions workflow is validated against GitHub's workflow schema (check-jsonschema's
built-in copy, no download) and its commit step is run in a scratch repository; the systemd
units go through `systemd-analyze verify`; the crontab line is read by the same cron parser as
`cli.py schedule --cron` (croniter, through `cli.cron_schedule`). All three
must fire at the same times and run a refresh command line that the CLI accepts.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ruamel.yaml import YAML

import cli
from service import refresh
from service.sources import SOURCES

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
WORKFLOW = DEPLOY / "github-actions" / "refresh-data.yml"
SERVICE = DEPLOY / "systemd" / "oss-ai-dashboard-refresh.service"
TIMER = DEPLOY / "systemd" / "oss-ai-dashboard-refresh.timer"
START = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
EXPECTED_TIMES = ["06:15", "12:15", "18:15", "00:15"]


def _workflow() -> dict:
    return YAML(typ="safe").load(WORKFLOW.read_text())


def _check_workflow(path: Path) -> subprocess.CompletedProcess:
    tool = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run(
        [str(tool), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def _fire_times(expression: str, count: int = 4) -> list[str]:
    next_time = cli.cron_schedule(expression, now=START)
    times, moment = [], START
    for _ in range(count):
        moment = next_time(moment)
        times.append(f"{moment:%H:%M}")
    return times


def _crontab_line() -> str:
    lines = [line for line in (DEPLOY / "crontab").read_text().splitlines() if line.strip()]
    entries = [line for line in lines if not line.lstrip().startswith("#")]
    assert len(entries) == 1, entries
    return entries[0]


def _cli_args(command: str) -> list[str]:
    """The arguments after `./dev cli` in a shell command line."""
    words = shlex.split(command)
    start = words.index("./dev") + 2
    assert words[start - 1] == "cli"
    args = []
    for word in words[start:]:
        if word in {"||", "&&", ">>", ">", "2>&1", ";"}:
            break
        args.append(word)
    return args


def test_the_workflow_is_valid_for_github_actions(tmp_path):
    result = _check_workflow(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on: ubuntu-latest", "runs-on: 42"))
    assert _check_workflow(broken).returncode != 0  # the validator can fail


def test_the_workflow_refreshes_with_a_command_the_cli_accepts():
    workflow = _workflow()
    steps = workflow["jobs"]["refresh"]["steps"]
    step = next(s for s in steps if s.get("id") == "refresh")
    command = next(line for line in step["run"].splitlines() if "./dev cli" in line)
    args = _cli_args(command.replace('"$SOURCES"', "github"))
    parsed = cli.build_parser().parse_args(args)
    assert parsed.command == "refresh" and parsed.quiet
    default = step["env"]["SOURCES"].split("||")[1].strip(" }'")
    assert set(default.split(",")) <= set(SOURCES)
    assert "git" not in default.split(",")  # cloning big repositories every run is opt-in
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_the_workflow_commits_the_store_but_never_the_key_cache_or_log(tmp_path):
    """Run the commit step's script in a scratch repository with `git push` stubbed out."""
    step = next(
        s for s in _workflow()["jobs"]["refresh"]["steps"] if s.get("name", "").startswith("Commit")
    )
    script = step["run"].replace("${{ steps.refresh.outputs.status }}", "3")
    repo = tmp_path / "fork"
    live = repo / "data" / "live"
    (live / "repo_snapshots").mkdir(parents=True)
    (live / "http-cache").mkdir()
    (live / "git" / "keras.git").mkdir(parents=True)
    (live / "manifest.json").write_text("{}")
    (live / "repo_snapshots" / "seg-1.parquet").write_bytes(b"PAR1")
    (live / "pseudonym.key").write_text("00" * 32)
    (live / "http-cache" / "github.json").write_text("{}")
    (live / "git" / "keras.git" / "HEAD").write_text("ref: refs/heads/master\n")
    (live / "refresh.log").write_text("log\n")
    (live / "refresh.lock").write_text("")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig")}
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    stub = 'git() { if [ "$1" = push ]; then echo PUSHED; else command git "$@"; fi; }\n'
    commit_step = ("bash", "-euo", "pipefail", "-c", stub + script)

    def in_repo(*command: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            command, cwd=repo, env=env, capture_output=True, text=True, check=check
        )

    run = in_repo(*commit_step, check=False)
    assert run.returncode == 0, run.stderr
    assert "PUSHED" in run.stdout
    committed = in_repo("git", "ls-files").stdout.split()
    assert sorted(committed) == [
        "data/live/manifest.json",
        "data/live/repo_snapshots/seg-1.parquet",
    ]
    again = in_repo(*commit_step)
    assert "No new data." in again.stdout and "PUSHED" not in again.stdout


def test_crontab_systemd_and_workflow_fire_at_the_same_times():
    line = _crontab_line()
    expression = " ".join(line.split()[:5])
    assert _fire_times(expression) == EXPECTED_TIMES
    (workflow_cron,) = [entry["cron"] for entry in _workflow()["on"]["schedule"]]
    assert _fire_times(workflow_cron) == EXPECTED_TIMES
    calendar = next(
        row.split("=", 1)[1]
        for row in TIMER.read_text().splitlines()
        if row.startswith("OnCalendar")
    )
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    shown = subprocess.run(
        [analyze, "calendar", "--iterations=4", calendar],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TZ": "UTC"},
    ).stdout
    rows = [row for row in shown.splitlines() if "elapse:" in row or "Iter. #" in row]
    times = [row.split()[-2][:5] for row in rows]  # "... Sun 2026-11-22 06:15:00 UTC"
    assert sorted(times) == sorted(EXPECTED_TIMES), shown


def test_the_crontab_and_systemd_commands_are_accepted_by_the_cli():
    parsed = cli.build_parser().parse_args(_cli_args(_crontab_line()))
    assert parsed.command == "refresh" and parsed.quiet
    exec_start = next(
        row.split("=", 1)[1]
        for row in SERVICE.read_text().splitlines()
        if row.startswith("ExecStart")
    )
    parsed = cli.build_parser().parse_args(_cli_args(exec_start))
    assert parsed.command == "refresh"
    assert "SuccessExitStatus=3 5" in SERVICE.read_text().splitlines()
    assert (refresh.PARTIAL, refresh.ALREADY_RUNNING) == (3, 5)


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    for unit in (SERVICE, TIMER):
        shutil.copy(unit, tmp_path / unit.name)
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(tmp_path / SERVICE.name), str(tmp_path / TIMER.name)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    bad = tmp_path / "typo.service"
    bad.write_text(SERVICE.read_text().replace("ExecStart=", "ExecStrat="))
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(bad)], capture_output=True, text=True, check=False
    )
    assert "ExecStrat" in result.stderr  # the check can fail


def test_each_recipe_offers_a_static_report_step_the_cli_accepts():
    """After each refresh, optionally: `export --site DIR` (commented out in the crontab and
    the systemd unit, behind a repository variable in the workflow)."""
    crontab = [
        line.lstrip("# ")
        for line in (DEPLOY / "crontab").read_text().splitlines()
        if "--site" in line and "./dev cli refresh" in line
    ]
    assert len(crontab) == 1
    site = crontab[0].split("; ./dev cli ", 1)[1].split(";")[0]  # up to the group's end
    assert " ".join(crontab[0].split()[:5]) == " ".join(_crontab_line().split()[:5])
    post = next(r for r in SERVICE.read_text().splitlines() if r.startswith("#ExecStartPost="))
    steps = _workflow()["jobs"]["refresh"]["steps"]
    build = next(s for s in steps if "--site" in s.get("run", ""))
    for command in (f"./dev cli {site}", post.split("=", 1)[1], build["run"]):
        parsed = cli.build_parser().parse_args(_cli_args(command.replace("%h", "/home/me")))
        assert parsed.command == "export" and parsed.site is not None, command
    upload = next(s for s in steps if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == _cli_args(build["run"])[-1]
