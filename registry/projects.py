"""The tracked-projects registry: `data/projects.toml`, read and fully validated before any I/O.

Users edit this file, so every rule broken is reported with the file, the line and the rule
in plain words (`ConfigError`). Nothing downstream re-checks names: a `Registry` that exists
is valid.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from errors import ConfigError
from registry.locate import Locator as _Locator
from registry.names import github_repo_problem, normalize_pypi_name, pypi_name_problem, repo_key

DEFAULT_REGISTRY = Path(__file__).resolve().parent.parent / "data" / "projects.toml"

_PROJECT_KEYS = {"id", "name", "group", "repos", "packages", "description"}
_REPO_KEYS = {"name", "formerly", "role", "note"}
REPO_ROLES = ("main", "family")
_COHORT_KEYS = {
    "label",
    "ranking_pool",
    "group_top",
    "group_label",
    "github_languages",
    "github_top",
    "github_listed_since",
    "pypi_top",
    "pypi_listed_since",
    "pypi_exclude_ai",
}
AI_CLASSIFIER = "Topic :: Scientific/Engineering :: Artificial Intelligence"
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
COHORT_PREFIX = "cohort-"  # cohort members' ids (metrics.cohort), never a tracked project's
# a project's name: room for any GitHub 'owner/name' (39 + 1 + 100) and a ' (GitHub)' suffix,
# since a tracked repository is named after it; a group's label stays short
MAX_LENGTH = {"name": 150, "group": 80}


@dataclass(frozen=True)
class RepoRef:
    """A GitHub repository of a project, with the names it was known by before a rename."""

    full_name: str
    formerly: tuple[str, ...] = ()
    # 'main': the project's own repository, whose stars, forks and issues are the project's;
    # 'family': a repository of the same project family (its libraries, examples, packaging)
    # that adds community evidence (git history) but never the main figures.
    role: str = "main"
    note: str = ""  # why a family repository belongs to the project, in plain words

    @property
    def key(self) -> str:
        return repo_key(self.full_name)

    @property
    def names(self) -> tuple[str, ...]:
        """Its current name, then the names it had before."""
        return (self.full_name, *self.formerly)


@dataclass(frozen=True)
class Project:
    """One tracked project: what the user sees as a row, made of repositories and packages."""

    id: str
    name: str
    group: str
    repos: tuple[RepoRef, ...]
    packages: tuple[str, ...]  # PEP 503 normalized
    description: str = ""
    # True for a project from the user's own list (tracked.toml in the user data folder),
    # added with the "Track" action; False for data/projects.toml's
    by_user: bool = False

    @property
    def repo_names(self) -> tuple[str, ...]:
        """Every repository, main and family. A project's figures come from its main ones
        only; a family repository is shown as a row of its own (views.community.subjects)."""
        return tuple(r.full_name for r in self.repos)

    @property
    def main_repo_names(self) -> tuple[str, ...]:
        """The project's own repositories: the only ones its stars, forks and issues add up."""
        return tuple(r.full_name for r in self.repos if r.role == "main")


