"""The git collector on real repositories built here: parsing, mailmap, bots, co-authors,
merges, tags, incremental refresh, cloning, and privacy."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from collectors import git
from collectors.gitlog import LogFormatError, parse_log, parse_offset, parse_person
from collectors.source import LocalClient, run_source
from errors import SourceError
from metrics.community import contributions
from registry import Project, RepoRef
from store import SegmentStore
from tests.gitrepo import (
    ACTIONS,
    ALICE,
    BOB,
    CAROL,
    COLLECTED_AT,
    DAVE,
    Repo,
    build_community_repo,
    collect_widget,
)

NAMES = [
    "Alice",
    "Bob Builder",
    "Carol",
    "Dave Dev",
    "alice@",
    "bob@",
    "carol@",
    "dave@",
    "old-laptop",
]


@pytest.fixture
def community_repo(tmp_path) -> Repo:
    return build_community_repo(tmp_path / "work")


@pytest.fixture
def ids() -> git.Pseudonymizer:
    return git.Pseudonymizer(b"k" * 32)


def test_every_commit_is_collected_with_time_zone_merge_flag_and_people_hashed(community_repo, ids):
    result = collect_widget(community_repo.path, ids)
    rows = result.commits.set_index("sha")
    assert len(rows) == 8
    assert rows["is_merge"].sum() == 1
    first = rows.sort_values("authored_at").iloc[0]
    assert first["authored_at"] == pd.Timestamp("2023-01-10T09:00:00Z")
    assert first["author_utc_offset_min"] == 60
    bob = rows[rows["author_utc_offset_min"] == -300].iloc[0]
    assert bob["author_domain"] == "independent"  # gmail.com is not an organization
    # the mailmap joins Alice's old address to her current one
    alice_id = ids.id_for("alice@acme.com")
    assert (rows["author_id"] == alice_id).sum() == 3  # two commits and the merge
    assert "old-laptop.local" not in set(rows["author_domain"])
    carol = rows[rows["author_id"] == ids.id_for("carol@acme.com")].iloc[0]
    assert carol["author_domain"] == "acme.com"  # case-folded
    assert carol["co_author_ids"] == ids.id_for("dave@other.org")
    assert carol["co_author_bot_ids"] == ids.id_for(ACTIONS[ACTIONS.index("<") + 1 : -1])
    assert rows["author_is_bot"].sum() == 1


def test_tags_become_releases_with_dates_and_prerelease_flags(community_repo, ids):
    releases = collect_widget(community_repo.path, ids).releases.set_index("version")
    assert set(releases.index) == {"v1.0", "v1.1rc1", "v1.1"}
    assert releases.loc["v1.0", "published_at"] == pd.Timestamp("2023-02-05T13:00:00Z")
    assert releases.loc["v1.1", "published_at"] == pd.Timestamp("2023-08-01T00:00:00Z")
    assert releases.loc["v1.1rc1", "prerelease"]
    assert not releases.loc["v1.1", "prerelease"]


def test_a_bare_mirror_gives_the_same_commits_and_honours_its_mailmap(
    community_repo, ids, tmp_path
):
    mirror = git.clone_or_fetch(str(community_repo.path), tmp_path / "mirrors" / "acme.git")
    work, bare = (
        collect_widget(path, ids).commits.sort_values("sha").reset_index(drop=True)
        for path in (community_repo.path, mirror.path)
    )
    pd.testing.assert_frame_equal(work, bare)
    # a new commit upstream arrives with the next fetch
    community_repo.commit(DAVE, "2024-05-01T10:00:00+00:00", "newer")
    again = git.clone_or_fetch(str(community_repo.path), tmp_path / "mirrors" / "acme.git")
    assert len(collect_widget(again.path, ids).commits) == 9


def _run_git(store, repos, locations, tmp_path, ids, now=COLLECTED_AT):
    """The git source over the runner every source shares, as a refresh runs it."""
    source = git.Git(ids, mirrors=tmp_path / "m", locations=locations)
    project = Project("p", "P", "AI", tuple(RepoRef(r) for r in repos), ())
    return run_source(source, [project], store, LocalClient(), now=now)


def test_refresh_is_incremental_and_records_its_runs(community_repo, ids, tmp_path):
    store = SegmentStore(tmp_path / "store")
    where = {"acme/widget": str(community_repo.path)}
    first = _run_git(store, ["acme/widget"], where, tmp_path, ids)
    assert first.outcome("acme/widget").message == "8 new commit(s), 3 new tag(s)"
    unchanged = _run_git(store, ["acme/widget"], where, tmp_path, ids)
    assert unchanged.outcome("acme/widget").message == "0 new commit(s), 0 new tag(s)"
    community_repo.commit(BOB, "2024-04-02T10:00:00+00:00", "one more")
    community_repo.tag("v2.0")
    after = _run_git(store, ["acme/widget"], where, tmp_path, ids)
    assert after.outcome("acme/widget").message == "1 new commit(s), 1 new tag(s)"
    assert len(store.read("commits").frame) == 9
    runs = store.read("collection_runs").frame
    assert runs.set_index("run_id").loc[after.run_id, "rows_written"] == 2
    assert set(runs["status"]) == {"ok"} and set(runs["collector"]) == {"git"}
    assert (runs["fetched_at"] == COLLECTED_AT).all()  # the run's time, for every source alike


def test_a_missing_repository_is_reported_and_the_others_are_collected(
    community_repo, ids, tmp_path
):
    store = SegmentStore(tmp_path / "store")
    where = {"acme/gone": str(tmp_path / "nowhere"), "acme/widget": str(community_repo.path)}
    summary = _run_git(store, ["acme/gone", "acme/widget", "-bad/name"], where, tmp_path, ids)
    assert [o.status for o in summary] == ["failed", "ok", "failed"]
    assert "only https:// URLs or local folders" in summary.outcome("acme/gone").message
    assert summary.outcomes[2].message.startswith("not refreshed: GitHub owner")
    assert len(store.read("commits").frame) == 8
    with pytest.raises(SourceError, match="only https://"):
        git.clone_or_fetch("ext::sh -c touch% /tmp/pwned", tmp_path / "x.git")
    with pytest.raises(SourceError, match="not a git repository"):
        git.GitRepository(tmp_path)


def test_no_name_or_email_reaches_the_store(community_repo, ids, tmp_path):
    store = SegmentStore(tmp_path / "store")
    _run_git(store, ["acme/widget"], {"acme/widget": str(community_repo.path)}, tmp_path, ids)
    for name in ("commits", "releases", "collection_runs"):
        text = store.read(name).frame.astype(str).to_csv().lower()
        for secret in NAMES:
            assert secret.lower() not in text, (name, secret)
    for path in store.root.rglob("*"):
        if path.is_file():
            raw = path.read_bytes().lower()
            for secret in NAMES:
                assert secret.lower().encode() not in raw, (path, secret)
    assert "k" * 32 not in repr(ids)


def test_the_pseudonym_key_is_created_once_private_and_stable(tmp_path):
    key = git.load_or_create_key(tmp_path)
    assert git.load_or_create_key(tmp_path) == key and len(key) == 32
    assert (tmp_path / git.KEY_FILE).stat().st_mode & 0o077 == 0
    a, b = git.Pseudonymizer(key), git.Pseudonymizer(b"x" * 32)
    assert a.id_for("Jane@Example.org ") == a.id_for("jane@example.org")
    assert a.id_for("jane@example.org") != b.id_for("jane@example.org")


def test_domains_and_bots_are_classified():
    assert git.email_domain("x@users.noreply.github.com") == "independent"
    assert git.email_domain("1+x@users.noreply.github.com") == "independent"
    assert git.email_domain("x@google.com") == "google.com"
    assert git.email_domain("root@localhost") == "unknown"
    assert git.email_domain("no-at-sign") == "unknown"
    is_bot = git.bot_matcher()
    assert is_bot("renovate[bot]", "x@y.z") and is_bot("dependabot-preview", "")
    assert not is_bot("Robot Roberts", "robert@acme.com")
    assert git.bot_matcher([r"^ci-user$"])("ci-user", "")


def test_the_parser_reads_numstat_and_rejects_foreign_text():
    header = "\x1e" + "\x1f".join(
        [
            "abc",
            "p1 p2",
            "100",
            "2024-01-01 00:00:00 +0530",
            "101",
            "N",
            "n@x.org",
            "A <a@x.org>\x1dB <b@y.org>",
            "",
            "",
            "Merge pull request #3 from a/b",
        ]
    )
    commits = list(parse_log([header, "", "3\t1\ta.py", "-\t-\tlogo.png"], with_stats=True))
    assert commits[0].is_merge and commits[0].author_offset_min == 330
    assert (commits[0].files_changed, commits[0].lines_added, commits[0].lines_deleted) == (2, 3, 1)
    assert commits[0].co_authors == (("A", "a@x.org"), ("B", "b@y.org"))
    assert commits[0].pull_request == 3 and not commits[0].review_trailer
    assert parse_offset("2024-01-01 00:00:00 -0700") == -420
    assert parse_person("Just A Name") == ("Just A Name", "")
    with pytest.raises(LogFormatError):
        list(parse_log(["not a git log line"]))
    with pytest.raises(LogFormatError):
        list(parse_log(["\x1eonly\x1ftwo"]))


def test_git_stats_are_collected_when_asked(community_repo, ids):
    result = collect_widget(community_repo.path, ids, with_stats=True)
    assert result.commits["files_changed"].notna().all()
    assert result.commits["lines_added"].sum() > 0


def test_an_empty_repository_has_no_commits(tmp_path, ids):
    repo = Repo(tmp_path / "empty")
    result = collect_widget(repo.path, ids)
    assert result.head is None and result.commits.empty
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0


def test_commits_sharing_the_newest_committer_second_are_never_collected_again(ids, tmp_path):
    """Issue 12 item 23: new is decided by commit identity, not by committer time."""
    repo = Repo(tmp_path / "work")
    repo.commit(ALICE, "2024-01-01T10:00:00+00:00", "start")
    for n in range(3):  # a commit and its parents in one committer second, as in numpy
        repo.commit(BOB, "2024-01-02T10:00:00+00:00", f"same second {n}")
    store = SegmentStore(tmp_path / "store")
    where = {"acme/widget": str(repo.path)}
    first = _run_git(store, ["acme/widget"], where, tmp_path, ids)
    assert first.outcome("acme/widget").message == "4 new commit(s), 0 new tag(s)"
    for _ in range(3):
        again = _run_git(store, ["acme/widget"], where, tmp_path, ids)
        assert again.outcome("acme/widget").message == "0 new commit(s), 0 new tag(s)"
    # a committer clock that went backwards: the new tip is older than its parent
    repo.commit(CAROL, "2023-12-31T10:00:00+00:00", "from a slow clock")
    assert (
        _run_git(store, ["acme/widget"], where, tmp_path, ids)
        .outcome("acme/widget")
        .message.startswith("1 new commit(s)")
    )
    unchanged = _run_git(store, ["acme/widget"], where, tmp_path, ids)
    assert unchanged.outcome("acme/widget").message == "0 new commit(s), 0 new tag(s)"
    commits = store.read("commits").frame
    assert len(commits) == 5 and commits["sha"].is_unique


def test_co_authors_go_through_the_mailmap_in_a_work_tree_and_a_mirror(ids, tmp_path):
    """Issue 12 item 24: a co-author's old address is the same person as their author rows."""
    repo = Repo(tmp_path / "work")
    (repo.path / ".mailmap").write_text(
        "Dave Dev <dave@other.org> <dave@old-job.com>\n"
        "Alice Example <alice@acme.com> Alice On Laptop <alice@old-laptop.local>\n"
    )
    repo.git("add", ".mailmap")
    repo.commit(DAVE, "2024-01-01T10:00:00+00:00", "dave's own")
    repo.commit(
        CAROL,
        "2024-01-02T10:00:00+00:00",
        "pair work",
        trailers=(
            "Co-authored-by: Dave At Old Job <DAVE@old-job.com>",
            "Co-authored-by: Alice On Laptop <alice@old-laptop.local>",
            "Co-authored-by: Alice On Laptop <alice@elsewhere.org>",  # name alone maps nothing
            "Co-authored-by: Just A Name",
        ),
    )
    mirror = git.clone_or_fetch(str(repo.path), tmp_path / "mirrors" / "acme.git")
    for path in (repo.path, mirror.path):
        rows = collect_widget(path, ids).commits
        pair = rows.loc[rows["co_author_ids"].notna(), "co_author_ids"].iloc[0].split(",")
        assert pair == [
            ids.id_for("dave@other.org"),
            ids.id_for("alice@acme.com"),
            ids.id_for("alice@elsewhere.org"),
            ids.id_for("Just A Name"),
        ]
        people = contributions(rows)["person"]
        assert people.nunique() == 5  # Dave, Carol, Alice twice (two addresses), a name


