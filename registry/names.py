"""Rules for the outside names we accept: GitHub repositories and PyPI projects.

Every name is checked here before any URL or path is built from it, so a hostile or
mistyped string in the configuration never reaches the network or the disk.
Each check returns the broken rule in plain words, or None when the name is valid.
"""

from __future__ import annotations

import re

# GitHub: an account name is 1-39 characters, letters, digits and single hyphens,
# not starting or ending with a hyphen. A repository name is 1-100 characters of
# letters, digits, '.', '-' and '_', and is never '.' or '..'.
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_GITHUB_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")

# PEP 508 project names (which PEP 503 then normalizes): letters, digits, '.', '-', '_',
# starting and ending with a letter or digit.
_PYPI_NAME = re.compile(r"[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]")
PYPI_SEPARATORS = re.compile(r"[-_.]+")


def github_repo_problem(full_name: object) -> str | None:
    """Why `full_name` is not a valid GitHub 'owner/name', or None if it is."""
    if not isinstance(full_name, str):
        return f"a GitHub repository must be a string 'owner/name', not {type(full_name).__name__}"
    owner, slash, name = full_name.partition("/")
    if not slash or "/" in name:
        return f"GitHub repository {full_name!r} must have the form 'owner/name' (one slash)"
    if not _GITHUB_OWNER.fullmatch(owner):
        return (
            f"GitHub owner {owner!r} must be 1-39 letters, digits or single hyphens, "
            "not starting or ending with a hyphen"
        )
    if not _GITHUB_REPO.fullmatch(name) or set(name) == {"."}:
        return (
            f"GitHub repository name {name!r} must be 1-100 letters, digits, '.', '-' or '_' "
            "(and not dots alone)"
        )
    if name.startswith("-"):
        return f"GitHub repository name {name!r} must not start with '-' (read as an option)"
    if name.lower().endswith(".git"):
        return f"GitHub repository name {name!r} must not end in '.git' (write it without)"
    return None


def pypi_name_problem(name: object) -> str | None:
    """Why `name` is not a valid PyPI project name (PEP 508), or None if it is."""
    if not isinstance(name, str):
        return f"a PyPI project name must be a string, not {type(name).__name__}"
    if not _PYPI_NAME.fullmatch(name):
        return (
            f"PyPI name {name!r} must be letters, digits, '.', '-' or '_', "
            "starting and ending with a letter or digit (PEP 508)"
        )
    return None


def normalize_pypi_name(name: str) -> str:
    """The PEP 503 normalized form: runs of '-', '_', '.' become '-', lower case."""
    return PYPI_SEPARATORS.sub("-", name).lower()


def repo_key(full_name: str) -> str:
    """The key that joins one repository's rows: GitHub names are case-insensitive."""
    return full_name.lower()
