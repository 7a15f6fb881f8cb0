"""One key's derived views in a folder: `<parent>/<key name>/index.json` and the files it
lists. A folder is written beside its final place and renamed into it whole, so a reader
sees all of it or none; the index is written last and names the key, so a folder that
does not hold exactly the key asked for is never served.

    data/default/derived/<key>/   the shipped data's views (scripts/build_derived.py)
    <user data>/derived/<key>/    the views of the user's refreshed data (derived/background.py)
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from derived.codec import Reader, Writer
from derived.keys import key_name
from errors import CorruptFileError, StoreLockedError
from files import atomic_write_text, file_lock
from store import DEFAULT_DATA

SHIPPED = DEFAULT_DATA / "derived"  # the shipped data's views, committed with it
log = logging.getLogger(__name__)
INDEX = "index.json"
LOCK = ".write.lock"
KEEP = 2  # folders kept after a write: the newest, and the one a reader may still be reading
STALE_TEMP_SECONDS = 3600


def write(parent: Path, key: dict, results: Iterable[tuple[str, object]]) -> Path:
    """Write `results` ((entry id, value) pairs) as the folder of `key` under `parent`, and
    remove older keys' folders. Returns the folder. A folder already written for this key
    is kept as it is (same key, same inputs, same results)."""
    parent.mkdir(parents=True, exist_ok=True)
    final = parent / key_name(key)
    staged = parent / f".staged-{uuid.uuid4().hex[:12]}"
    staged.mkdir()
    try:
        writer = Writer(staged)
        entries = {}
        for entry, value in results:
            try:
                entries[entry] = writer.encode(value)
            except TypeError as exc:  # a result these files cannot hold: computed live
                log.warning("%s is not computed ahead: %s", entry, exc)
        index = {"key": key, "files": writer.files, "entries": entries}
        atomic_write_text(
            staged / INDEX, json.dumps(index, sort_keys=True, separators=(",", ":")) + "\n"
        )
        with file_lock(parent / LOCK, lambda: StoreLockedError(parent, "derived views busy")):
            if final.exists():
                shutil.rmtree(staged)
            else:
                staged.rename(final)
            _prune(parent, keep=final)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return final


def _prune(parent: Path, keep: Path) -> None:
    """Remove all but the KEEP newest key folders (and stale staged ones)."""
    folders = sorted(
        (p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".") and p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in folders[KEEP - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
    now = time.time()
    for staged in parent.glob(".staged-*"):
        with contextlib.suppress(OSError):
            if now - staged.stat().st_mtime > STALE_TEMP_SECONDS:
                shutil.rmtree(staged, ignore_errors=True)


class Derived:
    """A folder's results for one key: `get(entry)` reads and checks one result."""

    def __init__(self, folder: Path, index: dict) -> None:
        self.folder = folder
        self.entries: dict = index["entries"]
        self._reader = Reader(folder, index["files"])

    def get(self, entry: str) -> object | None:
        """The stored result, or None when this folder has none for `entry`. Raises
        CorruptFileError, naming the file, when a file is missing, truncated or damaged."""
        tree = self.entries.get(entry)
        return None if tree is None else self._reader.decode(tree)


def open_key(parent: Path, key: dict) -> Derived | None:
    """The folder of `key` under `parent`, or None when there is none. Raises
    CorruptFileError (the index named) for an index that cannot be read or that is for
    another key."""
    folder = parent / key_name(key)
    path = folder / INDEX
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptFileError(path, f"cannot be read ({exc})") from None
    try:
        index = json.loads(text)
        ok = isinstance(index, dict) and isinstance(index.get("entries"), dict)
        ok = ok and isinstance(index.get("files"), dict)
    except json.JSONDecodeError as exc:
        raise CorruptFileError(path, f"truncated or damaged ({exc.msg})") from None
    if not ok:
        raise CorruptFileError(path, "not an index of derived views")
    if index.get("key") != key:
        raise CorruptFileError(path, "it was written for other data (its key differs)")
    return Derived(folder, index)


def remove_all(parent: Path) -> None:
    """Remove every key's folder under `parent` (a rebuild starts clean)."""
    if parent.is_dir():
        for path in parent.iterdir():
            if path.is_dir():
                shutil.rmtree(path)
            elif path.name != LOCK:
                path.unlink()
