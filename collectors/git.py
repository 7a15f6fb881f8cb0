"""Collector for local git histories: every commit on the default branch, and tags as releases.

The one outside source that works fully offline, and the only one with every author:
GitHub's contributor lists stop at the top 100-500. Three parts, kept apart:

- `collectors.gitrun.GitRepository` runs git (a bare clone or a work tree) and streams `git
  log` lines; it knows nothing of people. `clone_or_fetch` keeps a treeless clone of a
  remote repository (commits and tags only: what is read here), fetched incrementally.
- `collectors.gitlog.parse_records` turns that output into commits (pure).
- `commit_rows` pseudonymizes and classifies (pure): no name or e-mail leaves this module.
  An author is a keyed hash of the normalized e-mail (`Pseudonymizer`, key kept in the user
  data directory, never in the store); the e-mail's domain is kept for affiliation, with public
  mail providers counted as 'independent'; automation accounts are flagged as bots.

How each commit reached the default branch (evidence of working in the open), read by the
parser: `first_parent` (one landing on the branch, or a commit brought in through a merge's
second parent), and the pull request and review trailer named in its message (numbers and
flags only, never text), keyed body lines git's trailer parser misses included.

Incremental: a refresh asks git only for commits not reachable from the newest commits already
stored (`git log HEAD ^<sha>...`, every stored commit of the newest committed second), and
what is new is decided by commit identity: a sha already stored is never collected again, even
when several commits share one committer second or a committer clock went backwards. An
unchanged repository costs one empty `git log`.
The first-parent chain is followed from HEAD down to the first stored commit, so new commits get
the same flag a full collection would give them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from packaging.version import InvalidVersion, Version

from collectors.gitlog import LogFormatError, RawCommit, parse_records
from collectors.gitrun import (  # noqa: F401 - re-exported: collectors.git.<name> stays valid
    PARTIAL_FILTERS,
    Contact,
    GitRepository,
    clone_or_fetch,
    git_env,
)
from collectors.http import HostUnreachableError
from collectors.identity import (  # noqa: F401 - re-exported: collectors.git.<name> stays valid
    DEFAULT_BOT_PATTERNS,
    KEY_FILE,
    PUBLIC_MAIL_DOMAINS,
    Pseudonymizer,
    bot_matcher,
    email_domain,
    identity_key,
    is_placeholder_address,
    load_or_create_key,
    normalize_email,
)
from collectors.source import Collected, Source, Target
from errors import SourceError
from registry.names import github_repo_problem
from registry.projects import Project
from store.schema import COMMITS, RELEASES
from store.segments import SegmentStore

Mailmap = Callable[[Collection[Contact]], Mapping[Contact, Contact]]

GIT_SOURCE = "git"
# ----- pure: commits to rows ---------------------------------------------------------------


def commit_rows(
    repo: str,
    commits: Iterable[RawCommit],
    ids: Pseudonymizer,
    *,
    fetched_at: pd.Timestamp,
    bot_patterns: Sequence[str] = DEFAULT_BOT_PATTERNS,
    mailmap: Mailmap | None = None,
) -> pd.DataFrame:
    """`commits` table rows. Names and e-mails are dropped here and go no further.

    Authors arrive with `.mailmap` applied by git; co-authors are mapped here, all at once
    after the log, by `mailmap` (`GitRepository.mailmap`: contacts -> the contacts `.mailmap`
    makes of them).
    """
    is_bot = bot_matcher(bot_patterns)
    people: dict[tuple[str, str], tuple[str, str, bool]] = {}  # one lookup per person, not commit

    def person(name: str, email: str) -> tuple[str, str, bool]:
        found = people.get((name, email))
        if found is None:
            found = people[(name, email)] = (
                ids.id_for(identity_key(name, email)),
                email_domain(email),
                is_bot(name, email),
            )
        return found

    commits = commits if isinstance(commits, list) else list(commits)
    n = len(commits)
    authors = [person(c.author_name, c.author_email) for c in commits]
    co_humans: list[str | None] = [None] * n
    co_bots: list[str | None] = [None] * n
    co_authored = [(i, c.co_authors) for i, c in enumerate(commits) if c.co_authors]
    contacts = {contact for _, found in co_authored for contact in found}
    mapped = dict(mailmap(contacts)) if mailmap and contacts else {}
    for index, found in co_authored:
        humans, bots = [], []
        for contact in found:
            name, email = mapped.get(contact, contact)
            if email or name:
                co_id, _, co_bot = person(name, email)
                (bots if co_bot else humans).append(co_id)
        co_humans[index] = ",".join(dict.fromkeys(humans)) or None
        co_bots[index] = ",".join(dict.fromkeys(bots)) or None
    # A merge whose author (who merged it) is not the author of the branch tip it brings in:
    # a second person took the change in, the one review git shows. Unknown (null) when the
    # tip is not among the commits read in this run, and for every commit that is no merge.
    author_of = {c.sha: a[0] for c, a in zip(commits, authors, strict=True)}
    merged_by_other: list[bool | None] = [
        (a[0] != author_of[c.parents[1]])
        if len(c.parents) > 1 and c.parents[1] in author_of
        else None
        for c, a in zip(commits, authors, strict=True)
    ]
    # Column by column, each in its final dtype, so conform() only checks: the frame is built
    # after git has finished, the part of the run that git does not overlap.
    raw = {
        "sha": [c.sha for c in commits],
        "author_utc_offset_min": [c.author_offset_min for c in commits],
        "author_id": [a[0] for a in authors],
        "author_domain": [a[1] for a in authors],
        "author_is_bot": [a[2] for a in authors],
        "co_author_ids": co_humans,
        "co_author_bot_ids": co_bots,
        "is_merge": [len(c.parents) > 1 for c in commits],
        "files_changed": [c.files_changed for c in commits],
        "lines_added": [c.lines_added for c in commits],
        "lines_deleted": [c.lines_deleted for c in commits],
        "first_parent": [c.first_parent for c in commits],
        "pull_request": [c.pull_request for c in commits],
        "review_trailer": [c.review_trailer for c in commits],
        "merged_by_other": merged_by_other,
    }
    columns = {name: pd.array(values, dtype=COMMITS.dtypes[name]) for name, values in raw.items()}
    for name, epochs in (
        ("authored_at", np.fromiter((c.authored_epoch for c in commits), "int64", count=n)),
        ("committed_at", np.fromiter((c.committed_epoch for c in commits), "int64", count=n)),
    ):
        columns[name] = pd.to_datetime(epochs, unit="s", utc=True).as_unit("ms")
    frame = pd.DataFrame(columns)
    frame.insert(0, "repo", pd.array([repo] * n, dtype="string"))
    frame["source"] = pd.array([f"{GIT_SOURCE}:key-{ids.fingerprint}"] * n, dtype="string")
    frame["fetched_at"] = fetched_at.as_unit("ms") if n else pd.NaT
    frame["quality"] = pd.array(["ok"] * n, dtype="string")
    return COMMITS.conform(frame[COMMITS.column_names])


def tag_rows(repo: str, tags: Iterable[tuple[str, int]], fetched_at: pd.Timestamp) -> pd.DataFrame:
    """`releases` rows from (tag name, creation epoch); pre-release by PEP 440 when parseable."""
    rows = [
        {
            "subject_kind": "repo",
            "subject": repo,
            "version": name,
            "published_at": pd.Timestamp(epoch, unit="s", tz="UTC"),
            "prerelease": tag_prerelease(name),
            "yanked": pd.NA,
            "source": f"{GIT_SOURCE}:tags",
            "fetched_at": fetched_at,
            "quality": "ok",
        }
        for name, epoch in tags
    ]
    return RELEASES.conform(pd.DataFrame(rows, columns=RELEASES.column_names))


def tag_prerelease(tag: str) -> bool | None:
    """Whether a tag names a pre-release (PEP 440, after a leading 'v' or 'release-'); None
    when it is not a version. The one rule for tags, used by the git and GitHub collectors."""
    text = tag.strip()
    text = re.sub(r"^(?:release[-_/]?|v(?=\d))", "", text, flags=re.IGNORECASE)
    try:
        return Version(text).is_prerelease
    except InvalidVersion:
        return None


@dataclass
class GitResult:
    repo: str
    head: str | None
    commits: pd.DataFrame
    releases: pd.DataFrame


def collect(
    repo: str,
    repository: GitRepository,
    ids: Pseudonymizer,
    *,
    last_stored: str | Iterable[str] | None,
    fetched_at: pd.Timestamp,
    with_stats: bool = False,
    bot_patterns: Sequence[str] = DEFAULT_BOT_PATTERNS,
    known: Collection[str] = (),
) -> GitResult:
    """New commits, and tags. New is decided by commit identity: git is asked only for
    commits not reachable from `last_stored` (the stored commits to stop at: all of the newest
    committed second, since several commits can share it), and a commit whose sha is in
    `known` (the shas already stored) is left out even when the log reaches it (a committer
    clock that went backwards). All commits when nothing stored is in the history any more.
    """
    head = repository.head()
    if head is None:
        return GitResult(repo, None, COMMITS.empty(), RELEASES.empty())
    bounds = [last_stored] if isinstance(last_stored, str) else list(last_stored or ())
    exclude = repository.present_commits(bounds)
    tags = repository.tags()  # git answers while the log is parsed
    try:
        commits = parse_records(
            repository.log_records(exclude=exclude, with_stats=with_stats), with_stats=with_stats
        )
        if known:
            commits = (c for c in commits if c.sha not in known)
        rows = commit_rows(
            repo,
            commits,
            ids,
            fetched_at=fetched_at,
            bot_patterns=bot_patterns,
            mailmap=repository.mailmap,
        )
    except LogFormatError as exc:
        raise SourceError(str(repository.path), f"unreadable git output: {exc}") from None
    return GitResult(repo, head, rows, tag_rows(repo, tags(), fetched_at))


def newest_stored(stored: pd.DataFrame) -> list[str]:
    """The stored commits a log can stop at: every one of the newest committed second (one
    second is often shared by a commit and its parent, so any one of them alone would let
    the others be collected again)."""
    if stored.empty:
        return []
    times = stored["committed_at"]
    return stored.loc[times == times.max(), "sha"].astype(str).tolist()


class Git(Source):
    """Each repository's new commits and tags, from a local folder or a mirror it clones.

    A repository is read from `locations[repo]` (a local folder or an https URL) or cloned
    from GitHub into `mirrors`, treeless unless `with_stats` needs every file (see
    `clone_or_fetch`); git runs in `git_env(env)`. The newest commits already stored bound the
    log and a stored sha is never collected again, so an unchanged repository costs one empty
    `git log`. It makes no HTTP requests of its own: it runs with `LocalClient`.
    """

    name, label, provenance = "git", "git", GIT_SOURCE

    def __init__(
        self,
        ids: Pseudonymizer,
        *,
        mirrors: Path,
        locations: Mapping[str, str] | None = None,
        bot_patterns: Sequence[str] = DEFAULT_BOT_PATTERNS,
        env: Mapping[str, str] | None = None,
        with_stats: bool = False,
    ) -> None:
        self.ids, self.mirrors, self.locations = ids, mirrors, dict(locations or {})
        self.bot_patterns, self.env, self.with_stats = tuple(bot_patterns), env, with_stats
        self.stored = COMMITS.empty()
        self.tags = RELEASES.empty()

    def targets(self, projects: Sequence[Project]) -> list[Target]:
        return [Target(p.id, repo) for p in projects for repo in p.repo_names]

    def key(self, target: Target) -> str:
        problem = github_repo_problem(target.listed)
        if problem:
            raise SourceError("git", problem)
        return str(target.listed)

    def needs_network(self, key: str) -> bool:
        return not Path(self.locations.get(key) or "").is_dir()

    def prepare(self, store: SegmentStore) -> None:
        self.stored = store.read("commits").frame
        releases = store.read("releases").frame
        self.tags = releases[releases["subject_kind"] == "repo"]

    def collect(self, client: object, key: str, target: Target, now: pd.Timestamp) -> Collected:
        where = self.locations.get(key) or f"https://github.com/{key}.git"
        mirror = self.mirrors / (key.replace("/", "+") + ".git")
        if Path(where).is_dir():
            repository = GitRepository(where, env=self.env)
        else:
            try:
                repository = clone_or_fetch(
                    where, mirror, env=self.env, partial=not self.with_stats
                )
            except HostUnreachableError as exc:
                # remembered, as an HTTP client remembers its host: the run's report says
                # the source could not be reached (and whether anything could be)
                if hasattr(client, "unreachable"):
                    client.unreachable = exc
                raise
            if hasattr(client, "answers"):
                client.answers += 1

        mine = self.stored[self.stored["repo"] == key]
        result = collect(
            key,
            repository,
            self.ids,
            last_stored=newest_stored(mine),
            known=frozenset(mine["sha"].astype(str)),
            fetched_at=now,
            with_stats=self.with_stats,
            bot_patterns=self.bot_patterns,
        )
        seen = set(self.tags.loc[self.tags["subject"] == key, "version"])
        releases = result.releases[~result.releases["version"].isin(seen)]
        message = f"{len(result.commits)} new commit(s), {len(releases)} new tag(s)"
        return Collected({"commits": result.commits, "releases": releases}, message)
