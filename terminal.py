"""Text for a terminal: outside text made harmless to print, tables and durations.

A project name from a file or a message from a server may hold control characters that move
the cursor, clear the screen or retitle the terminal; everything the command line prints
from outside goes through `printable`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pandas as pd


def printable(text: object, *, lines: bool = False) -> str:
    """`text` with every control or invisible character escaped as Python writes it (`\\x1b`,
    `\\u202e`): a name from a file or a message from a server cannot move the cursor, clear
    the screen, retitle the terminal or reorder what follows. `lines=True` keeps line breaks
    (messages of several lines); everything else that is not printable is escaped."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or (lines and ch == "\n") else repr(ch)[1:-1] for ch in text
    )


def printable_table(frame: pd.DataFrame, **options) -> str:
    """`frame.to_string(**options)`, its labels and text cells passed through `printable`."""

    def clean(value: object) -> object:
        return printable(value) if isinstance(value, str) else value

    frame = frame.rename(index=clean, columns=clean)
    frame.index.names = [clean(name) for name in frame.index.names]
    text = frame.select_dtypes(include=["object", "string"]).columns
    if len(text):
        frame = frame.copy()
        for column in text:
            frame[column] = frame[column].map(clean)
    return frame.to_string(**options)


def duration(seconds: float) -> str:
    """A length of time as a person says it: '45 s', '3 min 20 s', '2 h 5 min'."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:.0f} min"


def progress_bar(quiet: bool) -> Callable[[int, int, str], None] | None:
    """A one-line progress bar on stderr (`done/total label`); None when `quiet`."""
    if quiet:
        return None

    def show(done: int, total: int, label: str) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        print(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {printable(label)[:50]:50}",
            end=end,
            file=sys.stderr,
            flush=True,
        )

    return show
