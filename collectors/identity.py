"""Identity rules: who a commit or contribution is, without keeping who they are.

Every collector that meets people (git authors, GitHub's anonymous contributors, issue and
pull-request authors) uses these same rules, so one person gets one id across sources:

- `Pseudonymizer`: a keyed hash of the normalized e-mail. The key (`load_or_create_key`) lives
  in the user data directory, never in the store; without it nobody can test a guessed address
  against the stored ids.
- `email_domain`: the organization domain of an address, with public mail providers
  (`PUBLIC_MAIL_DOMAINS`) counted as 'independent'.
- `bot_matcher` over `DEFAULT_BOT_PATTERNS`: automation accounts, by name or e-mail.
- `identity_key`: what a person's id is made from. A placeholder address (`you@example.com`,
  `nobody@localhost`, `x@host.(none)`, see `is_placeholder_address`) identifies nobody: two
  people who left git's template in place are two people, so such a person is known by name,
  as one with no address is, and their domain is 'unknown'.

Names and e-mails reach these rules with `.mailmap` applied: an author's by git itself (`%aN`
/ `%aE`, see collectors.gitlog), a co-author's by `git check-mailmap` (collectors.git). No
network; the only I/O is reading or creating the key file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

from errors import SourceError

KEY_FILE = "pseudonym.key"

# E-mail domains of public providers: an address there says nothing about an employer.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "users.noreply.github.com",
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "outlook.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.co.jp",
        "yahoo.fr",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "protonmail.com",
        "proton.me",
        "pm.me",
        "tutanota.com",
        "fastmail.com",
        "hey.com",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "web.de",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "sina.com",
        "naver.com",
        "posteo.de",
        "zoho.com",
    }
)

# Automation accounts, matched against the author's name and e-mail (case-insensitive).
DEFAULT_BOT_PATTERNS = (
    r"\[bot\]",
    r"^dependabot",
    r"^renovate",
    r"^github-actions",
    r"^pre-commit-ci",
    r"^greenkeeper",
    r"^snyk-bot",
    r"^copilot$",
    r"^tensorflower-gardener$",
    r"^action@github\.com$",
    r"^bot@",
    r"-bot@",
)


class Pseudonymizer:
    """Keyed, stable ids for e-mail addresses: the same person gets the same id under one key,
    and nobody without the key can test a guessed address against the store."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._key = key
        self._cache: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"Pseudonymizer(fingerprint={self.fingerprint})"

    @property
    def fingerprint(self) -> str:
        """Names the key (so rows made under different keys can be told apart), reveals nothing."""
        return hashlib.sha256(b"fingerprint:" + self._key).hexdigest()[:8]

    def id_for(self, email: str) -> str:
        normalized = normalize_email(email)
        found = self._cache.get(normalized)
        if found is None:
            digest = hmac.new(self._key, normalized.encode(), hashlib.sha256).hexdigest()
            found = self._cache[normalized] = digest[:20]
        return found


def load_or_create_key(folder: Path) -> bytes:
    """The user's pseudonym key (created once, readable only by the user)."""
    path = folder / KEY_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    except ValueError:
        raise SourceError(str(path), "the pseudonym key file is damaged") from None
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = path.with_name(f".{KEY_FILE}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
    try:
        os.link(tmp, path)  # never replaces a key another process made first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return bytes.fromhex(path.read_text().strip())


def normalize_email(email: str) -> str:
    """Lower case, no surrounding space: 'Jane@Example.ORG ' and 'jane@example.org' are one."""
    return email.strip().lower()


# Domains no real mailbox has: reserved for documentation and tests (RFC 2606, RFC 6761), or
# what git makes up from a host name when no address was configured.
PLACEHOLDER_DOMAINS = frozenset({"example.com", "example.org", "example.net", "localhost"})
PLACEHOLDER_SUFFIXES = (".example", ".invalid", ".test", ".localhost", ".localdomain", ".(none)")


def is_placeholder_address(email: str) -> bool:
    """Whether an address identifies nobody: empty, no domain ('?@?', 'root@localhost'), a
    domain reserved for examples ('you@example.com'), or one git made up ('me@host.(none)')."""
    _, at, domain = normalize_email(email).rpartition("@")
    domain = domain.strip(".")
    return (
        not at
        or "." not in domain
        or domain in PLACEHOLDER_DOMAINS
        or domain.endswith(PLACEHOLDER_SUFFIXES)
    )


def identity_key(name: str, email: str) -> str:
    """What a person's pseudonym is made from: the address, or the name when the address is a
    placeholder or missing (see `is_placeholder_address`)."""
    return name if is_placeholder_address(email) else email


def email_domain(email: str) -> str:
    """The organization domain of an address; 'independent' for public mail, 'unknown' for none
    or a placeholder."""
    if is_placeholder_address(email):
        return "unknown"
    domain = normalize_email(email).rpartition("@")[2].strip(".")
    if domain in PUBLIC_MAIL_DOMAINS or domain.endswith(".users.noreply.github.com"):
        return "independent"
    return domain


def bot_matcher(patterns: Sequence[str] = DEFAULT_BOT_PATTERNS) -> Callable[[str, str], bool]:
    """A function (name, email) -> is this an automation account?"""
    compiled = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)

    def is_bot(name: str, email: str) -> bool:
        return bool(compiled.search(name.strip()) or compiled.search(normalize_email(email)))

    return is_bot
