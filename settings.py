"""Settings, read once at the edge: the CLI and the app build one `Settings` and pass it down.

Nothing below this layer reads the environment, Streamlit secrets or a hidden default
folder: collectors, the store and the refresh service take what they need as arguments.

    environment variable      setting
    OSSAI_DATA_DIR            data.root (else $XDG_DATA_HOME/oss-ai-dashboard, else
                              ~/.local/share/oss-ai-dashboard)
    OSSAI_PROJECTS            projects_file (else data/projects.toml)
    GITHUB_TOKEN              github_token (Streamlit secrets first, in the app)
    OSSAI_API_URLS            api_urls: "source=URL,source=URL" (point a source at another
                              server: the fakes in tests, GitHub Enterprise)
    OSSAI_REFRESH_SOURCES     refresh_sources: which sources a refresh runs (default: all)

`DataLayout` is the one place that knows where things live in the user data directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from errors import ConfigError

ROOT = Path(__file__).resolve().parent
DEFAULT_PROJECTS = ROOT / "data" / "projects.toml"
DATA_DIR_ENV = "OSSAI_DATA_DIR"
PROJECTS_ENV = "OSSAI_PROJECTS"
TOKEN_ENV = "GITHUB_TOKEN"  # noqa: S105 - the variable's name, not a token
API_URLS_ENV = "OSSAI_API_URLS"
SOURCES_ENV = "OSSAI_REFRESH_SOURCES"


@dataclass(frozen=True)
class DataLayout:
    """Where each kind of user data lives under one root folder."""

    root: Path

    @property
    def store(self) -> Path:
        """The refreshed history (an append-only segment store)."""
        return self.root

    def http_cache(self, source: str) -> Path:
        """A source's validator cache (ETags), never holding a token."""
        return self.root / "http-cache" / f"{source}.json"

    @property
    def git_mirrors(self) -> Path:
        return self.root / "git"

    @property
    def key_folder(self) -> Path:
        """Where the pseudonym key (pseudonym.key, mode 600) is kept."""
        return self.root

    @property
    def lock(self) -> Path:
        return self.root / "refresh.lock"

    @property
    def log(self) -> Path:
        return self.root / "refresh.log"

    @property
    def tracked_file(self) -> Path:
        """The user's own project list (registry.tracking), beside data/projects.toml."""
        return self.root / "tracked.toml"


@dataclass(frozen=True)
class NetworkLimits:
    """How much one refresh may spend on the network: the largest answer read, the longest
    one answer may take to arrive (body included), and the longest a whole run may take.
    Defaults fit the real sources; tests use small values."""

    max_body_bytes: int = 32 * 1024 * 1024  # PyPI's largest JSON answers are ~10 MB
    request_seconds: float = 120.0
    run_seconds: float = 2 * 3600.0  # a cold GitHub refresh with a token takes ~1 h


@dataclass(frozen=True)
class Settings:
    """Everything the entry points decide once and pass down."""

    data: DataLayout
    projects_file: Path = DEFAULT_PROJECTS
    github_token: str | None = field(default=None, repr=False)
    api_urls: Mapping[str, str] = field(default_factory=dict)
    refresh_sources: tuple[str, ...] | None = None  # None: every source
    # the environment git subprocesses start from (HOME, proxies, PATH); the git collector
    # drops its GIT_* variables. None: only the default PATH
    git_env: Mapping[str, str] | None = field(default=None, repr=False)
    network: NetworkLimits = field(default_factory=NetworkLimits)

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, secrets: Mapping[str, str] | None = None
    ) -> Settings:
        """Settings from environment variables (and, for the token, `secrets` first).

        Raises ConfigError naming the variable when a value is malformed.
        """
        env = os.environ if environ is None else environ
        token = (secrets or {}).get(TOKEN_ENV) or env.get(TOKEN_ENV) or None
        return cls(
            data=DataLayout(data_dir(env)),
            projects_file=Path(env.get(PROJECTS_ENV) or DEFAULT_PROJECTS),
            github_token=token,
            api_urls=parse_api_urls(_items(env.get(API_URLS_ENV, "")), API_URLS_ENV),
            refresh_sources=tuple(_items(env.get(SOURCES_ENV, ""))) or None,
            git_env=dict(env),
        )


def data_dir(environ: Mapping[str, str]) -> Path:
    """$OSSAI_DATA_DIR, else the XDG data folder."""
    if environ.get(DATA_DIR_ENV):
        return Path(environ[DATA_DIR_ENV]).expanduser()
    base = Path(environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "oss-ai-dashboard"


def parse_api_urls(items: Sequence[str], where: str = "--api-url") -> dict[str, str]:
    """'source=URL' items -> {source: URL}. Raises ConfigError naming `where` when one is
    not of that form; which sources exist is checked by the refresh service."""
    urls = {}
    for item in items:
        source, sep, url = item.strip().partition("=")
        if not sep or not source or not url.startswith(("http://", "https://")):
            raise ConfigError(where, None, f"{item!r}: expected SOURCE=http(s)://...")
        urls[source] = url
    return urls


def _items(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
