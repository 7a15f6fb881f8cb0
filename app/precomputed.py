"""Looking up the views computed ahead (derived/): the shipped data's, committed with it,
and the user's, written after each refresh. A loader asks here first and computes live only
when nothing matches the current data, code and arguments exactly; a damaged file is named
among the page's problems and the view computed live."""

from __future__ import annotations

import logging

import streamlit as st

from derived.folder import SHIPPED, open_key
from derived.keys import data_key, entry_id
from errors import CorruptFileError

log = logging.getLogger(__name__)


def lookup(name: str, *args: object) -> object | None:
    """The stored result of view `name` with these arguments for the current data, or None
    (compute it live)."""
    from app import loaders  # the loaders call this module: imported when first used

    cat = loaders.catalog()
    key = data_key(cat.default.root, cat.user.root)
    entry = entry_id(name, *args)
    for parent in (loaders.settings().data.derived, SHIPPED):
        try:
            found = open_key(parent, key)
            value = None if found is None else found.get(entry)
        except CorruptFileError as exc:
            _damaged(exc)
            continue
        if value is not None:
            return value
    return None


WAIT_LIMIT_S = 600.0  # beyond, the page computes live after all


def wait_for_views() -> None:
    """Before a page draws: when the newest data's views are being computed, by this server
    (after "Refresh now", or at its start) or by another process (a scheduled refresh), wait
    for them instead of computing the same views live beside them (at 3,000 repositories
    the recompute holds 3.2 GB, and a page computing live about as much again)."""
    from app import loaders
    from derived import background

    derived = loaders.settings().data.derived
    since = background.running_since(derived)
    if since is None:
        return
    with st.spinner(
        f"Computing the views of the newest data (for {since:.0f} s so far; a few seconds "
        "on the shipped data, about a minute for thousands of repositories). The page "
        "draws as soon as they are ready."
    ):
        if not background.wait(derived, WAIT_LIMIT_S):
            log.warning("the views were not ready after %.0f s: computed live", WAIT_LIMIT_S)


def _damaged(exc: CorruptFileError) -> None:
    problem = f"{exc} (a view computed ahead: computed live instead)"
    log.warning("%s", problem)
    seen = st.session_state.setdefault("store_problems", [])
    if problem not in seen:
        seen.append(problem)


def after_refresh(settings) -> None:
    """Once "Refresh now" has published: the new data's views computed in a thread of the
    server (derived/background.py), so the next page view looks them up."""
    from derived.background import after_refresh as recompute

    recompute(settings)
