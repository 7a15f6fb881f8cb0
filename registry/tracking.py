"""The user's own project list: `tracked.toml` in the user data folder, beside the shipped
`data/projects.toml` (which the dashboard never edits).

The file holds [[projects]] tables in the projects file's format and is validated by the
same parser (`parse_registry(..., beside=shipped)`), with one addition: a project may have
packages and no repository. No id, name, repository or package may be one the shipped file
or another entry already has. The "Track" action appends a table and "Untrack" removes one.

Each change is one read-check-write under a file lock (`.tracked.lock` beside the list,
`files.file_lock`, the store's mechanism), so changes made at once by several processes
(commands, app sessions) all land. The file is edited by its parsed structure (tomlkit, which
keeps the user's comments and layout), never by line patterns; the result is checked with the
parser and against the expected list (every other entry unchanged) before it is written
atomically, so the file is never left half-written, broken or changed elsewhere. A list
written in a form that cannot be edited that way is refused, named, and left as it was.
Untracking only changes this list: the refreshed history stays in the store.

    with_tracked(shipped, path)       the merged registry (a broken list is named, not fatal)
    track(path, shipped, repo=, package=, formerly=) -> Project
    untrack(path, shipped, project_id) -> Project
    shown(registry)                   what the pages draw: at most SHOWN of the user's projects
    crowded(count)                    the warning for a list longer than that (CLI and app)
    tracking(registry, kind, name)    the project that already tracks a repo or package

Raises ConfigError (file, line, rule) for a broken list and for a refused action, and
StoreLockedError when another process holds the list for longer than LOCK_SECONDS.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import re
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import AoT, Array, Comment, Table, Whitespace

from errors import ConfigError, StoreLockedError
from files import atomic_write_text, file_lock
from registry.names import github_repo_problem, normalize_pypi_name, pypi_name_problem, repo_key
from registry.projects import COHORT_PREFIX, Project, Registry, parse_registry

TRACKED_GROUP = "Tracked by you"
KINDS = ("repo", "package")
LOCK_SECONDS = 30.0  # how long a change waits for another process's change to finish
# The pages draw at most this many of the user's projects (the first in the file): every
# page computes each project's indicators, so 10,000 took minutes (Overview 79 s, Compare
# 210 s); 100 add about 1.7 s of CPU to the Overview's 7.3 s and 1 s to Compare's 0.4 s
# (`python -m bench tracked`). The refresh and `tracked` still see them all.
SHOWN = 100
HEADER = """\
# Your own tracked projects, added with "Track" in the dashboard or `./dev cli track`.
# The format and rules of data/projects.toml's [[projects]] tables, except that a project
# may have packages and no repository. No id, name, repository or package may be one that
# data/projects.toml or another entry here already has. The next refresh (the app's
# Refresh now, `./dev cli refresh` or the schedule) collects them. Untracking removes the
# entry and keeps its stored history. You may edit this file by hand.
"""


def with_tracked(shipped: Registry, path: Path) -> Registry:
    """`shipped` followed by the user's projects from `path` (marked `by_user`). A list that
    is missing is empty; one that cannot be read or breaks a rule is left out and named in
    `tracked_problem`, so the shipped projects are always shown."""
    try:
        user = read_tracked(path, shipped)
    except ConfigError as exc:
        return dataclasses.replace(shipped, tracked_file=path, tracked_problem=str(exc))
    return merge(shipped, user, path)


def read_tracked(path: Path, shipped: Registry) -> Registry:
    """The user's list, validated beside `shipped` (empty when the file does not exist).
    Raises ConfigError naming the file, line and rule."""
    return parse_registry(_read(path), path, beside=shipped)


def merge(shipped: Registry, user: Registry, path: Path) -> Registry:
    """One registry: the shipped projects, then the user's, marked as the user's."""
    mine = tuple(dataclasses.replace(p, by_user=True) for p in user)
    return dataclasses.replace(shipped, projects=shipped.projects + mine, tracked_file=path)


def shown(registry: Registry, limit: int | None = None) -> Registry:
    """`registry` with only the first `limit` (default SHOWN) of the user's projects (file
    order), and the number left out in `tracked_left_out`: what the pages draw."""
    limit = SHOWN if limit is None else limit
    mine = registry.by_user
    if len(mine) <= limit:
        return registry
    kept = {p.id for p in mine[:limit]}
    projects = tuple(p for p in registry.projects if not p.by_user or p.id in kept)
    return dataclasses.replace(registry, projects=projects, tracked_left_out=len(mine) - limit)


def crowded(count: int, limit: int | None = None) -> str | None:
    """What to say when the user tracks `count` projects, more than the pages draw (SHOWN);
    None when they draw them all."""
    limit = SHOWN if limit is None else limit
    if count <= limit:
        return None
    return (
        f"You track {count:,} projects of your own; the pages draw the first {limit} of them "
        f"(in the order of tracked.toml) and leave out {count - limit:,}, since each page "
        "computes every project's figures and would take minutes. To choose which are drawn, "
        "move them to the top of tracked.toml, or untrack others (`./dev cli untrack ID`); "
        "`./dev cli tracked` lists them all, and a refresh collects them all."
    )


def tracking(registry: Registry, kind: str, name: str) -> Project | None:
    """The project of `registry` that already tracks repository or package `name` (former
    repository names and any letter case count), or None."""
    if kind == "repo":
        key = repo_key(name)
        return next(
            (p for p in registry if any(key == repo_key(n) for r in p.repos for n in r.names)), None
        )
    key = normalize_pypi_name(name)
    return next((p for p in registry if key in p.packages), None)


def track(
    path: Path,
    shipped: Registry,
    *,
    repo: str | None = None,
    package: str | None = None,
    formerly: Sequence[str] = (),
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Project:
    """Add a project for GitHub repository `repo` (known before by the names `formerly`, so
    its history joins across renames) and/or PyPI package `package` to the user's list at
    `path`, and return it. Raises ConfigError when a name is invalid, already tracked, or
    the list is broken (a broken list is never overwritten: fix it first), and
    StoreLockedError when another change holds the list too long."""
    with _changing(path, clock, sleep):
        text = _read(path)
        current = merge(shipped, parse_registry(text, path, beside=shipped), path)
        block = new_entry(
            current, repo=repo, package=package, formerly=formerly, today=date.today()
        )
        asked = " and ".join(filter(None, [repo, package and f"package {package}"]))
        try:
            new_text = _appended(text, path, block)
            added = parse_registry(new_text, path, beside=shipped).projects[-1]
        except ConfigError as exc:  # the new entry's fault: name the argument, not a line
            raise ConfigError(path, None, f"cannot track {asked}: {exc.rule}") from None
        _write(path, new_text)
    return dataclasses.replace(added, by_user=True)


def untrack(
    path: Path,
    shipped: Registry,
    project_id: str,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Project:
    """Remove project `project_id` from the user's list and return it; its stored history is
    kept, and so are the user's comments and every other entry. Raises ConfigError when it
    is not on the list (or is a shipped project) or the list cannot be edited safely, and
    StoreLockedError when another change holds the list too long."""
    with _changing(path, clock, sleep):
        text = _read(path)
        user = parse_registry(text, path, beside=shipped)
        ids = [p.id for p in user]
        if project_id not in ids:
            if any(p.id == project_id for p in shipped):
                rule = (
                    f"project {project_id!r} is in {shipped.path.name}, which the dashboard "
                    "never edits; only projects you tracked can be untracked"
                )
            else:
                known = ", ".join(ids) or "none"
                if len(ids) > 20:
                    known = f"{len(ids)} projects, listed by `tracked`"
                rule = f"no project {project_id!r} in your tracked projects (they are: {known})"
            raise ConfigError(path, None, rule)
        new_text = _removed(text, path, ids.index(project_id), project_id)
        parse_registry(new_text, path, beside=shipped)  # still valid, or nothing is written
        _write(path, new_text)
    return dataclasses.replace(user.get(project_id), by_user=True)


def lock_file(path: Path) -> Path:
    """The lock that serializes changes of the list at `path` (beside it, hidden)."""
    return path.with_name(f".{path.stem}.lock")


@contextlib.contextmanager
def _changing(
    path: Path, clock: Callable[[], float], sleep: Callable[[float], None]
) -> Iterator[None]:
    """Hold the list's lock for one read-check-write, so no concurrent change is lost."""
    lock = lock_file(path)
    busy = StoreLockedError(
        lock, f"another process is changing your tracked projects ({path.name}); try again"
    )
    with file_lock(lock, lambda: busy, timeout=LOCK_SECONDS, clock=clock, sleep=sleep):
        yield


