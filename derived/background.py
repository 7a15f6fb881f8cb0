"""Computing the derived views of a store's current data: once when the shipped data is
built (scripts/build_derived.py), and after a refresh publishes, in a thread, so the next
page view finds them instead of computing them (the CLI's refresh and schedule, the app's
"Refresh now")."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from errors import DashboardError

log = logging.getLogger(__name__)
_one_at_a_time = threading.Lock()  # one recompute per process; a second waits its turn


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


def recompute_in_background(inputs: Inputs) -> threading.Thread:
    """Start `build` in a thread (not a daemon: a CLI waits for it before exiting, so its
    work is never cut off half-way) and return it. A failure is logged, never raised: the
    pages then compute live, as before."""

    def run() -> None:
        with _one_at_a_time:
            try:
                built = build(inputs)
            except (DashboardError, OSError, ValueError, TypeError) as exc:
                log.warning("the pages' views were not computed ahead: %s", exc)
                return
            if built is None:
                log.warning("the pages' views were not computed ahead: the data kept changing")

    thread = threading.Thread(target=run, name="derived-recompute", daemon=False)
    thread.start()
    return thread


def after_refresh(
    settings, default_root: Path | None = None, claims_file: Path | None = None
) -> threading.Thread | None:
    """The hook the CLI's refresh and schedule and the app's "Refresh now" call once a
    refresh has published: recompute the views of the user's new data in the background
    (None when `settings.precompute` is off). `settings` is a settings.Settings."""
    if not settings.precompute:
        return None
    from claims.model import DEFAULT_CLAIMS
    from store import DEFAULT_DATA

    return recompute_in_background(
        Inputs(
            default_root=default_root or DEFAULT_DATA,
            user_root=settings.data.store,
            projects_file=settings.projects_file,
            tracked_file=settings.data.tracked_file,
            claims_file=claims_file or DEFAULT_CLAIMS,
            target=settings.data.derived,
        )
    )
