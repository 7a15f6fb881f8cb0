"""The truck factor of Avelino et al. (metrics.truck) on histories whose answer is worked out by
hand, and the collector that reads who touched which file (collectors.gitfiles) on literal git
output and on small real repositories, bare clones included."""

from __future__ import annotations

import math
import random
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from collectors.gitfiles import file_changes, parse_name_status
from collectors.gitlog import LogFormatError
from collectors.identity import bot_matcher
from metrics.truck import SOURCE_EXTENSIONS, TruckFactor, authorship, truck_factor
from tests.gitrepo import BOT, Repo, _signed

ALICE = "Alice <alice@acme.org>"
BOB = "Bob <bob@acme.org>"
CAROL = "Carol <carol@acme.org>"
DAVE = "Dave <dave@acme.org>"


def history(*changes: tuple[str, str, str] | tuple[str, str, str, str]) -> pd.DataFrame:
    """A changes frame from (author, status, path[, old_path]) tuples, oldest first."""
    rows = [(*c, None) if len(c) == 3 else c for c in changes]
    return pd.DataFrame(rows, columns=["author", "status", "path", "old_path"])


def owned(author: str, path: str) -> list[tuple[str, str, str]]:
    """A file created by `author` and touched by nobody else: its only author."""
    return [(author, "A", path)]


def row(table: pd.DataFrame, file: str, author: str) -> pd.Series:
    found = table[(table["file"] == file) & (table["author"] == author)]
    assert len(found) == 1, found
    return found.iloc[0]


# ----- degree of authorship ----------------------------------------------------------------


def test_degree_of_authorship_on_a_hand_case():
    # a.py: alice creates it and changes it twice more (FA 1, DL 3), bob and carol once each
    # (AC 2 for alice). alice: 3.293 + 1.098 + 0.164*3 - 0.321*ln(3) = 4.883 - 0.352655
    # = 4.530345. bob: FA 0, DL 1, AC 4: 3.293 + 0.164 - 0.321*ln(5) = 3.457 - 0.516630
    # = 2.940370 (carol the same); normalized 2.940370 / 4.530345 = 0.649039.
    table = authorship(
        history(
            ("alice", "A", "a.py"),
            ("bob", "M", "a.py"),
            ("alice", "M", "a.py"),
            ("carol", "M", "a.py"),
            ("alice", "M", "a.py"),
        )
    )
    alice, bob = row(table, "a.py", "alice"), row(table, "a.py", "bob")
    assert (alice["fa"], alice["dl"], alice["ac"]) == (1, 3, 2)
    assert alice["doa"] == pytest.approx(3.293 + 1.098 + 0.164 * 3 - 0.321 * math.log(3))
    assert alice["doa"] == pytest.approx(4.530345, abs=1e-6)
    assert (bob["fa"], bob["dl"], bob["ac"]) == (0, 1, 4)
    assert bob["doa"] == pytest.approx(2.940370, abs=1e-6)
    assert bob["normalized"] == pytest.approx(0.649039, abs=1e-6)
    assert alice["normalized"] == 1.0
    assert table.set_index("author")["is_author"].to_dict() == {
        "alice": True,
        "bob": False,
        "carol": False,
    }
    assert list(table["author"]) == ["alice", "bob", "carol"]  # highest DOA first, then id


def _creator_and_follower(creator_changes: int, follower_changes: int) -> pd.DataFrame:
    """f.py made by 'ann' and changed by her `creator_changes` times in all, and by 'ben'
    `follower_changes` times."""
    return history(
        ("ann", "A", "f.py"),
        *[("ann", "M", "f.py")] * (creator_changes - 1),
        *[("ben", "M", "f.py")] * follower_changes,
    )


