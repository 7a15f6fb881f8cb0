"""The docs are kept honest: README commands, CI, Streamlit settings, data-model doc."""

from __future__ import annotations

import importlib.util
import subprocess
import tomllib

from tests.conftest import ROOT


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "./dev run" in readme and "./dev test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./dev test" in ci
    help_text = subprocess.run(
        ["bash", str(ROOT / "dev"), "help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("run", "test", "bench", "build-data", "cli"):
        assert f"./dev {command}" in help_text
        assert f"./dev {command}" in readme


def test_streamlit_is_configured_to_stay_local_and_quiet():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] is False


def test_the_data_model_doc_matches_the_schema():
    spec = importlib.util.spec_from_file_location(
        "data_model_doc", ROOT / "scripts" / "data_model_doc.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = (ROOT / "docs" / "data-model.md").read_text()
    assert module.render().strip() in doc, "run: python scripts/data_model_doc.py"


def _pins(name: str) -> dict[str, str]:
    lines = [
        line.strip()
        for line in (ROOT / name).read_text().splitlines()
        if line.strip() and not line.startswith(("#", "-r "))
    ]
    assert all("==" in line for line in lines), name
    return dict(line.split("==") for line in lines)


def test_requirements_are_pinned_and_the_runtime_holds_no_test_tool():
    runtime, dev = _pins("requirements.txt"), _pins("requirements-dev.txt")
    assert {"streamlit", "pandas", "plotly", "requests"} <= set(runtime)
    # the run command's environment stays light: the tools only the tests use are elsewhere
    assert not {"pytest", "playwright", "ruff", "check-jsonschema"} & set(runtime)
    assert {"pytest", "playwright", "ruff"} <= set(dev)
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text()
    readme = (ROOT / "README.md").read_text()
    assert all(f"| {name} |" in readme for name in {**runtime, **dev}), "say why in the README"


def test_every_cli_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for command in ("refresh", "schedule", "status", "export"):
        assert f"./dev cli {command}" in readme
