"""Collector for local git histories: every commit on the default branch, and tags as releases.

The one outside source that works fully offline, and the only one with every author:
GitHub's contributor lists stop at the top 100-500. Three parts, kept apart:

- `GitRepository` runs git (a bare mirror or a work tree, or a clone it makes from a URL) and
  streams `git log` lines; it knows nothing of people.
- `collectors.gitlog.parse_log` turns those lines into commits (pure).
- `commit_rows` pseudonymizes and classifies (pure): no name or e-mail leaves this module.
  An author is a keyed hash of the normalized e-mail (`Pseudonymizer`, key kept in the user
  data directory, never in the store); the e-mail's domain is kept for affiliation, with public
  mail providers counted as 'independent'; automation accounts are flagged as bots.

How each commit reached the default branch (evidence of working in the open), read by the
parser: `first_parent` (one landing on the branch, or a commit brought in through a merge's
second parent), and the pull request and review trailer named in its message (numbers and
flags only, never text), with `marked_messages` for the lines git's trailer parser misses.

Incremental: a refresh asks git only for commits not reachable from the newest commit already
stored (`git log HEAD ^<sha>`), so an unchanged repository costs one empty `git log` (and an
empty `--grep` log over the same range). The first-parent chain is followed from HEAD down to
the first stored commit, so new commits get the same flag a full collection would give them.
"""

from __future__ import annotations

import codecs
import os
import re
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
from packaging.version import InvalidVersion, Version

from collectors.gitlog import (
    LOG_FORMAT,
    MARKED_FORMAT,
    MARKED_GREP,
    LogFormatError,
    RawCommit,
    parse_log,
    parse_marked,
)
from collectors.identity import (  # noqa: F401 - re-exported: collectors.git.<name> stays valid
    DEFAULT_BOT_PATTERNS,
    KEY_FILE,
    PUBLIC_MAIL_DOMAINS,
    Pseudonymizer,
    bot_matcher,
    email_domain,
    load_or_create_key,
    normalize_email,
)
from collectors.source import Collected, Source, Target
from errors import SourceError
from registry.names import github_repo_problem
from registry.projects import Project
from store.schema import COMMITS, RELEASES
from store.segments import SegmentStore

T = TypeVar("T")

GIT_SOURCE = "git"
TIMES = ("authored_at", "committed_at")  # epoch seconds from git, made timestamps at the end
# ----- pure: commits to rows ---------------------------------------------------------------


