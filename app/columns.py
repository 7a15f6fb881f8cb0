"""Table columns in one line each: a title with its unit, a width that fits at 1440 px, and
a tooltip where the title cannot say everything. Thin names over st.column_config.

A table's widths add up to at most CONTENT_WIDTH, the page's main column at 1440 px (wide
layout, sidebar open), so no column is cut off at the right edge; long text wraps in taller
rows (row_height) instead of running out of its cell."""

from __future__ import annotations

import streamlit as st

from charts.labels import PERCENT_STEP

CONTENT_WIDTH = 960  # pixels of the main column at 1440 px, less the table's scroll bar
WRAP_LINE, WRAP_PAD = 20, 6  # pixels of a wrapped line of 14 px text, and around the lines
ROWS_SHOWN = 60  # tables up to this many rows show them all, with no scroll box


def text(
    title: str, width: int | str | None = None, *, help: str | None = None, pinned: bool = False
):
    """A text column (missing values show blank)."""
    return st.column_config.TextColumn(title, width=width, help=help, pinned=pinned)


def number(
    title: str, width: int | None = None, *, fmt: str | None = None, help: str | None = None
):
    """A number column; `fmt` as st.column_config ('localized', 'percent', '%.0f days')."""
    return st.column_config.NumberColumn(title, width=width, format=fmt, help=help)


def date(title: str, width: int | None = None, *, help: str | None = None):
    return st.column_config.DateColumn(title, width=width, help=help)


def link(title: str, shown: str, width: int | None = None, *, help: str | None = None):
    """A link column showing `shown` instead of the address."""
    return st.column_config.LinkColumn(title, display_text=shown, width=width, help=help)


def check(title: str, width: int | None = None, *, help: str | None = None):
    return st.column_config.CheckboxColumn(title, width=width, help=help)


def percent(title: str, width: int | None = None, *, help: str | None = None):
    """A share (0.264) as the dashboard writes percentages everywhere: '26.4%'."""
    return st.column_config.NumberColumn(
        title, width=width, format="percent", step=PERCENT_STEP, help=help
    )


def timestamp(title: str, width: int | None = None, *, help: str | None = None):
    """A moment to the minute, in UTC: '2026-12-04 17:30'."""
    return st.column_config.DatetimeColumn(
        title, width=width, format="YYYY-MM-DD HH:mm", timezone="UTC", help=help
    )


def row_height(lines: int) -> int:
    """A row height holding `lines` lines of wrapped text; at least three, since Streamlit
    wraps a cell's text only in rows taller than 4 rem (64 px)."""
    return WRAP_PAD + WRAP_LINE * max(lines, 3)
