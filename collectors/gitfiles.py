"""Who touched which file: per non-merge commit of the default branch, its author and the files
it added, modified, deleted or renamed, oldest first; and the files at HEAD. What the truck
factor (metrics.truck) reads.

Two parts, kept apart as in collectors.gitlog and collectors.gitrun:

- `parse_name_status` (pure) reads the output of `git log --name-status` in `NAME_STATUS_FORMAT`:
  one marker line per commit, a record separator (0x1e), the sha, a unit separator (0x1f)
  and the author's e-mail (after .mailmap); then git's tab-separated lines `M<TAB>path`,
  `A<TAB>path`, `D<TAB>path`, `R087<TAB>old<TAB>new` (the number is the similarity). A
  commit that touched no file has its marker only.
- `file_changes` runs git, on a bare mirror or a work tree, streams that output into the
  parser one commit at a time, and maps e-mails to ids: no e-mail leaves this module.

Names: git runs with `core.quotepath=off`, so names outside ASCII come as they are; a name with
a double quote, a backslash or a control character still comes C-quoted ("a\\"b.py"), and is
unquoted here. `git ls-tree -z` lists HEAD's files NUL-separated, with no quoting at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import pandas as pd

from collectors.gitlog import RECORD, UNIT, LogFormatError
from collectors.gitrun import GitRepository

NAME_STATUS_FORMAT = "%x1e%H%x1f%aE"  # sha, author e-mail (%aE applies .mailmap)
CHANGE_COLUMNS = ["sha", "author", "status", "path", "old_path"]

_STATUS = re.compile(r"[ACDMRTUX]\d{0,3}")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def parse_name_status(lines: Iterable[str]) -> pd.DataFrame:
    """One row per file a commit touched, in the order git gave them: `sha`, `author` (the
    e-mail), `status` (the letter: A, C, D, M, R, T...), `path` and `old_path` (the name a
    rename or copy came from, else None). Raises LogFormatError on a line our command cannot
    have printed."""
    columns: dict[str, list[str | None]] = {name: [] for name in CHANGE_COLUMNS}
    sha = email = None
    for line in lines:
        if line.startswith(RECORD):
            sha, unit, email = line[1:].partition(UNIT)
            if not unit or not sha:
                raise LogFormatError(f"commit marker without sha and e-mail: {line[:80]!r}")
            continue
        if not line:
            continue  # git puts a blank line between a commit's marker and its files
        status, *names = line.split("\t")
        if sha is None or not _STATUS.fullmatch(status) or not 1 <= len(names) <= 2:
            raise LogFormatError(f"not a name-status line: {line[:80]!r}")
        if len(names) == 2 and status[0] not in "RC":
            raise LogFormatError(f"two names for status {status!r}: {line[:80]!r}")
        names = [_unquote(name) for name in names]
        columns["sha"].append(sha)
        columns["author"].append(email)
        columns["status"].append(status[0])
        columns["path"].append(names[-1])
        columns["old_path"].append(names[0] if len(names) == 2 else None)
    return pd.DataFrame(columns, columns=CHANGE_COLUMNS, dtype=object)


def _unquote(name: str) -> str:
    """A name as git wrote it, C-quoted or not, as the file is named ('"a\\"b"' -> 'a"b')."""
    if not (len(name) >= 2 and name[0] == name[-1] == '"'):
        return name
    raw = name[1:-1].encode("utf-8", errors="surrogateescape")
    out = bytearray()
    i = 0
    while i < len(raw):
        byte = raw[i]
        if byte != 0x5C or i + 1 == len(raw):  # not a backslash
            out.append(byte)
            i += 1
            continue
        code = chr(raw[i + 1])
        if code in "01234567":  # \ooo: one byte, octal
            out.append(int(raw[i + 1 : i + 4], 8))
            i += 4
        else:
            out.append(_ESCAPES.get(code, raw[i + 1]))
            i += 2
    return out.decode("utf-8", errors="replace")


def file_changes(
    repo_path: Path,
    *,
    pseudonymize: Callable[[str], str] | None = None,
    is_bot: Callable[[str], bool] | None = None,
    env: Mapping[str, str] | None = None,
    renames: bool = True,
) -> tuple[pd.DataFrame, list[str]]:
    """The file changes of every non-merge commit reachable from HEAD, oldest first, renames
    followed (`parse_name_status`'s columns, `author` an id from `pseudonymize(e-mail)`, or
    the e-mail without it; commits whose e-mail `is_bot` are left out), and the files at HEAD.
    Works on a bare repository or a work tree; an empty repository has neither. `env` is the
    environment git runs in (collectors.gitrun.git_env). Without `renames`, git compares trees
    only and never reads a file's content: a copy whose largest files are absent (a mirror
    with missing blobs) can still be read, a renamed file then looking new. Raises SourceError
    when git fails or the path is not a repository."""
    repository = _FilesRepository(repo_path, env=env)
    if repository.head() is None:
        return parse_name_status([]), []
    changes = parse_name_status(repository.name_status_lines(renames))
    if is_bot is not None and not changes.empty:
        verdicts = {email: is_bot(email) for email in changes["author"].unique()}
        changes = changes[~changes["author"].map(verdicts).astype(bool)].reset_index(drop=True)
    if pseudonymize is not None and not changes.empty:
        ids = {email: pseudonymize(email) for email in changes["author"].unique()}
        changes["author"] = changes["author"].map(ids)
    return changes, repository.files_at_head()


class _FilesRepository(GitRepository):
    """GitRepository with the two questions the truck factor asks."""

    def name_status_lines(self, renames: bool = True) -> Iterator[str]:
        """Stream `git log --name-status` of HEAD's non-merge commits, oldest first, as lines.

        `--date-order` never shows a commit before its parents and otherwise goes by commit
        time, so a rename on one branch and changes on another interleave as they happened.
        The output is read one commit at a time (GitRepository._stream cuts it at each
        marker) and each commit's text is dropped once its lines are given out."""
        args = [
            "-c",
            "core.quotepath=off",
            "log",
            "HEAD",
            "--reverse",
            "--date-order",
            "--no-merges",
            "--name-status",
            "-M" if renames else "--no-renames",
            f"--format={NAME_STATUS_FORMAT}",
        ]
        pieces = self._stream(self._start(*args), "git log")
        yield from next(pieces, "").split("\n")  # the text before the first marker
        for piece in pieces:
            yield from (RECORD + piece).split("\n")

    def files_at_head(self) -> list[str]:
        """Every file in HEAD's tree, by its full path (`git ls-tree -r -z`: never quoted)."""
        listed = self._run("ls-tree", "-r", "-z", "--name-only", "HEAD").stdout
        return [name for name in listed.split("\0") if name]
