"""One refresh run across sources and projects: what the CLI, the scheduler and the app's
"Refresh now" button all call."""

from __future__ import annotations

import dataclasses
from datetime import UTC

import pytest

from collectors import github
from service import refresh
from store import SegmentStore
from tests.fakes.github import TEST_TOKEN, FakeClock

pytest_plugins = ["tests.fakes.github"]


@pytest.fixture
def run(fake_clock: FakeClock):
    """`refresh.run` on the fakes' clock: backoffs, 202 waits and pacing take no real time."""

    def refresh_on_fake_clock(*args, **kwargs):
        return refresh.run(*args, clock=fake_clock, sleep=fake_clock.sleep, **kwargs)

    return refresh_on_fake_clock


def test_one_github_client_serves_the_whole_run(
    run, github_server, tracked_registry, user_data_dir, user_settings, monkeypatch
):
    """A rate limit met for one project must be known to the next one, so the run uses one
    client (and one validator cache) for all projects, and saves that cache at the end."""
    made = []
    real = github.github_client

    def counting(*args, **kwargs):
        made.append(kwargs.get("base_url"))
        return real(*args, **kwargs)

    monkeypatch.setattr(github, "github_client", counting)
    settings = dataclasses.replace(
        user_settings, github_token=TEST_TOKEN, api_urls={"github": github_server.url}
    )
    report = run(tracked_registry, settings, refresh.RefreshOptions(sources=["github"]))
    projects = {o.project for o in report.outcomes}
    assert len(projects) == 3 and report.exit_code == refresh.OK
    assert made == [github_server.url]
    assert (user_data_dir / "http-cache" / "github.json").is_file()
    assert not SegmentStore(user_data_dir).read("repo_snapshots").frame.empty


def test_a_rate_limit_in_one_project_skips_the_rest_without_asking_again(
    run, rate_limited_github, tracked_registry, user_settings
):
    settings = dataclasses.replace(
        user_settings, github_token=TEST_TOKEN, api_urls={"github": rate_limited_github.url}
    )
    report = run(tracked_registry, settings, refresh.RefreshOptions(sources=["github"]))
    assert [o.status for o in report.outcomes] == ["failed", "skipped", "skipped"]
    assert len(rate_limited_github.log) == 1
    assert report.exit_code == refresh.FAILED
    assert any("rate limit" in note.lower() for note in report.notes)


@pytest.fixture
def package_world(fake_clock):
    """The fake PyPI-side hosts on the run's fake clock, with a dump."""
    from tests.fakes.pypi import FakePackageHosts, small_scorecards, small_world, top_dump

    clock = fake_clock
    dump = top_dump("2026-11-01", [("alpha-lib", 9_000_000), ("beta-kit", 40_000)])
    with FakePackageHosts(
        small_world(), clock=clock, scorecards=small_scorecards(), dump=dump
    ) as h:
        yield h


PACKAGE_SOURCES = ["pypi", "pypistats", "depsdev", "top-pypi"]


@pytest.fixture
def package_settings(package_world, user_settings):
    """The user settings with every PyPI-side source pointed at the fake hosts."""
    return dataclasses.replace(
        user_settings, api_urls=dict.fromkeys(PACKAGE_SOURCES, package_world.url)
    )


def _package_options(**extra) -> refresh.RefreshOptions:
    return refresh.RefreshOptions(sources=PACKAGE_SOURCES, **extra)


def test_one_failing_source_loses_nothing_of_the_others_and_says_what_failed(
    run, package_world, package_settings, user_data_dir, monkeypatch
):
    from registry import parse_registry
    from tests.fakes.pypi import SMALL_REGISTRY, Fault

    registry = parse_registry(SMALL_REGISTRY, "projects.toml")
    package_world.fail(r"/api/packages/", Fault.http_error(503), times=None)
    report = run(registry, package_settings, _package_options(projects=["alpha", "beta"]))
    table = report.table()
    stats = table[table["source"] == "pypistats"]
    assert set(stats["status"]) == {"failed"} and len(stats) == 2
    assert stats["message"].str.contains("503").all()
    others = table[table["source"] != "pypistats"]
    assert set(others["status"]) == {"ok"}, others
    assert report.exit_code == refresh.PARTIAL
    store = SegmentStore(user_data_dir)
    releases = store.read("releases").frame
    assert {"alpha-lib", "beta-kit"} <= set(releases["subject"])
    assert set(store.read("packages").frame["package"]) == {"alpha-lib", "beta-kit"}
    assert not store.read("scorecards").frame.empty
    downloads = store.read("package_downloads").frame
    assert set(downloads["series"]) == {"monthly"}  # the dump's month; no daily rows
    assert set(downloads["package"]) == {"alpha-lib", "beta-kit"}


