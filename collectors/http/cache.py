"""The validator cache: ETag / Last-Modified and the body per URL, in one JSON file.

Why its own rather than requests-cache: requests-cache by default never revalidates, and its
`Vary: Authorization` handling can miss on every call (see shared/reference/toolchain.md §5).
Ours is written atomically, readable only by its owner, and never holds the token or any
request header.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("collectors.http")

CACHE_FORMAT = 1
CACHE_KEEP_SECONDS = 35 * 86400  # entries unused for five weeks are dropped on save


@dataclass
class CacheEntry:
    """What is needed to ask "has it changed?" and to answer from memory when it has not."""

    etag: str | None
    last_modified: str | None
    body: str | None  # None when lost (a damaged or trimmed cache): the next 304 refetches
    content_type: str | None = None
    link: str | None = None
    used_at: float = 0.0


class ValidatorCache:
    """ETag / Last-Modified and the body per URL, in one JSON file written atomically.

    Keys are request method, URL and Accept header: never a credential. The file is readable
    only by its owner. A damaged file is set aside (renamed) and the cache starts empty, which
    only costs full answers instead of 304s.
    """

    def __init__(self, path: Path | str | None, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path) if path is not None else None
        self._clock = clock
        self._entries: dict[str, CacheEntry] | None = None
        self._dirty = False

    def _load(self) -> dict[str, CacheEntry]:
        if self._entries is not None:
            return self._entries
        self._entries = {}
        if self.path is None:
            return self._entries
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if raw.get("format") != CACHE_FORMAT or not isinstance(raw.get("entries"), dict):
                raise ValueError("not a validator cache of format 1")
            for key, item in raw["entries"].items():
                self._entries[key] = CacheEntry(
                    etag=_opt_str(item.get("etag")),
                    last_modified=_opt_str(item.get("last_modified")),
                    body=_opt_str(item.get("body")),
                    content_type=_opt_str(item.get("content_type")),
                    link=_opt_str(item.get("link")),
                    used_at=float(item.get("used_at") or 0.0),
                )
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            aside = self.path.with_name(f"{self.path.name}.damaged")
            with contextlib.suppress(OSError):
                self.path.replace(aside)
            log.warning("validator cache %s could not be read (%s); starting empty", self.path, exc)
            self._entries = {}
        return self._entries

    def lookup(self, key: str) -> CacheEntry | None:
        entry = self._load().get(key)
        now = self._clock()
        # `used_at` only decides what is old enough to drop: a day's precision is plenty,
        # and a warm refresh then rewrites nothing.
        if entry is not None and now - entry.used_at > 86400:
            entry.used_at = now
            self._dirty = True
        return entry

    def store(self, key: str, entry: CacheEntry) -> None:
        entry.used_at = self._clock()
        self._load()[key] = entry
        self._dirty = True

    def forget(self, key: str) -> None:
        if self._load().pop(key, None) is not None:
            self._dirty = True

    def absorb(self, other: ValidatorCache) -> int:
        """Take `other`'s entries (a shard's own cache, `merge`) where it used them no earlier
        than this cache did; returns how many were taken. Saved by `save`."""
        mine, taken = self._load(), 0
        for key, entry in other._load().items():
            if key not in mine or entry.used_at >= mine[key].used_at:
                mine[key] = entry
                taken += 1
        self._dirty = self._dirty or taken > 0
        return taken

    def save(self) -> None:
        """Write the file if anything changed (temp file, fsync, rename; mode 0600)."""
        if self.path is None or not self._dirty or self._entries is None:
            return
        horizon = self._clock() - CACHE_KEEP_SECONDS
        entries = {
            key: {
                "etag": e.etag,
                "last_modified": e.last_modified,
                "content_type": e.content_type,
                "link": e.link,
                "used_at": e.used_at,
                "body": e.body,
            }
            for key, e in self._entries.items()
            if e.used_at >= horizon
        }
        data = json.dumps({"format": CACHE_FORMAT, "entries": entries}, separators=(",", ":"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        self._dirty = False


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
