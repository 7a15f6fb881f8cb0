"""The top-PyPI dump collector: the same conversion as the default data, a month appended only
when new, and faults."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from collectors import archives
from collectors.toppypi import SOURCE, parse_dump, previous_month_days, refresh_top_pypi
from store import DEFAULT_DATA, SegmentStore
from tests.conftest import DAY, at_clock
from tests.fakes.pypi import FakePackageHosts, Fault, clients_for, top_dump

pytest_plugins = ["tests.fakes.pypi"]

ROWS = [("boto3", 1_500_000_000), ("Requests", 900_000_000), ("scikit_learn", 200_000_000),
        ("alpha.lib", 5_000)]  # fmt: skip


_run = at_clock(refresh_top_pypi)


def _monthly(store):
    frame = store.read("package_downloads").frame
    return frame[frame["source"] == SOURCE].set_index(["package", "period_end"]).sort_index()


def test_a_month_is_stored_with_the_archive_conversion(
    package_hosts, source_clients, fresh_store, pypi_clock
):
    package_hosts.dump = top_dump("2026-11-01", ROWS)
    summary = _run(fresh_store, source_clients["top-pypi"], pypi_clock)
    outcome = summary.outcome("top-pypi-packages")
    assert outcome.status == "ok" and outcome.rows_written == 4 and outcome.requests == 1
    rows = _monthly(fresh_store)
    assert sorted(rows.index.get_level_values(0)) == [
        "alpha-lib", "boto3", "requests", "scikit-learn"]  # fmt: skip
    row = rows.loc[("requests", pd.Timestamp("2026-10-31"))]
    assert row["period_start"] == pd.Timestamp("2026-10-01") and row["window_days"] == 31
    assert row["downloads"] == 900_000_000 and row["series"] == "monthly"
    assert row["method"] == "clickhouse" and row["installers"] == "all"
    served = package_hosts.served("top-pypi")
    assert [e.path for e in served] == ["/top-pypi-packages/top-pypi-packages.min.json"]


def test_a_month_is_appended_only_when_new(package_hosts, source_clients, fresh_store, pypi_clock):
    client = source_clients["top-pypi"]
    package_hosts.dump = top_dump("2026-11-01", ROWS)
    _run(fresh_store, client, pypi_clock)
    package_hosts.reset_log()
    same_day = _run(fresh_store, client, pypi_clock)
    assert package_hosts.log == [] and same_day.outcomes[0].status == "skipped"
    pypi_clock.advance(DAY)
    unchanged = _run(fresh_store, client, pypi_clock).outcomes[0]
    assert (unchanged.requests, unchanged.not_modified, unchanged.rows_written) == (1, 1, 0)
    # regenerated the same day upstream: a new ETag, but the month is already stored
    package_hosts.dump = top_dump("2026-11-01", ROWS, last_update_time="23:59:59")
    pypi_clock.advance(DAY)
    again = _run(fresh_store, client, pypi_clock).outcomes[0]
    assert again.not_modified == 0 and again.rows_written == 0
    assert "already stored" in again.message
    package_hosts.dump = top_dump("2026-12-01", [(n, c * 2) for n, c in ROWS])
    pypi_clock.advance(30 * DAY)
    new_month = _run(fresh_store, client, pypi_clock).outcomes[0]
    assert new_month.rows_written == 4
    rows = _monthly(fresh_store)
    assert len(rows) == 8  # both months kept
    assert rows.loc[("boto3", pd.Timestamp("2026-11-30")), "window_days"] == 30


def test_only_the_wanted_packages_when_asked(
    package_hosts, source_clients, fresh_store, pypi_clock
):
    package_hosts.dump = top_dump("2026-11-01", ROWS)
    _run(fresh_store, source_clients["top-pypi"], pypi_clock, packages=["Alpha_Lib", "requests"])
    assert sorted(_monthly(fresh_store).index.get_level_values(0)) == ["alpha-lib", "requests"]


@pytest.mark.parametrize(
    ("dump", "words"),
    [
        (top_dump("2025-06-13", ROWS), "before the ClickHouse"),
        ({"last_update": "yesterday", "rows": []}, "is not a date"),
        ({"last_update": "2026-11-01 00:00:00", "rows": {"a": 1}}, "no list of rows"),
        (top_dump("2026-11-01", [("-bad-", 5), ("ok", True)]), "no usable rows"),
    ],
)
def test_dumps_that_are_not_as_documented_fail_cleanly(
    package_hosts, source_clients, fresh_store, pypi_clock, dump, words
):
    package_hosts.dump = dump
    summary = _run(fresh_store, source_clients["top-pypi"], pypi_clock)
    assert summary.outcomes[0].status == "failed" and words in summary.outcomes[0].message
    assert len(_monthly(fresh_store)) == 0


@pytest.mark.parametrize(
    ("fault", "times", "status"),
    [
        (Fault.http_error(503), 1, "ok"),
        (Fault.http_error(503), None, "failed"),
        (Fault.http_error(404), 1, "failed"),
        (Fault.truncated_json(), 1, "ok"),  # cut short once: asked again
        (Fault.truncated_json(), None, "failed"),
        (Fault.html_page(), 1, "failed"),
    ],
)
def test_http_faults(package_hosts, source_clients, fresh_store, pypi_clock, fault, times, status):
    package_hosts.dump = top_dump("2026-11-01", ROWS)
    package_hosts.fail(r"top-pypi-packages", fault, times=times)
    summary = _run(fresh_store, source_clients["top-pypi"], pypi_clock)
    assert summary.outcomes[0].status == status, summary.lines()
    runs = fresh_store.read("collection_runs").frame
    assert list(runs["collector"]) == ["top-pypi"] and list(runs["status"]) == [status]


def test_invalid_project_names_are_left_out_and_counted():
    raw, dropped = parse_dump(
        top_dump("2026-03-02", [("good", 5), ("<script>", 7), ("also.good", 1), ("neg", -1)])
    )
    assert list(raw["project"]) == ["good", "also.good"] and dropped == 2
    assert set(raw["window_days"]) == {28}  # February 2026
    assert (
        previous_month_days(date(2024, 3, 1)) == 29 and previous_month_days(date(2026, 1, 1)) == 31
    )


@pytest.mark.raw_archives
def test_a_dump_of_an_archived_snapshot_gives_exactly_the_default_data(
    shared_datasets, pypi_clock, fresh_store, tmp_path
):
    """Built from the archive's rows for one snapshot, the live path stores the very rows the
    default data holds for it: the two cannot drift."""
    raw = archives.read_pypi_monthly(shared_datasets)
    snapshot = pd.Timestamp("2026-04-01")
    month = raw[raw["snapshot_date"] == snapshot]
    assert len(month) > 10_000
    dump = top_dump("2026-04-01", list(zip(month["project"], month["download_count"], strict=True)))
    with FakePackageHosts([], clock=pypi_clock, dump=dump) as hosts:
        client = clients_for(hosts, pypi_clock, tmp_path)["top-pypi"]
        summary = _run(fresh_store, client, pypi_clock)
        client.close()
    assert summary.outcomes[0].status == "ok", summary.lines()
    live = fresh_store.read("package_downloads").frame
    assert len(live) == len(month)
    shipped = SegmentStore(DEFAULT_DATA, read_only=True).read("package_downloads").frame
    default = shipped[(shipped["period_end"] == pd.Timestamp("2026-03-31"))
                      & (shipped["method"] == "clickhouse")]  # fmt: skip
    assert len(default) >= 40  # tracked packages and the cohort
    wanted = live[live["package"].isin(set(shipped["package"]))]
    key = ["package", "series", "period_start", "period_end"]
    have = wanted.drop(columns="source").sort_values(key).reset_index(drop=True)
    want = default.drop(columns="source").sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(have, want)
    assert set(default["source"]) == {archives.PYPI_SOURCE} and set(live["source"]) == {SOURCE}
