"""The embedded whole archive (data/archive/, built by scripts/build_archive.py): every
repository's daily stars, forks and open issues and every package's download snapshots,
read lazily.

Nothing is read when an `Archive` is made. The name index (about 53,000 names) is read on
the first search; one series is read from the one or two Parquet row groups whose id range
holds it, so a chart of any repository reads a few hundred KB, never the whole file.
Absence stays absence: a day a repository was outside the lists has no row, never a zero.

Every file is checked against the manifest's size and SHA-256 before its first read, and
again whenever it changes on disk: a damaged file is refused (CorruptFileError naming it
and what to do), never read as different values. The verdict is kept per process, keyed on
the file's path, size, mtime, ctime and inode, so the ~18 MB are hashed once per file
version (60-130 ms for all three on a busy 2-core machine), and a page view costs one
`stat` per file read (about 0.04 ms).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from errors import CorruptFileError, StoreError

ARCHIVE_DATA = Path(__file__).resolve().parent.parent / "data" / "archive"
MANIFEST = "manifest.json"
FORMAT = 1
KINDS = ("repo", "package")
FILES = ("names.parquet", "repo_series.parquet", "package_series.parquet")
COUNTS = ("repository_names", "repository_series", "packages")
REPAIR = (
    "restore the archive from git (`git checkout -- data/archive`) or rebuild it with "
    "`./dev build-archive`"
)
NAME_COLUMNS = [
    "name",
    "key",
    "kind",
    "sid",
    "series",
    "current",
    "first_seen",
    "last_seen",
    "series_first",
    "series_last",
    "latest",
    "language",
]
# Methodology boundaries of the top-PyPI archive (shared/datasets/README.md, caveat 7)
PIP_ONLY_UNTIL = date(2024, 11, 1)  # snapshots up to this day count pip downloads only
CLICKHOUSE_FROM = date(2025, 7, 5)  # snapshots from this day count calendar months
_LAST = "\U0010ffff"  # sorts after every character: the end of a prefix range


@dataclass(frozen=True)
class ArchiveSource:
    """One archive the embedded data comes from, and the last day it covers."""

    kind: str  # 'repo' or 'package'
    title: str
    url: str
    revision: str
    licence: str
    coverage: str
    notes: str
    as_of: date


@dataclass(frozen=True)
class ArchiveEntry:
    """One name of the index and the series it resolves to."""

    name: str  # as the archive spells it (a former name or case variant included)
    kind: str  # 'repo' or 'package'
    series: str  # the series' name: the latest spelling after every rename
    sid: int
    first_seen: date  # under this name
    last_seen: date
    series_first: date  # of the whole series, every name included
    series_last: date
    latest: float | None  # stars, or downloads per day, at the series' last observation
    language: str | None

    @property
    def is_former_name(self) -> bool:
        return self.name != self.series


class Archive:
    """Read-only access to data/archive/. Raises StoreError (CorruptFileError for a
    damaged file) naming the file when the archive is missing or cannot be read."""

    def __init__(self, root: Path | str = ARCHIVE_DATA):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._manifest: tuple[Signature, dict, dict[str, ArchiveSource]] | None = None
        self._index: tuple[Signature, _NameIndex] | None = None
        self._groups: dict[str, tuple[Signature, np.ndarray, np.ndarray]] = {}

    # ----- what the archive is ------------------------------------------------------------

    def version(self) -> tuple[Signature | None, ...]:
        """The manifest's and every file's signature (None when missing): a cache key that
        changes whenever any file of the archive is rebuilt, restored or damaged."""
        return tuple(_signature(self.root / name) for name in (MANIFEST, *FILES))

    def manifest(self) -> dict:
        """The manifest, checked: its format, each file's size and SHA-256, the sources and
        counts. Raises StoreError when missing, CorruptFileError when damaged or incomplete."""
        return self._checked_manifest()[0]

    def sources(self) -> dict[str, ArchiveSource]:
        """Kind ('repo', 'package') -> the archive it comes from."""
        return self._checked_manifest()[1]

    def _checked_manifest(self) -> tuple[dict, dict[str, ArchiveSource]]:
        path = self.root / MANIFEST
        signature = _signature(path)
        if signature is None:
            raise StoreError(path, f"the embedded archive is missing; {REPAIR}")
        cached = self._manifest
        if cached is None or cached[0] != signature:
            manifest, sources = _read_manifest(path)
            cached = self._manifest = (signature, manifest, sources)
        return cached[1], cached[2]

    def verify(self, name: str) -> Signature:
        """Check one file (e.g. 'repo_series.parquet') against the manifest; its signature.
        Hashes the file only the first time this process meets this version of it. Raises
        StoreError when the file is missing, CorruptFileError when it does not match."""
        facts = self.manifest()["files"][name]
        return _verified(self.root / name, facts["bytes"], facts["sha256"])

    # ----- the name index ----------------------------------------------------------------

    def names(self) -> pd.DataFrame:
        """Every name: name, key, kind, sid, series, current, first/last seen (under this
        name and for the whole series), latest, language. Descriptions: `description()`."""
        return self._search_index().frame

    def _search_index(self) -> _NameIndex:
        signature = self.verify("names.parquet")
        index = self._index
        if index is None or index[0] != signature:
            with self._lock:
                index = self._index
                if index is None or index[0] != signature:
                    table = self._read_table("names", columns=NAME_COLUMNS)
                    index = self._index = (signature, _NameIndex(table.to_pandas()))
        return index[1]

    def search(self, text: str, limit: int = 20, kind: str | None = None) -> pd.DataFrame:
        """Names containing `text` (case-insensitive), best first: the exact name, then
        names starting with it (or whose part after the owner does), then any other match;
        within each, the most starred or downloaded first. Empty text matches nothing."""
        index = self._search_index()
        rows = index.search(text.strip().lower(), limit, kind)
        return index.frame.iloc[rows].reset_index(drop=True)

    def description(self, entry: ArchiveEntry) -> str | None:
        """The repository's description (from the archive's latest listing), if any."""
        if entry.kind != "repo":
            return None
        path = self.root / "names.parquet"
        self.verify(path.name)
        try:
            table = pq.read_table(
                path, columns=["description"], filters=[("name", "==", entry.series)]
            )
        except (OSError, pa.ArrowException) as exc:
            raise _unreadable(path, exc) from None
        values = [v for v in table["description"].to_pylist() if v]
        return values[0] if values else None

    def entry(self, name: str, kind: str | None = None) -> ArchiveEntry | None:
        """The index entry of a name (case-insensitive; the current spelling first)."""
        names = self.names()
        rows = names[names["key"] == name.strip().lower()]
        if kind is not None:
            rows = rows[rows["kind"] == kind]
        if rows.empty:
            return None
        exact = rows[rows["name"] == name.strip()]
        row = (exact if len(exact) else rows.sort_values("current", ascending=False)).iloc[0]
        return _entry(row)

    def names_of(self, entry: ArchiveEntry) -> pd.DataFrame:
        """Every name the entry's series was listed under, oldest first (renames, case
        variants): name, first_seen, last_seen."""
        names = self.names()
        rows = names[(names["kind"] == entry.kind) & (names["sid"] == entry.sid)]
        rows = rows.sort_values(["first_seen", "name"])
        return rows[["name", "first_seen", "last_seen"]].reset_index(drop=True)

    # ----- series --------------------------------------------------------------------------

    def repo_series(self, entry: ArchiveEntry) -> pd.DataFrame:
        """The repository's daily rows: repo (the series' name), date, stars, forks,
        open_issues, quality ('ok', or 'anomalous' for a one-observation dip)."""
        table = self._series("repo_series", "sid", entry.sid)
        frame = table.to_pandas()
        return pd.DataFrame(
            {
                "repo": entry.series,
                "date": pd.to_datetime(frame["date"]).astype("datetime64[s]"),
                "stars": frame["stars"].astype("int64"),
                "forks": frame["forks"].astype("int64"),
                "open_issues": frame["open_issues"].astype("int64"),
                "quality": np.where(frame["anomalous"], "anomalous", "ok"),
            }
        )

    def package_series(self, entry: ArchiveEntry) -> pd.DataFrame:
        """The package's download rows as the store's `package_downloads` has them: package,
        series ('monthly'/'yearly'), period_start, period_end, window_days, downloads,
        installers, method, snapshot (the day the count was made), quality."""
        frame = self._series("package_series", "pid", entry.sid).to_pandas()
        end = pd.to_datetime(frame["period_end"]).astype("datetime64[s]")
        window = frame["window_days"].astype("int64")
        return pd.DataFrame(
            {
                "package": entry.series,
                "series": frame["series"].astype(str),
                "period_start": end - pd.to_timedelta(window - 1, unit="D"),
                "period_end": end,
                "window_days": window,
                "downloads": frame["downloads"].astype("int64"),
                "installers": frame["installers"].astype(str),
                "method": frame["method"].astype(str),
                "snapshot": pd.to_datetime(frame["snapshot"]).astype("datetime64[s]"),
                "quality": "ok",
            }
        )

    def _series(self, name: str, id_column: str, sid: int) -> pa.Table:
        low, high = self._row_groups(name, id_column)
        wanted = np.flatnonzero((low <= sid) & (high >= sid)).tolist()
        path = self.root / f"{name}.parquet"
        self.verify(path.name)
        try:
            table = pq.ParquetFile(path).read_row_groups(wanted)
        except (OSError, pa.ArrowException) as exc:
            raise _unreadable(path, exc) from None
        return table.filter(pc.equal(table[id_column], sid)).drop_columns([id_column])

    def _row_groups(self, name: str, id_column: str) -> tuple[np.ndarray, np.ndarray]:
        """Each row group's smallest and largest series id (from the file's statistics)."""
        path = self.root / f"{name}.parquet"
        signature = self.verify(path.name)
        cached = self._groups.get(name)
        if cached is None or cached[0] != signature:
            try:
                meta = pq.read_metadata(path)
                column = meta.schema.names.index(id_column)
                stats = [
                    meta.row_group(i).column(column).statistics for i in range(meta.num_row_groups)
                ]
                low = np.array([s.min for s in stats])
                high = np.array([s.max for s in stats])
            except (OSError, ValueError, AttributeError, pa.ArrowException) as exc:
                raise _unreadable(path, exc) from None
            cached = self._groups[name] = (signature, low, high)
        return cached[1], cached[2]

    def _read_table(self, name: str, columns: list[str] | None = None) -> pa.Table:
        path = self.root / f"{name}.parquet"
        self.verify(path.name)
        try:
            return pq.read_table(path, columns=columns)
        except (OSError, pa.ArrowException) as exc:
            raise _unreadable(path, exc) from None


# ----- checking the files against the manifest ---------------------------------------------

Signature = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
_VERDICTS: dict[tuple[str, Signature, int, str], str | None] = {}  # -> problem, or None: sound
_VERDICTS_LOCK = threading.Lock()
_HASH_CHUNK = 1 << 20


def _signature(path: Path) -> Signature | None:
    """What changes when a file is written, replaced or touched; None when it is missing."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(path, f"cannot be read ({exc.strerror}); {REPAIR}") from None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _verified(path: Path, size: int, sha256: str) -> Signature:
    """The file's signature once its bytes match the manifest's size and SHA-256; the verdict
    (sound or damaged) is remembered for this version of the file."""
    signature = _signature(path)
    if signature is None:
        raise StoreError(path, f"missing from the embedded archive; {REPAIR}")
    key = (str(path), signature, size, sha256)
    if key not in _VERDICTS:
        with _VERDICTS_LOCK:
            if key not in _VERDICTS:
                _VERDICTS[key] = _problem(path, signature[0], size, sha256)
    problem = _VERDICTS[key]
    if problem is not None:
        raise CorruptFileError(path, f"{problem}; {REPAIR}")
    return signature