def test_a_second_refresh_the_same_day_asks_no_package_source_again(
    run, package_world, package_settings, monkeypatch
):
    from registry import parse_registry
    from tests.fakes.pypi import SMALL_REGISTRY

    registry = parse_registry(SMALL_REGISTRY, "projects.toml")
    options = _package_options(projects=["alpha", "beta"])
    first = run(registry, package_settings, options)
    assert first.exit_code == refresh.OK
    package_world.reset_log()
    second = run(registry, package_settings, options)
    assert package_world.log == []
    assert set(second.table()["status"]) == {"current"}  # up to date: a success, not a gap
    assert second.exit_code == refresh.OK
    assert second.table()["message"].str.contains("today|ago").all()
    forced = run(registry, package_settings, _package_options(projects=["beta"], force=True))
    assert len(package_world.log) > 0 and forced.exit_code == refresh.OK


def test_adding_a_source_is_one_module_and_one_registration(
    run, package_world, package_settings, monkeypatch
):
    """A new source written to the Source interface runs, reports and records like the
    others once registered: here a tiny one that counts each package's name length."""
    import pandas as pd

    from collectors.source import Collected, Source, package_targets
    from registry import parse_registry
    from service import sources
    from store.schema import PACKAGE_DOWNLOADS
    from tests.fakes.pypi import SMALL_REGISTRY

    class Lengths(Source):
        name, label, provenance = "lengths", "nobody", "test:lengths"

        def targets(self, projects):
            return package_targets(projects)

        def collect(self, client, key, target, now):
            return Collected({"package_downloads": PACKAGE_DOWNLOADS.empty()}, f"{len(key)}")

    monkeypatch.setitem(
        sources.SOURCES,
        "lengths",
        sources.interface(lambda step: Lengths(), lambda **o: sources.pypi.pypi_client(**o)),
    )
    registry = parse_registry(SMALL_REGISTRY, "projects.toml")
    report = run(registry, package_settings, refresh.RefreshOptions(sources=["lengths"]))
    table = report.table()
    assert list(table["message"]) == ["9", "8", "5", "15"] and report.exit_code == refresh.OK
    runs = SegmentStore(package_settings.data.store).read("collection_runs").frame
    assert set(runs.loc[runs["collector"] == "lengths", "source"]) == {"test:lengths"}
    assert pd.notna(runs["finished_at"]).all()


def test_an_unknown_source_in_the_settings_is_refused_with_its_name(run, user_settings):
    from errors import ConfigError
    from registry import parse_registry
    from tests.fakes.pypi import SMALL_REGISTRY

    registry = parse_registry(SMALL_REGISTRY, "projects.toml")
    bad = dataclasses.replace(user_settings, api_urls={"gitlab": "http://127.0.0.1:1"})
    with pytest.raises(ConfigError, match="unknown sources \\['gitlab'\\]"):
        run(registry, bad)


def test_a_source_that_breaks_even_listing_its_targets_costs_only_itself(
    run, package_settings, monkeypatch
):
    from registry import parse_registry
    from service import sources
    from tests.fakes.pypi import SMALL_REGISTRY

    def broken(step):
        raise RuntimeError("a bug")

    monkeypatch.setitem(sources.SOURCES, "broken", sources.Entry(broken, broken))
    registry = parse_registry(SMALL_REGISTRY, "projects.toml")
    options = refresh.RefreshOptions(sources=["broken", "top-pypi"], force=True)
    report = run(registry, package_settings, options)
    table = report.table().set_index("source")
    assert table.loc["broken", "status"] == "failed"
    assert (
        "unexpected error (RuntimeError); details in refresh.log" in table.loc["broken", "message"]
    )
    assert table.loc["top-pypi", "status"] == "ok" and report.exit_code == refresh.PARTIAL


def test_a_server_for_a_source_that_takes_none_is_refused_not_ignored(run, user_settings):
    from errors import ConfigError
    from registry import parse_registry
    from tests.fakes.pypi import SMALL_REGISTRY

    registry = parse_registry(SMALL_REGISTRY, "projects.toml")
    bad = dataclasses.replace(user_settings, api_urls={"git": "http://127.0.0.1:1"})
    with pytest.raises(ConfigError, match="git cannot be pointed at another server"):
        run(registry, bad)


# ----- what a person reads after a refresh that could reach only some sources --------------

UNREACHABLE = ["github", "pypistats", "depsdev"]


