"""The user's own project list: `tracked.toml` in the user data folder, beside the shipped
`data/projects.toml` (which the dashboard never edits).

The file holds [[projects]] tables in the projects file's format and is validated by the
same parser (`parse_registry(..., beside=shipped)`), with one addition: a project may have
packages and no repository. No id, name, repository or package may be one the shipped file
or another entry already has. The "Track" action appends a table and "Untrack" removes one,
each writing the whole file atomically after checking the result with the parser, so the
file is never left half-written or broken by the dashboard, and comments and hand edits in
it are kept. Untracking only changes this list: the refreshed history stays in the store.

    with_tracked(shipped, path)       the merged registry (a broken list is named, not fatal)
    track(path, shipped, repo=, package=, formerly=) -> Project
    untrack(path, shipped, project_id) -> Project
    tracking(registry, kind, name)    the project that already tracks a repo or package

Raises ConfigError (file, line, rule) for a broken list and for a refused action.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from errors import ConfigError
from files import atomic_write_text
from registry.locate import HEADER as TABLE_HEADER
from registry.names import github_repo_problem, normalize_pypi_name, pypi_name_problem, repo_key
from registry.projects import COHORT_PREFIX, Project, Registry, parse_registry

TRACKED_GROUP = "Tracked by you"
KINDS = ("repo", "package")
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
) -> Project:
    """Add a project for GitHub repository `repo` (known before by the names `formerly`, so
    its history joins across renames) and/or PyPI package `package` to the user's list at
    `path`, and return it. Raises ConfigError when a name is invalid, already tracked, or
    the list is broken (a broken list is never overwritten: fix it first)."""
    text = _read(path)
    current = merge(shipped, parse_registry(text, path, beside=shipped), path)
    block = new_entry(current, repo=repo, package=package, formerly=formerly, today=date.today())
    new_text = (text.rstrip("\n") + "\n\n" if text.strip() else HEADER + "\n") + block
    added = parse_registry(new_text, path, beside=shipped).projects[-1]
    _write(path, new_text)
    return dataclasses.replace(added, by_user=True)


def untrack(path: Path, shipped: Registry, project_id: str) -> Project:
    """Remove project `project_id` from the user's list and return it; its stored history is
    kept. Raises ConfigError when it is not on the list (or is a shipped project)."""
    text = _read(path)
    user = parse_registry(text, path, beside=shipped)
    ids = [p.id for p in user]
    if project_id not in ids:
        if any(p.id == project_id for p in shipped):
            rule = (
                f"project {project_id!r} is in {shipped.path.name}, which the dashboard never "
                "edits; only projects you tracked can be untracked"
            )
        else:
            known = ", ".join(ids) or "none"
            rule = f"no project {project_id!r} in your tracked projects (they are: {known})"
        raise ConfigError(path, None, rule)
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if TABLE_HEADER.match(line)]
    if len(starts) != len(ids):
        raise ConfigError(
            path,
            None,
            "cannot tell where each project's [[projects]] table starts (written another "
            f"way by hand); remove {project_id!r} by editing the file",
        )
    index = ids.index(project_id)
    end = starts[index + 1] if index + 1 < len(starts) else len(lines)
    while end > starts[index] + 1 and lines[end - 1].strip()[:1] in ("", "#"):
        end -= 1  # comments and blank lines after the table are the user's: kept
    new_text = "".join(lines[: starts[index]] + lines[end:]).rstrip("\n") + "\n"
    parse_registry(new_text, path, beside=shipped)  # still valid, or nothing is written
    _write(path, new_text)
    return dataclasses.replace(user.get(project_id), by_user=True)


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
    numbered = (f"{stem[:35].strip('-')}-{n}" for n in range(2, 10_000))
    project_id = next(
        c for c in itertools.chain([stem, _slug(repo or "")], numbered) if c and c not in ids
    )
    name = repo or str(package)
    if name.casefold() in names:
        name = f"{name} ({'GitHub' if repo else 'PyPI'})"
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
