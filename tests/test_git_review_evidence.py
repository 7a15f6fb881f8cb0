"""How each commit reached the default branch, on real repositories built here: first-parent
landings, the pull request named in the message, review trailers, incremental refreshes,
hostile subjects, and older stored rows that predate these columns."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from collectors import git
from collectors.gitlog import parse_log, pull_request_number
from store import SegmentStore
from store.catalog import Catalog
from tests.gitrepo import ALICE, BOB, CAROL, COLLECTED_AT, Repo, collect_widget


@pytest.fixture
def ids() -> git.Pseudonymizer:
    return git.Pseudonymizer(b"k" * 32)


def _collect(repo: Repo, ids, last=None) -> pd.DataFrame:
    return collect_widget(repo.path, ids, last).commits.set_index("sha")


@pytest.fixture
def open_review_repo(tmp_path) -> tuple[Repo, dict[str, str]]:
    """A history with every way of landing: merge button, squash, ghstack, pushed straight."""
    repo = Repo(tmp_path / "work")
    sha = {"start": repo.commit(ALICE, "2023-01-01T10:00:00+00:00", "start")}
    repo.git("checkout", "-q", "-b", "a/b")
    sha["branch1"] = repo.commit(BOB, "2023-01-02T10:00:00+00:00", "feature", file="f.txt")
    sha["branch2"] = repo.commit(BOB, "2023-01-03T10:00:00+00:00", "more", file="f.txt")
    repo.git("checkout", "-q", "main")
    sha["merge"] = repo.merge(
        "a/b", ALICE, "2023-01-04T10:00:00+00:00", "Merge pull request #7 from a/b\n\nFeature"
    )
    sha["squash"] = repo.commit(CAROL, "2023-01-05T10:00:00+00:00", "Revert (#3) add x (#12)")
    sha["leading"] = repo.commit(CAROL, "2023-01-06T10:00:00+00:00", "(#12) fix")
    sha["issue"] = repo.commit(CAROL, "2023-01-07T10:00:00+00:00", "Fix #12")
    sha["ghstack"] = repo.commit(
        CAROL,
        "2023-01-08T10:00:00+00:00",
        "[inductor] speed up",
        trailers=(
            "Pull Request resolved: https://github.com/acme/widget/pull/34",
            "Approved by: https://github.com/someone",
        ),
    )
    sha["reviewed"] = repo.commit(
        BOB, "2023-01-09T10:00:00+00:00", "reviewed", trailers=("reviewed-BY: R <r@x.org>",)
    )
    sha["node"] = repo.commit(
        BOB,
        "2023-01-10T10:00:00+00:00",
        "src: land it",
        trailers=("PR-URL: https://github.com/acme/widget/pull/56", "Acked-by: R <r@x.org>"),
    )
    sha["phabricator"] = repo.commit(
        BOB,
        "2023-01-11T10:00:00+00:00",
        "summary",
        trailers=("Reviewers: r", "", "Differential Revision: https://reviews.example.org/D9"),
    )
    sha["hostile"] = repo.commit(
        BOB, "2023-01-12T10:00:00+00:00", "evil \x1f %x1f ^_ \x1e\x1d x (#99) y"
    )
    sha["not_a_number"] = repo.commit(
        BOB, "2023-01-13T10:00:00+00:00", "Merge pull request #x from a/b"
    )
    sha["pushed"] = repo.commit(ALICE, "2023-01-14T10:00:00+00:00", "pushed straight")
    return repo, sha


def test_the_pull_request_is_read_from_merge_squash_and_trailers(open_review_repo, ids):
    repo, sha = open_review_repo
    rows = _collect(repo, ids)
    assert len(rows) == len(sha)
    number = {name: rows.loc[s, "pull_request"] for name, s in sha.items()}
    assert number["merge"] == 7
    assert number["squash"] == 12  # the group ending the subject, not the one inside it
    assert number["ghstack"] == 34
    assert number["node"] == 56
    for name in ("start", "branch1", "branch2", "leading", "issue", "hostile", "pushed"):
        assert number[name] is pd.NA, name
    assert number["not_a_number"] is pd.NA
    assert rows["pull_request"].dtype == "Int64"


def test_merged_branch_commits_are_not_first_parent_landings(open_review_repo, ids):
    repo, sha = open_review_repo
    rows = _collect(repo, ids)
    off_chain = {rows.index.get_loc(sha["branch1"]), rows.index.get_loc(sha["branch2"])}
    assert not rows.loc[sha["branch1"], "first_parent"]
    assert not rows.loc[sha["branch2"], "first_parent"]
    others = [i for i in range(len(rows)) if i not in off_chain]
    assert rows["first_parent"].iloc[others].all()
    assert rows.loc[sha["merge"], "first_parent"] and rows.loc[sha["merge"], "is_merge"]
    assert rows["first_parent"].dtype == "boolean"


def test_review_trailers_are_flagged_in_any_case(open_review_repo, ids):
    repo, sha = open_review_repo
    rows = _collect(repo, ids)
    flagged = {name for name, s in sha.items() if rows.loc[s, "review_trailer"]}
    # "Approved by:" (PyTorch's bot, with a space) is not one of the review trailers
    assert flagged == {"reviewed", "node", "phabricator"}
    assert rows["review_trailer"].notna().all()


def test_a_hostile_subject_does_not_shift_any_field(open_review_repo, ids):
    repo, sha = open_review_repo
    rows = _collect(repo, ids)
    hostile = rows.loc[sha["hostile"]]
    assert hostile["author_id"] == ids.id_for("bob@gmail.com")
    assert hostile["authored_at"] == pd.Timestamp("2023-01-12T10:00:00Z")
    assert hostile["pull_request"] is pd.NA  # '(#99)' is not at the end
    text = rows.astype(str).to_csv()
    for fragment in ("evil", "inductor", "Merge pull request", "acme/widget/pull", "reviews."):
        assert fragment not in text


def test_an_incremental_refresh_knows_which_new_commits_landed(open_review_repo, ids):
    repo, sha = open_review_repo
    first = _collect(repo, ids)
    last = sha["pushed"]
    # a branch started long before the stored head, and one started from it
    repo.git("checkout", "-q", "-b", "old-base", sha["start"])
    old_base = repo.commit(BOB, "2023-02-01T10:00:00+00:00", "old base work", file="o.txt")
    repo.git("checkout", "-q", "-b", "new-base", last)
    new_base = repo.commit(BOB, "2023-02-02T10:00:00+00:00", "new base work", file="n.txt")
    repo.git("checkout", "-q", "main")
    direct = repo.commit(ALICE, "2023-02-03T10:00:00+00:00", "direct (#80)")
    merge_old = repo.merge(
        "old-base", ALICE, "2023-02-04T10:00:00+00:00", "Merge pull request #81 from b/old"
    )
    merge_new = repo.merge(
        "new-base", ALICE, "2023-02-05T10:00:00+00:00", "Merge pull request #82 from b/new"
    )
    new = _collect(repo, ids, last=last)
    assert set(new.index) == {old_base, new_base, direct, merge_old, merge_new}
    landed = new["first_parent"].to_dict()
    assert landed == {
        old_base: False,
        new_base: False,
        direct: True,
        merge_old: True,
        merge_new: True,
    }
    assert new.loc[[direct, merge_old, merge_new], "pull_request"].tolist() == [80, 81, 82]
    # the same answer as a full collection gives for those commits
    full = _collect(repo, ids)
    assert full.loc[new.index, "first_parent"].tolist() == new["first_parent"].tolist()
    assert len(full) == len(first) + 5


def test_pull_request_rules_on_subjects_and_trailer_values():
    assert pull_request_number("Merge pull request #7 from a/b") == 7
    assert pull_request_number("Merge pull request #x from a/b") is None
    assert pull_request_number("Merge pull request #7") is None
    assert pull_request_number("Add (#1) and (#2)") == 2
    assert pull_request_number("Add x (#12)  ") == 12
    assert pull_request_number("(#12) fix") is None
    assert pull_request_number("Fix #12") is None
    assert pull_request_number("Fix (#0)") is None
    assert pull_request_number("Fix (#12345678901)") is None  # not a number that fits
    assert pull_request_number("x", ["https://github.com/o/n/pull/5"]) == 5
    assert pull_request_number("x", ["", "https://github.com/o/n/pull/5/files"]) == 5
    assert pull_request_number("x", ["https://github.com/o/n/issues/5"]) is None
    assert pull_request_number("x", ["see https://github.com/o/n/pull/5"]) is None
    assert pull_request_number("x (#4)", ["https://github.com/o/n/pull/5"]) == 4


def test_the_parser_reads_only_indented_body_lines_of_the_one_log():
    sha, other = "a" * 40, "b" * 40

    def header(sha: str, subject: str = "x") -> str:
        fields = [sha, "", "1", "2024-01-01 00:00:00 +0000", "1", "N", "n@x.org", "", "", ""]
        return "\x1e" + "\x1f".join([*fields, subject])

    lines = [
        header(sha),
        " Summary",
        " \x1e" + other,  # a body line that looks like a record is indented: ignored
        " pull request RESOLVED: https://github.com/o/n/pull/9",
        " Pull Request resolved: https://github.com/o/n/pull/10",
        "",
        header(other, "landed (#3)"),
        " Differential Revision: https://reviews.example.org/D1",
        " Pull Request resolved: https://github.com/o/n/pull/11",  # the subject named one
        "Differential Revision: not indented, not a body line",
    ]
    found = [(c.sha, c.pull_request, c.review_trailer) for c in parse_log(lines)]
    assert found == [(sha, 9, False), (other, 3, True)]


def test_one_git_log_is_run_for_the_history(open_review_repo, ids, tmp_path):
    """The keyed body lines come from the main log: no second `git log --grep` over every
    message (it cost about as much git time as the main log)."""
    repo, _ = open_review_repo
    calls = tmp_path / "calls"
    wrapper = tmp_path / "git"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec git "$@"\n')
    wrapper.chmod(0o755)
    repository = git.GitRepository(repo.path, git=str(wrapper))
    rows = git.collect("acme/widget", repository, ids, last_stored=None, fetched_at=COLLECTED_AT)
    assert rows.commits["pull_request"].notna().sum() == 4
    logs = [line for line in calls.read_text().splitlines() if " log " in f" {line} "]
    assert len(logs) == 1 and "--grep" not in logs[0]


def test_rows_stored_before_these_columns_read_as_null(open_review_repo, ids, tmp_path):
    repo, sha = open_review_repo
    rows = _collect(repo, ids).reset_index()
    old = SegmentStore(tmp_path / "old")
    old.append({"commits": rows[rows["sha"] == sha["start"]]})
    # rewrite that segment as an older version wrote it: without the three columns
    (segment,) = old.manifest()["tables"]["commits"]
    table = pq.read_table(old.root / segment)
    pq.write_table(
        table.drop_columns(["first_parent", "pull_request", "review_trailer"]),
        old.root / segment,
    )
    read = old.read("commits")
    assert not read.problems and len(read.frame) == 1
    assert read.frame[["first_parent", "pull_request", "review_trailer"]].isna().all().all()
    # merged with new rows (the user's store), old rows stay null and new ones keep values
    user = SegmentStore(tmp_path / "user")
    user.append({"commits": rows[rows["sha"] != sha["start"]]})
    both = Catalog(tmp_path / "old", tmp_path / "user").read("commits").frame.set_index("sha")
    assert both.loc[sha["start"], "first_parent"] is pd.NA
    assert both.loc[sha["merge"], "pull_request"] == 7
    assert both["first_parent"].dtype == "boolean" and both["pull_request"].dtype == "Int64"


def test_an_impossible_utc_offset_leaves_local_time_unknown_and_keeps_the_commit():
    # psf/requests' history holds an author date of '2011-09-08 02:38:50 +51800'
    from collectors.gitlog import LogFormatError, parse_offset

    assert parse_offset("2011-09-08 02:38:50 +51800") is None
    assert parse_offset("2011-09-08 02:38:50 +0575") is None
    assert parse_offset("2026-08-22 04:39:11 +0530") == 330
    assert parse_offset("2026-08-22 04:39:11 -0800") == -480
    with pytest.raises(LogFormatError):
        parse_offset("2026-08-22 04:39:11 noon")
