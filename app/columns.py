"""Table columns in one line each: a title with its unit, a width that fits at 1440 px, and
a tooltip where the title cannot say everything. Thin names over st.column_config."""

from __future__ import annotations

import streamlit as st


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
