"""Build small real git repositories with chosen authors, dates, time zones and trailers, and
collect them with the git collector."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pandas as pd

from collectors import git

COLLECTED_AT = pd.Timestamp("2024-04-01", tz="UTC")  # after every commit the tests make


def _signed(author: str, when: str) -> dict[str, str]:
    """Git's environment for a commit authored and committed by `author` ('Name <email>') at
    `when` (ISO 8601 with its UTC offset)."""
    name, email = author[:-1].split(" <")
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_COMMITTER_DATE": when,
    }


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        full = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            **(env or {}),
        }
        return subprocess.run(
            ["git", "-C", str(self.path), *args],
            check=True,
            capture_output=True,
            text=True,
            env=full,
        ).stdout.strip()

    def commit(
        self,
        author: str,
        when: str,
        message: str = "change",
        *,
        file: str = "file.txt",
        trailers: tuple[str, ...] = (),
    ) -> str:
        """`author` is 'Name <email>'; `when` is ISO 8601 with its UTC offset."""
        target = self.path / file
        target.write_text(target.read_text() + message + "\n" if target.exists() else message)
        self.git("add", file)
        body = message + ("\n\n" + "\n".join(trailers) if trailers else "")
        self.git("commit", "-q", "-m", body, env=_signed(author, when))
        return self.git("rev-parse", "HEAD")

    def merge(self, branch: str, author: str, when: str, message: str) -> str:
        """A merge commit of `branch` into the current branch (never a fast-forward)."""
        self.git("merge", "-q", "--no-ff", "-m", message, branch, env=_signed(author, when))
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, when: str | None = None) -> None:
        if when is None:
            self.git("tag", name)
        else:
            env = {
                "GIT_COMMITTER_NAME": "R",
                "GIT_COMMITTER_EMAIL": "r@acme.com",
                "GIT_COMMITTER_DATE": when,
            }
            self.git("tag", "-a", name, "-m", name, env=env)


ALICE = "Alice Example <alice@acme.com>"
ALICE_OLD = "Alice On Laptop <alice@old-laptop.local>"
BOB = "Bob Builder <bob@gmail.com>"
CAROL = "Carol Coder <carol@ACME.com>"
DAVE = "Dave Dev <dave@other.org>"
BOT = "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>"
ACTIONS = "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"


def build_community_repo(path: Path) -> Repo:
    """Seven commits, a merge, a bot, co-authors, a mailmap and three tags (see docstrings)."""
    repo = Repo(path)
    (repo.path / ".mailmap").write_text(
        "Alice Example <alice@acme.com> Alice On Laptop <alice@old-laptop.local>\n"
    )
    repo.git("add", ".mailmap")
    repo.commit(ALICE, "2023-01-10T10:00:00+01:00", "start")  # a Tuesday, 10:00 local
    repo.commit(ALICE_OLD, "2023-01-20T09:00:00+01:00", "more")  # mapped to Alice
    repo.commit(BOB, "2023-02-05T08:00:00-05:00", "fix")
    repo.tag("v1.0")
    repo.commit(
        CAROL,
        "2023-04-15T12:00:00+00:00",
        "pair work",
        trailers=(f"Co-authored-by: {DAVE}", f"Co-authored-by: {ACTIONS}"),
    )
    repo.commit(BOT, "2023-05-01T00:00:00+00:00", "bump", file="deps.txt")
    repo.tag("v1.1rc1", "2023-05-02T00:00:00+00:00")
    repo.git("checkout", "-q", "-b", "feature", "HEAD~1")
    repo.commit(BOB, "2023-06-20T15:00:00+02:00", "feature", file="feature.txt")
    repo.git("checkout", "-q", "main")
    repo.merge("feature", ALICE, "2023-07-01T10:00:00+00:00", "merge feature")
    repo.tag("v1.1", "2023-08-01T00:00:00+00:00")
    repo.commit(DAVE, "2024-03-01T10:00:00+00:00", "later")
    return repo


def collect_widget(
    path: Path, ids: git.Pseudonymizer, last: str | None = None, **options
) -> git.GitResult:
    """`collectors.git.collect` of the repository at `path` as acme/widget, on COLLECTED_AT."""
    return git.collect(
        "acme/widget",
        git.GitRepository(path),
        ids,
        last_stored=last,
        fetched_at=COLLECTED_AT,
        **options,
    )
