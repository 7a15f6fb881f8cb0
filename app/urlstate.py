"""Every page's choices in its address: one binding between a widget's session-state key and
a query parameter, so a copied link reopens the same view.

A `Param` names the parameter, the widget's key, and how a value is written to and read back
from the address (`choice`, `choices`, `whole`, `number`, `flag`, `days`, `picks`). A page
draws a widget through `bound(param, default, draw)`:

- before the widget, a value the address carries that this session has not written itself
  (a link opened, a page loaded) is checked and put into the widget's state;
- after it, the widget's value is written back, only when it is not the default (short
  links), and the parameter is removed when it is.

What the address carries is checked before it is used: an unknown parameter, a value of the
wrong type, a number out of range, an unknown project, a very long value, control characters
or markup are ignored and named in one notice at the top of the page (`finish`), never a
crash, and the address keeps only what was used. `dashboard.py` calls `start()` before the
page and `finish()` after it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st

from app.text import markdown_text
from terminal import printable

T = TypeVar("T")

LONGEST = 200  # characters in one value: more than any project id, repository or package name
MOST_VALUES = 30  # values of one repeated parameter
SHOWN = 60  # characters of a rejected value quoted in the notice

_WRITTEN = "_urlstate_written"  # widget key -> the address values this session last wrote
_RUN = "_urlstate_run"  # this run: the names used or expected, and the notices
_NUMBER = re.compile(r"-?\d{1,12}(\.\d{1,12})?")
_WHOLE = re.compile(r"-?\d{1,9}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


class UnusableValueError(ValueError):
    """A value the address carries that cannot be used; the message says why."""


@dataclass(frozen=True)
class Param:
    """A query parameter bound to a widget's (or a list's) session-state key.

    `show` writes a value as the address's strings; `read` reads them back, returning the
    value and a note per part it left out (raising UnusableValueError when nothing can be used)."""

    name: str
    key: str
    show: Callable[[Any], list[str]]
    read: Callable[[list[str]], tuple[Any, list[str]]]


def slug(label: str) -> str:
    """A label as an address word: 'Releases (PyPI)' -> 'releases-pypi'."""
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def _one(values: list[str]) -> str:
    if len(values) != 1:
        raise UnusableValueError(f"{len(values)} values given, one expected")
    return values[0]


def _listed(words: Mapping[str, Any]) -> str:
    shown = ", ".join(list(words)[:8])
    return shown + (", …" if len(words) > 8 else "")


def choice(name: str, key: str, words: Mapping[str, Any]) -> Param:
    """One of `words` (address word -> the widget's option)."""
    back = {option: word for word, option in words.items()}

    def read(values: list[str]) -> tuple[Any, list[str]]:
        word = _one(values)
        if word not in words:
            raise UnusableValueError(f"{_quote(word)} is not one of {_listed(words)}")
        return words[word], []

    return Param(name, key, lambda value: [back[value]], read)


def choices(name: str, key: str, words: Mapping[str, Any]) -> Param:
    """Any of `words`, repeated (`?project=a&project=b`); `?project=` is none. Unknown
    words are left out and named; the known ones are kept."""
    back = {option: word for word, option in words.items()}

    def read(values: list[str]) -> tuple[Any, list[str]]:
        if values == [""]:
            return [], []
        chosen, notes = [], []
        for word in values:
            if word not in words:
                notes.append(f"{_quote(word)} is not one of {_listed(words)}")
            elif words[word] not in chosen:
                chosen.append(words[word])
        if notes and not chosen:
            raise UnusableValueError("; ".join(notes))
        return chosen, notes

    return Param(name, key, lambda value: [back[v] for v in value] or [""], read)


def whole(name: str, key: str, low: int, high: int) -> Param:
    """A whole number from `low` to `high`."""

    def read(values: list[str]) -> tuple[Any, list[str]]:
        text = _one(values)
        if not _WHOLE.fullmatch(text):
            raise UnusableValueError(f"{_quote(text)} is not a whole number")
        if not low <= int(text) <= high:
            raise UnusableValueError(f"{text} is outside {low} to {high}")
        return int(text), []

    return Param(name, key, lambda value: [str(int(value))], read)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def number(name: str, key: str, low: float, high: float, step: float | None = None) -> Param:
    """A number from `low` to `high` (on the slider's `step` from `low`, when it has one)."""

    def read(values: list[str]) -> tuple[Any, list[str]]:
        text = _one(values)
        if not _NUMBER.fullmatch(text):
            raise UnusableValueError(f"{_quote(text)} is not a number")
        value = float(text)
        if not (math.isfinite(value) and low <= value <= high):
            raise UnusableValueError(
                f"{text} is outside {_number_text(low)} to {_number_text(high)}"
            )
        if step and abs((value - low) / step - round((value - low) / step)) > 1e-6:
            raise UnusableValueError(f"{text} is not a step of {_number_text(step)}")
        return value, []

    return Param(name, key, lambda value: [_number_text(value)], read)


def flag(name: str, key: str) -> Param:
    """A check box: 1 or 0 (true/false, yes/no read too)."""

    def read(values: list[str]) -> tuple[Any, list[str]]:
        text = _one(values).lower()
        if text not in _FLAGS:
            raise UnusableValueError(f"{_quote(text)} is not 1 or 0")
        return _FLAGS[text], []

    return Param(name, key, lambda value: ["1" if value else "0"], read)


def days(name: str, key: str, first: dt.date, last: dt.date) -> Param:
    """A date range within `first`..`last`, written `2020-01-01..2024-06-30`."""

    def read(values: list[str]) -> tuple[Any, list[str]]:
        text = _one(values)
        start, _, end = text.partition("..")
        if not (_DAY.fullmatch(start) and _DAY.fullmatch(end)):
            raise UnusableValueError(f"{_quote(text)} is not YYYY-MM-DD..YYYY-MM-DD")
        try:
            start_day, end_day = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        except ValueError as exc:
            raise UnusableValueError(f"{_quote(text)} is not a real date") from exc
        if not first <= start_day < end_day <= last:
            raise UnusableValueError(f"{text} is not an order of days within {first}..{last}")
        return (start_day, end_day), []

    return Param(name, key, lambda value: [f"{value[0]}..{value[1]}"], read)


def picks(name: str, key: str, kinds: Sequence[str]) -> Param:
    """A list of (kind, name) pairs, repeated as `kind:name` (`?archive=repo:owner/name`)."""

    def read(values: list[str]) -> tuple[Any, list[str]]:
        chosen, notes = [], []
        for value in values:
            kind, _, picked = value.partition(":")
            if kind in kinds and picked.strip():
                if (kind, picked.strip()) not in chosen:
                    chosen.append((kind, picked.strip()))
            else:
                notes.append(f"{_quote(value)} is not {' or '.join(k + ':NAME' for k in kinds)}")
        if notes and not chosen:
            raise UnusableValueError("; ".join(notes))
        return chosen, notes

    return Param(name, key, lambda value: [f"{k}:{n}" for k, n in value], read)


def _quote(text: str) -> str:
    shown = printable(text)
    return f"“{shown[:SHOWN]}…”" if len(shown) > SHOWN else f"“{shown}”"


def _run() -> dict:
    return st.session_state.setdefault(_RUN, {"names": set(), "notices": []})


def start() -> None:
    """A new run: no names used yet, no notices."""
    st.session_state[_RUN] = {"names": set(), "notices": []}


def expect(*names: str) -> None:
    """Names this page knows though it may not draw their widgets in this run (a control
    shown only once something is picked): left in the address, not called unknown."""
    _run()["names"].update(names)


def notice(name: str, reason: str) -> None:
    """Say at the top of the page that the address's `name` was ignored, and why."""
    _run()["notices"].append((name, reason))


def _carried(name: str) -> list[str] | None:
    return st.query_params.get_all(name) if name in st.query_params else None


def seed(param: Param) -> None:
    """Before the widget: put the address's value into its state, when the address carries
    one this session did not write itself; a value that cannot be used is named."""
    _run()["names"].add(param.name)
    values = _carried(param.name)
    written = st.session_state.setdefault(_WRITTEN, {})
    if values is None or tuple(values) == written.get(param.key):
        return
    written[param.key] = tuple(values)  # said once, not on every rerun
    if len(values) > MOST_VALUES:
        notice(param.name, f"{len(values)} values given, at most {MOST_VALUES} are read")
        return
    for value in values:
        if len(value) > LONGEST:
            notice(param.name, f"a value of {len(value):,} characters (at most {LONGEST})")
            return
        if not value.isprintable():
            notice(param.name, f"{_quote(value)} holds control characters")
            return
    try:
        value, notes = param.read(values)
    except UnusableValueError as exc:
        notice(param.name, str(exc))
        return
    for note in notes:
        notice(param.name, note + " (left out)")
    st.session_state[param.key] = value


def keep(param: Param, value: Any, default: Any) -> None:
    """After the widget: the address carries its value when it is not the default."""
    shown = None if _same(value, default) else param.show(value)
    st.session_state.setdefault(_WRITTEN, {})[param.key] = tuple(shown) if shown else None
    carried = _carried(param.name)
    if shown is None:
        if carried is not None:
            del st.query_params[param.name]
    elif carried != shown:
        st.query_params[param.name] = shown if len(shown) > 1 else shown[0]


def _same(value: Any, default: Any) -> bool:
    if isinstance(value, (list, tuple)) and isinstance(default, (list, tuple)):
        return list(value) == list(default)
    return value == default


def bound(param: Param, default: T, draw: Callable[[], T]) -> T:
    """Draw a widget keyed `param.key` with its value from the address; returns its value."""
    seed(param)
    value = draw()
    keep(param, value, default)
    return value


def finish(where) -> None:
    """After the page: name in `where` (a container at the top) every parameter that was
    ignored, and take the unknown ones out of the address."""
    run = _run()
    for name in list(st.query_params):
        if name not in run["names"]:
            run["notices"].append((name, "this page has no such choice"))
            del st.query_params[name]
    if not run["notices"]:
        return
    lines = [
        f"- **{markdown_text(printable(name)[:SHOWN])}**: {markdown_text(reason)}"
        for name, reason in run["notices"]
    ]
    where.info(
        "Some of this link's choices were ignored; the page shows its defaults for them:\n"
        + "\n".join(lines)
    )