@dataclass(frozen=True)
class CohortRule:
    """How the comparison cohort is chosen from the public archives (resolved at build time)."""

    label: str = "Comparison cohort"
    github_languages: tuple[str, ...] = ("Python",)
    github_top: int = 40
    github_listed_since: date | None = None
    pypi_top: int = 40
    pypi_listed_since: date | None = None
    # leave out packages that PyPI classifies as AI (Trove classifier below), so the cohort
    # is open source in general and "AI differs from open source" can be tested
    pypi_exclude_ai: bool = True
    # The pool rule (metrics.cohort.pool_members): both sides drawn from the PyPI packages
    # that have a repository in the GitHub ranking archive, split by whether they are AI.
    ranking_pool: bool = False
    group_top: int = 0  # members of the open-source AI group under the pool rule
    group_label: str = "Open-source AI (by rule)"

    def describe(self) -> str:
        """The rule in plain words, for the Data page and the methods notes."""
        if self.ranking_pool:
            return (
                "PyPI packages of the top-PyPI archive's latest monthly snapshot whose name is "
                "the name of a repository in the GitHub ranking archive and whose PyPI metadata "
                "links back to that repository; the open-source AI group is the "
                f"{self.group_top} most downloaded of them that PyPI classifies as "
                f"'{AI_CLASSIFIER}'"
                " or whose repository's description names AI, the cohort the "
                f"{self.pypi_top} most downloaded of the others (the tracked projects' packages "
                "left out); each member needs its repository's full git history in the data"
            )
        packages = (
            f"the {self.pypi_top} most-downloaded PyPI packages"
            + (
                f" listed in the archive since {self.pypi_listed_since}"
                if self.pypi_listed_since
                else ""
            )
            + " in the last monthly snapshot"
            + (f" that PyPI does not classify as '{AI_CLASSIFIER}'" if self.pypi_exclude_ai else "")
            + ", each with the GitHub repository its PyPI metadata names"
        )
        if not self.github_top:
            return packages + ", excluding the tracked projects"
        langs = ", ".join(self.github_languages) or "any language"
        since_gh = (
            f", listed in the archive since {self.github_listed_since}"
            if self.github_listed_since
            else ""
        )
        return (
            f"the {self.github_top} most-starred GitHub repositories ({langs}{since_gh}) on the "
            f"ranking archive's last day, and {packages}, excluding the tracked projects"
        )


@dataclass(frozen=True)
class GitSettings:
    """How the git collector classifies people (applied when commits are collected)."""

    extra_bot_patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registry:
    """The validated registry: tracked projects in file order, the cohort rule, git settings.

    Merged with the user's own list (registry.tracking), its projects follow the shipped
    ones with `by_user` set; `tracked_problem` then says why the user's list could not be
    read (the shipped projects are kept, the user's left out until the file is fixed), and
    `tracked_left_out` how many of the user's projects a page leaves out because the list
    is longer than pages draw (registry.tracking.shown)."""

    path: Path
    projects: tuple[Project, ...]
    cohort: CohortRule = field(default_factory=CohortRule)
    git: GitSettings = field(default_factory=GitSettings)
    tracked_file: Path | None = None
    tracked_problem: str | None = None
    tracked_left_out: int = 0

    def __iter__(self) -> Iterator[Project]:
        return iter(self.projects)

    def get(self, project_id: str) -> Project:
        for project in self.projects:
            if project.id == project_id:
                return project
        raise KeyError(project_id)

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.group for p in self.projects))

    @property
    def shipped(self) -> tuple[Project, ...]:
        """The projects of the projects file (data/projects.toml), not the user's own list."""
        return tuple(p for p in self.projects if not p.by_user)

    @property
    def by_user(self) -> tuple[Project, ...]:
        """The projects the user tracked (tracked.toml in the user data folder)."""
        return tuple(p for p in self.projects if p.by_user)

    def repo_aliases(self) -> dict[str, str]:
        """Every known name (current or former, case-folded) -> the current full name."""
        aliases: dict[str, str] = {}
        for project in self.projects:
            for repo in project.repos:
                aliases[repo.key] = repo.full_name
                for old in repo.formerly:
                    aliases[repo_key(old)] = repo.full_name
        return aliases


def load_registry(path: Path | str | None = None, tracked: Path | str | None = None) -> Registry:
    """Read and validate a registry file (default: data/projects.toml; the entry points
    pass `Settings.projects_file`, which $OSSAI_PROJECTS can change), merged with the
    user's own list `tracked` (`DataLayout.tracked_file`) when given.

    Raises ConfigError naming the file, line and rule when the projects file is broken; a
    broken or clashing user list never hides the shipped projects: it is left out and
    named in `Registry.tracked_problem` (registry.tracking.with_tracked).
    """
    path = Path(path) if path is not None else DEFAULT_REGISTRY
    registry = parse_registry(read_text(path), path)
    if tracked is None:
        return registry
    from registry.tracking import with_tracked  # tracking builds on this module

    return with_tracked(registry, Path(tracked))


