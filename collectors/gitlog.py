"""A pure parser for `git log` output in the one format this project asks git for.

`LOG_FORMAT` puts one record separator (0x1e) before each commit and unit separators (0x1f)
between its fields, so names and e-mails can hold any printable character; the body's lines
follow the header line, then, with `--numstat`, the per-file lines `added<TAB>deleted<TAB>path`
(binary files show `-` for both counts). The log is asked for in `--topo-order` (no commit
before all of its children), so whether a commit is on the tip's first-parent chain (one
landing on the branch) is known when it arrives: the tip is the first commit, and each commit
on the chain names the next one as its first parent. The parser is a generator over records
(`parse_records`, what collectors.gitrun streams) or lines (`parse_log`), so a history of any
length is parsed in constant memory, straight from the subprocess.

How a commit reached the default branch is read from its message, and only a number and a
flag are kept (`pull_request`, `review_trailer`); the subject and body go no further than this
parser. The subject is the last field of the header line, split off with a bounded split, so a
subject holding the separators themselves cannot shift the other fields. The body follows on
lines indented by one space (`%w(0,1,1)%b`), so no line of it can pass for a record; of it,
only the keyed lines git's trailer parser does not see are read, as two conventions put a
space in the key ("Pull Request resolved:" from PyTorch's ghstack, "Differential Revision:"
from Phabricator). Reading them in the one log costs git almost nothing more; a second
`git log --grep` for them cost about as much as the first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

RECORD = "\x1e"
UNIT = "\x1f"
TRAILER_SEPARATOR = "\x1d"

PULL_TRAILERS = ("PR-URL", "Pull-Request")  # values are pull-request URLs
REVIEW_TRAILERS = ("Reviewed-by", "Reviewed-on", "Approved-by", "Acked-by", "Tested-by")


def _trailers(keys: Iterable[str], show: str) -> str:
    """A %(trailers) placeholder: these keys (git matches them in any case), one line."""
    return "%(trailers:" + "".join(f"key={k}," for k in keys) + show + ",separator=%x1d)"


# %aN/%aE apply .mailmap; %ai carries the author's own UTC offset (local time). Fields that
# git prints from fixed formats come first; free text after, the subject last (see above);
# then the body, each line indented by one space so that none is taken for a record.
LOG_FORMAT = (
    "%x1e"
    + "%x1f".join(
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
    + "%n%w(0,1,1)%b%w(0,0,0)"
)
_FIELDS = 11

# "Merge pull request #N from owner/branch" (GitHub's merge button)
_MERGE_SUBJECT = re.compile(r"Merge pull request #(\d{1,9}) from \S")
# "... (#N)" at the end of the subject (GitHub's squash button; bots that land PRs copy it)
_SQUASH_SUBJECT = re.compile(r"\(#(\d{1,9})\)\s*$")
_PULL_URL = re.compile(r"https?://[^\s/]+/[^\s/]+/[^\s/]+/pull/(\d{1,9})(?![\w-])", re.IGNORECASE)
# a keyed line git's trailer parser misses, anywhere in a body (each line indented by one space)
_MARKED_BODY = re.compile(
    r"^ (?:(pull request resolved)|differential revision):[ \t]*(\S*)",
    re.IGNORECASE | re.MULTILINE,
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

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


class LogFormatError(ValueError):
    """A line that cannot come from LOG_FORMAT: the output was not made by our command."""


def parse_log(lines: Iterable[str], *, with_stats: bool = False) -> Iterator[RawCommit]:
    """Commits from `git log --topo-order --format=LOG_FORMAT [--numstat] <tip> [^<old>]`
    output lines, newest first. (`parse_records` reads the same output cut at each record.)"""
    return parse_records(_records(lines), with_stats=with_stats)


def _records(lines: Iterable[str]) -> Iterator[str]:
    """The text before the first record, then each record without its separator."""
    record: list[str] = []
    for line in lines:
        if line.startswith(RECORD):
            yield "\n".join(record)
            record = [line[1:]]
        else:
            record.append(line)
    yield "\n".join(record)


def parse_records(records: Iterable[str], *, with_stats: bool = False) -> Iterator[RawCommit]:
    """Commits from the same output cut at each record separator: first the text before the
    first record (nothing but white space), then one piece per commit (its header line, then
    its body lines and file counts). Per record, not per line: the parser's time is the
    collector's budget."""
    pieces = iter(records)
    before = next(pieces, "")
    if before.strip():
        raise LogFormatError(f"text before the first commit: {before.strip()[:80]!r}")
    chain: str | None = None  # the next commit of the first-parent chain still to come
    tip = True  # the tip, the only commit without children, comes first
    for record in pieces:
        head, _, rest = record.partition("\n")
        commit = _header(head)
        if tip:
            chain, tip = commit.sha, False
        if commit.sha == chain:
            commit.first_parent = True
            chain = commit.parents[0] if commit.parents else None
        if rest:
            for found in _MARKED_BODY.finditer(rest):
                _mark(commit, found)
        if with_stats:
            _count(commit, rest)
        yield commit


def _count(commit: RawCommit, rest: str) -> None:
    """Files and lines changed, from `--numstat` lines ('added<TAB>deleted<TAB>path'; binary
    files report '-' and count as a changed file with no lines)."""
    files = added = deleted = 0
    for line in rest.split("\n"):
        if line[:1] != " " and "\t" in line:
            plus, minus, _path = line.split("\t", 2)
            files += 1
            added += int(plus) if plus != "-" else 0
            deleted += int(minus) if minus != "-" else 0
    commit.files_changed, commit.lines_added, commit.lines_deleted = files, added, deleted


def _header(text: str) -> RawCommit:
    parts = text.split(UNIT, _FIELDS - 1)  # the subject, last, may hold separators
    if len(parts) != _FIELDS:
        raise LogFormatError(f"commit header with {len(parts)} fields, expected {_FIELDS}")
    sha, parents, authored, local, committed, name, email, co, pulls, reviews, subject = parts
    try:
        authored_epoch, committed_epoch = int(authored), int(committed)
    except ValueError:
        raise LogFormatError(f"commit {sha[:12]!r} without epoch times") from None
    return RawCommit(  # positional, in field order: built once per commit
        sha,
        tuple(parents.split()),
        name,
        email,
        authored_epoch,
        _zone_minutes(local.rpartition(" ")[2]),
        committed_epoch,
        _co_authors(co) if co else (),
        False,
        (
            pull_request_number(subject, pulls.split(TRAILER_SEPARATOR) if pulls else ())
            if pulls or "#" in subject
            else None  # most subjects: no number to look for
        ),
        bool(reviews) and not reviews.isspace(),
    )


def _co_authors(values: str) -> tuple[tuple[str, str], ...]:
    return tuple(parse_person(v) for v in values.split(TRAILER_SEPARATOR) if v.strip())


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


def _mark(commit: RawCommit, found: re.Match) -> None:
    """What a marked line says: a 'Pull Request resolved:' URL gives the pull request (if the
    subject and trailers named none), a 'Differential Revision:' line a review."""
    if not found[1]:
        commit.review_trailer = True
    elif commit.pull_request is None:
        url = _PULL_URL.match(found[2])
        commit.pull_request = int(url[1]) if url and int(url[1]) else None


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
