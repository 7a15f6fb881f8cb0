"""Values no source can report: rows of a segment outside their columns' plausible ranges.

Each column declares its range once (`store.schema.Column.plausible_range`): a time from the
column's earliest day to now plus two days, a count from 0 to a stated bound. The collectors
refuse such a value when they read it (stored as null, flagged); this module finds the rows
that hold one anyway, in a segment written by hand, by an older version or damaged in a way
Parquet does not notice (a year 2262, a count of 2**62):

- a read leaves those rows out and names the file (`SegmentStore.read`), so they never reach
  a page, a chart's axis or a widget's bounds;
- a repair sets the whole segment aside, on disk and unchanged (`store.repair`).

Pure: frame in, finding out. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from store.schema import DAY, TIMESTAMP, Column, Table


@dataclass(frozen=True)
class Implausible:
    """The rows of one frame that hold an impossible value, and the first of them."""

    rows: pd.Series  # boolean, per row of the frame: True where some value is out of range
    total: int  # rows in the frame
    column: str  # the first offending value: its column,
    row: int  # its row (0-based, in the file's order),
    value: str  # the value as the file has it,
    bound: str  # and the bound it breaks, in words

    @property
    def count(self) -> int:
        return int(self.rows.sum())

    def first(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.value} ({self.bound})"


def implausible_rows(spec: Table, frame: pd.DataFrame, now: pd.Timestamp) -> Implausible | None:
    """The rows of a conformed frame with a value outside its column's plausible range;
    None when every value is plausible. `now` (UTC) bounds the times."""
    if not len(frame):
        return None
    outside = {
        column.name: beyond
        for column in spec.columns
        if (beyond := _beyond(column, frame[column.name].reset_index(drop=True), now)).any()
    }
    if not outside:
        return None
    rows = pd.concat(outside.values(), axis=1).any(axis=1)
    row = int(rows.idxmax())
    name = next(name for name in outside if outside[name].iloc[row])
    column = next(c for c in spec.columns if c.name == name)
    value = frame[name].iloc[row]
    low, high = column.plausible_range(now)  # type: ignore[misc]
    time = column.dtype in (TIMESTAMP, DAY)
    below = bool(value < low)
    said = ("before " if time else "below ") if below else ("after " if time else "above ")
    return Implausible(
        rows=rows,
        total=len(frame),
        column=name,
        row=row,
        value=_shown(value, column.dtype),
        bound=said + _shown(low if below else high, column.dtype),
    )


def _beyond(column: Column, values: pd.Series, now: pd.Timestamp) -> pd.Series:
    """True where a value lies outside the column's plausible range (a null never does)."""
    bounds = column.plausible_range(now)
    if bounds is None:
        return pd.Series(False, index=values.index)
    low, high = bounds  # finite: an infinite number lies outside too
    if not values.notna().any() or (values.min() >= low and values.max() <= high):
        return pd.Series(False, index=values.index)  # the common case, at a fraction of the cost
    return ((values < low) | (values > high)).fillna(False).astype(bool)


def _shown(value: object, dtype: str) -> str:
    if dtype == DAY:
        return str(pd.Timestamp(value).date())  # type: ignore[arg-type]
    if dtype == TIMESTAMP:
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M UTC")  # type: ignore[arg-type]
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else repr(value)


def without_implausible(
    spec: Table, frame: pd.DataFrame, now: pd.Timestamp
) -> tuple[pd.DataFrame, str | None]:
    """A collected frame as it may be stored, and what was refused in words (None: nothing).

    The collectors' last check before a write: an impossible value in an optional column is
    stored as null, its row flagged 'partial'; a row whose required value is impossible (a
    commit dated 1970 by a broken clock) is not stored."""
    doubt = implausible_rows(spec, frame, now)
    if doubt is None:
        return frame, None
    out = frame.reset_index(drop=True).copy()
    drop = pd.Series(False, index=out.index)
    nulled = pd.Series(False, index=out.index)
    for column in spec.columns:
        beyond = _beyond(column, out[column.name], now)
        if not beyond.any():
            continue
        if column.required:
            drop |= beyond
        else:
            out[column.name] = out[column.name].mask(beyond)
            nulled |= beyond
    out.loc[nulled & (out["quality"] == "ok"), "quality"] = "partial"
    out = out[~drop.to_numpy()].reset_index(drop=True)
    said = []
    if drop.any():
        said.append(f"{int(drop.sum())} row(s) not stored")
    if (nulled & ~drop).any():
        said.append(f"values of {int((nulled & ~drop).sum())} row(s) stored as null")
    return out, (
        f"{spec.name}: {doubt.count} row(s) held values no source can report "
        f"({', '.join(said)}); first: {doubt.first()}"
    )
