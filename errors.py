"""The project's one error hierarchy: every failure a user can meet has a class here.

    DashboardError                    anything this project raises on purpose
    ├── ConfigError(path, line, rule) data/projects.toml (or another setting) is wrong
    ├── StoreError(path)              the history store cannot do what was asked
    │   ├── CorruptFileError(path)    a file in the store cannot be read: named, never hidden
    │   │   └── ImplausibleValuesError    it holds values no source can report (a year 2262,
    │   │                                 a count of 2**62): those rows are left out, named
    │   └── StoreLockedError(path)    another process holds the store's write lock
    ├── SourceError(source)           an outside source could not be read (archives, APIs)
    └── ExportError(written)          an export could not be written (no Chromium for
                                      images, a target that exists or cannot be written);
                                      `written`: the files it wrote all the same, if any

Each error carries structured fields so the CLI and the app can phrase one message and
choose an exit code without parsing text. Messages never contain secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class DashboardError(Exception):
    """Base class: a failure we expected and can explain to the user."""


class ConfigError(DashboardError):
    """A configuration file breaks a rule; names the file, the line and the rule."""

    def __init__(self, path: Path | str, line: int | None, rule: str) -> None:
        self.path = Path(path)
        self.line = line
        self.rule = rule
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {rule}")


class StoreError(DashboardError):
    """The store could not read or write; names the file or folder involved."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class CorruptFileError(StoreError):
    """A store file exists but cannot be read as what it claims to be."""


class ImplausibleValuesError(CorruptFileError):
    """A store file reads, but some of its rows hold values outside their columns' plausible
    ranges (store/plausible.py): `rows` of its `total` rows, first `first` ('row R, column
    C: value (bound)')."""

    def __init__(self, path: Path | str, problem: str, *, rows: int, total: int, first: str):
        self.rows = rows
        self.total = total
        self.first = first
        super().__init__(path, problem)


class StoreLockedError(StoreError):
    """Another process is writing to the store and did not finish in time."""


class SourceError(DashboardError):
    """An outside source (archive file, API) could not be read as expected."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class ExportError(DashboardError):
    """An export could not be written (no Chromium for images, unwritable target, ...).

    `written` names the files the export wrote all the same (the HTML and CSV files when only
    the images could not be made); empty when it left nothing behind."""

    def __init__(self, problem: str, *, written: Sequence[str] = ()) -> None:
        self.problem = problem
        self.written = tuple(written)
        super().__init__(problem)
