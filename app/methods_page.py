"""Methods: how every number is computed, in plain words, with its sources and caveats. The
text is `views.methods` (the static report draws the same); this page lays it out."""

from __future__ import annotations

import streamlit as st

from app import columns, loaders, widgets
from views.methods import INTRO, Block, methods_sections

MEMBER_COLUMNS = {
    "name": columns.text("PyPI package", 160),
    "repo": columns.text("Repository", 230),
    "value": columns.number("Downloads/month", 120, fmt="localized"),
    "status": columns.text("Status", 80),
    "reason": columns.text("Why left out", 360),
}


def render() -> None:
    st.title("Methods")
    st.write(INTRO)
    sections = methods_sections(
        loaders.claims(), loaders.registry(), loaders.load("cohort_members")
    )
    for section in sections:
        st.subheader(section.title, anchor=section.anchor)
        for block in section.blocks:
            _block(block)


def _block(block: Block) -> None:
    """Own prose as markdown; outside text escaped, so it shows as written."""
    lead = f"**{block.label}** " if block.label else ""
    if block.kind == "markdown":
        st.markdown(lead + block.text)
    elif block.kind == "text":
        st.markdown(lead + widgets.markdown_text(block.text))
    elif block.kind == "note":
        st.info(block.text)
    elif block.table is not None:
        widgets.table(
            block.table,
            column_config=MEMBER_COLUMNS,
            key=f"methods_{block.key.split('-')[0]}_members",
        )


if __name__ == "__main__":  # run as a page by st.navigation
    render()
