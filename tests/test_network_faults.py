"""Network faults tried from outside (issue 12, items 13-18): no network, a body cut short,
a server that ignores `per_page`, bodies too large, too deep or too slow, implausible values
and text that is not UTF-8. Every test counts what was asked and stored, never seconds."""

from __future__ import annotations

import dataclasses
import json
import socket
from collections import Counter
from urllib.parse import urlsplit

import pandas as pd
import pytest

from collectors.http import (
    HostUnreachableError,
    HttpClient,
    RequestDeadlineError,
    ResponseFormatError,
    RunDeadlineError,
)
from registry import parse_registry
from service import refresh
from settings import NetworkLimits
from store import SegmentStore
from tests.conftest import TODAY
from tests.fakes.clock import NOW, FakeClock
from tests.fakes.github import (
    TEST_TOKEN,
    FakeGitHub,
    Fault,
    client_for,
    make_repo,
)
from tests.fakes.github import (
    refresh as github_refresh,
)
from tests.fakes.projects_toml import projects_toml
from tests.fakes.transport import scripted_session

pytest_plugins = ["tests.fakes.github", "tests.fakes.pypi"]

API = "https://api.example.test"


@pytest.fixture
def wire():
    """A client on the scripted transport (no socket) with a fake clock."""

    def make(**options):
        session, adapter = scripted_session()
        clock = FakeClock(NOW)
        options.setdefault("user_agent", "tests/1.0")
        client = HttpClient(API, session=session, clock=clock, sleep=clock.sleep, **options)
        return client, adapter, clock

    return make