def read_text(path: Path) -> str:
    """A projects file's text. Raises ConfigError when it is missing or not UTF-8 text."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, f"cannot be read as UTF-8 text ({exc})") from None


def parse_registry(
    text: str, path: Path | str = "projects.toml", *, beside: Registry | None = None
) -> Registry:
    """Validate registry text; `path` is only used in error messages.

    With `beside` (the shipped registry), `text` is the user's own list: only [[projects]]
    tables, none at all allowed, a project may have packages and no repository, and no id,
    name, repository or package may be one `beside` already has. Same rules otherwise.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        if line is None and "end of document" in str(exc):  # an unclosed value at the end
            line = max(len(text.splitlines()), 1)
        raise ConfigError(path, line, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(path, None, "nested too deeply to be a projects file") from None
    locate = _Locator(text)
    user_list = beside is not None
    unknown = set(raw) - ({"projects"} if user_list else {"projects", "cohort", "git"})
    if unknown:
        key = sorted(unknown)[0]
        line = locate.key(key) or locate.table(key)
        raise ConfigError(path, line, f"unknown top-level key {key!r}")
    entries = raw.get("projects", [] if user_list else None)
    if not isinstance(entries, list) or not (entries or user_list):
        raise ConfigError(path, None, "needs at least one [[projects]] table")
    seen = _Seen()
    if beside is not None:
        for project in beside:
            seen.add(project, f" in {beside.path.name}", path, locate, None)
    projects: list[Project] = []
    for index, entry in enumerate(entries):
        project = _parse_project(entry, index, path, locate, package_only=user_list)
        seen.add(project, "", path, locate, index)
        projects.append(project)
    if user_list:
        return Registry(path=path, projects=tuple(projects))
    cohort = _parse_cohort(raw.get("cohort", {}), path, locate)
    git = _parse_git(raw.get("git", {}), path, locate)
    return Registry(path=path, projects=tuple(projects), cohort=cohort, git=git)


class _Seen:
    """What the projects so far have taken, to refuse a second use of an id, a name (in any
    letter case), a repository (current or former name) or a package."""

    def __init__(self) -> None:
        self.taken: dict[tuple[str, str], str] = {}

    def add(self, project: Project, where: str, path: Path, locate: _Locator, index: int | None):
        """Take `project`'s names (`where` says which file it is from, for messages); for
        a project of the file being read (`index` given), raise ConfigError on the line of
        a name already taken."""
        names = [("project id", project.id, project.id)]
        names += [("repository", repo_key(n), n) for r in project.repos for n in r.names]
        names += [("package", p, p) for p in project.packages]
        names.append(("name", project.name.casefold(), ""))
        for what, key, needle in names:
            owner = self.taken.get((what, key))
            if owner is not None and index is not None:
                shown = needle or project.name
                if what == "package":
                    line = locate.package(index, key)
                else:
                    line = locate.in_project(index, needle or "name", is_key=not needle)
                if what == "project id" and owner == repr(project.id):
                    raise ConfigError(path, line, f"project id {shown!r} is used twice")
                raise ConfigError(
                    path, line, f"{what} {shown!r} is already listed under project {owner}"
                )
            self.taken[(what, key)] = f"{project.id!r}{where}"


def _parse_project(
    entry: Any, index: int, path: Path, locate: _Locator, *, package_only: bool = False
) -> Project:
    """One [[projects]] table; with `package_only` (the user's own list), `repos` may be
    left out or empty when the project has a package."""
    where = locate.project(index)
    if not isinstance(entry, dict):
        raise ConfigError(path, where, "each [[projects]] entry must be a table")
    _only_known(entry, _PROJECT_KEYS, "key", path, locate, index)
    for key in ("id", "name", "group") if package_only else ("id", "name", "group", "repos"):
        if key not in entry:
            raise ConfigError(path, where, f"project is missing the required key {key!r}")
    pid = entry["id"]
    if not isinstance(pid, str) or not _ID.fullmatch(pid) or pid.startswith(COHORT_PREFIX):
        raise _at_key(
            path,
            locate,
            index,
            "id",
            "project id must be 1-40 lower-case letters, digits or hyphens, starting with a "
            f"letter or digit (and not with {COHORT_PREFIX!r}, kept for cohort members)",
        )
    for key in ("name", "group"):
        value = entry[key]
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_LENGTH[key]:
            raise _at_key(
                path,
                locate,
                index,
                key,
                f"project {key} must be a non-empty string of at most {MAX_LENGTH[key]} characters",
            )
    description = entry.get("description", "")
    if not isinstance(description, str):
        raise _at_key(path, locate, index, "description", "description must be a string")
    repos_raw = entry.get("repos", [])
    if not isinstance(repos_raw, list) or not (repos_raw or package_only):
        raise _at_key(
            path,
            locate,
            index,
            "repos",
            "repos must be a non-empty list of 'owner/name' strings or "
            "{ name = ..., formerly = [...] } tables",
        )
    repos = tuple(_parse_repo(item, index, path, locate) for item in repos_raw)
    if repos and not any(r.role == "main" for r in repos):
        raise _at_key(
            path,
            locate,
            index,
            "repos",
            "a project needs at least one repository of role 'main' (its own repository)",
        )
    packages_raw = entry.get("packages", [])
    if not isinstance(packages_raw, list):
        raise _at_key(
            path, locate, index, "packages", "packages must be a list of PyPI project names"
        )
    packages: dict[str, None] = {}  # ordered, and a set for the duplicate check
    for name in packages_raw:
        problem = pypi_name_problem(name)
        if problem:
            raise ConfigError(path, locate.in_project(index, str(name)), problem)
        normalized = normalize_pypi_name(name)
        if normalized in packages:
            raise ConfigError(
                path, locate.in_project(index, name), f"package {name!r} is listed twice"
            )
        packages[normalized] = None
    if not repos and not packages:
        raise _at_key(
            path, locate, index, "repos", "a project needs a repository or a package to track"
        )
    return Project(
        id=pid,
        name=entry["name"].strip(),
        group=entry["group"].strip(),
        repos=repos,
        packages=tuple(packages),
        description=description.strip(),
    )


def _parse_repo(item: Any, index: int, path: Path, locate: _Locator) -> RepoRef:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, dict) or "name" not in item:
        raise _at_key(
            path,
            locate,
            index,
            "repos",
            "each repo must be 'owner/name' or a table { name = 'owner/name', formerly = [...] }",
        )
    _only_known(item, _REPO_KEYS, "repo key", path, locate, index)
    role = item.get("role", "main")
    if role not in REPO_ROLES:
        raise _at_key(
            path,
            locate,
            index,
            "role",
            f"repo role must be one of {', '.join(REPO_ROLES)}, not {role!r}",
        )
    note = item.get("note", "")
    if not isinstance(note, str) or len(note) > 400:
        raise _at_key(
            path, locate, index, "note", "repo note must be a string of at most 400 characters"
        )
    formerly = item.get("formerly", [])
    if not isinstance(formerly, list):
        raise _at_key(
            path, locate, index, "formerly", "formerly must be a list of 'owner/name' strings"
        )
    for name in (item["name"], *formerly):
        problem = github_repo_problem(name)
        if problem:
            raise ConfigError(path, locate.in_project(index, str(name)), problem)
    return RepoRef(
        full_name=item["name"], formerly=tuple(formerly), role=role, note=" ".join(note.split())
    )


