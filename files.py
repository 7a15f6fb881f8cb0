"""Writing a file so that a reader sees the old content or the new, never half of one: the
one way the store's segments and manifest, the user's project list and recorded inputs are
written, and the one file lock that serializes writers (the store's and the user's list)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write to a temp file beside `path`, fsync, rename over it, fsync the folder. A failure
    (a full disk, a kill) leaves `path` as it was and no temp file behind."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """`atomic_write` of UTF-8 text."""
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


@contextlib.contextmanager
def file_lock(
    path: Path,
    busy: Callable[[], BaseException],
    *,
    timeout: float = 30.0,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold an exclusive flock on `path` (created if missing) for the `with` block, so that
    one process at a time reads, changes and writes what it guards. Waits up to `timeout`
    seconds for another holder, then raises `busy()`. The kernel drops the lock when its
    holder dies, so a killed process never leaves it held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        deadline = clock() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if clock() >= deadline:
                    raise busy() from None
                sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