@pytest.fixture
def name_lookups(monkeypatch) -> Counter:
    """Counts the name lookups (one per connection attempt) per host; a `.invalid` name
    (RFC 6761: never resolves) fails at once, as it does on a machine without network."""
    real = socket.getaddrinfo
    seen: Counter = Counter()

    def lookup(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        seen[name] += 1
        if name.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return seen


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _runs(store_dir) -> pd.DataFrame:
    return SegmentStore(store_dir).read("collection_runs").frame


# ----- 13: no network: one try per host, one line per source ---------------------------------

HTTP_SOURCES = ["github", "pypi", "pypistats", "depsdev", "top-pypi"]


def test_without_network_each_host_is_tried_once_and_each_source_says_so_in_one_line(
    user_settings, user_data_dir, name_lookups, fake_clock
):
    from tests.fakes.pypi import SMALL_REGISTRY

    registry = parse_registry(SMALL_REGISTRY, "projects.toml")
    urls = {source: f"http://{source}.nonexistent.invalid" for source in HTTP_SOURCES}
    settings = dataclasses.replace(user_settings, api_urls=urls)
    report = refresh.run(
        registry,
        settings,
        refresh.RefreshOptions(sources=HTTP_SOURCES),
        clock=fake_clock,
        sleep=fake_clock.sleep,
    )

    # one attempt per host: not per target, and not four tries each
    assert {urlsplit(u).hostname: 1 for u in urls.values()} == dict(name_lookups)
    assert sum(o.requests for o in report.outcomes) == len(HTTP_SOURCES)
    offline = [n for n in report.notes if "appears to be offline" in n]
    assert len(offline) == 1 and offline[0].startswith("This machine appears to be offline")
    for source in HTTP_SOURCES:  # one line per source, naming its host and the reason
        lines = [n for n in report.notes if n.startswith(f"{source}: ")]
        assert len(lines) == 1, report.notes
        assert f"{source}.nonexistent.invalid" in lines[0]
        assert "could not be resolved" in lines[0]
    assert report.exit_code == refresh.FAILED
    # what a person reads: the offline line once, then one line per source saying it could
    # not be reached and how many targets were left out for that reason; nothing per target
    lines = report.lines()
    assert (
        lines[0].startswith("This machine appears to be offline")
        and "no data was changed" in lines[0]
    )
    assert len(lines) == 1 + len(HTTP_SOURCES), lines
    for source, line in zip(HTTP_SOURCES, lines[1:], strict=True):
        targets = len(report.table().query("source == @source"))
        assert line.startswith(
            f"{source}: failed/unreachable: could not reach {source}.nonexistent.invalid"
        )
        if targets > 1:
            assert line.endswith(
                f"; {targets - 1} of {targets} targets not tried because the source was unreachable"
            )
    # the outcome and its reason are recorded per source in collection_runs
    runs = _runs(user_data_dir)
    assert set(runs["collector"]) == set(HTTP_SOURCES)
    first = runs[runs["status"] == "failed"]
    assert set(first["collector"]) == set(HTTP_SOURCES)
    assert first["message"].str.contains("could not be resolved").all()
    skipped = runs[runs["status"] == "skipped"]
    assert len(skipped) and skipped["message"].str.startswith("not tried").all()
    assert (runs["requests"] <= 1).all()


def test_a_refused_connection_is_tried_once_for_the_whole_source(
    user_settings, user_data_dir, name_lookups, fake_clock
):
    from tests.fakes.pypi import SMALL_REGISTRY

    registry = parse_registry(SMALL_REGISTRY, "projects.toml")
    url = f"http://127.0.0.1:{closed_port()}"
    settings = dataclasses.replace(user_settings, api_urls={"pypi": url, "depsdev": url})
    report = refresh.run(
        registry,
        settings,
        refresh.RefreshOptions(sources=["pypi", "depsdev"]),
        clock=fake_clock,
        sleep=fake_clock.sleep,
    )
    assert name_lookups["127.0.0.1"] == 2  # one connection attempt per source's client
    assert sum(o.requests for o in report.outcomes) == 2
    for source in ("pypi", "depsdev"):
        lines = [n for n in report.notes if n.startswith(f"{source}: ")]
        assert len(lines) == 1 and "refused the connection" in lines[0]
    assert not any("offline" in n for n in report.notes)  # something answered "no"
    table = report.table()
    assert (table.groupby("source")["status"].apply(lambda s: (s == "failed").sum()) == 1).all()


def test_a_host_that_cannot_be_reached_is_not_asked_again_by_the_same_client(
    name_lookups, fake_clock
):
    client = HttpClient(
        "http://api.nonexistent.invalid", user_agent="t", clock=fake_clock, sleep=fake_clock.sleep
    )
    with pytest.raises(HostUnreachableError) as first:
        client.get("/a")
    with pytest.raises(HostUnreachableError) as second:
        client.get("/b")
    assert first.value.offline and "appears to be offline" in first.value.problem
    assert second.value.url.endswith("/b")
    assert name_lookups["api.nonexistent.invalid"] == 1 and fake_clock.sleeps == []
    assert client.usage.requests == 1 and client.usage.retries == 0


def test_github_without_network_costs_one_try_not_one_per_repository(
    tracked_registry, fresh_store, fake_clock, cache_file, name_lookups
):
    client = HttpClient(
        "http://api.nonexistent.invalid", user_agent="t", clock=fake_clock, sleep=fake_clock.sleep
    )
    summary = github_refresh(tracked_registry, fresh_store, client, fake_clock)
    assert [o.status for o in summary] == ["failed", "skipped", "skipped"]
    assert name_lookups["api.nonexistent.invalid"] == 1
    assert "appears to be offline" in summary.outcomes[0].message
    assert summary.lines()[-1] == (
        "github: could not reach api.nonexistent.invalid: its host name could not be "
        "resolved; its other targets were not tried this run"
    )
    assert summary.outcomes[1].message.startswith("not tried: GitHub could not be reached")


# ----- 14: a body cut short is asked again and never cached ------------------------------------


def test_a_body_cut_short_is_asked_again_and_only_the_whole_one_is_cached(wire, tmp_path):
    client, adapter, _ = wire(cache_path=tmp_path / "cache.json")
    whole = json.dumps([{"n": i} for i in range(50)]).encode()
    adapter.answer(200, whole[:100], Content_Type="application/json", ETag='"v1"')
    adapter.answer(200, whole, Content_Type="application/json", ETag='"v1"')
    with client.measure() as usage:
        assert len(client.get("/list").json_list()) == 50
    assert usage.requests == 2 and usage.retries == 1
    client.flush()
    cached = json.loads((tmp_path / "cache.json").read_text())["entries"]
    assert [json.loads(e["body"]) for e in cached.values()] == [json.loads(whole)]


def test_a_body_always_cut_short_fails_after_the_tries_and_is_never_cached(wire, tmp_path):
    client, adapter, _ = wire(cache_path=tmp_path / "cache.json", max_retries=2)
    for _ in range(3):
        adapter.answer(200, b'{"a": [1, 2', Content_Type="application/json", ETag='"v1"')
    with pytest.raises(ResponseFormatError, match=r"cut short .* \(3 tries\)"):
        client.get("/x")
    adapter.answer(200, {"a": [1, 2]}, ETag='"v1"')  # the server has recovered
    assert client.get("/x").json() == {"a": [1, 2]}
    assert "If-None-Match" not in adapter.sent[-1].headers


def test_a_broken_body_cached_by_an_older_version_is_asked_again_not_handed_back(wire, tmp_path):
    cache = tmp_path / "cache.json"
    key = f"GET {API}/x accept=application/json"
    entry = {"etag": '"v1"', "last_modified": None, "content_type": "application/json",
             "link": None, "used_at": NOW.timestamp(), "body": '{"a": [1, '}  # fmt: skip
    cache.write_text(json.dumps({"format": 1, "entries": {key: entry}}))
    client, adapter, _ = wire(cache_path=cache)
    adapter.answer(304, None, ETag='"v1"').answer(200, {"a": [1, 2]}, ETag='"v1"')
    assert client.get("/x").json() == {"a": [1, 2]}
    assert "If-None-Match" in adapter.sent[0].headers
    assert "If-None-Match" not in adapter.sent[1].headers


def test_github_recovers_after_a_refresh_that_met_bodies_cut_short(
    github_server, tracked_registry, fresh_store, fake_clock, cache_file
):
    github_server.fail(r"^/repos/octo-org/alpha/contributors", Fault.truncated_json(), times=None)
    client = client_for(github_server, fake_clock, cache_file)
    first = github_refresh(tracked_registry, fresh_store, client, fake_clock)
    client.close()
    assert (
        "contributors: GitHub answered JSON that is cut short"
        in first.outcome("octo-org/alpha").message
    )
    assert len(github_server.served(r"alpha/contributors")) == 4  # asked again 3 times
    github_server._faults._items.clear()  # the server recovers
    fake_clock.advance(86400)
    client = client_for(github_server, fake_clock, cache_file)
    second = github_refresh(tracked_registry, fresh_store, client, fake_clock)
    client.close()
    assert second.outcome("octo-org/alpha").status == "ok", second.lines()
    people = fresh_store.read("contributors").frame
    assert (people["repo"] == "octo-org/alpha").any()


@pytest.mark.parametrize("source", ["pypistats", "depsdev"])
def test_package_sources_recover_after_bodies_cut_short(
    package_hosts, package_registry, user_data_dir, pypi_clock, monkeypatch, source
):
    from collectors import depsdev, pypistats
    from tests.fakes.pypi import Fault as PackageFault
    from tests.fakes.pypi.fixtures import clients_for

    monkeypatch.setattr(pypistats, "MIN_INTERVAL", 0.0)
    refresh_source = {
        "pypistats": pypistats.refresh_pypistats,
        "depsdev": depsdev.refresh_depsdev,
    }[source]
    pattern = {"pypistats": r"/api/packages/beta-kit/", "depsdev": r"beta-kit"}[source]
    store = SegmentStore(user_data_dir / "store")
    package_hosts.etags = True  # the cut body comes with the whole body's ETag
    package_hosts.fail(pattern, PackageFault.truncated_json(), times=None)
    client = clients_for(package_hosts, pypi_clock, user_data_dir / "cache")[source]
    first = refresh_source(package_registry, store, client, now=pypi_clock.timestamp())
    client.close()
    assert first.outcome("beta-kit").status == "failed"
    assert "cut short" in first.outcome("beta-kit").message
    package_hosts._faults._items.clear()  # the server recovers
    client = clients_for(package_hosts, pypi_clock, user_data_dir / "cache")[source]
    second = refresh_source(package_registry, store, client, now=pypi_clock.timestamp())
    client.close()
    assert second.outcome("beta-kit").status == "ok", second.lines()


# ----- 15: a server that ignores per_page ------------------------------------------------------


def test_open_prs_are_counted_right_when_the_server_ignores_per_page(
    fake_clock, fresh_store, cache_file
):
    repo = make_repo("keras-team/keras", 1, NOW - pd.Timedelta(days=3000), stars=63_000,
                     open_prs=98)  # fmt: skip
    with FakeGitHub([repo], clock=fake_clock) as server:
        server.ignore_per_page = 30
        client = client_for(server, fake_clock, cache_file)
        registry = parse_registry(
            projects_toml(("keras", '["keras-team/keras"]', "")), "projects.toml"
        )
        summary = github_refresh(registry, fresh_store, client, fake_clock)
        client.close()
    snapshot = fresh_store.read("repo_snapshots").frame
    assert snapshot["open_prs"].tolist() == [98]  # not 4, the number of 30-item pages
    assert "ignored per_page=1" in summary.outcome("keras-team/keras").message


# ----- 16: caps and deadlines ------------------------------------------------------------------


def test_a_body_over_the_size_limit_is_refused_with_the_setting_named(
    github_server, fake_clock, cache_file
):
    client = client_for(github_server, fake_clock, cache_file, max_body_bytes=1000)
    with client.measure() as usage, pytest.raises(ResponseFormatError) as caught:
        client.get("/repos/octo-org/alpha")
    assert "refused" in caught.value.problem and "max_body_bytes" in caught.value.problem
    assert usage.requests == 1  # not asked again: the same answer would come back


def test_json_nested_200000_deep_is_refused_in_plain_words(wire):
    client, adapter, _ = wire()
    adapter.answer(200, b"[" * 200_000 + b"]" * 200_000, Content_Type="application/json")
    with pytest.raises(ResponseFormatError, match="nested too deeply"):
        client.get("/deep")
    assert len(adapter.sent) == 1


def test_a_body_dripping_in_is_cut_at_the_per_request_deadline(
    github_server, fake_clock, cache_file
):
    github_server.fail(r"^/repos/octo-org/alpha$", Fault.drip(0.02), times=None)
    client = client_for(github_server, fake_clock, cache_file, request_seconds=0.3)
    with pytest.raises(RequestDeadlineError, match="still arriving") as caught:
        client.get("/repos/octo-org/alpha")
    assert "request_seconds" in caught.value.problem
    assert len(github_server.served(r"^/repos/octo-org/alpha$")) == 1
    client.close()


def test_the_run_deadline_stops_the_run_cleanly_and_keeps_what_was_collected(
    github_server, tracked_registry, fresh_store, fake_clock, cache_file
):
    # alpha's stats answer 202 twice: the waits (on the fake clock) pass the run's deadline
    client = client_for(github_server, fake_clock, cache_file, run_deadline=fake_clock() + 3)
    github_server.fail(r"^/repos/octo-org/alpha/stats/", Fault.accepted(), times=2)
    summary = github_refresh(tracked_registry, fresh_store, client, fake_clock)
    client.close()
    statuses = [o.status for o in summary]
    assert statuses[0] == "partial" and statuses[1:] == ["skipped", "skipped"]
    assert "time limit" in summary.lines()[-1]
    assert len(fresh_store.read("repo_snapshots").frame) == 1  # alpha's, kept
    assert not github_server.served(r"beta|gamma")


def test_a_run_past_its_deadline_asks_nothing(wire):
    client, adapter, _ = wire(run_deadline=NOW.timestamp() - 1)
    with pytest.raises(RunDeadlineError, match="time limit"):
        client.get("/x")
    assert adapter.sent == []


def test_a_rate_limit_wait_that_would_pass_the_run_deadline_stops_instead(wire):
    from collectors.github.client import GitHubPolicy

    client, adapter, clock = wire(policy=GitHubPolicy(), run_deadline=NOW.timestamp() + 60)
    reset = str(int(NOW.timestamp()) + 600)  # ten minutes: within max_wait_seconds (15 min)
    adapter.answer(403, {"message": "API rate limit exceeded"}, x_ratelimit_remaining="0",
                   x_ratelimit_reset=reset)  # fmt: skip
    with pytest.raises(RunDeadlineError, match="would pass this refresh's time limit"):
        client.get("/x")
    assert clock.sleeps == [] and len(adapter.sent) == 1


def test_the_network_limits_are_settings_the_refresh_passes_to_every_client(
    github_server, tracked_registry, user_settings, fake_clock
):
    settings = dataclasses.replace(
        user_settings,
        github_token=TEST_TOKEN,
        api_urls={"github": github_server.url},
        network=NetworkLimits(max_body_bytes=1000),
    )
    github = refresh.RefreshOptions(sources=["github"])
    report = refresh.run(
        tracked_registry, settings, github, clock=fake_clock, sleep=fake_clock.sleep
    )
    assert all("max_body_bytes" in (o.message or "") for o in report.outcomes)
    limited = dataclasses.replace(settings, network=NetworkLimits(run_seconds=0))
    github_server.reset_log()
    report = refresh.run(
        tracked_registry, limited, github, clock=fake_clock, sleep=fake_clock.sleep
    )
    assert github_server.log == [] and {o.status for o in report.outcomes} == {"skipped"}
    assert any("time limit" in n for n in report.notes)


# ----- 17: implausible values are null with a flag; the rest is kept ---------------------------


def _repo_object(server: FakeGitHub, clock: FakeClock, cache_file, **changes) -> dict:
    client = client_for(server, clock, None)
    data = client.get("/repos/octo-org/alpha").json_object()
    client.close()
    server.reset_log()
    return {**data, **changes}


@pytest.mark.parametrize(
    "created", ["now", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2100-01-01T00:00:00Z"]
)
def test_implausible_repository_values_are_null_flagged_and_the_rest_kept(
    github_server, tracked_registry, fresh_store, fake_clock, cache_file, created
):
    data = _repo_object(
        github_server,
        fake_clock,
        cache_file,
        stargazers_count=-5,
        forks_count=2**70,
        subscribers_count=2**63 - 1,
        created_at=created,
    )
    github_server.fail(r"^/repos/octo-org/alpha$", Fault.answer(200, data))
    client = client_for(github_server, fake_clock, cache_file)
    summary = github_refresh(tracked_registry, fresh_store, client, fake_clock)
    client.close()
    alpha = summary.outcome("octo-org/alpha")
    assert alpha.status == "partial"
    for field in ("stargazers_count -5", "forks_count 1180591620717411303424", "created_at"):
        assert field in alpha.message
    snapshots = fresh_store.read("repo_snapshots").frame.set_index("repo")
    row = snapshots.loc["octo-org/alpha"]
    assert pd.isna(row["stars"]) and pd.isna(row["forks"]) and pd.isna(row["watchers"])
    assert row["open_issues"] == data["open_issues_count"] and row["quality"] == "partial"
    repos = fresh_store.read("repositories").frame.set_index("repo")
    assert pd.isna(repos.loc["octo-org/alpha", "created_at"])
    assert repos.loc["octo-org/alpha", "quality"] == "partial"
    weeks = fresh_store.read("star_history").frame
    assert (weeks["repo"] == "octo-org/alpha").any()  # the rest of the repository is kept
    assert snapshots.loc["octo-org/beta", "quality"] == "ok"


def test_an_implausible_star_history_week_is_null_not_a_lost_repository(
    github_server, tracked_registry, fresh_store, fake_clock, cache_file
):
    week = int(pd.Timestamp(TODAY - pd.Timedelta(days=7), tz="UTC").timestamp())
    github_server.fail(
        r"^/repos/octo-org/alpha/stargazers/history",
        Fault.answer(200, [{"week": week, "total": 2**70, "days": [0] * 7}]),
    )
    client = client_for(github_server, fake_clock, cache_file)
    summary = github_refresh(tracked_registry, fresh_store, client, fake_clock)
    client.close()
    weeks = fresh_store.read("star_history").frame
    alpha = weeks[weeks["repo"] == "octo-org/alpha"]
    assert alpha["stars_gained"].isna().all() and set(alpha["quality"]) == {"anomalous"}
    assert summary.outcome("octo-org/alpha").rows_written > 1


def test_implausible_package_numbers_are_null_not_stored(
    package_hosts, package_registry, fresh_store, pypi_clock, source_clients, monkeypatch
):
    from collectors import depsdev, pypi, pypistats
    from tests.fakes.pypi import Fault as PackageFault

    monkeypatch.setattr(pypistats, "MIN_INTERVAL", 0.0)
    now = pypi_clock.timestamp()
    yesterday = str((now - pd.Timedelta(days=1)).date())
    days = [{"category": "without_mirrors", "date": yesterday, "downloads": 2**70},
            {"category": "without_mirrors", "date": "2100-01-01", "downloads": 5}]  # fmt: skip
    package_hosts.fail(
        r"^/api/packages/beta-kit/", PackageFault.answer(200, {"data": days, "type": "x"})
    )
    stats = pypistats.refresh_pypistats(
        package_registry, fresh_store, source_clients["pypistats"], now=now
    )
    assert stats.outcome("beta-kit").status == "ok", stats.lines()
    daily = fresh_store.read("package_downloads").frame
    beta = daily[daily["package"] == "beta-kit"]
    assert beta["downloads"].isna().all() and set(beta["quality"]) == {"anomalous"}

    package_hosts.fail(
        r"beta-kit.*:dependents",
        PackageFault.answer(200, {"dependentCount": 2**70, "directDependentCount": -1,
                                  "indirectDependentCount": "99999999999999999999"}),
    )  # fmt: skip
    deps = depsdev.refresh_depsdev(
        package_registry, fresh_store, source_clients["depsdev"], now=now
    )
    assert deps.outcome("beta-kit").status == "ok", deps.lines()
    counts = fresh_store.read("package_dependents").frame.set_index("package")
    assert counts.loc["beta-kit", ["dependents", "direct_dependents"]].isna().all()
    assert pd.isna(counts.loc["beta-kit", "indirect_dependents"])

    client = source_clients["pypi"]
    data = client.get("/pypi/beta-kit/json", conditional=False).json_object()
    data["last_serial"] = 2**70
    for files in data["releases"].values():
        for item in files:
            item["upload_time_iso_8601"] = item["upload_time"] = "2100-01-01T00:00:00Z"
    package_hosts.fail(r"^/pypi/beta-kit/json", PackageFault.answer(200, data))
    found = pypi.refresh_pypi(package_registry, fresh_store, client, now=now, force=True)
    assert found.outcome("beta-kit").status == "ok", found.lines()
    packages = fresh_store.read("packages").frame.set_index("package")
    assert pd.isna(packages.loc["beta-kit", "last_serial"])
    releases = fresh_store.read("releases").frame
    assert releases[releases["subject"] == "beta-kit"]["published_at"].isna().all()


# ----- 18: text that is not UTF-8 is named as such ---------------------------------------------


def test_text_that_is_not_utf8_is_named_as_such(wire):
    client, adapter, _ = wire()
    adapter.answer(200, b'{"name": "caf\xe9"}', Content_Type="application/json")
    with pytest.raises(ResponseFormatError) as caught:
        client.get("/x")
    assert "not valid UTF-8" in caught.value.problem and "0xe9" in caught.value.problem
    assert "cut short" not in caught.value.problem
    assert len(adapter.sent) == 1


def test_github_reports_text_that_is_not_utf8_in_plain_words(
    github_server, tracked_registry, fresh_store, fake_clock, cache_file
):
    github_server.fail(r"^/repos/octo-org/alpha/releases", Fault.raw(200, b"[\xff\xfe]"))
    client = client_for(github_server, fake_clock, cache_file)
    summary = github_refresh(tracked_registry, fresh_store, client, fake_clock)
    client.close()
    message = summary.outcome("octo-org/alpha").message
    assert "releases: GitHub answered text that is not valid UTF-8" in message


# ----- git without a reachable host: one try, one line, local clones still read -------------


def test_git_that_cannot_reach_its_host_tries_once_and_still_reads_local_clones(
    user_settings, tmp_path, fake_clock
):
    from tests.fakes.pypi import SMALL_REGISTRY
    from tests.gitrepo import Repo

    registry = parse_registry(SMALL_REGISTRY, "projects.toml")
    local = Repo(tmp_path / "beta")
    local.commit("Ann Example <ann@example.org>", "2024-01-02T10:00:00+00:00")
    nowhere = f"http://127.0.0.1:{closed_port()}"
    locations = {
        "alpha-org/alpha-lib": f"{nowhere}/alpha-org/alpha-lib.git",
        "alpha-org/alpha-docs": f"{nowhere}/alpha-org/alpha-docs.git",
        "beta-org/beta": str(local.path),
    }

    def run(projects):
        options = refresh.RefreshOptions(["git"], projects, git_locations=locations)
        return refresh.run(
            registry, user_settings, options, clock=fake_clock, sleep=fake_clock.sleep
        )

    report = run(["alpha", "beta"])
    table = report.table().set_index("target")
    assert table.loc["alpha-org/alpha-lib", "status"] == "failed"
    assert "could not reach 127.0.0.1" in table.loc["alpha-org/alpha-lib", "message"]
    assert table.loc["alpha-org/alpha-docs", "message"].startswith("not tried: git could not")
    assert table.loc["beta-org/beta", "status"] == "ok"  # a local clone needs no network
    assert report.exit_code == refresh.PARTIAL
    lines = [line for line in report.lines() if line.startswith("git")]
    assert lines == [
        "git: partial: 1 of 3 targets refreshed, 1 failed, 1 not tried; first: "
        + f"alpha-org/alpha-lib: {table.loc['alpha-org/alpha-lib', 'message']}"
    ]

    only_remote = run(["alpha"])
    line = next(line for line in only_remote.lines() if line.startswith("git"))
    assert line.startswith("git: failed/unreachable: could not reach 127.0.0.1: ")
    assert line.endswith("; 1 of 2 targets not tried because the source was unreachable")
    assert only_remote.exit_code == refresh.FAILED
    assert not any("offline" in n for n in only_remote.lines())  # refused: not a DNS failure
