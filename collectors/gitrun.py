"""Running git: a local repository (`GitRepository`), and the bare clone the git source keeps
of a remote one (`clone_or_fetch`), treeless when the server allows it.

I/O only: it streams `git log` lines and answers questions about the repository; what the lines
mean is collectors.gitlog's business, and who the people are collectors.git's. Nothing here
reads the process environment: git runs in `git_env(base)`, with `base` chosen at the edge.
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import os
import re
import subprocess
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from collectors.gitlog import LOG_FORMAT, RECORD, parse_person
from collectors.http import UNREACHABLE_WORDS, HostUnreachableError
from errors import SourceError

Contact = tuple[str, str]  # (name, e-mail) as git prints them
_UNREADABLE_CONTACT = re.compile(r"[<>\n\x00]")


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

    def _run(
        self, *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess:
        try:
            result = subprocess.run(
                [self.git, "-C", str(self.path), *args],
                input=stdin,
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
            unreachable = unreachable_host(result.stderr, str(self.path))
            if unreachable is not None:
                raise unreachable
            raise SourceError(
                str(self.path), f"git {args[0]} failed: {result.stderr.strip()[:300]}"
            )
        return result

    def head(self) -> str | None:
        """The default branch's newest commit, or None for an empty repository."""
        result = self._run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
        return result.stdout.strip() or None

    def is_partial(self) -> bool:
        """Whether objects may be missing here, fetched from the server when read."""
        found = self._run("config", "--get", "remote.origin.promisor", check=False)
        return found.stdout.strip() == "true"

    def complete_mailmap(self) -> None:
        """Bring in HEAD's tree and `.mailmap`, the one file the log reads, if this is a partial
        clone (one fetch each), so that the log never reads without it or goes online.
        Raises SourceError when they cannot be fetched."""
        if self.head() is None or not self.is_partial():
            return
        self._run("cat-file", "-e", "HEAD^{tree}")
        listed = self._run("ls-tree", "HEAD", "--", ".mailmap").stdout.split()
        if len(listed) >= 3 and listed[1] == "blob":
            self._run("cat-file", "-e", listed[2])

    def has_commit(self, sha: str) -> bool:
        return bool(self.present_commits([sha]))

    def present_commits(self, shas: Iterable[str]) -> list[str]:
        """The commits of `shas` this repository has (one `git cat-file --batch-check`)."""
        asked = [sha for sha in dict.fromkeys(shas) if re.fullmatch(r"[0-9a-f]{7,64}", sha)]
        if not asked:
            return []
        result = self._run("cat-file", "--batch-check=%(objecttype)", stdin="\n".join(asked))
        kinds = result.stdout.splitlines()
        return [sha for sha, kind in zip(asked, kinds, strict=False) if kind == "commit"]

    def mailmap(self, contacts: Collection[Contact]) -> dict[Contact, Contact]:
        """What `.mailmap` makes of (name, e-mail) contacts, as `%aN`/`%aE` do for authors:
        one `git check-mailmap`. A contact without an e-mail, or that git could not read back
        ('<' or '>' in it), is left as it is."""
        asked = [
            (name, email)
            for name, email in dict.fromkeys(contacts)
            if email and not _UNREADABLE_CONTACT.search(name + email)
        ]
        if not asked:
            return {}
        text = "".join(f"{name} <{email}>\n" if name else f"<{email}>\n" for name, email in asked)
        lines = self._run("check-mailmap", "--stdin", stdin=text).stdout.splitlines()
        if len(lines) != len(asked):
            raise SourceError(str(self.path), "git check-mailmap answered for other contacts")
        return {contact: parse_person(line) for contact, line in zip(asked, lines, strict=True)}

    def log_records(
        self, *, exclude: str | Sequence[str] | None = None, with_stats: bool = False
    ) -> Iterator[str]:
        """Stream `git log` of the default branch (HEAD), newest first and never a commit
        before its children (the parser follows the first-parent chain), cut at each record
        separator: the text before the first commit, then one piece per commit (see
        `collectors.gitlog.parse_records`)."""
        args = ["log", "HEAD", "--topo-order", f"--format={LOG_FORMAT}"]
        if with_stats:
            args += ["--numstat", "--no-renames"]
        yield from self._stream(self._start(*args, *_excluding(exclude)), "git log")

    def _start(self, *args: str) -> subprocess.Popen:
        try:
            process = subprocess.Popen(
                [self.git, "-C", str(self.path), *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.env,
            )
        except FileNotFoundError:
            raise SourceError("git", "the git command is not installed") from None
        with contextlib.suppress(OSError, AttributeError):  # Linux: git writes on meanwhile
            fcntl.fcntl(process.stdout.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)  # type: ignore
        return process

    def _stream(self, process: subprocess.Popen, what: str) -> Iterator[str]:
        """A started git's output cut at each record separator; raises SourceError when git
        fails."""
        assert process.stdout is not None
        try:
            # a record starts a line; a subject may hold the separator itself
            yield from _pieces(process.stdout, "\n" + RECORD)
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


_BATCH, _PAUSE = 1 << 15, 0.002  # bytes a read should bring; seconds to wait for them


def _excluding(exclude: str | Sequence[str] | None) -> list[str]:
    shas = [exclude] if isinstance(exclude, str) else list(exclude or ())
    return [f"^{sha}" for sha in shas]


def _pieces(stream, separator: str, chunk_size: int = 1 << 20) -> Iterator[str]:
    """The text of a byte stream cut at `separator`, read up to a megabyte at a time and split
    in C: streaming, but with none of the per-line overhead of a text wrapper.

    git log flushes its output after every commit, so a reader that takes whatever is there
    wakes up once per commit (tens of thousands of reads for a large history, a tenth of a
    second of CPU). After a short read it waits a moment instead, so that each read takes a
    batch; git is the slower side, so the log ends no later."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    rest = "\n"  # the output's first line starts after a line break too
    while chunk := stream.read1(chunk_size):
        if len(chunk) < _BATCH:
            time.sleep(_PAUSE)
        *complete, rest = (rest + decoder.decode(chunk)).split(separator)
        yield from complete
    yield rest + decoder.decode(b"", final=True)


# Partial-clone filters, best first: commits and tags only (what the collector reads), then
# every tree but no file contents, then everything (a server that allows no filter).
PARTIAL_FILTERS: tuple[str | None, ...] = ("tree:0", "blob:none", None)
_LOOPBACK_HTTP = re.compile(r"http://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?/")


def clone_or_fetch(
    url: str,
    destination: Path,
    *,
    env: Mapping[str, str] | None = None,
    partial: bool = True,
) -> GitRepository:
    """A bare clone of `url`'s branches and tags at `destination`: cloned the first time,
    fetched after (only what is new; a partial clone fetches with its filter).

    `partial` (the default) clones commits and tags only (`--filter=tree:0`): the collector
    reads nothing else, and a treeless clone is a small part of a full one. A server that
    refuses that filter gets `blob:none`, then a full clone; one that does not offer filters
    at all gets a full clone (git's own fallback). After each clone or fetch, HEAD's
    `.mailmap` (the one file the log reads) is brought in. `partial=False` (for `--numstat`,
    which reads every file) clones in full. Only https:// URLs, http:// on this machine
    (127.0.0.1, localhost, [::1]) and local folders are accepted; anything else (ssh, ext::,
    file transports with options) is refused before git runs. `env` is the environment git
    runs in (see `git_env`).
    """
    if not (url.startswith("https://") or _LOOPBACK_HTTP.match(url) or Path(url).is_dir()):
        raise SourceError(url, "only https:// URLs or local folders can be cloned")
    if destination.exists():
        repository = GitRepository(destination, env=env)
        if not partial and repository.is_partial():
            raise SourceError(
                str(destination),
                "is a partial clone without file contents; delete it to clone in full",
            )
        repository._run("fetch", "--prune", "--tags", "origin", "+refs/heads/*:refs/heads/*")
        repository.complete_mailmap()
        return repository
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(f".{destination.name}.partial")
    for spec in PARTIAL_FILTERS if partial else (None,):
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
        filters = [f"--filter={spec}"] if spec else []
        result = subprocess.run(
            ["git", "clone", "--bare", "--quiet", *filters, "--", url, str(tmp)],
            capture_output=True,
            text=True,
            env=git_env(env),
            timeout=3600,
        )
        if result.returncode == 0 or "filter" not in result.stderr:
            break  # cloned, or failed for another reason than the filter
    if result.returncode != 0:
        raise unreachable_host(result.stderr, url) or SourceError(
            url, f"git clone failed: {result.stderr.strip()[:300]}"
        )
    repository = GitRepository(tmp, env=env)
    if "filtering not recognized" in result.stderr:  # the server sent everything
        repository._run("config", "--unset", "remote.origin.promisor", check=False)
        repository._run("config", "--unset", "remote.origin.partialclonefilter", check=False)
    repository.complete_mailmap()
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


# What git (through curl) says when a host cannot be connected to at all.
_UNREACHABLE_GIT = (
    (re.compile(r"Could not resolve host: ([^\s']+)"), "resolve"),
    (
        re.compile(r"Failed to connect to ([^\s']+) port \d+.*(?:refused|Connection refused)"),
        "refused",
    ),
    (re.compile(r"Failed to connect to ([^\s']+) port \d+"), "unreachable"),
)


def unreachable_host(stderr: str, where: str) -> HostUnreachableError | None:
    """A HostUnreachableError when git's `stderr` says the remote's host could not be
    resolved or connected to (no network: every other fetch from it would fail the same
    way, so the source stops asking for the run); None for any other failure."""
    for pattern, reason in _UNREACHABLE_GIT:
        found = pattern.search(stderr)
        if found:
            host = found.group(1)
            problem = f"could not reach {host}: {UNREACHABLE_WORDS[reason]}"
            if reason == "resolve":
                problem += "; this machine appears to be offline (or its DNS is not working)"
            return HostUnreachableError("git", problem, url=where, host=host, reason=reason)
    return None