def commit_rows(
    repo: str,
    commits: Iterable[RawCommit],
    ids: Pseudonymizer,
    *,
    fetched_at: pd.Timestamp,
    bot_patterns: Sequence[str] = DEFAULT_BOT_PATTERNS,
) -> pd.DataFrame:
    """`commits` table rows. Names and e-mails are dropped here and go no further.

    `with_marks` then adds what the second, `--grep` log found.
    """
    is_bot = bot_matcher(bot_patterns)
    people: dict[tuple[str, str], tuple[str, str, bool]] = {}  # one lookup per person, not commit

    def person(name: str, email: str) -> tuple[str, str, bool]:
        found = people.get((name, email))
        if found is None:
            found = people[(name, email)] = (
                ids.id_for(email or name),
                email_domain(email),
                is_bot(name, email),
            )
        return found

    records = []
    for c in commits:
        co_humans = co_bots = None
        if c.co_authors:
            humans, bots = [], []
            for name, email in c.co_authors:
                if email or name:
                    co_id, _, co_bot = person(name, email)
                    (bots if co_bot else humans).append(co_id)
            co_humans = ",".join(dict.fromkeys(humans)) or None
            co_bots = ",".join(dict.fromkeys(bots)) or None
        author_id, domain, author_bot = person(c.author_name, c.author_email)
        records.append(
            (
                c.sha,
                c.authored_epoch,
                c.author_offset_min,
                c.committed_epoch,
                author_id,
                domain,
                author_bot,
                co_humans,
                co_bots,
                len(c.parents) > 1,
                c.files_changed,
                c.lines_added,
                c.lines_deleted,
                c.first_parent,
                c.pull_request,
                c.review_trailer,
            )
        )
    names = [
        "sha",
        "authored_at",
        "author_utc_offset_min",
        "committed_at",
        "author_id",
        "author_domain",
        "author_is_bot",
        "co_author_ids",
        "co_author_bot_ids",
        "is_merge",
        "files_changed",
        "lines_added",
        "lines_deleted",
        "first_parent",
        "pull_request",
        "review_trailer",
    ]
    values = list(zip(*records, strict=True)) if records else [() for _ in names]
    raw = dict(zip(names, values, strict=True))
    n = len(records)
    # Each column is built in its final dtype, so conform() only checks: the frame is built
    # after git has finished, and this is the part of the run that git does not overlap.
    columns = {
        name: pd.array(raw[name], dtype=COMMITS.dtypes[name]) for name in names if name not in TIMES
    }
    for name in TIMES:
        epochs = np.fromiter(raw[name], dtype="int64", count=n)
        columns[name] = pd.to_datetime(epochs, unit="s", utc=True).as_unit("ms")
    frame = pd.DataFrame(columns)
    frame.insert(0, "repo", pd.array([repo] * n, dtype="string"))
    frame["source"] = pd.array([f"{GIT_SOURCE}:key-{ids.fingerprint}"] * n, dtype="string")
    frame["fetched_at"] = fetched_at.as_unit("ms") if n else pd.NaT
    frame["quality"] = pd.array(["ok"] * n, dtype="string")
    return COMMITS.conform(frame[COMMITS.column_names])


def with_marks(rows: pd.DataFrame, marked: Mapping[str, tuple[int | None, bool]]) -> pd.DataFrame:
    """`commits` rows with what `parse_marked` found for their shas: its pull request where
    the row has none, and its review flag."""
    if not marked:
        return rows
    out = rows.copy()
    numbers = {sha: n for sha, (n, _) in marked.items() if n is not None}
    found = pd.array(out["sha"].astype(object).map(numbers), dtype="Int64")
    out["pull_request"] = out["pull_request"].fillna(pd.Series(found, index=out.index))
    reviewed = {sha for sha, (_, r) in marked.items() if r}
    out["review_trailer"] = out["review_trailer"] | out["sha"].astype(object).isin(reviewed)
    return out


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


# ----- I/O: running git --------------------------------------------------------------------