def test_an_author_is_within_three_quarters_of_the_top_degree():
    # ann 3 changes (creator), ben 3: ann 3.293 + 1.098 + 0.492 - 0.321*ln(4) = 4.438000,
    # ben 3.293 + 0.492 - 0.321*ln(4) = 3.340000; 3.34 / 4.438 = 0.75259 > 0.75: an author.
    above = authorship(_creator_and_follower(3, 3))
    assert row(above, "f.py", "ben")["normalized"] == pytest.approx(0.75259, abs=1e-5)
    assert row(above, "f.py", "ben")["is_author"]
    # ann 9 changes, ben 8: ann 3.293 + 1.098 + 1.476 - 0.321*ln(9) = 5.161690, ben 3.293 +
    # 1.312 - 0.321*ln(10) = 3.865870 (well over 3.293); 0.74895 < 0.75: not an author.
    below = authorship(_creator_and_follower(9, 8))
    ben = row(below, "f.py", "ben")
    assert ben["doa"] == pytest.approx(3.865870, abs=1e-5)
    assert ben["normalized"] == pytest.approx(0.74895, abs=1e-5)
    assert not ben["is_author"]
    assert row(below, "f.py", "ann")["is_author"]


def test_an_author_has_at_least_the_base_degree():
    # g.py's add is not in the history (it came in a merge), so nobody has first authorship:
    # ann and ben changed it once each, 3.293 + 0.164 - 0.321*ln(2) = 3.234500 for both:
    # normalized 1.0, but under 3.293, so g.py has no author at all.
    changes = history(("ann", "M", "g.py"), ("ben", "M", "g.py"), *owned("ann", "h.py"))
    table = authorship(changes)
    for author in ("ann", "ben"):
        found = row(table, "g.py", author)
        assert found["doa"] == pytest.approx(3.234500, abs=1e-6)
        assert found["normalized"] == 1.0
        assert not found["is_author"]
    # 1 of 2 files abandoned from the start is not more than half: ann (h.py) must go
    assert truck_factor(changes) == TruckFactor(1, 2, 1, ("ann",))
    # with 2 of 3 files abandoned from the start, nobody has to go
    more = history(*changes.itertuples(index=False), ("ben", "M", "k.py"), ("ann", "M", "k.py"))
    assert truck_factor(more) == TruckFactor(0, 3, 1, ())


# ----- truck factor ------------------------------------------------------------------------


def test_one_developer_authoring_most_files_is_a_truck_factor_of_one():
    # 10 files: ann authors 6, ben 3, cid 1. Without ann 6/10 > 50 % are abandoned.
    changes = history(
        *[c for i in range(6) for c in owned("ann", f"a{i}.py")],
        *[c for i in range(3) for c in owned("ben", f"b{i}.py")],
        *owned("cid", "c0.py"),
    )
    assert truck_factor(changes) == TruckFactor(value=1, files=10, authors=3, removed=("ann",))


def _shared_history() -> list[tuple[str, str, str]]:
    """10 files: ann alone on f0-f3, ben alone on f4-f6; f7-f9 made by ann (1 change) and
    changed 4 times by cid. On those, ann 3.293 + 1.098 + 0.164 - 0.321*ln(5) = 4.038370 and
    cid 3.293 + 0.656 - 0.321*ln(2) = 3.726500, normalized 0.922773: both authors. So ann
    authors 7 files, ben 3, cid 3."""
    changes = [c for i in range(7) for c in owned("ben" if i >= 4 else "ann", f"f{i}.py")]
    for i in range(7, 10):
        changes += [("ann", "A", f"f{i}.py"), *[("cid", "M", f"f{i}.py")] * 4]
    return changes


def test_a_truck_factor_of_two_and_a_file_kept_by_its_second_author():
    changes = history(*_shared_history())
    table = authorship(changes)
    assert row(table, "f7.py", "ann")["doa"] == pytest.approx(4.038370, abs=1e-6)
    assert row(table, "f7.py", "cid")["normalized"] == pytest.approx(0.922773, abs=1e-6)
    # without ann only f0-f3 are abandoned (cid still knows f7-f9): 4/10. ben and cid tie at 3
    # files, ben goes first by id: 4 + 3 = 7/10 > 50 %.
    assert truck_factor(changes) == TruckFactor(2, 10, 3, ("ann", "ben"))
    # with share 0.75 the 7/10 is not enough: cid goes too (10/10)
    assert truck_factor(changes, share=0.75) == TruckFactor(3, 10, 3, ("ann", "ben", "cid"))


