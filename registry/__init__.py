"""What the dashboard tracks: validated project definitions and outside-name rules."""

from registry.names import github_repo_problem, normalize_pypi_name, pypi_name_problem, repo_key
from registry.projects import (
    DEFAULT_REGISTRY,
    CohortRule,
    GitSettings,
    Project,
    Registry,
    RepoRef,
    load_registry,
    parse_registry,
)

__all__ = [
    "DEFAULT_REGISTRY",
    "CohortRule",
    "GitSettings",
    "Project",
    "Registry",
    "RepoRef",
    "github_repo_problem",
    "load_registry",
    "normalize_pypi_name",
    "parse_registry",
    "pypi_name_problem",
    "repo_key",
]
