"""A derived result as files: frames as Parquet, figures as plotly JSON, the shape (lists,
tuples, dicts, the views' records) as a JSON tree naming them. No pickles: every file is
plain data any tool reads. Each file's SHA-256 and size are recorded, and checked before it
is used, so a truncated or damaged file is named instead of half read."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from errors import CorruptFileError
from views.base import ChartView
from views.community import CommunityViews, ProjectCommunity

Files = dict[str, dict]  # file name -> {"sha256": ..., "bytes": ...}


class Writer:
    """Writes the files of one folder's results, naming them in order."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: Files = {}

    def _file(self, suffix: str, data: bytes) -> str:
        """The file holding `data`: written once, however many results hold the same bytes
        (a frame one view shares with another); the shipped views count against data/'s
        size budget."""
        digest = hashlib.sha256(data).hexdigest()
        for name, facts in self.files.items():
            if facts["sha256"] == digest and name.endswith(suffix):
                return name
        name = f"{len(self.files):05d}.{suffix}"
        (self.folder / name).write_bytes(data)
        self.files[name] = {"sha256": digest, "bytes": len(data)}
        return name

    def _parquet(self, frame: pd.DataFrame) -> str:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=True, compression="zstd")
        return self._file("parquet", buffer.getvalue())

    def _frame(self, frame: pd.DataFrame) -> list:
        """[Parquet file, column labels, time units, columns' name, mixed columns]: what
        Parquet would change is kept beside it, so a frame reads back exactly as it was."""
        labels = list(frame.columns)
        plain = all(isinstance(label, str) for label in labels) and len(set(labels)) == len(labels)
        # Parquet names columns with text: other labels (a heatmap's hours) are kept here
        named = (
            frame if plain else frame.set_axis([f"column {i}" for i in range(len(labels))], axis=1)
        )
        # Parquet keeps times to the millisecond at best: their own units are kept here
        units = {str(i): str(t) for i, t in enumerate(frame.dtypes) if "datetime64" in str(t)}
        # a column of mixed values (counts with None) would come back as floats: kept as JSON
        mixed = {
            str(i): [named.columns[i], _json_values(named.iloc[:, i])]
            for i in range(len(labels))
            if pd.api.types.is_object_dtype(named.dtypes.iloc[i]) and not _text(named.iloc[:, i])
        }
        rest = named.drop(columns=[named.columns[int(i)] for i in mixed])
        return [
            self._parquet(rest),
            None if plain else [_label(label) for label in labels],
            units,
            frame.columns.name,
            mixed,
        ]

    def encode(self, value: object) -> object:
        """The JSON tree of `value`, writing its frames and figures as files."""
        if value is None or isinstance(value, bool | int | float | str):
            return {"value": value}
        if isinstance(value, pd.DataFrame):
            return {"frame": self._frame(value)}
        if isinstance(value, go.Figure):
            spec = json.loads(pio.to_json(value, validate=False))
            if spec.get("layout", {}).get("template") == _default_template():
                # a figure that names no template of its own takes the default of the process
                # that draws it (the app's is Streamlit's): left out here, the app's default
                # is applied when the figure is read back, as when it is computed live
                del spec["layout"]["template"]
            # gzip without a timestamp: the same figure gives the same bytes (they ship)
            data = gzip.compress(json.dumps(spec).encode(), mtime=0)
            return {"figure": self._file("json.gz", data)}
        if isinstance(value, ChartView):
            return {"chart": [value.name, self.encode(value.figure), self.encode(value.data)]}
        if isinstance(value, CommunityViews):
            parts = [value.summary, value.active, value.projects]
            return {"community": [self.encode(p) for p in parts]}
        if isinstance(value, ProjectCommunity):
            return {"project_community": [self.encode(value.charts), self.encode(value.median_gap)]}
        if isinstance(value, list | tuple):
            kind = "list" if isinstance(value, list) else "tuple"
            return {kind: [self.encode(v) for v in value]}
        if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
            return {"dict": [[k, self.encode(v)] for k, v in value.items()]}
        raise TypeError(f"a derived view cannot hold a {type(value).__name__}")


