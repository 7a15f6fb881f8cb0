"""The server's start: `streamlit run dashboard.py` finds the `st.App` in dashboard.py and
serves it, entering `lifespan` once before the first visit.

Why: a page's first visit after a start paid for importing the app (pandas, plotly, DuckDB,
the pages' modules: about half a second here) before it could draw anything. The server now
imports them as it starts, before it answers: the start takes that much longer, and the first
reader does not wait for it. (Done in a worker thread, so the event loop stays free.)
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

log = logging.getLogger(__name__)

PAGES = sorted(p.stem for p in Path(__file__).parent.glob("*_page.py"))


def warm_up() -> None:
    """Import every page's module (their `render` runs only as a page script) and open the
    query engine."""
    try:
        for page in PAGES:
            importlib.import_module(f"app.{page}")
        # the page icon's emoji check compiles one large pattern on first use (55 ms)
        importlib.import_module("streamlit.emojis")
        from store.query import connection

        connection().close()
        _skip_direct_run_check()
    except Exception:  # a warm-up never stops the server: the pages import on first visit
        log.warning("warming up at start failed; the pages load on first visit", exc_info=True)


def _skip_direct_run_check() -> None:
    """Mark Streamlit's "run it with `streamlit run`" warning as given. Its check runs once, on
    a process's first element, and walks the script thread's whole stack with source lookups
    (`env_util.is_repl`): about 0.1 s of every page's first visit, to choose a warning this
    server, started by `streamlit run`, never prints. The flag is Streamlit's own, module
    private; tests/test_app_server.py fails if a Streamlit upgrade renames it."""
    from streamlit import delta_generator

    delta_generator._use_warning_has_been_displayed = True


def start_recompute() -> None:
    """The current data's views computed in the background when no folder holds them
    (derived.background.at_start): after an upgrade, pages would otherwise compute them
    live until the next refresh. Pages wait for it (app/precomputed.wait_for_views)."""
    try:
        from derived.background import at_start
        from settings import Settings

        at_start(Settings.from_environment())
    except Exception:  # never stops the server: the pages then compute live
        log.warning("the views could not be computed at start", exc_info=True)


@asynccontextmanager
async def lifespan(_server) -> AsyncIterator[None]:
    await asyncio.to_thread(warm_up)
    start_recompute()
    yield
