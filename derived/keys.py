"""The key of a set of derived views: everything they came from, so that a key that matches
can only have been computed from the same inputs.

The data part names the shipped store's and the user store's manifests by content (a
manifest changes on every publish; its modification time differs between checkouts), the
code that computes the views (every source file of the rooms below the views, and this
room), and the libraries that shape frames and figures. Each result is further keyed by its
arguments (the registry, the claims, the windows, thresholds or settings), fingerprinted
from their values with file paths left out, so the same projects file gives the same key in
any checkout."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMAT = 1
# the rooms whose code shapes a derived view (the app only looks results up)
CODE_ROOMS = ("models", "store", "registry", "metrics", "claims", "charts", "views", "derived")
LIBRARIES = ("numpy", "pandas", "pyarrow", "plotly")
MANIFEST = "manifest.json"


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 over the relative path and content of every module of CODE_ROOMS."""
    digest = hashlib.sha256()
    for room in CODE_ROOMS:
        for path in sorted((ROOT / room).rglob("*.py")):
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def libraries() -> dict[str, str]:
    """The installed versions of the libraries that shape frames and figures."""
    return {name: metadata.version(name) for name in LIBRARIES}


def store_fingerprint(root: Path | str) -> str:
    """SHA-256 of a store's manifest, or 'empty' for a store that has never published."""
    try:
        return hashlib.sha256((Path(root) / MANIFEST).read_bytes()).hexdigest()
    except (FileNotFoundError, NotADirectoryError):
        return "empty"


def data_key(default_root: Path | str, user_root: Path | str) -> dict:
    """The data, code and libraries a set of derived views comes from."""
    return {
        "format": FORMAT,
        "shipped": store_fingerprint(default_root),
        "user": store_fingerprint(user_root),
        "code": code_fingerprint(),
        "libraries": libraries(),
    }


def key_name(key: dict) -> str:
    """A folder name for a key: the first 20 hex digits of its SHA-256."""
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]


def canonical(value: object) -> str:
    """A text that is equal for equal arguments: dataclasses field by field (file paths
    left out: where a file lives is not what it says), containers item by item."""
    if isinstance(value, Path):
        return "<path>"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [
            f"{f.name}={canonical(getattr(value, f.name))}"
            for f in dataclasses.fields(value)
            if not isinstance(getattr(value, f.name), Path)
        ]
        return f"{type(value).__name__}({','.join(fields)})"
    if isinstance(value, list | tuple):
        return f"{type(value).__name__}[{','.join(canonical(v) for v in value)}]"
    if isinstance(value, dict):
        items = sorted((canonical(k), canonical(v)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, set | frozenset):
        return "{" + ",".join(sorted(canonical(v) for v in value)) + "}"
    return f"{type(value).__name__}:{value!r}"


def entry_id(name: str, *args: object) -> str:
    """A result's name in a derived folder: the view's name and its arguments' fingerprint."""
    digest = hashlib.sha256(canonical(args).encode()).hexdigest()[:20]
    return f"{name}-{digest}"