def test_a_placeholder_address_shared_by_two_people_keeps_them_apart(ids, tmp_path):
    """Issue 12 item 24: 'you@example.com' (git's template) identifies nobody."""
    repo = Repo(tmp_path / "work")
    repo.commit("Ann One <you@example.com>", "2024-01-01T10:00:00+00:00", "a")
    repo.commit("Ben Two <you@example.com>", "2024-01-02T10:00:00+00:00", "b")
    repo.commit("Ann One <you@example.com>", "2024-01-03T10:00:00+00:00", "c")
    repo.commit(
        "Cid Three <cid@localhost>",
        "2024-01-04T10:00:00+00:00",
        "d",
        trailers=("Co-authored-by: Dee Four <you@example.com>",),
    )
    rows = collect_widget(repo.path, ids).commits
    assert rows["author_id"].nunique() == 3  # Ann (twice), Ben, Cid
    assert set(rows["author_domain"]) == {"unknown"}  # never 'example.com', an organization
    assert contributions(rows)["person"].nunique() == 4
    assert ids.id_for("you@example.com") not in set(contributions(rows)["person"])
    assert git.is_placeholder_address("me@laptop.(none)") and git.is_placeholder_address("?@?")
    assert not git.is_placeholder_address("alice@old-laptop.local")
