"""The archive picker, shared by the Explore and Compare pages: a type-ahead search over every
repository and package name of the public archives (former names and case variants
included), and the names a page has picked, kept in session state as `<page>_picked`
(a list of (kind, name) pairs in the order added). Layout only: search and series come
from `loaders.archive_search` and `loaders.archive_pick_state`. When the archive cannot be
read (a damaged or missing file), the search and each pick say so, naming the file and what
to do, and a pick that cannot be read keeps a Remove button; the rest of the page works."""

from __future__ import annotations

import streamlit as st

from app import loaders, widgets
from errors import StoreError
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

    def same_series(kind: str, name: str) -> bool:
        if kind != entry.kind:
            return False
        try:
            return getattr(archive.entry(name, kind), "sid", None) == entry.sid
        except StoreError:  # unreadable now: only the name itself goes
            return name == entry.name

    st.session_state[state_key(page)] = [
        (kind, name) for kind, name in picked(page) if not same_series(kind, name)
    ]


def unpick_name(page: str, kind: str, name: str) -> None:
    """Take one picked (kind, name) off `page`'s picks (one the archive cannot read now)."""
    st.session_state[state_key(page)] = [p for p in picked(page) if p != (kind, name)]


def unavailable(page: str, items: list[tuple[str, str, str]]) -> None:
    """The picks that cannot be read now, each with why (the file named, what to do) and a
    Remove button (key `<page>_remove_<kind>_<name>`)."""
    for kind, name, problem in items:
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.error(
            f"**{widgets.markdown_text(name)}** ({KIND_WORDS.get(kind, kind)}) is unavailable: "
            f"the archive cannot be read. {widgets.markdown_text(problem)}"
        )
        if right.button("Remove", key=f"{page}_remove_{kind}_{name}"):
            unpick_name(page, kind, name)
            st.rerun()


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
    try:
        results = loaders.archive_search(query, 30)
    except StoreError as exc:
        st.error(
            "Search is unavailable: the archive's name index cannot be read. "
            + widgets.markdown_text(exc)
        )
        return
    if results.empty:
        st.caption(f"No repository or package name contains “{widgets.markdown_text(query)}”.")
        return
    options = {option_label(row): (row.kind, row.name) for row in results.itertuples(index=False)}
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    choice = left.selectbox(f"{len(results)} best matches", list(options), key=f"{page}_match")
    if right.button(button, key=f"{page}_add", type="primary"):
        pick(page, *options[choice])