def _parse_cohort(raw: Any, path: Path, locate: _Locator) -> CohortRule:
    if not isinstance(raw, dict):
        raise ConfigError(path, locate.cohort(), "[cohort] must be a table")
    unknown = set(raw) - _COHORT_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(
            path,
            locate.in_cohort(key),
            f"unknown cohort key {key!r} (allowed: {', '.join(sorted(_COHORT_KEYS))})",
        )
    rule = CohortRule()
    values: dict[str, Any] = {}
    if "label" in raw:
        if not isinstance(raw["label"], str) or not raw["label"].strip():
            raise ConfigError(path, locate.in_cohort("label"), "label must be a non-empty string")
        values["label"] = raw["label"].strip()
    if "github_languages" in raw:
        langs = raw["github_languages"]
        if not isinstance(langs, list) or not all(isinstance(x, str) and x for x in langs):
            raise ConfigError(
                path,
                locate.in_cohort("github_languages"),
                "github_languages must be a list of language names (empty for any language)",
            )
        values["github_languages"] = tuple(langs)
    if "ranking_pool" in raw:
        if not isinstance(raw["ranking_pool"], bool):
            raise ConfigError(
                path, locate.in_cohort("ranking_pool"), "ranking_pool must be true or false"
            )
        values["ranking_pool"] = raw["ranking_pool"]
    if "group_label" in raw:
        if not isinstance(raw["group_label"], str) or not raw["group_label"].strip():
            raise ConfigError(
                path, locate.in_cohort("group_label"), "group_label must be a non-empty string"
            )
        values["group_label"] = raw["group_label"].strip()
    for key in ("github_top", "pypi_top", "group_top"):
        if key in raw:
            n = raw[key]
            if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 500:
                raise ConfigError(
                    path, locate.in_cohort(key), f"{key} must be a whole number from 0 to 500"
                )
            values[key] = n
    if "pypi_exclude_ai" in raw:
        if not isinstance(raw["pypi_exclude_ai"], bool):
            raise ConfigError(
                path, locate.in_cohort("pypi_exclude_ai"), "pypi_exclude_ai must be true or false"
            )
        values["pypi_exclude_ai"] = raw["pypi_exclude_ai"]
    for key in ("github_listed_since", "pypi_listed_since"):
        if key in raw:
            day = raw[key]
            if not isinstance(day, date):
                raise ConfigError(
                    path, locate.in_cohort(key), f"{key} must be a date such as 2018-12-18"
                )
            values[key] = day
    return CohortRule(**{**rule.__dict__, **values})


