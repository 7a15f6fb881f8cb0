"""Settings, read once at the edge: the CLI and the app build one `Settings` and pass it down.

Nothing below this layer reads the environment, Streamlit secrets or a hidden default
folder: collectors, the store and the refresh service take what they need as arguments.

    environment variable      setting
    OSSAI_DATA_DIR            data.root (else $XDG_DATA_HOME/oss-ai-dashboard, else
                              ~/.local/share/oss-ai-dashboard)
    OSSAI_PROJECTS            projects_file (else data/projects.toml)
    GITHUB_TOKEN              github_token (Streamlit secrets first, in the app); sent only
                              over https, or plain http to a test server on this machine
    OSSAI_API_URLS            api_urls: "source=URL,source=URL" (point a source at another
                              server: the fakes in tests, GitHub Enterprise); no user:password
    OSSAI_REFRESH_SOURCES     refresh_sources: which sources a refresh runs (default: all)
    OSSAI_ALERT_WEBHOOK       alert_webhook: an http(s) URL new alerts are POSTed to as JSON
                              (docs/alerts.md); no user:password, shown without its path

`DataLayout` is the one place that knows where things live in the user data directory.
A setting that cannot work (a data folder that is a file, a URL with a password or a port
out of range, a token bound for plain http) raises ConfigError here, naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from errors import ConfigError

ROOT = Path(__file__).resolve().parent
DEFAULT_PROJECTS = ROOT / "data" / "projects.toml"
DATA_DIR_ENV = "OSSAI_DATA_DIR"
PROJECTS_ENV = "OSSAI_PROJECTS"
TOKEN_ENV = "GITHUB_TOKEN"  # noqa: S105 - the variable's name, not a token
API_URLS_ENV = "OSSAI_API_URLS"
SOURCES_ENV = "OSSAI_REFRESH_SOURCES"
WEBHOOK_ENV = "OSSAI_ALERT_WEBHOOK"
APP_FOLDER = "oss-ai-dashboard"
TOKEN_SOURCE = "github"  # noqa: S105 - the one source the token is sent to, not a token


@dataclass(frozen=True)
class DataLayout:
    """Where each kind of user data lives under one root folder.

    With `batch` set (a shard's run, `refresh --shard K/N`), what the run writes goes to that
    batch folder: its own store, HTTP cache, lock and log; the published store, the pseudonym
    key, the git mirrors and the tracked list stay the root's."""

    root: Path
    batch: Path | None = None

    @property
    def store(self) -> Path:
        """The refreshed history (an append-only segment store)."""
        return self.root

    def http_cache(self, source: str) -> Path:
        """A source's validator cache (ETags), never holding a token; a batch's own."""
        return (self.batch or self.root) / "http-cache" / f"{source}.json"

    @property
    def batches(self) -> Path:
        """Where shards' unpublished batches wait for `merge` (outside every table folder)."""
        return self.root / "batches"

    @property
    def git_mirrors(self) -> Path:
        return self.root / "git"

    @property
    def key_folder(self) -> Path:
        """Where the pseudonym key (pseudonym.key, mode 600) is kept."""
        return self.root

    @property
    def lock(self) -> Path:
        return (self.batch or self.root) / "refresh.lock"

    @property
    def log(self) -> Path:
        return (self.batch or self.root) / "refresh.log"

    @property
    def derived(self) -> Path:
        """The views of the refreshed data computed ahead (derived/folder.py)."""
        return self.root / "derived"

    @property
    def tracked_file(self) -> Path:
        """The user's own project list (registry.tracking), beside data/projects.toml."""
        return self.root / "tracked.toml"

    @property
    def alerts_file(self) -> Path:
        """The user's alert rules (registry.alerts); the defaults when it does not exist."""
        return self.root / "alerts.toml"

    @property
    def alert_history(self) -> Path:
        """What each alert rule last found, and every alert fired or recovered (alerts/)."""
        return self.root / "alerts-history.json"


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
    # where new alerts are POSTed (None: nowhere); its path may be a secret: never shown
    alert_webhook: str | None = field(default=None, repr=False)
    # compute the pages' views ahead after a refresh publishes ($OSSAI_PRECOMPUTE=0: no)
    precompute: bool = True

    def __post_init__(self) -> None:
        """The token goes only over https, or over plain http to a test server on this
        machine: a plain-http GitHub server elsewhere is refused here, before any request."""
        url = self.api_urls.get(TOKEN_SOURCE)
        if self.github_token and url and not token_may_go_to(url):
            raise ConfigError(
                TOKEN_ENV,
                None,
                f"the token is not sent to {TOKEN_SOURCE}={redact(url)}: it goes only over "
                "https, or over plain http to a test server on this machine (127.0.0.1, ::1, "
                "localhost); give an https:// URL or unset GITHUB_TOKEN",
            )

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
            alert_webhook=webhook_url(env.get(WEBHOOK_ENV, "").strip()),
            precompute=env.get(PRECOMPUTE_ENV, "1").strip() not in {"0", "no", "off", "false"},
        )