class GitRepository:
    """A local git repository (bare or with a work tree), driven through the git command."""

    def __init__(
        self, path: Path | str, *, git: str = "git", env: Mapping[str, str] | None = None
    ) -> None:
        self.path = Path(path)
        self.git = git
        self.env = git_env(env)
        probe = self._run("rev-parse", "--git-dir", check=False)
        if probe.returncode != 0:
            raise SourceError(str(self.path), "is not a git repository")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        try:
            result = subprocess.run(
                [self.git, "-C", str(self.path), *args],
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=600,
                env=self.env,
            )
        except FileNotFoundError:
            raise SourceError("git", "the git command is not installed") from None
        except subprocess.TimeoutExpired:
            raise SourceError(
                str(self.path), f"git {args[0]} took longer than 10 minutes"
            ) from None
        if check and result.returncode != 0:
            raise SourceError(
                str(self.path), f"git {args[0]} failed: {result.stderr.strip()[:300]}"
            )
        return result

    def head(self) -> str | None:
        """The default branch's newest commit, or None for an empty repository."""
        result = self._run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
        return result.stdout.strip() or None

    def has_commit(self, sha: str) -> bool:
        if not re.fullmatch(r"[0-9a-f]{7,64}", sha):
            return False
        return self._run("cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode == 0

    def log_lines(self, *, exclude: str | None = None, with_stats: bool = False) -> Iterator[str]:
        """Stream `git log` of the default branch (HEAD), newest first and never a commit
        before its children (the parser follows the first-parent chain), as text lines."""
        args = ["log", "HEAD", "--topo-order", f"--format={LOG_FORMAT}"]
        if with_stats:
            args += ["--numstat", "--no-renames"]
        yield from self._stream(self._start(*args, *_excluding(exclude)), "git log")

    def marked_messages(
        self, *, exclude: str | None = None
    ) -> Callable[[], dict[str, tuple[int | None, bool]]]:
        """Start reading the keyed lines git's trailer parser misses (see `parse_marked`),
        from only the commits whose message has one; call the result for sha -> (pull
        request, review trailer). Empty for most repositories, but git still reads every
        message: about as much git time as the main log, spent alongside it."""
        process = self._start(
            "log",
            "HEAD",
            "--regexp-ignore-case",
            "--extended-regexp",
            f"--grep={MARKED_GREP}",
            f"--format={MARKED_FORMAT}",
            *_excluding(exclude),
        )

        def result() -> dict[str, tuple[int | None, bool]]:
            found = parse_marked(self._stream(process, "git log --grep"))
            return {sha: (number, reviewed) for sha, number, reviewed in found}

        return _in_background(result)

    def _start(self, *args: str) -> subprocess.Popen:
        try:
            return subprocess.Popen(
                [self.git, "-C", str(self.path), *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.env,
            )
        except FileNotFoundError:
            raise SourceError("git", "the git command is not installed") from None

    def _stream(self, process: subprocess.Popen, what: str) -> Iterator[str]:
        """The lines of a started git's output; raises SourceError when git fails."""
        assert process.stdout is not None
        try:
            yield from _lines(process.stdout)
        finally:
            process.stdout.close()
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            if process.wait() != 0:
                raise SourceError(str(self.path), f"{what} failed: {stderr.strip()[:300]}")

    def tags(self) -> Callable[[], list[tuple[str, int]]]:
        """Start listing (tag name, creation time) for every tag, the tagger date or the
        commit's date; call the result to get the list. Started early, git answers while the
        log is being parsed."""
        process = subprocess.Popen(
            [
                self.git,
                "-C",
                str(self.path),
                "for-each-ref",
                "refs/tags",
                "--format=%(refname:strip=2)%1f%(creatordate:unix)",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
        )

        def result() -> list[tuple[str, int]]:
            out, err = process.communicate(timeout=600)
            if process.returncode != 0:
                raise SourceError(str(self.path), f"git for-each-ref failed: {err.decode()[:300]}")
            tags = []
            for line in out.decode("utf-8", errors="replace").splitlines():
                name, _, epoch = line.partition("\x1f")
                if name and epoch.strip().isdigit():
                    tags.append((name, int(epoch)))
            return tags

        return result


def _in_background(work: Callable[[], T]) -> Callable[[], T]:
    """Run `work` (draining a git's output) in a thread while the main log is parsed; the
    result, or its exception, when called."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="git-reader")
    future = pool.submit(work)
    pool.shutdown(wait=False)
    return future.result


def _excluding(exclude: str | None) -> list[str]:
    return [f"^{exclude}"] if exclude else []


def _lines(stream, chunk_size: int = 1 << 20) -> Iterator[str]:
    """Lines of a byte stream, read a megabyte at a time and split in C: streaming, but with
    none of the per-line overhead of a text wrapper (the parser's time is the budget)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    rest = ""
    while chunk := stream.read1(chunk_size):
        *complete, rest = (rest + decoder.decode(chunk)).split("\n")
        yield from complete
    rest += decoder.decode(b"", final=True)
    if rest:
        yield rest


def clone_or_fetch(
    url: str, destination: Path, *, env: Mapping[str, str] | None = None
) -> GitRepository:
    """A bare mirror of `url` at `destination`: cloned the first time, fetched after.

    Only https:// URLs and local paths are accepted; anything else (ssh, ext::, file
    transports with options) is refused before git runs. `env` is the environment git runs
    in (see `git_env`).
    """
    if not (url.startswith("https://") or Path(url).is_dir()):
        raise SourceError(url, "only https:// URLs or local folders can be cloned")
    if destination.exists():
        repository = GitRepository(destination, env=env)
        repository._run("fetch", "--prune", "--tags", "origin", "+refs/heads/*:refs/heads/*")
        return repository
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(f".{destination.name}.partial")
    subprocess.run(["rm", "-rf", str(tmp)], check=False)
    result = subprocess.run(
        ["git", "clone", "--mirror", "--quiet", "--", url, str(tmp)],
        capture_output=True,
        text=True,
        env=git_env(env),
        timeout=3600,
    )
    if result.returncode != 0:
        raise SourceError(url, f"git clone failed: {result.stderr.strip()[:300]}")
    tmp.rename(destination)  # a half-finished clone is never taken for a repository
    return GitRepository(destination, env=env)


def git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment git runs in: `base` (the caller's choice, e.g. the process environment
    read at the edge, for HOME and proxies) without its GIT_* variables, plus no prompts, no
    pager and no user configuration that could change the output. Without `base`, git gets
    only the default search PATH: nothing here reads the environment."""
    source = base if base is not None else {"PATH": os.defpath}
    env = {k: v for k, v in source.items() if not k.startswith("GIT_")}
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_PAGER": "cat",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "LC_ALL": "C",
        }
    )
    return env


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
    last_stored: str | None,
    fetched_at: pd.Timestamp,
    with_stats: bool = False,
    bot_patterns: Sequence[str] = DEFAULT_BOT_PATTERNS,
) -> GitResult:
    """New commits since `last_stored` (all if None or no longer in the history), and tags."""
    head = repository.head()
    if head is None:
        return GitResult(repo, None, COMMITS.empty(), RELEASES.empty())
    exclude = last_stored if last_stored and repository.has_commit(last_stored) else None
    # these run (the --grep log read in a thread) while the main log is parsed
    marked = repository.marked_messages(exclude=exclude)
    tags = repository.tags()
    try:
        commits = parse_log(
            repository.log_lines(exclude=exclude, with_stats=with_stats), with_stats=with_stats
        )
        rows = commit_rows(repo, commits, ids, fetched_at=fetched_at, bot_patterns=bot_patterns)
        rows = with_marks(rows, marked())
    except LogFormatError as exc:
        raise SourceError(str(repository.path), f"unreadable git output: {exc}") from None
    return GitResult(repo, head, rows, tag_rows(repo, tags(), fetched_at))


class Git(Source):
    """Each repository's new commits and tags, from a local folder or a mirror it clones.

    A repository is read from `locations[repo]` (a local folder or an https URL) or cloned
    from GitHub into `mirrors`; git runs in `git_env(env)`. The newest commit already stored
    bounds the log, so an unchanged repository costs one empty `git log`. It makes no HTTP
    requests of its own: it runs with `LocalClient`.
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

    def prepare(self, store: SegmentStore) -> None:
        self.stored = store.read("commits").frame
        releases = store.read("releases").frame
        self.tags = releases[releases["subject_kind"] == "repo"]

    def collect(self, client: object, key: str, target: Target, now: pd.Timestamp) -> Collected:
        where = self.locations.get(key) or f"https://github.com/{key}.git"
        mirror = self.mirrors / (key.replace("/", "+") + ".git")
        repository = (
            GitRepository(where, env=self.env)
            if Path(where).is_dir()
            else clone_or_fetch(where, mirror, env=self.env)
        )
        mine = self.stored[self.stored["repo"] == key]
        last = mine.sort_values("committed_at")["sha"].iloc[-1] if len(mine) else None
        result = collect(
            key,
            repository,
            self.ids,
            last_stored=last,
            fetched_at=now,
            with_stats=self.with_stats,
            bot_patterns=self.bot_patterns,
        )
        seen = set(self.tags.loc[self.tags["subject"] == key, "version"])
        releases = result.releases[~result.releases["version"].isin(seen)]
        message = f"{len(result.commits)} new commit(s), {len(releases)} new tag(s)"
        return Collected({"commits": result.commits, "releases": releases}, message)