@pytest.fixture
def projects_file(tmp_path, monkeypatch):
    """The small registry as the CLI reads it (OSSAI_PROJECTS)."""
    from tests.fakes.pypi import SMALL_REGISTRY

    path = tmp_path / "projects.toml"
    path.write_text(SMALL_REGISTRY, encoding="utf-8")
    monkeypatch.setenv("OSSAI_PROJECTS", str(path))
    return path


def _cli_refresh(capsys, package_world, *extra: str) -> tuple[int, list[str]]:
    import cli

    urls = [f"{s}=http://{s}.nonexistent.invalid" for s in UNREACHABLE]
    urls.append(f"pypi={package_world.url}")
    sources = ",".join(["pypi", *UNREACHABLE])
    args = ["refresh", "--sources", sources, "--projects", "alpha,beta", "--quiet"]
    for url in urls:
        args += ["--api-url", url]
    code = cli.main([*args, *extra])
    return code, capsys.readouterr().out.splitlines()


def test_a_refresh_that_reached_only_pypi_says_so_source_by_source(
    package_world, projects_file, capsys
):
    code, out = _cli_refresh(capsys, package_world)
    assert code == 3  # partial: PyPI's packages were refreshed, the other sources were not
    assert not any("offline" in line for line in out), out  # PyPI answered: not offline
    assert not any("no data was changed" in line for line in out)
    assert not any(line.startswith(("not tried", "github octo-org")) for line in out), out
    pypi = [line for line in out if line.startswith("pypi: ")]
    assert len(pypi) == 1 and pypi[0].startswith("pypi: ok: 2 targets, ")
    for source in UNREACHABLE:
        lines = [line for line in out if line.startswith(f"{source}: ")]
        assert len(lines) == 1, out  # one line per source, never one per target
        assert lines[0].startswith(
            f"{source}: failed/unreachable: could not reach {source}.nonexistent.invalid: "
            "its host name could not be resolved"
        )
        assert "partial" not in lines[0]
    github = next(line for line in out if line.startswith("github: "))
    assert github.endswith("; 2 of 3 targets not tried because the source was unreachable")


def test_a_refresh_that_reached_nothing_is_a_total_failure_and_says_offline_once(
    package_world, projects_file, capsys
):
    first, _ = _cli_refresh(capsys, package_world)
    # the same day: PyPI is current (not asked), and nothing else can be reached
    code, out = _cli_refresh(capsys, package_world)
    assert first == 3 and code == 4, out
    offline = [line for line in out if "appears to be offline" in line]
    assert len(offline) == 1 and "no data was changed" in offline[0]
    assert any(line.startswith("pypi: ok: 2 targets") for line in out)
    assert sum("failed/unreachable" in line for line in out) == len(UNREACHABLE)


def test_the_sidebar_says_a_source_that_reached_nothing_failed_as_unreachable(
    package_world, projects_file, user_data_dir, capsys
):
    from app.sidebar import refresh_caption
    from metrics.status import last_outcomes

    _cli_refresh(capsys, package_world)
    outcomes = last_outcomes(SegmentStore(user_data_dir).read("collection_runs").frame)
    said = {row.collector: (row.outcome, refresh_caption(row)) for row in outcomes.itertuples()}
    assert said["pypi"][0] == "ok"
    assert said["github"][0] == "failed/unreachable"
    assert said["github"][1].endswith(
        "1 of 3 targets failed; 2 not tried because the source was unreachable"
    )
    assert said["depsdev"][0] == "failed/unreachable" and "partial" not in said["depsdev"][1]
    assert said["pypistats"][0] == "failed/unreachable"


# ----- after a PyPI refresh: one PyPI row in the sidebar, and the export says its new date ---