def new_entry(
    registry: Registry,
    *,
    repo: str | None,
    package: str | None,
    today: date,
    formerly: Sequence[str] = (),
) -> str:
    """The [[projects]] table that tracks `repo` and/or `package` beside `registry`: an id
    and a name no project has, group TRACKED_GROUP. Raises ConfigError (no file) when a
    name is invalid or already tracked."""
    where = registry.tracked_file or Path("tracked.toml")
    if not repo and not package:
        raise ConfigError(where, None, "name a repository or a package to track")
    formerly = [old for old in dict.fromkeys(formerly) if repo and repo_key(old) != repo_key(repo)]
    for kind, name, problem in (
        ("repo", repo, github_repo_problem),
        *(("repo", old, github_repo_problem) for old in formerly),
        ("package", package, pypi_name_problem),
    ):
        if name is None:
            continue
        rule = problem(name)
        if rule:
            raise ConfigError(where, None, rule)
        owner = tracking(registry, kind, name)
        if owner is not None:
            listed = "your tracked projects" if owner.by_user else registry.path.name
            raise ConfigError(
                where,
                None,
                f"{name} is already tracked: project {owner.id!r} ({owner.name}) in {listed}",
            )
    ids = {p.id for p in registry}
    names = {p.name.casefold() for p in registry}
    stem = _slug(repo.partition("/")[2] if repo else str(package)) or "project"
    # `stem-2`, `stem-3`, ... with no upper bound: a list holds finitely many ids, so one is free
    numbered = (f"{stem[: 39 - len(str(n))].strip('-')}-{n}" for n in itertools.count(2))
    project_id = next(
        c for c in itertools.chain([stem, _slug(repo or "")], numbered) if c and c not in ids
    )
    base = repo or str(package)
    marked = f"{base} ({'GitHub' if repo else 'PyPI'})"
    numbered_names = (f"{base} ({n})" for n in itertools.count(2))
    name = next(
        c for c in itertools.chain([base, marked], numbered_names) if c.casefold() not in names
    )
    lines = [
        "[[projects]]",
        f"# tracked on {today.isoformat()}",
        f"id = {_quoted(project_id)}",
        f"name = {_quoted(name)}",
        f"group = {_quoted(TRACKED_GROUP)}",
    ]
    if repo and formerly:
        old = ", ".join(map(_quoted, formerly))
        lines.append(f"repos = [{{ name = {_quoted(repo)}, formerly = [{old}] }}]")
    elif repo:
        lines.append(f"repos = [{_quoted(repo)}]")
    if package:
        lines.append(f"packages = [{_quoted(package)}]")
    return "\n".join(lines) + "\n"


