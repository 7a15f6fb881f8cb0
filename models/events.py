"""Dated events: a change worth marking on a time line (metrics find them, charts draw them)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Event:
    """A dated change worth marking on a chart (e.g. a change in how a source counts)."""

    when: pd.Timestamp
    label: str
