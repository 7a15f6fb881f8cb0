"""Settings that cannot work stop every command (exit 2, one line naming the variable) and
the app (a message in place of the page), and never show a password or send the token
where it should not go."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

import cli
from errors import ConfigError
from settings import Settings
from tests.apptest import APP
from tests.conftest import ROOT

PASSWORD = "s3cretPW"


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    """cli.py in a new process, as a user runs it: a traceback or an exit code is the point."""
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={**os.environ, **env},
    )


def _app() -> AppTest:
    """The app's first run, whatever it shows (open_page insists on no error)."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    return at


@pytest.fixture
def data_folder_that_is_a_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a folder\n")
    return path


@pytest.mark.parametrize("kind", ["unknown user", "a file", "under a file"])
@pytest.mark.parametrize("command", [["status"], ["track", "acme/widget"], ["tracked"]])
def test_a_data_folder_that_cannot_be_one_is_a_settings_error_from_every_command(
    kind, command, data_folder_that_is_a_file
):
    """Was: a RuntimeError traceback ('Could not determine home directory') on every command
    for ~nosuchuser; for a file, `status` exited 0 and `track` said '[Errno 17] File exists'."""
    folder = {
        "unknown user": "~nosuchuser-ossai/x",
        "a file": str(data_folder_that_is_a_file),
        "under a file": str(data_folder_that_is_a_file / "data"),
    }[kind]
    result = _cli(*command, OSSAI_DATA_DIR=folder)
    assert result.returncode == cli.EXIT_USAGE, result.stdout + result.stderr
    assert result.stderr.startswith("error: OSSAI_DATA_DIR: "), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing was read, nothing written
    assert data_folder_that_is_a_file.read_text() == "not a folder\n"
    said = result.stderr
    assert ("is a file" in said) if kind != "unknown user" else ("~nosuchuser-ossai" in said)
    assert "2  the command line, a setting or a configuration file is wrong" in cli.EXIT_CODES


def test_the_schedule_and_refresh_refuse_such_a_folder_before_anything_runs(
    data_folder_that_is_a_file,
):
    for command in (["refresh", "--quiet"], ["schedule", "--every-hours", "6"]):
        result = _cli(*command, OSSAI_DATA_DIR=str(data_folder_that_is_a_file))
        assert result.returncode == cli.EXIT_USAGE, result.stderr
        assert "is a file, not a folder" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("folder", ["~nosuchuser-ossai/x", "FILE"])
def test_the_app_says_which_setting_is_wrong_instead_of_a_traceback(
    folder, data_folder_that_is_a_file, monkeypatch
):
    value = str(data_folder_that_is_a_file) if folder == "FILE" else folder
    monkeypatch.setenv("OSSAI_DATA_DIR", value)
    at = _app()
    assert not at.exception, [e.message for e in at.exception]
    # as the reader sees it: markdown escapes and the joiners that stop autolinks taken out
    banner = " ".join(e.value for e in at.error).replace("\\", "").replace("\u2060", "")
    assert "A setting is wrong" in banner and "OSSAI_DATA_DIR" in banner
    assert not at.dataframe


def test_settings_refuse_a_home_folder_that_cannot_be_found(tmp_path):
    with pytest.raises(ConfigError) as caught:
        Settings.from_environment({"OSSAI_DATA_DIR": "~nosuchuser-ossai/data"})
    assert caught.value.path.name == "OSSAI_DATA_DIR"
    assert Settings.from_environment({"OSSAI_DATA_DIR": str(tmp_path / "new")}).data.root == (
        tmp_path / "new"
    )  # a folder that does not exist yet is fine: the first write makes it


BAD_URLS = {
    "password, ftp": f"pypi=ftp://user:{PASSWORD}@mirror.example/pypi",
    "password, https": f"pypi=https://user:{PASSWORD}@mirror.example/pypi",
    "password with @": f"pypi=https://user:{PASSWORD}@x@mirror.example/pypi",
    "password, bad port": f"pypi=http://user:{PASSWORD}?@mirror.example:1/pypi",
    "port out of range": "pypi=http://127.0.0.1:99999",
    "port zero": "pypi=http://127.0.0.1:0",
    "unclosed IPv6": "pypi=http://[::1",
    "no host": "pypi=http:///simple",
}


@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_a_server_url_that_cannot_be_used_is_a_settings_error_without_its_password(url):
    with pytest.raises(ConfigError) as caught:
        Settings.from_environment({"OSSAI_API_URLS": url})
    said = str(caught.value)
    assert said.startswith("OSSAI_API_URLS: ")
    assert PASSWORD not in said and "user:" not in said


@pytest.mark.parametrize(
    "url",
    [BAD_URLS["password, ftp"], BAD_URLS["port out of range"], BAD_URLS["unclosed IPv6"]],
    ids=["password", "port 99999", "[::1"],
)
def test_the_cli_says_exit_2_for_such_a_url_and_never_echoes_the_password(url):
    """Was: the password echoed to stderr; port 99999 and http://[::1 gave 'unexpected error
    (ValueError)' per target and exit 4."""
    result = _cli("refresh", "--sources", "pypi", "--quiet", OSSAI_API_URLS=url)
    assert result.returncode == cli.EXIT_USAGE, result.stdout + result.stderr
    assert result.stderr.startswith("error: OSSAI_API_URLS: ")
    assert PASSWORD not in result.stdout + result.stderr
    assert "ValueError" not in result.stdout + result.stderr


def test_the_app_banner_never_shows_a_password(monkeypatch):
    monkeypatch.setenv("OSSAI_API_URLS", BAD_URLS["password, https"])
    at = _app()
    assert not at.exception
    # as the reader sees it: markdown escapes and the joiners that stop autolinks taken out
    banner = " ".join(e.value for e in at.error).replace("\\", "").replace("\u2060", "")
    assert "OSSAI_API_URLS" in banner and PASSWORD not in banner
    assert "https://***@mirror.example" in banner


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://ghe.example/api/v3", True),
        ("http://127.0.0.1:8080", True),
        ("http://[::1]:8080", True),
        ("http://localhost:8080", True),
        ("http://ghe.example/api/v3", False),
        ("http://127.0.0.1.example", False),
    ],
)
def test_the_token_goes_only_over_https_or_to_a_test_server_on_this_machine(url, allowed):
    environ = {"GITHUB_TOKEN": "ghp_not_a_real_token", "OSSAI_API_URLS": f"github={url}"}
    if allowed:
        assert Settings.from_environment(environ).api_urls["github"] == url
        return
    with pytest.raises(ConfigError) as caught:
        Settings.from_environment(environ)
    assert "https" in str(caught.value) and "ghp_not_a_real_token" not in str(caught.value)
    del environ["GITHUB_TOKEN"]  # no token: nothing secret goes there, plain http is fine
    assert Settings.from_environment(environ).api_urls["github"] == url


def test_the_cli_refuses_a_token_bound_for_plain_http_before_any_request():
    """Was: 'unexpected error (ValueError)' for every repository and exit 4."""
    result = _cli(
        "refresh",
        "--sources",
        "github",
        "--quiet",
        GITHUB_TOKEN="ghp_not_a_real_token",
        OSSAI_API_URLS="github=http://ghe.example",
    )
    assert result.returncode == cli.EXIT_USAGE, result.stdout + result.stderr
    assert result.stderr.startswith("error: GITHUB_TOKEN: ") and "https" in result.stderr
    assert "ghp_not_a_real_token" not in result.stdout + result.stderr
    readme = (ROOT / "README.md").read_text()
    assert "only over https or to a test server on this machine" in readme
