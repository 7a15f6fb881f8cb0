"""The archive picker, shared by the Explore and Compare pages: a type-ahead search over every
repository and package name of the public archives (former names and case variants
included), and the names a page has picked, kept in session state as `<page>_picked`
(a list of (kind, name) pairs in the order added). Layout only: search and series come
from `loaders.archive_search` and `loaders.archive_picks`."""

from __future__ import annotations

import streamlit as st

from app import loaders, widgets
from store.archive import ArchiveEntry

KIND_WORDS = {"repo": "repository", "package": "package"}


def state_key(page: str) -> str:
    """The session-state key of a page's picked names."""
    return f"{page}_picked"


def picked(page: str) -> list[tuple[str, str]]:
    """The archive names `page` has picked: (kind, name) pairs."""
    return list(st.session_state.get(state_key(page), []))


def pick(page: str, kind: str, name: str) -> None:
    """Add an archive name to `page`'s picks (once)."""
    current = st.session_state.setdefault(state_key(page), [])
    if (kind, name) not in current:
        current.append((kind, name))


def unpick(page: str, entry: ArchiveEntry) -> None:
    """Take a series off `page`'s picks, whichever of its names were picked."""
    archive = loaders.archive()
    st.session_state[state_key(page)] = [
        (kind, name)
        for kind, name in picked(page)
        if kind != entry.kind or getattr(archive.entry(name, kind), "sid", None) != entry.sid
    ]


def option_label(row) -> str:
    """One search result as the select box shows it: name, kind, size, former name of."""
    kind = KIND_WORDS[row.kind]
    if row.kind == "repo":
        size = "" if row.latest != row.latest else f" · {row.latest:,.0f} stars"
    else:
        size = "" if row.latest != row.latest else f" · {row.latest:,.0f} downloads/day"
    former = f" · former name of {row.series}" if row.name != row.series else ""
    return f"{row.name} ({kind}{size}{former})"


def search_box(
    page: str,
    label: str = "Search every repository and package in the archives",
    button: str = "Add to chart",
) -> None:
    """Type a name (any part, case-insensitive; former names too), pick one, add it to
    `page`'s picks. Its widgets' keys are `<page>_query`, `<page>_match`, `<page>_add`."""
    query = st.text_input(
        label, key=f"{page}_query", placeholder="e.g. langchain, pytorch, stable-diffusion"
    )
    if not query.strip():
        return
    results = loaders.archive_search(query, 30)
    if results.empty:
        st.caption(f"No repository or package name contains “{widgets.markdown_text(query)}”.")
        return
    options = {option_label(row): (row.kind, row.name) for row in results.itertuples(index=False)}
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    choice = left.selectbox(f"{len(results)} best matches", list(options), key=f"{page}_match")
    if right.button(button, key=f"{page}_add", type="primary"):
        pick(page, *options[choice])
