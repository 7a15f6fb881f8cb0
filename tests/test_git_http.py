"""The git source against a real smart-HTTP server on 127.0.0.1 (`git http-backend`, see
tests/fakes/git_http.py): treeless clones, incremental fetches, and the fallbacks for a
server that refuses filters (issue 15 item 3)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from collectors import git
from collectors.source import LocalClient, run_source
from errors import SourceError
from registry import Project, RepoRef
from store import SegmentStore
from tests.fakes.git_http import GitHttpServer
from tests.gitrepo import BOB, COLLECTED_AT, DAVE, Repo, build_community_repo, collect_widget


@pytest.fixture
def ids() -> git.Pseudonymizer:
    return git.Pseudonymizer(b"k" * 32)


@pytest.fixture
def upstream(tmp_path) -> tuple[Repo, Path]:
    """The community repository with some file contents, and the folder a server serves it
    from (as acme.git, a bare copy)."""
    repo = build_community_repo(tmp_path / "work")
    for n in range(3):  # contents a treeless clone leaves on the server
        (repo.path / f"data{n}.txt").write_text("".join(f"line {n} {i}\n" for i in range(4000)))
        repo.git("add", f"data{n}.txt")
    repo.commit(DAVE, "2024-03-02T10:00:00+00:00", "data")
    served = tmp_path / "served"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(repo.path), str(served / "acme.git")], check=True
    )
    return repo, served


def _push(repo: Repo, served: Path) -> None:
    repo.git("push", "-q", str(served / "acme.git"), "main", "--tags")


def _objects(path: Path) -> dict[str, int]:
    """How many objects of each kind the repository at `path` holds itself."""
    out = subprocess.run(
        ["git", "-C", str(path), "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {kind: out.count(kind) for kind in ("commit", "tree", "blob", "tag")}


def _sorted(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values("sha").reset_index(drop=True)


def _refresh(store, url: str, tmp_path, ids, **options):
    source = git.Git(ids, mirrors=tmp_path / "mirrors", locations={"acme/widget": url}, **options)
    project = Project("p", "P", "AI", (RepoRef("acme/widget"),), ())
    return run_source(source, [project], store, LocalClient(), now=COLLECTED_AT)


def test_a_remote_repository_is_cloned_without_trees_and_then_fetched_incrementally(
    upstream, ids, tmp_path
):
    repo, served = upstream
    store = SegmentStore(tmp_path / "store")
    with GitHttpServer(served) as server:
        first = _refresh(store, server.url_for("acme.git"), tmp_path, ids)
        assert first.outcome("acme/widget").message == "9 new commit(s), 3 new tag(s)"
        assert any(s.filtered for s in server.log)  # the clone asked for a filter
        mirror = tmp_path / "mirrors" / "acme+widget.git"
        held = _objects(mirror)
        assert held["commit"] == 9 and held["tag"] == 2
        assert held["blob"] == 1  # .mailmap only: no file contents
        assert held["tree"] <= 2  # HEAD's trees only (the root), none of the history's
        # the same rows as reading the work tree itself, mailmap included
        pd.testing.assert_frame_equal(
            _sorted(store.read("commits").frame.drop(columns=["fetched_at"])),
            _sorted(collect_widget(repo.path, ids).commits.drop(columns=["fetched_at"])),
        )
        repo.commit(BOB, "2024-04-02T10:00:00+00:00", "one more")
        repo.tag("v2.0")
        _push(repo, served)
        server.reset_log()
        after = _refresh(store, server.url_for("acme.git"), tmp_path, ids)
        assert after.outcome("acme/widget").message == "1 new commit(s), 1 new tag(s)"
        assert any(s.filtered for s in server.log)  # the fetch kept the filter
        assert _objects(mirror)["blob"] == 1
        before = server.bytes_sent
    # nothing in reading the history goes online: the server is gone
    offline = collect_widget(mirror, ids)
    assert len(offline.commits) == 10 and server.bytes_sent == before


def test_a_treeless_clone_transfers_less_than_a_full_one(upstream, tmp_path):
    _, served = upstream
    sent = {}
    for partial in (True, False):
        with GitHttpServer(served) as server:
            git.clone_or_fetch(
                server.url_for("acme.git"), tmp_path / f"{partial}.git", partial=partial
            )
            sent[partial] = server.bytes_sent
    assert sent[True] < sent[False] / 2


def test_a_server_that_offers_no_filters_gives_a_full_clone_that_works(upstream, ids, tmp_path):
    repo, served = upstream
    with GitHttpServer(served, allow_filter=False) as server:
        mirror = git.clone_or_fetch(server.url_for("acme.git"), tmp_path / "m.git")
        assert not any(s.filtered for s in server.log)
        assert not mirror.is_partial()  # nothing is missing, nothing is fetched later
        assert _objects(mirror.path)["blob"] > 1
        repo.commit(BOB, "2024-04-02T10:00:00+00:00", "one more")
        _push(repo, served)
        again = git.clone_or_fetch(server.url_for("acme.git"), tmp_path / "m.git")
    pd.testing.assert_frame_equal(
        _sorted(collect_widget(again.path, ids).commits),
        _sorted(collect_widget(repo.path, ids).commits),
    )


def test_a_server_that_refuses_tree_filters_gets_a_blobless_clone(upstream, ids, tmp_path):
    repo, served = upstream
    with GitHttpServer(served, allow_tree_filter=False) as server:
        mirror = git.clone_or_fetch(server.url_for("acme.git"), tmp_path / "m.git")
        assert mirror.is_partial()
        held = _objects(mirror.path)
        assert held["tree"] > 2 and held["blob"] == 1  # every tree, still no contents
        pd.testing.assert_frame_equal(
            _sorted(collect_widget(mirror.path, ids).commits),
            _sorted(collect_widget(repo.path, ids).commits),
        )
    assert not (tmp_path / ".m.git.partial").exists()


def test_line_counts_need_a_full_clone_and_say_so_for_a_treeless_one(upstream, ids, tmp_path):
    _, served = upstream
    with GitHttpServer(served) as server:
        url = server.url_for("acme.git")
        full = git.clone_or_fetch(url, tmp_path / "full.git", partial=False)
        assert not full.is_partial()
        stats = collect_widget(full.path, ids, with_stats=True).commits
        assert stats["lines_added"].sum() >= 12000  # the three data files, line by line
        git.clone_or_fetch(url, tmp_path / "treeless.git")
        with pytest.raises(SourceError, match="partial clone"):
            git.clone_or_fetch(url, tmp_path / "treeless.git", partial=False)


def test_plain_http_is_refused_unless_it_stays_on_this_machine(tmp_path):
    for url in ("http://example.org/a.git", "http://127.0.0.1.evil.org/a.git", "git://x/a"):
        with pytest.raises(SourceError, match="only https://"):
            git.clone_or_fetch(url, tmp_path / "x.git")