PRECOMPUTE_ENV = "OSSAI_PRECOMPUTE"


def data_dir(environ: Mapping[str, str]) -> Path:
    """$OSSAI_DATA_DIR, else the XDG data folder.

    Raises ConfigError naming the variable when the folder cannot be named (`~someone` who
    is not a user here, no home folder) or cannot be a folder (it, or a folder above it, is
    a file): every command and the app stop there with one message, before reading anything.
    """
    if environ.get(DATA_DIR_ENV):
        where, given = DATA_DIR_ENV, environ[DATA_DIR_ENV]
        try:
            path = Path(given).expanduser()
        except RuntimeError:  # Path.expanduser: "Could not determine home directory"
            tilde = given.split("/", 1)[0]
            raise ConfigError(
                where,
                None,
                f"{given!r}: {tilde!r} names no home folder known here (no such user, or no "
                "home folder); give the folder's full path",
            ) from None
    elif environ.get("XDG_DATA_HOME"):
        where, path = "XDG_DATA_HOME", Path(environ["XDG_DATA_HOME"]) / APP_FOLDER
    else:
        where = "HOME"
        try:
            path = Path.home() / ".local" / "share" / APP_FOLDER
        except RuntimeError:
            raise ConfigError(
                where, None, f"the home folder is not known; set {DATA_DIR_ENV} to a folder"
            ) from None
    _check_folder(path, where)
    return path


def _check_folder(path: Path, where: str) -> None:
    """Raise ConfigError when `path`, or the nearest of its parents that exists, is not a
    folder. A folder that cannot be read is left to the first read or write (exit 7)."""
    for candidate in (path, *path.parents):
        try:
            if not candidate.exists():
                continue
            if candidate.is_dir():
                return
        except OSError:
            return
        problem = (
            "is a file, not a folder"
            if candidate == path
            else f"cannot be a folder: {candidate} is a file"
        )
        raise ConfigError(
            where, None, f"the data folder {str(path)!r} {problem}; name a folder instead"
        )


def parse_api_urls(items: Sequence[str], where: str = "--api-url") -> dict[str, str]:
    """'source=URL' items -> {source: URL}. Raises ConfigError naming `where` when one is
    not of that form (an http(s) URL with a host, a port from 1 to 65535 if any, and no user
    name or password); which sources exist is checked by the refresh service. Messages never
    show a password: a URL's user part is shown as ***."""
    urls = {}
    for item in items:
        source, sep, url = item.strip().partition("=")
        shown = redact(item.strip())
        if not sep or not source:
            raise ConfigError(where, None, f"{shown!r}: expected SOURCE=http(s)://HOST")
        urls[source] = _server_url(url, where, shown)
    return urls


def _server_url(url: str, where: str, shown: str, form: str = "SOURCE=http(s)://HOST") -> str:
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port out of range or not a number
    except ValueError:  # its text may quote part of a password: say it in our words
        raise ConfigError(
            where,
            None,
            f"{shown!r}: not a valid URL (check the host, an IPv6 address in [ ], and the "
            "port: a number from 1 to 65535)",
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(where, None, f"{shown!r}: expected {form}")
    if port == 0:
        raise ConfigError(where, None, f"{shown!r}: the port must be from 1 to 65535")
    if "@" in parts.netloc:
        raise ConfigError(
            where,
            None,
            f"{shown!r}: a user name or password in the URL is not accepted (it would be "
            "shown in messages and logs); the GitHub token goes in GITHUB_TOKEN",
        )
    return url


def webhook_url(url: str, where: str = WEBHOOK_ENV) -> str | None:
    """The alert webhook, checked as the servers' URLs are (an http(s) URL with a host, a
    port from 1 to 65535 if any, no user name or password); None when not set. Messages show
    it as scheme and host only: a webhook's path is often its secret."""
    if not url:
        return None
    shown = re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)?([^/?#@]*@)?([^/?#]*).*", r"\1\3/…", url)
    return _server_url(url, where, redact(shown), "an http(s)://HOST/PATH URL")


def redact(text: str) -> str:
    """`text` with the user part of a URL in it (`user:password@`) replaced by `***@`."""
    return re.sub(r"(?<=://).*@", "***@", text)


def token_may_go_to(url: str) -> bool:
    """True for an https URL, or a plain-http one whose host is this machine (a test server):
    the only places a token is sent."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname))


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _items(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
