"""Your tracked list under pressure: changes started together, lists written by hand in other
forms, and long or crowded lists (issue 20). The list's rules and the pages it joins are in
test_tracking.py, whose helpers these tests share."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import cli
from errors import StoreLockedError
from registry.tracking import TRACKED_GROUP, track, untrack, with_tracked
from tests.apptest import frame, open_page
from tests.fakes.clock import FakeClock
from tests.test_tracking import SHIPPED, _button_app, _entry, _plain

ROOT = Path(__file__).resolve().parent.parent


def _processes(commands: list[list[str]], data_dir: Path) -> list[subprocess.CompletedProcess]:
    """Run every command at once as its own process (as a user starting them together)."""
    env = {**os.environ, "OSSAI_DATA_DIR": str(data_dir)}
    started = [
        subprocess.Popen(c, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for c in commands
    ]
    return [
        subprocess.CompletedProcess(p.args, p.wait(timeout=120), *p.communicate()) for p in started
    ]


def test_twenty_track_commands_started_together_keep_all_twenty(tracked_file):
    commands = [[sys.executable, "cli.py", "track", f"owner{n}/repo{n}"] for n in range(20)]
    for done in _processes(commands, tracked_file.parent):
        assert done.returncode == 0, done.stderr.decode()
    kept = sorted(p.repo_names[0] for p in with_tracked(SHIPPED, tracked_file).by_user)
    assert kept == sorted(f"owner{n}/repo{n}" for n in range(20))


def test_tracks_and_untracks_started_together_lose_nothing(tracked_file):
    for n in range(8):
        track(tracked_file, SHIPPED, repo=f"old{n}/gone{n}")
    call = "import sys; from pathlib import Path; from registry import load_registry; "
    call += "from registry.tracking import {}"
    tracks = [
        [
            sys.executable,
            "-c",
            call.format(f"track; track(Path(sys.argv[1]), load_registry(), repo='new{n}/kept{n}')"),
            str(tracked_file),
        ]
        for n in range(8)
    ]
    untracks = [
        [
            sys.executable,
            "-c",
            call.format(f"untrack; untrack(Path(sys.argv[1]), load_registry(), 'gone{n}')"),
            str(tracked_file),
        ]
        for n in range(8)
    ]
    for done in _processes(
        [c for pair in zip(tracks, untracks, strict=True) for c in pair], tracked_file.parent
    ):
        assert done.returncode == 0, done.stderr.decode()
    assert sorted(p.id for p in with_tracked(SHIPPED, tracked_file).by_user) == sorted(
        f"kept{n}" for n in range(8)
    )


def test_a_held_list_is_waited_for_then_named(tracked_file):
    from registry.tracking import lock_file

    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    with lock_file(tracked_file).open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(StoreLockedError, match="another process is changing"):
            track(tracked_file, SHIPPED, repo="a/b", clock=clock, sleep=clock.sleep)
    assert clock.slept >= 30
    assert track(tracked_file, SHIPPED, repo="a/b").id == "b"


INLINE = '''projects = [
  { id = "a", name = "A", group = "Tracked by you", repos = ["o/a"] },
  # the one I care about
  { id = "b", name = "B", group = "Tracked by you", repos = ["o/b"], description = """
