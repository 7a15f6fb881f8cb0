"""The fan-out recipe for GitHub Actions: a matrix of one lane per token, then a merge job,
checked against GitHub's workflow schema and for its structure. (The self-hosted script,
deploy/refresh-sharded.sh, is run for real in tests/test_shards.py.)"""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML

import cli
from tests.test_recipes import _check_workflow, _cli_args

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "deploy" / "github-actions" / "refresh-sharded.yml"


def _workflow() -> dict:
    return YAML(typ="safe").load(WORKFLOW.read_text())


def _step(job: dict, starts: str) -> dict:
    return next(s for s in job["steps"] if s.get("name", "").startswith(starts))


def _command(step: dict) -> list[str]:
    line = next(x for x in step["run"].splitlines() if "./dev cli" in x)
    return _cli_args(line)


def test_the_sharded_workflow_is_valid_for_github_actions(tmp_path):
    result = _check_workflow(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("needs: refresh", "needs: {refresh: 1}"))
    assert _check_workflow(broken).returncode != 0  # the validator can fail


def test_one_lane_per_token_each_running_its_shard_then_one_merge():
    workflow = _workflow()
    lanes, merge = workflow["jobs"]["refresh"], workflow["jobs"]["merge"]
    shards = lanes["strategy"]["matrix"]["shard"]
    count = int(workflow["env"]["SHARDS"])
    assert shards == list(range(1, count + 1)) and count >= 2
    assert lanes["strategy"]["fail-fast"] is False  # one lane failing keeps the others' data

    refresh = _step(lanes, "Refresh")
    # each lane its own token, from its own secret (never GITHUB_-named: GitHub refuses those)
    assert (
        refresh["env"]["GITHUB_TOKEN"] == "${{ secrets[format('OSSAI_TOKEN_{0}', matrix.shard)] }}"
    )
    args = _command(refresh)
    args = [
        a.replace("${{ matrix.shard }}", "2")
        .replace("$SHARDS", str(count))
        .replace("${{ github.run_id }}", "123")
        .replace("$SOURCES", "github")
        for a in args
    ]
    parsed = cli.build_parser().parse_args(args)
    assert parsed.command == "refresh" and parsed.shard == f"2/{count}" and parsed.batch == "run123"

    upload = _step(lanes, "Upload the batch")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["if"] == "always()"  # a lane that failed in part still hands in its batch
    data = workflow["env"]["OSSAI_DATA_DIR"].replace("${{ github.workspace }}/", "")
    assert upload["with"]["path"].rstrip("/") == f"{data}/batches"
    assert not any(part.startswith(".") for part in Path(data).parts)  # artifacts skip those

    assert merge["needs"] == "refresh" and merge["if"] == "always()"
    download = _step(merge, "Download every lane's batch")
    assert download["with"]["pattern"] == upload["with"]["name"].replace("${{ matrix.shard }}", "*")
    assert download["with"]["path"] == upload["with"]["path"]
    assert cli.build_parser().parse_args(_command(_step(merge, "Merge"))).command == "merge"

    # the data stays outside the repository: a release asset, never a commit
    text = WORKFLOW.read_text()
    assert "git push" not in text and "git commit" not in text
    assert "gh release upload" in _step(merge, "Publish")["run"]
    assert workflow["permissions"] == {"contents": "read"}  # only the merge job writes
    assert merge["permissions"] == {"contents": "write"}
    publish = _step(merge, "Publish")["run"]
    for private in ("pseudonym.key", "http-cache", "batches", "refresh.*"):
        assert f"--exclude=./{private}" in publish or f"--exclude='./{private}'" in publish
    # no token is ever printed
    for job in (lanes, merge):
        for step in job["steps"]:
            assert not re.search(r"echo[^\n]*(TOKEN|KEY)", step.get("run", "")), step