def _parse_git(raw: Any, path: Path, locate: _Locator) -> GitSettings:
    line = locate.key("bots")
    if not isinstance(raw, dict) or set(raw) - {"bots"}:
        raise ConfigError(path, line, "[git] may only hold 'bots', a list of patterns")
    patterns = raw.get("bots", [])
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns):
        raise ConfigError(path, line, "[git] bots must be a list of non-empty patterns")
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                path,
                line,
                f"[git] bots pattern {pattern!r} is not a valid regular expression ({exc})",
            ) from None
        if nested_repeat(pattern):
            raise ConfigError(
                path,
                line,
                f"[git] bots pattern {pattern!r} repeats a repeated part, which can take "
                "exponential time on some names (catastrophic backtracking); simplify it",
            )
    return GitSettings(extra_bot_patterns=tuple(patterns))


def _only_known(
    table: dict, allowed: set[str], what: str, path: Path, locate: _Locator, index: int
) -> None:
    """Refuse a key the file format does not have (a typo must not be silently ignored)."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        rule = f"unknown {what} {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
        raise _at_key(path, locate, index, unknown[0], rule)


def _at_key(path: Path, locate: _Locator, index: int, key: str, rule: str) -> ConfigError:
    """The error for a rule broken by key `key` of the index-th project, on that key's line."""
    return ConfigError(path, locate.in_project(index, key, is_key=True), rule)


def nested_repeat(pattern: str) -> bool:
    """True when a repeated part of `pattern` itself holds an unbounded repeat, as in
    `(a+)+` or `(a|aa)*b*)*`: the shape that makes a backtracking engine take exponential
    time. Parsed with Python's own regular-expression parser."""
    from re import _parser  # the standard library's parser (re.sre_parse before 3.11)

    def walk(items, inside: bool) -> bool:
        for op, arg in items:
            name = str(op)
            if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                _, high, body = arg
                unbounded = high == _parser.MAXREPEAT or high > 100
                if (inside and unbounded) or walk(body, inside or unbounded):
                    return True
            elif name == "BRANCH":
                if any(walk(branch, inside) for branch in arg[1]):
                    return True
            elif name in ("SUBPATTERN", "ASSERT", "ASSERT_NOT") and walk(arg[-1], inside):
                return True
        return False

    return walk(_parser.parse(pattern), False)


def _line_from_message(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None
