"""Secrets and hostile input: a canary token never leaves the client, names are checked before
any URL is built, and URLs from answers are followed only on the API host."""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from collectors.http import StatusError, UnsafeUrlError
from tests.fakes.github import FakeGitHub, Fault, client_for, refresh

pytest_plugins = ["tests.fakes.github"]

# Shaped like a real personal access token, so a leak in any form would be recognisable.
CANARY = "ghp_CANARY" + "Zq7Xw2Lp9Rt4Vy6Nb8Mc1Kd3Hf5Gj0Sa2Eu4"


@pytest.fixture
def trap(fake_clock):
    """Another host (127.0.0.2) that records whatever reaches it: nothing should."""
    with FakeGitHub([], clock=fake_clock, host="127.0.0.2") as server:
        yield server


def _texts_in(folder: Path) -> list[tuple[Path, str]]:
    """Every file under `folder` as text: raw bytes, and Parquet files cell by cell."""
    out = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        out.append((path, path.read_bytes().decode("utf-8", errors="replace")))
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            cells = [str(v) for column in table.columns for v in column.to_pylist()]
            out.append((path, "\n".join(cells)))
    return out


def test_a_canary_token_never_appears_in_logs_errors_files_or_rows(
    github_server, trap, tracked_registry, fresh_store, fake_clock, cache_file, user_data_dir,
    caplog,
):  # fmt: skip
    github_server.repo("octo-org/gamma").state = "missing"
    github_server.fail(r"^/repos/octo-org/beta/contributors", Fault.echo_authorization())
    github_server.fail(r"^/repos/octo-org/alpha/stargazers/history", Fault.foreign_link(trap.url))
    github_server.fail(r"^/repos/octo-org/alpha/releases", Fault.redirect(f"{trap.url}/x"))
    client = client_for(github_server, fake_clock, cache_file, token=CANARY)
    seen: list[str] = [repr(client), str(client.__dict__.keys())]
    with caplog.at_level(logging.DEBUG):
        first = refresh(tracked_registry, fresh_store, client, fake_clock)
        second = refresh(tracked_registry, fresh_store, client, fake_clock)
        github_server.fail(r"^/repos/octo-org/beta$", Fault.echo_authorization())
        with pytest.raises(StatusError) as echoed:
            client.get("/repos/octo-org/beta")
        github_server.exhaust(CANARY, reset_in=7200)
        third = refresh(tracked_registry, fresh_store, client, fake_clock)
    client.close()

    # The token was really in play: sent to the API host, and only there.
    assert f"Bearer {CANARY}" in github_server.authorizations
    assert trap.log == [] and trap.authorizations == []
    assert "Bad credentials: Bearer [token]" in str(echoed.value)
    assert third.stopped_by is not None

    for summary in (first, second, third):
        seen += summary.lines()
        seen += [repr(o) for o in summary]
        seen.append(repr(summary.stopped_by))
    error = echoed.value
    seen += [str(error), repr(error), repr(error.args), error.problem, error.api_message, error.url]
    seen.append(caplog.text)
    assert any("contributors: GitHub answered 401" in line for line in first.lines())
    for text in seen:
        assert CANARY not in text
        assert CANARY[4:] not in text  # not even without its prefix
    files = _texts_in(user_data_dir) + _texts_in(fresh_store.root)
    assert any(path == cache_file for path, _ in files)  # the validator cache was written
    for path, text in files:
        assert CANARY not in text and CANARY[4:] not in text, path
    cache = cache_file.read_text()
    assert "Authorization" not in cache and "Bearer" not in cache  # no request header kept
    runs = fresh_store.read("collection_runs").frame
    assert not runs["message"].dropna().str.contains(CANARY[4:], regex=False).any()


def test_the_validator_cache_is_private_to_its_owner(
    github_server, github_client, tracked_registry, fresh_store, fake_clock, cache_file
):
    refresh(tracked_registry, fresh_store, github_client, fake_clock)
    assert cache_file.stat().st_mode & 0o077 == 0


def test_links_and_redirects_to_another_host_are_never_followed(
    github_server, trap, fake_clock, cache_file
):
    client = client_for(github_server, fake_clock, cache_file, token=CANARY)
    github_server.fail(r"^/repos/octo-org/alpha/releases", Fault.redirect(f"{trap.url}/steal", 307))
    with pytest.raises(UnsafeUrlError, match=r"redirect pointed to another host \(127\.0\.0\.2\)"):
        client.get("/repos/octo-org/alpha/releases")
    github_server.fail(r"^/repos/octo-org/alpha/contributors", Fault.foreign_link(trap.url))
    pages = client.pages("/repos/octo-org/alpha/contributors", {"per_page": 100})
    first = next(pages)
    assert len(first.json_list()) == 100
    with pytest.raises(UnsafeUrlError, match="next-page link"):
        next(pages)
    assert trap.log == []
    client.close()


def test_a_hostile_name_in_an_answer_is_not_followed(
    github_server, github_client, tracked_registry, fresh_store, fake_clock
):
    github_server.fail(
        r"^/repos/octo-org/alpha$",
        Fault.answer(200, {"full_name": "octo-org/../../rate_limit", "stargazers_count": 1}),
    )
    summary = refresh(tracked_registry, fresh_store, github_client, fake_clock)
    alpha = summary.outcome("octo-org/alpha")
    assert alpha.status == "failed" and "which is not valid" in alpha.message
    assert summary.outcome("octo-org/beta").status == "ok"
    assert not any(".." in entry.path for entry in github_server.log)
    assert [e.path for e in github_server.log if "alpha" in e.path] == ["/repos/octo-org/alpha"]


def test_anonymous_contributors_leave_no_email_or_name_in_the_store(
    github_server, github_client, tracked_registry, fresh_store, fake_clock
):
    refresh(tracked_registry, fresh_store, github_client, fake_clock)
    people = fresh_store.read("contributors").frame
    assert (people["kind"] == "Anonymous").sum() == 40
    for _, text in _texts_in(fresh_store.root):
        assert "@example.org" not in text and "Person 1" not in text
