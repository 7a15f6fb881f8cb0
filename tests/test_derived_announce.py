"""A recompute of the derived views is announced to every process that reads them
(derived.background.announce): a page of another process waits for it instead of computing
the same views live beside it, a server's start does not compute them a second time, and a
recompute whose process died leaves no page waiting."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app import precomputed
from derived import background
from settings import Settings
from tests.apptest import open_page
from tests.test_derived import _refreshed, computed_live  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from derived import background
end = background.announce(Path(sys.argv[2]))
print("announced", flush=True)
sys.stdin.readline()
end()
"""


@pytest.fixture
def another_process():
    """Start a process that announces a recompute into a folder and holds it until told."""
    started: list[subprocess.Popen] = []

    def start(target: Path) -> subprocess.Popen:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(ROOT), str(target)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(child)
        assert child.stdout.readline().strip() == "announced"
        return child

    yield start
    for child in started:
        child.kill()
        child.wait()


def _end(child: subprocess.Popen) -> None:
    child.stdin.write("\n")
    child.stdin.flush()


def test_a_recompute_in_another_process_is_seen_until_it_ends(
    another_process, user_data_dir, monkeypatch
):
    target = user_data_dir / "derived"
    assert background.running_since(target) is None
    child = another_process(target)
    assert background.running_since(target) >= 0
    assert not background.wait(target, 0.3)
    # the server's start leaves the views to the process computing them
    _refreshed(user_data_dir)
    monkeypatch.setenv("OSSAI_PRECOMPUTE", "1")
    assert background.at_start(Settings.from_environment()) is None
    _end(child)
    assert child.wait(10) == 0
    assert background.wait(target, 5)
    assert not list(target.glob(".computing-*"))  # ended: its file is gone


def test_a_recompute_whose_process_died_leaves_no_page_waiting(another_process, tmp_path):
    target = tmp_path / "derived"
    child = another_process(target)
    child.kill()
    child.wait()
    left = list(target.glob(".computing-*"))
    assert len(left) == 1  # a killed process cannot remove its file
    assert background.running_since(target) is None  # but its lock died with it
    assert background.wait(target, 0)
    assert not left[0].exists()  # and the reader removed the file


@pytest.mark.usefixtures("computed_live")  # a fresh server: nothing cached
def test_a_page_waits_for_a_recompute_in_another_process(
    another_process, user_data_dir, monkeypatch
):
    """While a scheduled refresh computes the new data's views in its own process, a page
    looks nothing up (and computes nothing live) until that recompute has ended."""
    _refreshed(user_data_dir)
    child = another_process(user_data_dir / "derived")
    ended: list[float] = []

    def end() -> None:
        ended.append(time.monotonic())
        _end(child)

    looked: list[float] = []
    real_lookup = precomputed.lookup

    def recorded(name, *args):
        looked.append(time.monotonic())
        return real_lookup(name, *args)

    monkeypatch.setattr(precomputed, "lookup", recorded)
    threading.Timer(1.0, end).start()
    at = open_page("data")
    assert not at.exception
    assert ended and looked and min(looked) >= ended[0]