def test_a_pypi_refresh_moves_its_one_freshness_row_and_the_exported_date(
    user_settings, user_data_dir, tmp_path
):
    from datetime import timedelta

    from exports import export_pages
    from registry import parse_registry
    from store import DEFAULT_DATA, Catalog
    from tests.apptest import open_page
    from tests.fakes.pypi import SMALL_REGISTRY, FakePackageHosts, small_world

    shipped = SegmentStore(DEFAULT_DATA).read("sources").frame
    title = shipped.loc[shipped["source"] == "pypi:json", "title"].item()
    built = shipped.loc[shipped["source"] == "pypi:json", "as_of"].item()
    # a day after the build, and never more than the store's two days ahead of now (a row
    # dated later is implausible and left out: store.plausible)
    clock = FakeClock(built.to_pydatetime().replace(tzinfo=UTC) + timedelta(days=1, hours=9))
    day = f"{clock.timestamp():%Y-%m-%d}"
    with FakePackageHosts(small_world(), clock=clock) as hosts:
        settings = dataclasses.replace(user_settings, api_urls={"pypi": hosts.url})
        options = refresh.RefreshOptions(sources=["pypi"], projects=["alpha", "beta"])
        registry = parse_registry(SMALL_REGISTRY, "projects.toml")
        report = refresh.run(registry, settings, options, clock=clock, sleep=clock.sleep)
    assert report.exit_code == refresh.OK

    sidebar = open_page("overview").sidebar
    named = [
        m.value for m in sidebar.markdown if "pypi" in m.value.lower() and "Top" not in m.value
    ]
    # was: the build's row and a second one, 'refresh: pypi', with another date
    assert [n.replace("\\", "") for n in named] == [f"**{title}**", "**pypi**: ok"], named
    assert any(
        c.value.startswith(f"as of {day} · ") and c.value.endswith(" · refreshed")
        for c in sidebar.caption
    ), [c.value for c in sidebar.caption]

    out = tmp_path / "export"
    export_pages("overview", out, catalog=Catalog(DEFAULT_DATA, user_data_dir), formats=["csv"])
    note = (out / "overview" / "METHODS.md").read_text()
    assert f"- {title}: data as of {day};" in note, note


# ----- --force: asked again, but conditionally, so an unchanged package costs a 304 ----------


def test_force_asks_pypi_again_with_its_etags_and_says_so(package_world, projects_file, capsys):
    import cli

    args = ["refresh", "--sources", "pypi", "--projects", "alpha,beta", "--quiet"]
    args += ["--api-url", f"pypi={package_world.url}"]

    def pypi_line(*extra: str) -> str:
        assert cli.main([*args, *extra]) == 0
        return next(x for x in capsys.readouterr().out.splitlines() if x.startswith("pypi: "))

    assert "(0 conditional, 0 not modified)" in pypi_line()  # cold: nothing to revalidate
    assert pypi_line().endswith(  # the same day: not asked at all
        "0 new rows, 0 requests (0 conditional, 0 not modified) (2 already current)"
    )
    package_world.reset_log()
    forced = pypi_line("--force")
    assert forced == "pypi: ok: 2 targets, 0 new rows, 2 requests (2 conditional, 2 not modified)"
    assert [e.status for e in package_world.log] == [304, 304]


# ----- the exit codes: README's table, cli.py's --help and what a refresh returns agree -------


def _readme_exit_codes() -> dict[int, str]:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("| exit | meaning |\n")[1].split("\n\n")[0]
    rows = [line.split("|")[1:3] for line in table.splitlines()[1:]]
    return {int(code): meaning.strip() for code, meaning in rows}


def _help_exit_codes() -> dict[int, str]:
    import re

    import cli

    found: dict[int, str] = {}
    for line in cli.EXIT_CODES.splitlines()[1:]:
        start = re.match(r"\s+(\d)\s+(.*)", line)
        if start:
            code = int(start.group(1))
            found[code] = start.group(2)
        else:
            found[code] += " " + line.strip()
    return found


def _said(meaning: str) -> str:
    """What a code means, without its examples in parentheses."""
    return meaning.split(" (")[0].strip()


def test_the_readme_exit_code_table_is_what_the_cli_says_and_does(
    package_world, projects_file, user_settings, capsys
):
    import cli

    readme, helped = _readme_exit_codes(), _help_exit_codes()
    assert sorted(readme) == sorted(helped) == [0, 2, 3, 4, 5, 6, 7, 8]
    for code in readme:
        assert _said(readme[code]) == _said(helped[code]), code
    assert (refresh.OK, cli.EXIT_USAGE, refresh.PARTIAL, refresh.FAILED) == (0, 2, 3, 4)
    assert (refresh.ALREADY_RUNNING, cli.EXIT_EXPORT, cli.EXIT_STORE) == (5, 6, 7)
    assert refresh.NEW_ALERTS == 8

    # what a refresh returns: 3 (PyPI refreshed, the rest unreachable), 4 (nothing refreshed:
    # PyPI is current, the rest unreachable), 0 (only PyPI, current), 2 and 5
    assert _cli_refresh(capsys, package_world)[0] == 3
    assert _cli_refresh(capsys, package_world)[0] == 4
    pypi_only = ["--sources", "pypi", "--projects", "alpha,beta", "--quiet"]
    pypi_only += ["--api-url", f"pypi={package_world.url}"]
    assert cli.main(["refresh", *pypi_only]) == 0
    assert cli.main(["refresh", "--sources", "twitter"]) == 2
    with refresh.refresh_lock(user_settings.data.lock):
        assert cli.main(["refresh", *pypi_only]) == 5