class Reader:
    """Reads a folder's results back, checking each file against what was recorded."""

    def __init__(self, folder: Path, files: Files) -> None:
        self.folder = folder
        self.files = files

    def _bytes(self, name: str) -> bytes:
        path = self.folder / name
        expected = self.files.get(name)
        if expected is None or "/" in name or name.startswith("."):
            raise CorruptFileError(path, "the derived index names a file it does not list")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CorruptFileError(path, f"cannot be read ({exc.strerror or exc})") from None
        if len(data) != expected["bytes"]:
            raise CorruptFileError(
                path, f"truncated or damaged: {len(data)} bytes, {expected['bytes']} written"
            )
        if hashlib.sha256(data).hexdigest() != expected["sha256"]:
            raise CorruptFileError(path, "damaged: its content is not what was written")
        return data

    def decode(self, tree: object) -> object:
        """The value a tree of `Writer.encode` stands for."""
        try:
            ((kind, body),) = tree.items()  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            raise CorruptFileError(self.folder, "the derived index is not a result") from None
        decoder = _DECODERS.get(kind)
        if decoder is None:
            raise CorruptFileError(self.folder, f"the derived index holds an unknown {kind!r}")
        return decoder(self, body)

    def _frame(self, name: str) -> pd.DataFrame:
        data = self._bytes(name)
        try:
            return pd.read_parquet(io.BytesIO(data))
        except Exception as exc:
            raise CorruptFileError(self.folder / name, f"not a Parquet file ({exc})") from None

    def _figure(self, name: str) -> go.Figure:
        data = self._bytes(name)
        try:
            data = gzip.decompress(data) if name.endswith(".gz") else data
            # written by plotly itself, from a validated figure: checking every property
            # again would cost a second per page for nothing
            return go.Figure(json.loads(data), _validate=False)
        except (ValueError, TypeError, OSError, EOFError) as exc:
            raise CorruptFileError(self.folder / name, f"not a plotly figure ({exc})") from None


def _default_template() -> dict | None:
    """This process's default plotly template as a figure's JSON holds it."""
    return json.loads(pio.to_json(go.Figure(), validate=False)).get("layout", {}).get("template")


def _label(label: object) -> list:
    if isinstance(label, bool) or not isinstance(label, int | float | str):
        raise TypeError(f"a derived frame cannot have a {type(label).__name__} column label")
    return [type(label).__name__, label]


def _frame(reader: Reader, body: list) -> pd.DataFrame:
    name, labels, units, columns_name, mixed = body
    kinds = {"int": int, "float": float, "str": str}
    frame = reader._frame(name)
    try:
        for column in sorted(mixed, key=int):
            label, values = mixed[column]
            values = pd.Series([_missing(v) for v in values], index=frame.index, dtype=object)
            frame.insert(int(column), label, values)
        if labels is not None:
            frame = frame.set_axis([kinds[kind](label) for kind, label in labels], axis=1)
        for column, unit in units.items():
            frame[frame.columns[int(column)]] = frame.iloc[:, int(column)].astype(unit)
        frame.columns.name = columns_name
    except (KeyError, TypeError, ValueError, IndexError):
        raise CorruptFileError(reader.folder / name, "its column labels are damaged") from None
    return frame


def _missing(value: object) -> object:
    if isinstance(value, dict):
        return {"NA": pd.NA, "NaT": pd.NaT}[value["missing"]]
    return value


def _text(column: pd.Series) -> bool:
    return all(v is None or isinstance(v, str) for v in column)


def _json_values(column: pd.Series) -> list:
    values = []
    for v in column:
        if v is pd.NA or v is pd.NaT:
            values.append({"missing": "NA" if v is pd.NA else "NaT"})
            continue
        if hasattr(v, "item") and not isinstance(v, str):  # a numpy scalar
            v = v.item()
        if not (v is None or isinstance(v, bool | int | float | str)):
            raise TypeError(f"a derived frame cannot hold a {type(v).__name__} in a mixed column")
        values.append(v)
    return values


def _chart(reader: Reader, body: list) -> ChartView:
    name, figure, data = body
    return ChartView(name, reader.decode(figure), reader.decode(data))


def _community(reader: Reader, body: list) -> CommunityViews:
    summary, active, projects = body
    decoded = _projects(reader, projects)
    return CommunityViews(reader.decode(summary), reader.decode(active), decoded)