def test_ties_are_broken_by_id_whatever_the_order_of_unrelated_commits():
    renamed = {"ben": "zoe", "cid": "bea"}  # now the tie at 3 files goes to bea, not zoe
    changes = [(renamed.get(a, a), s, p) for a, s, p in _shared_history()]
    expected = TruckFactor(2, 10, 3, ("ann", "bea"))
    assert truck_factor(history(*changes)) == expected
    by_file: dict[str, list[tuple[str, str, str]]] = {}
    for change in changes:
        by_file.setdefault(change[2], []).append(change)
    shuffler = random.Random(7)
    for _ in range(5):  # interleave files at random, each file's own commits in order
        queues = [list(q) for q in by_file.values()]
        mixed = []
        while queues:
            queue = shuffler.choice(queues)
            mixed.append(queue.pop(0))
            queues = [q for q in queues if q]
        assert mixed != changes
        assert truck_factor(history(*mixed)) == expected


def test_no_files_is_no_truck_factor():
    assert truck_factor(history()) is None
    assert truck_factor(history(("ann", "A", "README.md"))) is None
    assert truck_factor(history(("ann", "A", "a.py")), files_at_head=[]) is None


# ----- which files count -------------------------------------------------------------------


def test_only_source_files_at_head_count_and_a_renamed_file_keeps_its_creator():
    changes = history(
        ("ann", "A", "src/old.py"),
        ("ann", "M", "src/old.py"),
        ("ben", "A", "README.md"),  # not source
        ("ben", "A", "gone.py"),
        ("ben", "R", "src/new.py", "src/old.py"),  # ann's file, moved by ben
        ("ben", "D", "gone.py"),  # deleted: not at HEAD
        ("cid", "M", "src/new.py"),
        ("cid", "C", "src/copy.py", "src/new.py"),  # a copy is a new file, cid's
        ("ann", "A", "lib.R"),
    )
    head = ["README.md", "src/new.py", "src/copy.py", "lib.R"]
    table = authorship(changes, head)
    assert sorted(table["file"].unique()) == ["lib.R", "src/copy.py", "src/new.py"]
    moved = table[table["file"] == "src/new.py"].set_index("author")
    # ann: created it and changed it once (DL 2), before the rename; ben renamed it, cid
    # changed it: ann 3.293 + 1.098 + 0.328 - 0.321*ln(3) = 4.366345
    assert moved.loc["ann", ["fa", "dl", "ac"]].tolist() == [1, 2, 2]
    assert moved.loc["ann", "doa"] == pytest.approx(4.366345, abs=1e-6)
    assert moved.loc[["ben", "cid"], "fa"].tolist() == [0, 0]
    assert row(table, "src/copy.py", "cid")[["fa", "dl", "ac"]].tolist() == [1, 1, 0]
    # without a HEAD listing, the history's own account: gone.py was deleted
    assert sorted(authorship(changes)["file"].unique()) == ["lib.R", "src/copy.py", "src/new.py"]
    # a file at HEAD the history never touched, and every extension
    everything = authorship(changes, [*head, "vendored.py"], extensions=None)
    assert sorted(everything["file"].unique()) == [
        "README.md",
        "lib.R",
        "src/copy.py",
        "src/new.py",
    ]
    assert {".py", ".R", ".r", ".cu", ".rs"} <= SOURCE_EXTENSIONS
    assert ".md" not in SOURCE_EXTENSIONS


def test_a_file_deleted_and_added_again_keeps_its_first_creator():
    changes = history(
        ("ann", "A", "a.py"),
        ("ben", "D", "a.py"),
        ("ben", "A", "a.py"),
        ("ann", "R", "b.py", "zzz.py"),  # a rename from a name never seen adds the file
    )
    table = authorship(changes)
    assert row(table, "a.py", "ann")["fa"] == 1
    assert row(table, "a.py", "ben")[["fa", "dl", "ac"]].tolist() == [0, 2, 1]
    assert row(table, "b.py", "ann")["fa"] == 1