def _problem(path: Path, actual_size: int, size: int, sha256: str) -> str | None:
    if actual_size != size:
        return f"damaged: {actual_size:,} bytes where the archive's manifest says {size:,}"
    try:
        actual = _sha256(path)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if actual != sha256:
        return (
            f"damaged: its SHA-256 ({actual[:12]}…) differs from the archive's manifest "
            f"({sha256[:12]}…), so its values cannot be trusted"
        )
    return None


def _unreadable(path: Path, exc: Exception) -> CorruptFileError:
    return CorruptFileError(path, f"cannot be read as Parquet ({exc}); {REPAIR}")


def _read_manifest(path: Path) -> tuple[dict, dict[str, ArchiveSource]]:
    """The manifest and its sources, every field the reader relies on checked."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(path, f"the embedded archive is missing; {REPAIR}") from None
    except (OSError, ValueError) as exc:
        raise CorruptFileError(path, f"damaged: cannot be read as JSON ({exc}); {REPAIR}") from None

    def broken(what: str) -> CorruptFileError:
        return CorruptFileError(path, f"damaged or incomplete: {what}; {REPAIR}")

    if not isinstance(manifest, dict):
        raise broken("not a JSON object")
    if manifest.get("format") != FORMAT:
        raise broken(f"format {manifest.get('format')!r}, expected {FORMAT}")
    files = manifest.get("files")
    for name in FILES:
        facts = files.get(name) if isinstance(files, dict) else None
        if not (
            isinstance(facts, dict)
            and isinstance(facts.get("bytes"), int)
            and isinstance(facts.get("sha256"), str)
            and len(facts["sha256"]) == 64
        ):
            raise broken(f"no size and SHA-256 for {name}")
    counts = manifest.get("counts")
    if not isinstance(counts, dict) or not all(isinstance(counts.get(k), int) for k in COUNTS):
        raise broken("the counts are missing")
    sources = {}
    try:
        for row in manifest["sources"]:
            fields = {k: row[k] for k in ArchiveSource.__dataclass_fields__ if k != "as_of"}
            sources[row["kind"]] = ArchiveSource(**fields, as_of=date.fromisoformat(row["as_of"]))
    except (KeyError, TypeError, ValueError):
        raise broken("a source's description is incomplete") from None
    if set(sources) != set(KINDS):
        raise broken(f"sources for {sorted(sources)}, expected {list(KINDS)}")
    return manifest, sources


def _entry(row: pd.Series) -> ArchiveEntry:
    def day(value) -> date:
        return pd.Timestamp(value).date()

    def text(value) -> str | None:
        return None if value is None or pd.isna(value) else str(value)

    return ArchiveEntry(
        name=str(row["name"]),
        kind=str(row["kind"]),
        series=str(row["series"]),
        sid=int(row["sid"]),
        first_seen=day(row["first_seen"]),
        last_seen=day(row["last_seen"]),
        series_first=day(row["series_first"]),
        series_last=day(row["series_last"]),
        latest=None if pd.isna(row["latest"]) else float(row["latest"]),
        language=text(row["language"]),
    )


class _NameIndex:
    """The name index, with sorted keys for prefix ranges and one joined text for
    substring search, so any query costs a few milliseconds on ~53,000 names."""

    def __init__(self, frame: pd.DataFrame):
        for column in ("name", "key", "kind", "series"):
            frame[column] = frame[column].astype(object)
        self.frame = frame
        keys = frame["key"].to_numpy(object)
        parts = frame["key"].str.partition("/")[2].to_numpy(object)
        parts = np.where(parts == "", keys, parts)
        self.latest = frame["latest"].fillna(-1.0).to_numpy("float64")
        self.kinds = frame["kind"].to_numpy(object)
        self.by_key = np.argsort(keys, kind="stable")
        self.sorted_keys = keys[self.by_key]
        self.by_part = np.argsort(parts, kind="stable")
        self.sorted_parts = parts[self.by_part]
        self.keys = keys
        self.text = "\n".join(keys) + "\n"
        lengths = np.fromiter((len(k) + 1 for k in keys), dtype="int64", count=len(keys))
        self.starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])

    def search(self, query: str, limit: int, kind: str | None) -> np.ndarray:
        if not query or "\n" in query:
            return np.array([], dtype="int64")
        exact = self._range(self.sorted_keys, self.by_key, query, query + "\x00")
        prefix = np.union1d(
            self._range(self.sorted_keys, self.by_key, query, query + _LAST),
            self._range(self.sorted_parts, self.by_part, query, query + _LAST),
        )
        ranked = [exact, np.setdiff1d(prefix, exact)]
        if len(prefix) < limit:
            ranked.append(np.setdiff1d(self._containing(query), prefix))
        out = []
        for rows in ranked:
            if kind is not None:
                rows = rows[self.kinds[rows] == kind]
            order = np.lexsort((self.keys[rows], -self.latest[rows]))
            out.extend(rows[order][: limit - len(out)].tolist())
            if len(out) >= limit:
                break
        return np.array(out, dtype="int64")

    @staticmethod
    def _range(sorted_values: np.ndarray, order: np.ndarray, low: str, high: str) -> np.ndarray:
        start, stop = np.searchsorted(sorted_values, [low, high])
        return np.sort(order[start:stop])

    def _containing(self, query: str) -> np.ndarray:
        found, at = [], self.text.find(query)
        while at != -1:
            found.append(at)
            at = self.text.find(query, at + 1)
        if not found:
            return np.array([], dtype="int64")
        return np.unique(np.searchsorted(self.starts, found, side="right") - 1)
