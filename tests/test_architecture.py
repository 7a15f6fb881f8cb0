"""The house's shape, kept true: imports run one way (docs/architecture.md), only the app
knows Streamlit, only collectors talk HTTP, only settings.py reads the environment, and no
module grows past 600 lines."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Which rooms each room may import from (besides itself, the standard library and
# third-party packages, which have rules of their own below).
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "files": set(),
    "terminal": set(),
    "models": set(),
    "settings": {"errors"},
    "registry": {"errors", "files"},
    "store": {"errors", "files"},
    "collectors": {"errors", "files", "registry", "store"},
    "metrics": {"errors", "models", "registry", "store"},
    "claims": {"errors", "metrics", "registry"},
    "charts": {"claims", "metrics", "models"},
    "views": {"charts", "claims", "errors", "metrics", "models", "registry", "store"},
    "exports": {"charts", "claims", "errors", "metrics", "models", "registry", "store", "views"},
    "derived": {
        "charts",
        "claims",
        "errors",
        "files",
        "metrics",
        "models",
        "registry",
        "store",
        "views",
    },
    "static_site": {
        "charts",
        "claims",
        "errors",
        "exports",
        "metrics",
        "models",
        "registry",
        "store",
        "views",
    },
    "alerts": {"collectors", "errors", "files", "metrics", "registry", "settings", "store"},
    "service": {"alerts", "collectors", "errors", "registry", "settings", "store", "terminal"},
}
ROOMS = set(ALLOWED) | {"app", "cli", "dashboard", "scripts", "bench", "tests"}
# third-party packages only some rooms may use
ONLY_IN = {
    "streamlit": {"app", "dashboard", "tests"},
    "requests": {"collectors", "scripts", "tests"},
}
SKIP = {".venv", "test-artifacts", "data", "docs", "deploy", ".git"}


def _modules() -> list[Path]:
    return [
        p for p in ROOT.rglob("*.py") if not (set(p.relative_to(ROOT).parts) & SKIP) and p.is_file()
    ]


def _room(path: Path) -> str:
    first = path.relative_to(ROOT).parts[0]
    return first.removesuffix(".py")


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], node.lineno))
    return found


def _imports_where(forbidden: Callable[[str, str], bool]) -> list[str]:
    """`path:line: room imports name` for each import of a module for which
    `forbidden(room, name)` holds."""
    return [
        f"{path.relative_to(ROOT)}:{line}: {room} imports {name}"
        for path in _modules()
        for room in [_room(path)]
        for name, line in _imports(path)
        if forbidden(room, name)
    ]


def test_imports_run_one_way_through_the_house():
    # the app, the CLI, scripts, benches and tests (rooms not in ALLOWED) may use any room
    wrong = _imports_where(
        lambda room, name: (
            room in ALLOWED and name in ROOMS and name != room and name not in ALLOWED[room]
        )
    )
    assert not wrong, "\n".join(wrong)


def test_streamlit_only_in_the_app_and_http_only_in_collectors():
    wrong = _imports_where(
        lambda room, name: name in ONLY_IN and room not in ONLY_IN[name] | {"bench"}
    )
    assert not wrong, "\n".join(wrong)


def test_only_settings_reads_the_environment():
    """Settings are read once at the edge; below it values are passed down."""
    wrong = []
    for path in _modules():
        room = _room(path)
        if room in {"settings", "tests", "bench", "scripts"}:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"environ", "getenv"}
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not wrong, "os.environ read outside settings.py:\n" + "\n".join(wrong)


@pytest.mark.parametrize("limit", [600])
def test_no_module_is_over_600_lines(limit):
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > limit
    }
    assert not long, long


def test_the_architecture_document_names_every_room():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for room in ALLOWED:
        assert f"`{room}" in text, room