def test_a_rename_on_one_branch_leaves_the_old_name_its_past_on_another():
    # git lists branches in one line: ben's rename of x.py (his branch) comes before cid's
    # change to x.py (another branch, where x.py still exists); both names are at HEAD.
    changes = history(
        ("ann", "A", "x.py"),
        ("ann", "M", "x.py"),
        ("ben", "R", "y.py", "x.py"),
        ("cid", "M", "x.py"),
    )
    table = authorship(changes, ["x.py", "y.py"])
    # x.py: ann FA 1, DL 2, AC 1 (cid); y.py: ann FA 1, DL 2, AC 1 (ben's rename)
    assert row(table, "x.py", "ann")[["fa", "dl", "ac"]].tolist() == [1, 2, 1]
    assert row(table, "x.py", "cid")[["fa", "dl", "ac"]].tolist() == [0, 1, 2]
    assert set(table[table["file"] == "x.py"]["author"]) == {"ann", "cid"}
    assert row(table, "y.py", "ann")[["fa", "dl", "ac"]].tolist() == [1, 2, 1]
    assert set(table[table["file"] == "y.py"]["author"]) == {"ann", "ben"}
    # without a HEAD listing: cid's change shows x.py still exists; before it, only y.py did
    assert sorted(authorship(changes)["file"].unique()) == ["x.py", "y.py"]
    assert list(authorship(changes.iloc[:3])["file"].unique()) == ["y.py"]


def test_missing_columns_are_refused():
    with pytest.raises(ValueError, match="old_path"):
        authorship(pd.DataFrame({"author": [], "status": [], "path": []}))


# ----- the parser ----------------------------------------------------------------------------

SAMPLE = (
    "\x1eaaaa1111\x1fann@acme.org\n"
    "\n"
    "A\tsrc/core.py\n"
    "A\tdocs/read me.md\n"
    "\x1ebbbb2222\x1fben@acme.org\n"  # a commit that touched no file
    "\x1ecccc3333\x1fben@acme.org\n"
    "\n"
    "R087\tsrc/core.py\tsrc/my engine.py\n"
    "M\tdocs/read me.md\n"
    'D\t"odd \\"name\\"\\t.py"\n'
    'C100\tsrc/my engine.py\t"caf\\303\\251.py"\n'
    "M\tnaïve.py\n"
)


def test_the_parser_reads_renames_spaces_quotes_and_empty_commits():
    frame = parse_name_status(SAMPLE.split("\n"))
    assert list(frame.columns) == ["sha", "author", "status", "path", "old_path"]
    assert frame.values.tolist() == [
        ["aaaa1111", "ann@acme.org", "A", "src/core.py", None],
        ["aaaa1111", "ann@acme.org", "A", "docs/read me.md", None],
        ["cccc3333", "ben@acme.org", "R", "src/my engine.py", "src/core.py"],
        ["cccc3333", "ben@acme.org", "M", "docs/read me.md", None],
        ["cccc3333", "ben@acme.org", "D", 'odd "name"\t.py', None],
        ["cccc3333", "ben@acme.org", "C", "café.py", "src/my engine.py"],
        ["cccc3333", "ben@acme.org", "M", "naïve.py", None],
    ]
    assert parse_name_status([]).empty


@pytest.mark.parametrize(
    "text",
    [
        "M\tbefore-any-commit.py",
        "\x1eaaaa\x1fa@b.org\nsomething else",
        "\x1eaaaa\x1fa@b.org\nM\ta.py\tb.py",
        "\x1eno-separator",
    ],
)
def test_the_parser_refuses_what_our_command_cannot_print(text):
    with pytest.raises(LogFormatError):
        parse_name_status(text.split("\n"))


# ----- the collector on real repositories --------------------------------------------------

BODY = "".join(f"line {i} of a file long enough to be recognized after a move\n" for i in range(20))


def _commit_all(repo: Repo, author: str, when: str, message: str) -> None:
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", message, env=_signed(author, when))


