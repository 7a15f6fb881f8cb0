"""A pure parser for `git log` output in the one format this project asks git for.

`LOG_FORMAT` puts one record separator (0x1e) before each commit and unit separators (0x1f)
between its fields, so names and e-mails can hold any printable character. With `--numstat`,
the per-file lines `added<TAB>deleted<TAB>path` follow the header line; binary files show
`-` for both counts. The parser is a generator over lines, so a history of any length is
parsed in constant memory and can be fed straight from the subprocess (see collectors/git.py).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

RECORD = "\x1e"
UNIT = "\x1f"
TRAILER_SEPARATOR = "\x1d"

# %aN/%aE apply .mailmap; %ai carries the author's own UTC offset (local time).
LOG_FORMAT = "%x1e" + "%x1f".join(
    [
        "%H",  # sha
        "%P",  # parents, space-separated
        "%aN",  # author name (mailmap)
        "%aE",  # author e-mail (mailmap)
        "%at",  # author time, epoch seconds
        "%ai",  # author time with its UTC offset, for local time of day
        "%ct",  # committer time, epoch seconds
        "%(trailers:key=Co-authored-by,valueonly,separator=%x1d)",
    ]
)
_FIELDS = 8


@dataclass(slots=True)
class RawCommit:
    """One commit as git reported it. Holds names and e-mails: never stored as is."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_epoch: int
    author_offset_min: int
    committed_epoch: int
    co_authors: tuple[tuple[str, str], ...] = ()
    files_changed: int | None = None
    lines_added: int | None = None
    lines_deleted: int | None = None
    _stats: list[tuple[int, int]] = field(default_factory=list, repr=False)

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


class LogFormatError(ValueError):
    """A line that cannot come from LOG_FORMAT: the output was not made by our command."""


def parse_log(lines: Iterable[str], *, with_stats: bool = False) -> Iterator[RawCommit]:
    """Commits from `git log --format=LOG_FORMAT [--numstat]` output lines, newest first."""
    current: RawCommit | None = None
    for line in lines:
        if line.startswith(RECORD):
            if current is not None:
                yield _finish(current, with_stats)
            current = _header(line[1:].rstrip("\n"))
        elif current is None:
            if line.strip():
                raise LogFormatError(f"text before the first commit: {line[:80]!r}")
        elif with_stats and "\t" in line:
            added, deleted, _path = line.rstrip("\n").split("\t", 2)
            # binary files report '-': they count as a changed file with no lines
            current._stats.append(
                (int(added) if added != "-" else 0, int(deleted) if deleted != "-" else 0)
            )
    if current is not None:
        yield _finish(current, with_stats)


def _header(text: str) -> RawCommit:
    parts = text.split(UNIT)
    if len(parts) != _FIELDS:
        raise LogFormatError(f"commit header with {len(parts)} fields, expected {_FIELDS}")
    sha, parents, name, email, authored, local, committed, trailers = parts
    return RawCommit(
        sha=sha,
        parents=tuple(parents.split()),
        author_name=name,
        author_email=email,
        authored_epoch=int(authored),
        author_offset_min=parse_offset(local),
        committed_epoch=int(committed),
        co_authors=tuple(
            parse_person(value) for value in trailers.split(TRAILER_SEPARATOR) if value.strip()
        ),
    )


def _finish(commit: RawCommit, with_stats: bool) -> RawCommit:
    if with_stats:
        commit.files_changed = len(commit._stats)
        commit.lines_added = sum(a for a, _ in commit._stats)
        commit.lines_deleted = sum(d for _, d in commit._stats)
    commit._stats = []
    return commit


def parse_offset(iso_local: str) -> int:
    """'2026-08-22 04:39:11 +0530' -> 330 (minutes east of UTC)."""
    return _zone_minutes(iso_local[-5:] if iso_local[-6:-5] == " " else iso_local)


@functools.lru_cache(maxsize=256)  # a history has a few dozen distinct offsets
def _zone_minutes(zone: str) -> int:
    if len(zone) != 5 or zone[0] not in "+-" or not zone[1:].isdigit():
        raise LogFormatError(f"author date without a UTC offset: {zone!r}")
    minutes = int(zone[1:3]) * 60 + int(zone[3:5])
    return -minutes if zone[0] == "-" else minutes


def parse_person(value: str) -> tuple[str, str]:
    """'Jane Doe <jane@example.org>' -> ('Jane Doe', 'jane@example.org'); e-mail may be ''."""
    value = value.strip()
    if value.endswith(">") and "<" in value:
        name, _, email = value[:-1].rpartition("<")
        return name.strip(), email.strip()
    return value, ""
