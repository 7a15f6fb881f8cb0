"""The injected clock every fake and every client under test shares: time moves only when
something sleeps, so rate-limit waits take no real time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pandas as pd

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday: one day back stays in the week


class FakeClock:
    """Epoch seconds that move only when something sleeps: tests never wait for real."""

    def __init__(self, start: float | datetime = NOW) -> None:
        self.now = start.timestamp() if isinstance(start, datetime) else float(start)
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    @property
    def slept(self) -> float:
        return sum(self.sleeps)

    def timestamp(self) -> pd.Timestamp:
        return pd.Timestamp(self.now, unit="s", tz="UTC")