def _build(path: Path) -> Repo:
    """ann makes core.py and README.md; ben changes core.py; ann moves it to 'the engine.py';
    a bot changes it; cid adds tool.py on a branch, merged by ann; dave adds and deletes
    tmp.py."""
    repo = Repo(path)
    (path / "core.py").write_text(BODY)
    (path / "README.md").write_text("about\n")
    _commit_all(repo, ALICE, "2023-01-01T10:00:00+00:00", "start")
    (path / "core.py").write_text(BODY + "bob's line\n")
    _commit_all(repo, BOB, "2023-01-02T10:00:00+00:00", "fix")
    repo.git("mv", "core.py", "the engine.py")
    _commit_all(repo, ALICE, "2023-01-03T10:00:00+00:00", "move")
    (path / "the engine.py").write_text(BODY + "bob's line\nbump\n")
    _commit_all(repo, BOT, "2023-01-04T10:00:00+00:00", "bump")
    repo.git("checkout", "-q", "-b", "feature")
    (path / "tool.py").write_text("tool\n")
    _commit_all(repo, CAROL, "2023-01-05T10:00:00+00:00", "tool")
    repo.git("checkout", "-q", "main")
    (path / "tmp.py").write_text("tmp\n")
    _commit_all(repo, DAVE, "2023-01-06T10:00:00+00:00", "tmp")
    repo.merge("feature", ALICE, "2023-01-07T10:00:00+00:00", "merge feature")
    (path / "tmp.py").unlink()
    _commit_all(repo, DAVE, "2023-01-08T10:00:00+00:00", "no tmp")
    return repo


def _user(email: str) -> str:
    return email.partition("@")[0]


def test_file_changes_on_a_work_tree_and_its_bare_clone(tmp_path):
    repo = _build(tmp_path / "work")
    bots = bot_matcher()
    changes, head = file_changes(repo.path, pseudonymize=_user, is_bot=lambda e: bots("", e))
    assert changes[["author", "status", "path", "old_path"]].values.tolist() == [
        ["alice", "A", "README.md", None],
        ["alice", "A", "core.py", None],
        ["bob", "M", "core.py", None],
        ["alice", "R", "the engine.py", "core.py"],
        # the bot's change is left out, and so is the merge
        ["carol", "A", "tool.py", None],
        ["dave", "A", "tmp.py", None],
        ["dave", "D", "tmp.py", None],
    ]
    assert changes["sha"].nunique() == 6
    assert sorted(head) == ["README.md", "the engine.py", "tool.py"]
    # the engine: alice FA 1, DL 2, AC 1: 3.293 + 1.098 + 0.328 - 0.321*ln(2) = 4.496500;
    # bob 3.293 + 0.164 - 0.321*ln(3) = 3.104345, normalized 0.690391: not an author.
    # alice and carol author one file each: without alice 1/2 is not more than half, so
    # carol goes too.
    assert truck_factor(changes, head) == TruckFactor(2, 2, 2, ("alice", "carol"))
    engine = authorship(changes, head).set_index(["file", "author"])
    assert engine.loc[("the engine.py", "bob"), "normalized"] == pytest.approx(0.690391, abs=1e-6)

    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    again, bare_head = file_changes(bare, pseudonymize=_user, is_bot=lambda e: bots("", e))
    pd.testing.assert_frame_equal(again, changes)
    assert bare_head == head


def test_file_changes_keeps_e_mails_without_a_pseudonymizer_and_bots_without_a_rule(tmp_path):
    repo = _build(tmp_path / "work")
    changes, _ = file_changes(repo.path)
    assert "bob@acme.org" in set(changes["author"])
    assert changes["author"].str.contains(r"\[bot\]").sum() == 1  # the bot's one change


def test_an_empty_repository_has_no_changes_and_no_files(tmp_path):
    repo = Repo(tmp_path / "empty")
    changes, head = file_changes(repo.path)
    assert changes.empty
    assert list(changes.columns) == ["sha", "author", "status", "path", "old_path"]
    assert head == []
