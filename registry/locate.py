"""Where a key or value of a projects file stands: tomllib reports no positions, so the
parser asks this for the line of each rule broken (`file:line: rule`)."""

from __future__ import annotations

import re

from registry.names import normalize_pypi_name

HEADER = re.compile(r"^\s*\[\[\s*projects\s*\]\]")
_COHORT_HEADER = re.compile(r"^\s*\[\s*cohort\s*\]")


class Locator:
    """Finds the line a value or key stands on, since tomllib does not report positions."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [i for i, line in enumerate(self.lines) if HEADER.match(line)]
        self.cohort_header = next(
            (i for i, line in enumerate(self.lines) if _COHORT_HEADER.match(line)), None
        )

    def project(self, index: int) -> int | None:
        return self.headers[index] + 1 if index < len(self.headers) else None

    def _block(self, start: int | None) -> range:
        if start is None:
            return range(0)
        following = [h for h in [*self.headers, self.cohort_header] if h is not None and h > start]
        return range(start, min(following, default=len(self.lines)))

    def _find(self, block: range, needle: str, is_key: bool) -> int | None:
        if is_key:
            pattern = re.compile(rf"^\s*{re.escape(needle)}\s*=|[{{,]\s*{re.escape(needle)}\s*=")
        else:
            pattern = re.compile(rf"[\"']{re.escape(needle)}[\"']")
        for i in block:
            if pattern.search(self.lines[i]):
                return i + 1
        return None

    def in_project(self, index: int, needle: str, is_key: bool = False) -> int | None:
        start = self.headers[index] if index < len(self.headers) else None
        return self._find(self._block(start), needle, is_key) or self.project(index)

    def package(self, index: int, normalized: str) -> int | None:
        """The line of the index-th project's package written in any form of `normalized`."""
        start = self.headers[index] if index < len(self.headers) else None
        for i in self._block(start):
            names = re.findall(r"[\"']([^\"']+)[\"']", self.lines[i])
            if any(normalize_pypi_name(name) == normalized for name in names):
                return i + 1
        return self.project(index)

    def cohort(self) -> int | None:
        return self.cohort_header + 1 if self.cohort_header is not None else None

    def in_cohort(self, key: str) -> int | None:
        return self._find(self._block(self.cohort_header), key, True) or self.cohort()

    def key(self, key: str) -> int | None:
        return self._find(range(len(self.lines)), key, True)

    def table(self, name: str) -> int | None:
        """The line of a `[name]` or `[[name]]` header."""
        pattern = re.compile(rf"^\s*\[\[?\s*{re.escape(name)}\s*\]")
        return next((i + 1 for i, line in enumerate(self.lines) if pattern.match(line)), None)