First line.
[[projects]]
id = "a"
[[projects]]
Last line.""" },
]
'''


def test_untrack_edits_the_list_by_its_structure_not_its_lines(tracked_file, capsys):
    tracked_file.write_text(INLINE)
    assert cli.main(["untrack", "a"]) == 0
    assert "No longer tracking 'a'" in capsys.readouterr().out
    (left,) = with_tracked(SHIPPED, tracked_file).by_user
    assert left.id == "b"
    assert left.description == 'First line.\n[[projects]]\nid = "a"\n[[projects]]\nLast line.'
    assert "# the one I care about" in tracked_file.read_text()
    # and a track adds to a list written this way, keeping it valid
    assert cli.main(["track", "o/c"]) == 0
    assert [p.id for p in with_tracked(SHIPPED, tracked_file).by_user] == ["b", "c"]
    assert "# the one I care about" in tracked_file.read_text()


NOTES = f'''# my list

[[projects]]
id = "a"
name = "A"
group = "{TRACKED_GROUP}"
repos = ["o/a"]

# b is the one for the paper
[[projects]]
id = "b"
name = "B"
group = "{TRACKED_GROUP}"
repos = ["o/b"]  # moved from gitlab
description = """
[[projects]]
id = "zzz"
"""

# c: a package only
[[projects]]
id = "c"
name = "C"
group = "{TRACKED_GROUP}"
packages = ["c-pkg"]
# the end
'''


@pytest.mark.parametrize("gone", ["a", "b", "c"])
def test_untrack_keeps_every_other_entry_and_the_users_comments(tracked_file, gone):
    tracked_file.write_text(NOTES)
    before = {p.id: p for p in with_tracked(SHIPPED, tracked_file).by_user}
    assert untrack(tracked_file, SHIPPED, gone).id == gone
    after = {p.id: p for p in with_tracked(SHIPPED, tracked_file).by_user}
    assert after == {k: v for k, v in before.items() if k != gone}
    text = tracked_file.read_text()
    for note in ["# my list", "# the end"]:
        assert note in text, (note, text)
    # a comment inside a table, or right above its header, is that table's: it goes with it
    assert ("# moved from gitlab" in text) == (gone != "b")
    assert ("# b is the one for the paper" in text) == (gone != "b")
    assert ("# c: a package only" in text) == (gone != "c")


def test_a_100_character_repository_name_is_tracked_by_the_cli_and_the_button(tracked_file, capsys):
    longest = "o" * 39 + "/" + "r" * 100
    assert cli.main(["track", longest]) == 0, capsys.readouterr().err
    (project,) = with_tracked(SHIPPED, tracked_file).by_user
    assert project.repo_names == (longest,) and project.name == longest
    at = _button_app("repo", "x/" + "y" * 100)
    at.button(key="t_track").click().run()
    assert "Tracking " + "x/" + "y" * 100 in _plain(at)


def test_a_refused_name_points_at_the_argument_not_at_a_line(tracked_file, capsys):
    assert cli.main(["track", "o/" + "r" * 101]) == cli.EXIT_USAGE
    said = capsys.readouterr().err
    assert "1-100" in said and not re.search(r"tracked\.toml:\d", said)


def test_a_free_id_is_always_found_however_crowded_the_list(tracked_file):
    ids = ["x", "o-x", *(f"x-{n}" for n in range(2, 10_000))]
    tracked_file.write_text(
        "".join(
            f'[[projects]]\nid = "{i}"\nname = "n{i}"\ngroup = "g"\nrepos = ["r/{i}"]\n'
            for i in ids
        )
    )
    project = track(tracked_file, SHIPPED, repo="o/x")
    assert project.id not in ids and len(project.id) <= 40
    assert len(with_tracked(SHIPPED, tracked_file).by_user) == 10_001


def test_a_list_longer_than_the_pages_draw_is_cut_with_a_warning_saying_how_to_choose(
    tracked_file, monkeypatch, capsys
):
    monkeypatch.setattr("registry.tracking.SHOWN", 3, raising=False)
    for n in range(5):
        track(tracked_file, SHIPPED, repo=f"crowd{n}/repo{n}")
    assert cli.main(["tracked"]) == 0
    out, err = capsys.readouterr()
    assert all(f"crowd{n}/repo{n}" in out for n in range(5))  # the CLI lists them all
    assert "You track 5 projects of your own; the pages draw the first 3" in err
    assert "move them to the top of tracked.toml" in err
    assert cli.main(["track", "crowd5/repo5"]) == 0
    assert "You track 6 projects" in capsys.readouterr().err
    at = open_page("overview")
    said = _plain(at) + "\n".join(str(w.value) for w in at.warning)
    assert "You track 6 projects of your own; the pages draw the first 3" in said
    shown = frame(at, "overview_tracked")["project"].astype(str).tolist()
    assert [f"crowd{n}/repo{n}" in shown for n in range(6)] == [True] * 3 + [False] * 3
    at.switch_page("app/data_page.py").run()
    assert "The first 3 of your 6 projects" in _plain(at)
    assert at.button(key="data_untrack_repo2") and not any(
        b.key == "data_untrack_repo3" for b in at.button
    )
    # a project the pages leave out is still tracked: its button says so
    assert "**Tracked ✓** as crowd5/repo5" in _plain(_button_app("repo", "crowd5/repo5"))


def test_a_free_name_is_always_found_too(tracked_file):
    tracked_file.write_text(
        _entry("one", "x/y", 'repos = ["a/one"]')
        + _entry("two", "x/y (GitHub)", 'repos = ["a/two"]')
    )
    project = track(tracked_file, SHIPPED, repo="x/y")
    assert (project.id, project.name) == ("y", "x/y (2)")
