"""Computing the derived views of a store's current data: once when the shipped data is
built (scripts/build_derived.py), and after a refresh publishes, in a thread, so the next
page view finds them instead of computing them (the CLI's refresh and schedule, the app's
"Refresh now")."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from errors import DashboardError

log = logging.getLogger(__name__)
_one_at_a_time = threading.Lock()  # one recompute per process; a second waits its turn
MARKER = ".computing-"  # a recompute running, in the folder its views go to (`announce`)


@dataclass(frozen=True)
class Inputs:
    """Where the data a set of derived views comes from lives, and where they go."""

    default_root: Path  # the shipped store (data/default)
    user_root: Path  # the user's store (empty for the shipped views)
    projects_file: Path
    tracked_file: Path
    claims_file: Path
    target: Path  # the parent folder of the key folders


def build(inputs: Inputs, attempts: int = 3) -> Path | None:
    """Compute every default view from the stores' current data and write it under its key.
    The key is taken before reading and checked after: a store that published meanwhile
    is read again (up to `attempts` times), so a folder never holds newer data than its key
    says. Returns the folder, or None when the stores kept changing."""
    # imported here: the CLI imports this module for `after_refresh` and starts fast
    from claims.model import load_claims
    from derived import compute, folder
    from derived.keys import data_key, key_name
    from registry import load_registry
    from registry import tracking as user_list
    from store import Catalog
    from store.reader import CatalogReader

    for _ in range(attempts):
        key = data_key(inputs.default_root, inputs.user_root)
        if folder.open_key(inputs.target, key) is not None:
            return inputs.target / key_name(key)  # computed already: nothing changed since
        registry = user_list.shown(load_registry(inputs.projects_file, tracked=inputs.tracked_file))
        claims = load_claims(inputs.claims_file)
        catalog = Catalog(inputs.default_root, inputs.user_root)
        results = list(compute.defaults(CatalogReader(catalog), registry, claims))
        if data_key(inputs.default_root, inputs.user_root) == key:
            return folder.write(inputs.target, key, results)
    return None


def recompute_in_background(inputs: Inputs, daemon: bool = False) -> threading.Thread:
    """Start `build` in a thread and return it, announced (`announce`) from now until it
    ends. Not a daemon by default: a CLI waits for it before exiting, so its work is never
    cut off half-way (a server's may be: a folder is renamed into place whole, and a
    half-written one is removed later). A failure is logged, never raised: the pages then
    compute live, as before."""
    end = announce(inputs.target)

    def run() -> None:
        try:
            with _one_at_a_time:
                try:
                    built = build(inputs)
                except (DashboardError, OSError, ValueError, TypeError) as exc:
                    log.warning("the pages' views were not computed ahead: %s", exc)
                    return
                if built is None:
                    log.warning("the pages' views were not computed ahead: the data kept changing")
        finally:
            end()

    thread = threading.Thread(target=run, name="derived-recompute", daemon=daemon)
    thread.start()
    return thread


def announce(target: Path) -> Callable[[], None]:
    """Tell every process whose pages read views from `target` that a recompute of them is
    running, until the returned function is called: a file `.computing-*` there holds its
    start time and stays locked (flock) by this process. The kernel drops the lock when the
    process dies, so a killed recompute never leaves pages waiting; a reader removes its
    file (`running_since`). The file is locked before it takes its name, so a reader never
    sees it unlocked while it is in use."""
    token = uuid.uuid4().hex[:12]
    staged, path = target / f".announcing-{token}", target / f"{MARKER}{token}"
    handle = None
    try:
        target.mkdir(parents=True, exist_ok=True)
        handle = staged.open("x", encoding="utf-8")
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.write(f"{time.time()!r}\n")
        handle.flush()
        staged.rename(path)
    except OSError as exc:
        if handle is not None:
            handle.close()
        with contextlib.suppress(OSError):
            staged.unlink()
        log.warning("a recompute is not announced (%s): pages compute live meanwhile", exc)
        return lambda: None

    def end() -> None:
        with contextlib.suppress(OSError):
            path.unlink()
        handle.close()

    return end


def running_since(target: Path) -> float | None:
    """How many seconds the oldest recompute of the views in `target` still running, in this
    process or another, has run; None when none is."""
    started = []
    for path in target.glob(MARKER + "*"):
        try:
            with path.open(encoding="utf-8") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:  # its recompute holds it: running
                    started.append(float(handle.read()))
                    continue
                path.unlink()  # unlocked: its process died before it ended the recompute
        except (OSError, ValueError):  # gone meanwhile, or not ours to read
            continue
    return max(0.0, time.time() - min(started)) if started else None


def wait(target: Path, timeout: float) -> bool:
    """Wait up to `timeout` seconds for every recompute of the views in `target`, in any
    process, to end; True when none is running any more."""
    deadline = time.monotonic() + timeout
    while running_since(target) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def after_refresh(
    settings, default_root: Path | None = None, claims_file: Path | None = None
) -> threading.Thread | None:
    """The hook the CLI's refresh and schedule and the app's "Refresh now" call once a
    refresh has published: recompute the views of the user's new data in the background
    (None when `settings.precompute` is off). `settings` is a settings.Settings."""
    if not settings.precompute:
        return None
    return recompute_in_background(_inputs(settings, default_root, claims_file))


def at_start(
    settings, default_root: Path | None = None, claims_file: Path | None = None
) -> threading.Thread | None:
    """A server's start: when no folder holds the views of the current data, code and
    libraries (after an upgrade, or a refresh whose recompute never finished), recompute
    them in the background now rather than have every page compute them live until the
    next refresh. None when they are there, when another process is computing them, or when
    `settings.precompute` is off."""
    from derived.folder import SHIPPED, open_key
    from derived.keys import data_key

    if not settings.precompute:
        return None
    inputs = _inputs(settings, default_root, claims_file)
    if running_since(inputs.target) is not None:
        return None  # another process computes them (a scheduled refresh): pages wait for it
    key = data_key(inputs.default_root, inputs.user_root)
    for parent in (inputs.target, SHIPPED):
        try:
            if open_key(parent, key) is not None:
                return None
        except DashboardError:  # a damaged index: computed again, and written anew
            continue
    return recompute_in_background(inputs, daemon=True)


def _inputs(settings, default_root: Path | None, claims_file: Path | None) -> Inputs:
    from claims.model import DEFAULT_CLAIMS
    from store import DEFAULT_DATA

    return Inputs(
        default_root=default_root or DEFAULT_DATA,
        user_root=settings.data.store,
        projects_file=settings.projects_file,
        tracked_file=settings.data.tracked_file,
        claims_file=claims_file or DEFAULT_CLAIMS,
        target=settings.data.derived,
    )
