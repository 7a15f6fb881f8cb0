"""A pure parser for `git log` output in the one format this project asks git for.

`LOG_FORMAT` puts one record separator (0x1e) before each commit and unit separators (0x1f)
between its fields, so names and e-mails can hold any printable character. With `--numstat`,
the per-file lines `added<TAB>deleted<TAB>path` follow the header line; binary files show
`-` for both counts. The log is asked for in `--topo-order` (no commit before all of its
children), so whether a commit is on the tip's first-parent chain (one landing on the branch)
is known when it arrives: the tip is the first commit, and each commit on the chain names the
next one as its first parent. The parser is a generator over lines, so a history of any length is
parsed in constant memory and can be fed straight from the subprocess (see collectors/git.py).

How a commit reached the default branch is read from its message, and only a number and a
flag are kept (`pull_request`, `review_trailer`); the subject itself goes no further than
`_header`. The subject is the last field, split off with a bounded split, so a subject holding
the separators themselves cannot shift the other fields. Two conventions put a space in the
key ("Pull Request resolved:" from PyTorch's ghstack, "Differential Revision:" from
Phabricator), so git's trailer parser does not see them; `MARKED_FORMAT` and
`parse_marked` read them from a second `git log --grep=MARKED_GREP` that prints only the
commits carrying one, each body line indented so that no line of it can pass for a record.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

RECORD = "\x1e"
UNIT = "\x1f"
TRAILER_SEPARATOR = "\x1d"

PULL_TRAILERS = ("PR-URL", "Pull-Request")  # values are pull-request URLs
REVIEW_TRAILERS = ("Reviewed-by", "Reviewed-on", "Approved-by", "Acked-by", "Tested-by")


def _trailers(keys: Iterable[str], show: str) -> str:
    """A %(trailers) placeholder: these keys (git matches them in any case), one line."""
    return "%(trailers:" + "".join(f"key={k}," for k in keys) + show + ",separator=%x1d)"


# %aN/%aE apply .mailmap; %ai carries the author's own UTC offset (local time). Fields that
# git prints from fixed formats come first; free text after, the subject last (see above).
LOG_FORMAT = "%x1e" + "%x1f".join(
    [
        "%H",  # sha
        "%P",  # parents, space-separated
        "%at",  # author time, epoch seconds
        "%ai",  # author time with its UTC offset, for local time of day
        "%ct",  # committer time, epoch seconds
        "%aN",  # author name (mailmap)
        "%aE",  # author e-mail (mailmap)
        _trailers(["Co-authored-by"], "valueonly,unfold"),
        _trailers(PULL_TRAILERS, "valueonly,unfold"),
        _trailers(REVIEW_TRAILERS, "keyonly"),  # the keys only: a flag, never any text
        "%s",  # subject: one line, any printable text
    ]
)
_FIELDS = 11

# The second, rarely non-empty log: commits with a keyed line git does not take for a trailer.
MARKED_GREP = r"^(pull request resolved|differential revision):"
MARKED_FORMAT = "%x1e%H%n%w(0,1,1)%b%w(0,0,0)"

# "Merge pull request #N from owner/branch" (GitHub's merge button)
_MERGE_SUBJECT = re.compile(r"Merge pull request #(\d{1,9}) from \S")
# "... (#N)" at the end of the subject (GitHub's squash button; bots that land PRs copy it)
_SQUASH_SUBJECT = re.compile(r"\(#(\d{1,9})\)\s*$")
_PULL_URL = re.compile(r"https?://[^\s/]+/[^\s/]+/[^\s/]+/pull/(\d{1,9})(?![\w-])", re.IGNORECASE)
_MARKED_LINE = re.compile(
    r" (?:(pull request resolved)|differential revision):\s*(\S*)", re.IGNORECASE
)


@dataclass(slots=True)
class RawCommit:
    """One commit as git reported it. Holds names and e-mails: never stored as is."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_epoch: int
    author_offset_min: int | None
    committed_epoch: int
    co_authors: tuple[tuple[str, str], ...] = ()
    first_parent: bool = False  # on the tip's first-parent chain: one landing on the branch
    pull_request: int | None = None  # the public pull request it landed through, if named
    review_trailer: bool = False  # the message carries a review trailer
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
    """Commits from `git log --topo-order --format=LOG_FORMAT [--numstat] <tip> [^<old>]`
    output lines, newest first."""
    current: RawCommit | None = None
    chain: str | None = None  # the next commit of the first-parent chain still to come
    for line in lines:
        if line.startswith(RECORD):
            is_tip = current is None  # the tip, the only commit without children, comes first
            if current is not None:
                yield _finish(current, with_stats)
            current = _header(line[1:].rstrip("\n"))
            if is_tip:
                chain = current.sha
            if current.sha == chain:
                current.first_parent = True
                chain = current.parents[0] if current.parents else None
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
    parts = text.split(UNIT, _FIELDS - 1)  # the subject, last, may hold separators
    if len(parts) != _FIELDS:
        raise LogFormatError(f"commit header with {len(parts)} fields, expected {_FIELDS}")
    sha, parents, authored, local, committed, name, email, co, pulls, reviews, subject = parts
    try:
        authored_epoch, committed_epoch = int(authored), int(committed)
    except ValueError:
        raise LogFormatError(f"commit {sha[:12]!r} without epoch times") from None
    return RawCommit(
        sha=sha,
        parents=tuple(parents.split()),
        author_name=name,
        author_email=email,
        authored_epoch=authored_epoch,
        author_offset_min=parse_offset(local),
        committed_epoch=committed_epoch,
        co_authors=tuple(
            parse_person(value) for value in co.split(TRAILER_SEPARATOR) if value.strip()
        ),
        pull_request=(
            pull_request_number(subject, pulls.split(TRAILER_SEPARATOR) if pulls else ())
            if pulls or "#" in subject
            else None  # most subjects: no number to look for
        ),
        review_trailer=bool(reviews.strip()),
    )