def _appended(text: str, path: Path, block: str) -> str:
    """`text` with the [[projects]] table `block` added after every entry. A list of
    [[projects]] tables (the form this module writes) gets the block as it is, so the
    user's text is kept byte for byte; any other form (`projects = [...]`) gets it as an
    inline table, through tomlkit. Raises ConfigError when neither keeps the other entries."""
    before = _entries(text, path)
    entry = tomllib.loads(block)["projects"][0]
    expected = [*before, entry]
    plain = (text.rstrip("\n") + "\n\n" if text.strip() else HEADER + "\n") + block
    if _entries_or_none(plain) == expected:
        return plain
    doc = _document(text, path)
    projects = doc.get("projects")
    if isinstance(projects, Array):
        inline = tomlkit.inline_table()
        inline.update(entry)
        projects.append(inline)
        edited = tomlkit.dumps(doc)
        if _entries_or_none(edited) == expected:
            return edited
    raise _uneditable(path, "add a project to it")


def _removed(text: str, path: Path, index: int, project_id: str) -> str:
    """`text` without the index-th project (`project_id`), edited by its parsed structure:
    every other entry, the comments inside them and the comments between them are kept (a
    note that follows the removed table stays, moved to the table before it), except the
    comment lines right above the removed table's header, which are its own. Raises
    ConfigError when the result would change anything else."""
    before = _entries(text, path)
    doc = _document(text, path)
    projects = doc.get("projects")
    notes: list[Any] = []
    if isinstance(projects, AoT):
        body = projects[index].value.body
        cut = len(body)
        while (
            cut and body[cut - 1][0] is None and isinstance(body[cut - 1][1], Whitespace | Comment)
        ):
            cut -= 1
        if any(isinstance(item, Comment) for _, item in body[cut:]):
            notes = [item for _, item in body[cut:]]
    if not isinstance(projects, AoT | Array):
        raise _uneditable(path, f"remove {project_id!r}")
    if isinstance(projects, AoT) and index > 0:
        # comment lines right above the removed table's header (no blank line between) are
        # its own heading note, and go with it; tomlkit counts them to the table before
        above = projects[index - 1].value.body
        while above and above[-1][0] is None and isinstance(above[-1][1], Comment):
            above.pop()
    del projects[index]
    prefix = ""
    if notes and index > 0:
        table: Table = projects[index - 1]
        for item in notes:
            table.value.append(None, item)
    elif notes:  # the first table: its trailing notes now come before the new first one
        prefix = "".join(item.as_string() for item in notes)
    edited = tomlkit.dumps(doc)
    if prefix:
        head = "".join(item.as_string() for key, item in doc.body if key is None)
        if not edited.startswith(head):
            raise _uneditable(path, f"remove {project_id!r}")
        edited = head + prefix + edited[len(head) :]
    if _entries_or_none(edited) != before[:index] + before[index + 1 :]:
        raise _uneditable(path, f"remove {project_id!r}")
    return edited


