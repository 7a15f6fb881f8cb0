"""The pypistats.org collector against the fake: daily history that outgrows the API's 180 days,
politeness (once a day, spacing, 429 handling), gaps as flagged nulls, faults."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from collectors.pypistats import METHOD, MIN_INTERVAL, refresh_pypistats
from registry.projects import Project, Registry, RepoRef
from store import TABLES, SegmentStore
from tests.conftest import DAY, at_clock
from tests.fakes.pypi import NOW, Fault

pytest_plugins = ["tests.fakes.pypi"]


_run = at_clock(refresh_pypistats)


def _daily(store, package):
    frame = store.read("package_downloads").frame
    frame = frame[(frame["package"] == package) & (frame["series"] == "daily")]
    return frame.set_index("period_start").sort_index()


def test_a_cold_refresh_stores_180_days_ending_yesterday(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    summary = _run(package_registry, fresh_store, source_clients["pypistats"], pypi_clock)
    alpha = summary.outcome("alpha-lib")
    assert alpha.status == "ok" and alpha.rows_written == 180 and alpha.requests == 1
    rows = _daily(fresh_store, "alpha-lib")
    yesterday = NOW.date() - timedelta(days=1)
    assert rows.index.max() == pd.Timestamp(yesterday)
    assert rows.index.min() == pd.Timestamp(yesterday - timedelta(days=179))
    fake = package_hosts.project("alpha-lib")
    assert all(rows.loc[pd.Timestamp(d), "downloads"] == fake.downloads(d)
               for d in (yesterday, yesterday - timedelta(days=100)))  # fmt: skip
    assert (rows["period_end"] == rows.index).all() and set(rows["window_days"]) == {1}
    assert set(rows["method"]) == {METHOD} and set(rows["installers"]) == {"all"}
    assert set(rows["quality"]) == {"ok"}
    served = package_hosts.served("pypistats")
    assert (
        served[0].path == "/api/packages/alpha-lib/overall" and served[0].query == "mirrors=false"
    )
    TABLES["package_downloads"].conform(fresh_store.read("package_downloads").frame)
    # gamma and the ghost are unknown to pypistats: failed, nothing stored, others unaffected
    assert summary.outcome("gamma").status == "failed"
    assert "no package named 'gamma'" in summary.outcome("gamma").message
    assert summary.outcome("beta-kit").rows_written == 180


def test_history_grows_past_the_api_window_and_earlier_days_never_change(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    client = source_clients["pypistats"]
    store = SegmentStore(fresh_store.root, clock=pypi_clock)  # a year on: its reads move too
    _run(package_registry, store, client, pypi_clock, projects=["alpha"])
    first = _daily(store, "alpha-lib")
    for _ in range(2):
        pypi_clock.advance(180 * DAY)
        summary = _run(package_registry, store, client, pypi_clock, projects=["alpha"])
        assert summary.outcomes[0].rows_written == 180
    rows = _daily(store, "alpha-lib")
    assert len(rows) == 540 and rows.index.is_unique
    span = (rows.index.max() - rows.index.min()).days + 1
    assert span == 540  # ~540 days covered, no hole
    pd.testing.assert_frame_equal(rows.loc[first.index], first)  # earlier values unchanged


def test_same_day_costs_nothing_and_the_next_day_one_request(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    client = source_clients["pypistats"]
    _run(package_registry, fresh_store, client, pypi_clock, projects=["alpha", "beta"])
    package_hosts.reset_log()
    pypi_clock.advance(3 * 3600)
    again = _run(package_registry, fresh_store, client, pypi_clock, projects=["alpha", "beta"])
    assert package_hosts.log == [] and [o.status for o in again] == ["skipped", "skipped"]
    pypi_clock.advance(DAY)
    nextday = _run(package_registry, fresh_store, client, pypi_clock, projects=["alpha", "beta"])
    assert [o.requests for o in nextday] == [1, 1]
    assert [o.rows_written for o in nextday] == [1, 1]  # only the one new day
    assert len(_daily(fresh_store, "alpha-lib")) == 181
    forced = _run(package_registry, fresh_store, client, pypi_clock, projects=["alpha"], force=True)
    assert forced.outcomes[0].requests == 1 and forced.outcomes[0].rows_written == 0


def test_requests_are_spaced_for_the_per_minute_limit(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    _run(package_registry, fresh_store, source_clients["pypistats"], pypi_clock)
    assert len(package_hosts.served("pypistats")) == 4
    assert sum(pypi_clock.sleeps) >= 3 * MIN_INTERVAL - 0.01


def test_a_day_the_answer_leaves_out_is_a_flagged_null_then_filled(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    gap = NOW.date() - timedelta(days=10)
    package_hosts.project("beta-kit").daily_gaps = {gap}
    client = source_clients["pypistats"]
    _run(package_registry, fresh_store, client, pypi_clock, projects=["beta"])
    row = _daily(fresh_store, "beta-kit").loc[pd.Timestamp(gap)]
    assert pd.isna(row["downloads"]) and row["quality"] == "missing"  # never zero
    pypi_clock.advance(DAY)
    nextday = _run(package_registry, fresh_store, client, pypi_clock, projects=["beta"])
    assert nextday.outcomes[0].rows_written == 1  # the new day; the marker is not written again
    package_hosts.project("beta-kit").daily_gaps = set()  # pypistats back-filled the day
    pypi_clock.advance(DAY)
    _run(package_registry, fresh_store, client, pypi_clock, projects=["beta"])
    row = _daily(fresh_store, "beta-kit").loc[pd.Timestamp(gap)]
    assert row["downloads"] == package_hosts.project("beta-kit").downloads(gap)
    assert row["quality"] == "ok"


def test_a_short_429_is_waited_out(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock
):
    package_hosts.fail(r"^/api/packages/alpha-lib/", Fault.too_many(30), times=1)
    summary = _run(package_registry, fresh_store, source_clients["pypistats"], pypi_clock)
    alpha = summary.outcome("alpha-lib")
    assert alpha.status == "ok" and alpha.rows_written == 180
    assert alpha.requests == 2 and alpha.wait_seconds >= 30
    assert summary.stopped_by is None


@pytest.mark.parametrize("retry_after", [None, 3600, "Wed, 18 Nov 2026 14:00:00 GMT"])
def test_a_429_that_persists_stops_the_source_cleanly(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock, retry_after
):
    seed = _run(package_registry, fresh_store, source_clients["pypistats"], pypi_clock,
                projects=["beta"])  # fmt: skip
    assert seed.outcomes[0].status == "ok"
    stored = _daily(fresh_store, "beta-kit")
    pypi_clock.advance(DAY)
    package_hosts.reset_log()
    package_hosts.fail(r"^/api/packages/", Fault.too_many(retry_after), times=None)
    summary = _run(package_registry, fresh_store, source_clients["pypistats"], pypi_clock)
    assert summary.stopped_by is not None
    assert [o.status for o in summary] == ["failed", "skipped", "skipped", "skipped"]
    assert "refresh again after" in summary.outcomes[0].message
    assert any("429" in note and "refresh again after" in note for note in summary.notes)
    assert len(package_hosts.served("pypistats")) <= 4  # it stops asking
    assert pypi_clock.slept <= 200  # within the cap, never the full Retry-After
    pd.testing.assert_frame_equal(_daily(fresh_store, "beta-kit"), stored)  # history kept
    runs = fresh_store.read("collection_runs").frame
    assert (runs[runs["run_id"] == summary.run_id]["status"] != "ok").all()


@pytest.mark.parametrize(
    ("fault", "times", "status"),
    [
        (Fault.http_error(500), 1, "ok"),
        (Fault.http_error(503), None, "failed"),
        (Fault.truncated_json(), 1, "ok"),  # cut short once: asked again
        (Fault.truncated_json(), None, "failed"),
        (Fault.answer(200, {"data": "nope"}), 1, "ok"),
    ],
)
def test_faults_fail_one_package_and_keep_the_others(
    package_hosts, source_clients, package_registry, fresh_store, pypi_clock, fault, times, status
):
    package_hosts.fail(r"^/api/packages/alpha-lib/", fault, times=times)
    summary = _run(package_registry, fresh_store, source_clients["pypistats"], pypi_clock)
    assert summary.outcome("alpha-lib").status == status, summary.lines()
    assert summary.outcome("beta-kit").rows_written == 180


def test_odd_values_are_never_stored_as_zero(source_clients, package_hosts, fresh_store,
                                             pypi_clock):  # fmt: skip
    yesterday = NOW.date() - timedelta(days=1)
    data = [
        {"category": "without_mirrors", "date": str(yesterday - timedelta(days=3)), "downloads": 5},
        {"category": "without_mirrors", "date": str(yesterday - timedelta(days=2)),
         "downloads": None},
        {"category": "without_mirrors", "date": str(yesterday - timedelta(days=1)),
         "downloads": "12"},
        {"category": "with_mirrors", "date": str(yesterday), "downloads": 99},
        {"category": "without_mirrors", "date": "not a date", "downloads": 1},
        {"category": "without_mirrors", "date": str(yesterday), "downloads": -4},
    ]  # fmt: skip
    package_hosts.fail(
        r"^/api/packages/beta-kit/",
        Fault.answer(200, {"data": data, "package": "beta-kit", "type": "overall_downloads"}),
    )
    registry = Registry(
        path="t", projects=(Project("b", "B", "T", (RepoRef("o/b"),), ("beta-kit",)),)
    )
    _run(registry, fresh_store, source_clients["pypistats"], pypi_clock)
    rows = _daily(fresh_store, "beta-kit")
    assert len(rows) == 4
    assert rows["downloads"].iloc[0] == 5
    assert rows["downloads"].iloc[1:].isna().all()
    # not given (None, a string): 'missing'; a number no day can have (-4): 'anomalous'
    assert list(rows["quality"].iloc[1:]) == ["missing", "missing", "anomalous"]
    assert date.fromisoformat(str(rows.index.max().date())) == yesterday