def pull_request_number(subject: str, trailer_values: Iterable[str] = ()) -> int | None:
    """The pull request a commit says it landed through, or None.

    In order: a merge-button subject 'Merge pull request #N from ...'; a subject ending in
    '(#N)' (the squash button); a trailer value that is a pull-request URL
    ('.../owner/name/pull/N'). '#N' anywhere else ('Fix #12', '(#12) fix') is a reference
    to an issue or another change, not how this one landed.
    """
    if subject.startswith("Merge pull request #"):
        found = _MERGE_SUBJECT.match(subject)
        if found and int(found[1]):
            return int(found[1])
    if ")" in subject:
        found = _SQUASH_SUBJECT.search(subject)
        if found and int(found[1]):
            return int(found[1])
    for value in trailer_values:
        found = _PULL_URL.match(value.strip())
        if found and int(found[1]):
            return int(found[1])
    return None


def parse_marked(lines: Iterable[str]) -> Iterator[tuple[str, int | None, bool]]:
    """(sha, pull request, review trailer) from `git log --grep=MARKED_GREP -i -E
    --format=MARKED_FORMAT` lines: the keyed lines git's trailer parser does not see.

    'Pull Request resolved: <pull-request URL>' gives the number; 'Differential Revision:'
    marks a review. Body lines arrive indented by one space, so only unindented lines can
    start a commit; nothing of the body is kept.
    """
    sha: str | None = None
    number: int | None = None
    reviewed = False
    for line in lines:
        if line.startswith(RECORD):
            if sha is not None:
                yield sha, number, reviewed
            sha, number, reviewed = line[1:].strip(), None, False
            if not re.fullmatch(r"[0-9a-f]{40,64}", sha):
                raise LogFormatError(f"marked-message record without a commit id: {sha[:80]!r}")
        elif sha is not None:
            found = _MARKED_LINE.match(line) if line[1:2] in ("P", "p", "D", "d") else None
            if found is None:
                continue
            if not found[1]:
                reviewed = True
            elif number is None:
                url = _PULL_URL.match(found[2])
                number = int(url[1]) if url and int(url[1]) else None
        elif line.strip():
            raise LogFormatError(f"text before the first commit: {line[:80]!r}")
    if sha is not None:
        yield sha, number, reviewed


def _finish(commit: RawCommit, with_stats: bool) -> RawCommit:
    if with_stats:
        commit.files_changed = len(commit._stats)
        commit.lines_added = sum(a for a, _ in commit._stats)
        commit.lines_deleted = sum(d for _, d in commit._stats)
    commit._stats = []
    return commit


def parse_offset(iso_local: str) -> int | None:
    """'2026-08-22 04:39:11 +0530' -> 330 (minutes east of UTC).

    A zone git recorded but no clock can have (old histories hold offsets such as '+51800',
    written by broken tools) gives None: the local time is unknown, the commit still counts.
    Raises LogFormatError when there is no zone at all (not our format).
    """
    return _zone_minutes(iso_local.rpartition(" ")[2])


@functools.lru_cache(maxsize=256)  # a history has a few dozen distinct offsets
def _zone_minutes(zone: str) -> int | None:
    if len(zone) < 2 or zone[0] not in "+-" or not zone[1:].isdigit():
        raise LogFormatError(f"author date without a UTC offset: {zone!r}")
    if len(zone) != 5 or int(zone[3:5]) >= 60 or int(zone[1:3]) > 18:
        return None
    minutes = int(zone[1:3]) * 60 + int(zone[3:5])
    return -minutes if zone[0] == "-" else minutes


def parse_person(value: str) -> tuple[str, str]:
    """'Jane Doe <jane@example.org>' -> ('Jane Doe', 'jane@example.org'); e-mail may be ''."""
    value = value.strip()
    if value.endswith(">") and "<" in value:
        name, _, email = value[:-1].rpartition("<")
        return name.strip(), email.strip()
    return value, ""