def _projects(reader: Reader, tree: object) -> Mapping[str, ProjectCommunity]:
    """Each project's Community views, decoded when the page first shows that project: the
    page draws one project, and decoding every project's charts cost half a second of a first
    visit. Every file they name is read and checked now, so damage is still found at lookup
    (and the views computed live) rather than when a reader picks the project."""
    decoded = _lazy(reader, tree, "Community projects")
    _check_files(reader, decoded.trees.values())
    return decoded


def _check_files(reader: Reader, trees) -> None:
    """Read and check (sha256) every file the trees name, now: a value decoded later, when a
    page asks for it, must not be the first to find a damaged file (the lookup names it and
    the views are computed live)."""
    for tree in trees:
        for name in _files(tree):
            reader._bytes(name)


def _lazy(reader: Reader, tree: object, what: str) -> _Decoded:
    """A dict's tree as a mapping that decodes each value when it is first asked for."""
    try:
        ((kind, pairs),) = tree.items()  # type: ignore[union-attr]
        trees = {str(name): part for name, part in pairs} if kind == "dict" else None
    except (AttributeError, ValueError, TypeError):
        trees = None
    if trees is None:
        raise CorruptFileError(reader.folder, f"the derived index's {what} are damaged")
    return _Decoded(reader, trees)


def _files(tree: object) -> list[str]:
    """The files a tree names (a frame's Parquet, a figure's JSON), at any depth."""
    if isinstance(tree, dict):
        found = []
        for kind, body in tree.items():
            if kind == "frame" and isinstance(body, list) and body:
                found.append(str(body[0]))
            elif kind == "figure":
                found.append(str(body))
            else:
                found += _files(body)
        return found
    if isinstance(tree, list):
        return [name for part in tree for name in _files(part)]
    return []


class _Decoded(Mapping):
    """A read-only mapping whose values are decoded on first access, then kept."""

    def __init__(self, reader: Reader, trees: dict[str, object]) -> None:
        self._reader, self.trees, self._values = reader, trees, {}

    def __getitem__(self, key: str) -> object:
        if key not in self._values:
            self._values[key] = self._reader.decode(self.trees[key])
        return self._values[key]

    def __contains__(self, key: object) -> bool:  # without decoding (Mapping's would)
        return key in self.trees

    def __iter__(self) -> Iterator[str]:
        return iter(self.trees)

    def __len__(self) -> int:
        return len(self.trees)


class _DecodedList(Sequence):
    """A read-only list whose items are decoded on first access, then kept: a page shows
    one claim's chart of the eight in its result."""

    def __init__(self, reader: Reader, trees: list) -> None:
        self._reader, self._trees, self._values = reader, trees, {}

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self._trees))[index]  # negative and out-of-range as a list's
        if index not in self._values:
            self._values[index] = self._reader.decode(self._trees[index])
        return self._values[index]

    def __len__(self) -> int:
        return len(self._trees)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)


_FILE_BACKED = frozenset({"frame", "figure", "chart"})


def _file_backed(trees: list) -> bool:
    """Every item a frame, figure or chart: items worth decoding only when asked for."""
    return bool(trees) and all(isinstance(t, dict) and set(t) <= _FILE_BACKED for t in trees)


def _list(reader: Reader, body: list) -> Sequence:
    if not _file_backed(body):
        return [reader.decode(v) for v in body]
    _check_files(reader, body)
    return _DecodedList(reader, body)


def _dict(reader: Reader, body: list) -> Mapping:
    trees = {k: tree for k, tree in body}
    if not _file_backed(list(trees.values())):
        return {k: reader.decode(v) for k, v in body}
    _check_files(reader, trees.values())
    return _Decoded(reader, trees)


def _project(reader: Reader, body: list) -> ProjectCommunity:
    # its charts are a dict of charts: decoded one by one, as their tabs are opened (_dict)
    charts, gap = (reader.decode(part) for part in body)
    return ProjectCommunity(charts, gap)


_DECODERS: dict[str, Callable[[Reader, object], object]] = {
    "value": lambda reader, body: body,
    "frame": _frame,
    "figure": Reader._figure,
    "chart": _chart,
    "community": _community,
    "project_community": _project,
    "list": _list,
    "tuple": lambda reader, body: tuple(reader.decode(v) for v in body),
    "dict": _dict,
}