def _entries(text: str, path: Path) -> list[Any]:
    """The raw [[projects]] entries of valid TOML `text` (the parser has checked it)."""
    entries = _entries_or_none(text)
    if entries is None:
        raise ConfigError(path, None, "not valid TOML")
    return entries


def _entries_or_none(text: str) -> list[Any] | None:
    try:
        return list(tomllib.loads(text).get("projects", []))
    except tomllib.TOMLDecodeError:
        return None


def _document(text: str, path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except (tomlkit.exceptions.TOMLKitError, RecursionError) as exc:
        rule = f"cannot be edited safely (tomlkit cannot read it: {exc}); nothing was changed"
        raise ConfigError(path, None, rule) from None


def _uneditable(path: Path, what: str) -> ConfigError:
    return ConfigError(
        path,
        None,
        f"cannot {what} without changing other entries: the list is written in a form this "
        "tool cannot edit safely (write it as [[projects]] tables, or make the change by hand); "
        "nothing was changed",
    )


def _slug(text: str) -> str:
    """An id from a name: lower-case letters, digits and single hyphens, at most 40."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-")
    if slug.startswith(COHORT_PREFIX):
        slug = "tracked-" + slug
    return slug[:40].strip("-")


def _quoted(value: str) -> str:
    """A TOML basic string (the names quoted here are validated: no quotes, no escapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # no list yet (or no data folder)
        return ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, f"cannot be read as UTF-8 text ({exc})") from None


def _write(path: Path, text: str) -> None:
    """A reader sees the old list or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
