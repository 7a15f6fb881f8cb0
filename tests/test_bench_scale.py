"""bench/scale.py's check that the app served the views computed ahead: a view computed live
instead (a key mismatch) must fail the bench, not pass silently as a fast figure."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench import scale

ARGS = argparse.Namespace(runs=2, warm=1)


def _fake_child(lookups):
    def child(folder: Path, *args: str) -> dict:
        return {"rss_gb": 1.0, "first": {}, "warm": {}, "failed": {}, "lookups": lookups}

    return child


def test_a_view_computed_live_fails_the_views_ahead_measurement(monkeypatch):
    lookups = [["overview_tables", True], ["community", False]]
    monkeypatch.setattr(scale, "_child", _fake_child(lookups))
    found = scale._app_runs(Path("store"), ARGS, ["overview"], ahead=True)
    assert isinstance(found, str)
    assert "did NOT serve" in found and "community" in found
    assert "overview_tables" not in found


def test_no_lookup_at_all_fails_the_views_ahead_measurement(monkeypatch):
    monkeypatch.setattr(scale, "_child", _fake_child([]))
    found = scale._app_runs(Path("store"), ARGS, ["overview"], ahead=True)
    assert isinstance(found, str) and "looked none up" in found


def test_views_served_ahead_and_live_runs_are_measured(monkeypatch):
    monkeypatch.setattr(scale, "_child", _fake_child([["overview_tables", True]]))
    assert len(scale._app_runs(Path("store"), ARGS, ["overview"], ahead=True)) == 2
    monkeypatch.setattr(scale, "_child", _fake_child([["overview_tables", False]]))
    assert len(scale._app_runs(Path("store"), ARGS, ["overview"], ahead=False)) == 2


@pytest.mark.parametrize("ahead", [True, False])
def test_the_app_lookups_are_recorded_and_live_mode_finds_none(monkeypatch, ahead):
    from app import precomputed

    monkeypatch.setattr(precomputed, "lookup", lambda name, *args: f"stored {name}")
    seen = scale._record_lookups(ahead)
    value = precomputed.lookup("community", "registry")
    assert value == ("stored community" if ahead else None)
    assert seen == [("community", ahead)]
