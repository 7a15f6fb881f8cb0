"""Export: every chart of a page as PNG, SVG and HTML, with the CSV of the data behind it and a
methods note, into a folder or a zip. The HTML files of one export share one plotly.min.js at
its top (they open offline from the unpacked folder); the app's single HTML download inlines it.

What a page shows is defined once, in `views`; the export calls the same views with the
pages' default settings and only writes files. Static images need a Chromium on the machine
(kaleido drives it): it is looked up before kaleido starts, one browser is kept warm for a
whole export (a page of charts takes seconds, not minutes), and every call into it has a
deadline. CSV cells that a spreadsheet would run as formulas are written as text.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import shutil
import signal
import tempfile
import threading
import time
import zipfile
from collections.abc import Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go

from claims.model import load_claims
from errors import DashboardError, ExportError  # noqa: F401 - ExportError: raised here
from metrics.freshness import current_sources
from registry import Registry, load_registry
from store import Catalog
from views import PAGES, ChartView, page_views
from views.claims import INDICATOR_TABLES

FORMATS = ("png", "svg", "html", "csv")
IMAGES = ("png", "svg")
PLOTLY_JS = "plotly.min.js"  # one copy per export, at its top, for every HTML file
T = TypeVar("T")


def page_charts(page: str, registry: Registry, tables: dict[str, pd.DataFrame]) -> list[ChartView]:
    """The charts and tables a page shows with its default settings (from `views`). Raises
    ValueError for a bad page."""
    return page_views(page, registry, tables, load_claims())


INSTALL_HINT = (
    "install Chromium (Debian/Ubuntu: apt-get install chromium; elsewhere Chrome or Chromium), "
    "or point BROWSER_PATH at one"
)
START_SECONDS = 60.0  # Chromium starts in 1-5 s; a minute covers a machine under load
IMAGE_SECONDS = 60.0  # one chart renders in well under a second once Chromium is up


def find_chromium() -> str | None:
    """The browser kaleido would start, or None when there is none that can run.

    The same lookup as kaleido's (choreographer's `Chromium.find_browser`): BROWSER_PATH, then
    Chrome, Chromium, Edge, Brave or Vivaldi on PATH and in their usual places, then a browser
    that `kaleido_get_chrome` downloaded. Checked before kaleido starts, because kaleido's
    server thread dies on a missing browser and leaves its caller waiting forever."""
    from choreographer.browsers.chromium import Chromium

    path = Chromium.find_browser(skip_local=False)
    if path and Path(path).is_file() and os.access(path, os.X_OK):
        return str(path)
    return None


class _Chromium:
    """One kaleido (Chromium) on an event loop in a background thread. Every call into it has
    a deadline, so a browser that hangs or dies makes an ExportError, never a hang."""

    def __init__(self, path: str, start_seconds: float, image_seconds: float) -> None:
        import kaleido

        self.image_seconds = image_seconds
        self.loop = asyncio.new_event_loop()
        # a start or render cut short by its deadline ends as a task nobody awaits any more:
        # its error is the ExportError already raised, not one more traceback on stderr
        self.loop.set_exception_handler(lambda loop, context: None)
        self.thread = threading.Thread(target=self.loop.run_forever, name="kaleido", daemon=True)
        self.thread.start()
        self.kaleido: kaleido.Kaleido | None = None
        self.broken = False  # it missed a deadline or failed: kill it rather than ask

        async def make() -> kaleido.Kaleido:
            return kaleido.Kaleido(path=path, mathjax=False, timeout=image_seconds)

        try:
            self.kaleido = self._call(make(), start_seconds, "start")
            self._call(self.kaleido.open(), start_seconds, "start")
        except BaseException:
            self.close()
            raise

    def render(self, figure: go.Figure, fmt: str, width: int, height: int) -> bytes:
        assert self.kaleido is not None
        opts = {"format": fmt, "width": width, "height": height, "scale": 1}
        coroutine = self.kaleido.calc_fig(figure.to_dict(), opts=opts)
        return self._call(coroutine, self.image_seconds, f"render a {fmt.upper()}")

    def _call(self, coroutine: Coroutine[Any, Any, T], seconds: float, what: str) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout=seconds)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self.broken = True
            raise ExportError(
                f"Chromium did not {what} within {seconds:g} s; it may be broken: {INSTALL_HINT}"
            ) from None
        except ExportError:
            raise
        except Exception as exc:  # kaleido and choreographer raise their own types
            self.broken = True
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ExportError(f"Chromium could not {what}: {first}; {INSTALL_HINT}") from None

    def close(self) -> None:
        """Stop the browser and the loop. A browser that missed a deadline is killed first
        (asking it to close would only wait again); one that does not close in time, too."""
        if self.kaleido is not None:
            if self.broken:
                self._kill()
            try:
                self._call(self.kaleido.close(), 10, "close")
            except ExportError:
                self._kill()
            self.kaleido = None
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    def _kill(self) -> None:
        """Kill the browser's process group (choreographer starts it in a session of its own:
        the wrapper and Chromium's helpers go with it)."""
        process = getattr(self.kaleido, "subprocess", None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (AttributeError, OSError):  # no process groups (Windows), or already gone
            process.kill()
        with contextlib.suppress(Exception):
            process.wait(timeout=5)


_browser: _Chromium | None = None  # the warm browser, while a warm_browser block is open
_browser_users = 0  # how many warm_browser blocks are open (one Chromium serves them all)


@contextlib.contextmanager
def warm_browser(
    needed: bool, *, start_seconds: float | None = None, image_seconds: float | None = None
) -> Iterator[None]:
    """Keep one Chromium running for a batch of static images.

    Re-entrant: inside an outer `warm_browser`, the running Chromium is reused. Raises
    ExportError at once when there is no browser, and when it does not start in time."""
    global _browser, _browser_users
    if not needed or _browser_users:
        _browser_users += bool(needed)
        try:
            yield
        finally:
            _browser_users -= bool(needed)
        return
    path = find_chromium()
    if path is None:
        raise ExportError(f"PNG and SVG need Chromium, and none was found: {INSTALL_HINT}")
    _browser = _Chromium(
        path,
        START_SECONDS if start_seconds is None else start_seconds,
        IMAGE_SECONDS if image_seconds is None else image_seconds,
    )
    _browser_users = 1
    try:
        yield
    finally:
        _browser_users = 0
        browser, _browser = _browser, None
        browser.close()


IMAGE_WIDTH, IMAGE_HEIGHT = 1100, 550  # pixels, for a figure that sets no size of its own


def image_size(figure: go.Figure) -> dict[str, int]:
    """The static image's size: the figure's own height where it sets one (the claims'
    charts grow with their rows and notes; a fixed height would squeeze their text into
    overlapping lines), else 550 px; 1100 px wide, about the app's main column at 1440 px."""
    return {
        "width": int(figure.layout.width or IMAGE_WIDTH),
        "height": int(figure.layout.height or IMAGE_HEIGHT),
    }


def figure_bytes(figure: go.Figure, fmt: str, *, plotlyjs: str | None = None) -> bytes:
    """The figure as PNG, SVG or HTML. The HTML has plotly.js inlined (one file that opens
    offline) unless `plotlyjs` gives the relative path of a plotly.min.js to load instead.
    Raises ExportError when the image cannot be made (no Chromium, or it fails or hangs)."""
    if fmt == "html":
        include: str | bool = plotlyjs or True
        return figure.to_html(include_plotlyjs=include, full_html=True).encode()
    size = image_size(figure)
    with warm_browser(True):
        assert _browser is not None
        return _browser.render(figure, fmt, size["width"], size["height"])


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _defused(value: object) -> object:
    """Text that a spreadsheet would run as a formula, with a leading apostrophe (OWASP's rule
    for CSV injection); numbers, and text that is just a number, as they are."""
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as CSV, safe to open in a spreadsheet: a text cell (or header) that starts
    with =, +, -, @, a tab or a carriage return gets a leading apostrophe, so a name such as
    '=HYPERLINK(...)' shows as text instead of running. Numeric columns are never touched."""
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if not (
            pd.api.types.is_object_dtype(values)
            or pd.api.types.is_string_dtype(values)
            or isinstance(values.dtype, pd.CategoricalDtype)
        ):
            continue
        safe[column] = values.astype(object).map(_defused)
    safe.columns = [_defused(c) for c in safe.columns]
    return safe.to_csv(index=False).encode()


def methods_note(
    page: str,
    tables: dict[str, pd.DataFrame],
    charts: Sequence[ChartView],
    formats: Sequence[str] = FORMATS,
) -> str:
    """Sources, as-of dates and parameters, for the folder of exported charts."""
    sources = tables["sources"]
    lines = [
        f"# Export of the '{page}' page",
        "",
        f"Made {pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC by the open-source AI dashboard.",
        "",
        "## Sources",
        "",
    ]
    for row in sources.itertuples():
        as_of = f"{row.as_of:%Y-%m-%d}" if pd.notna(row.as_of) else "unknown"
        lines.append(f"- {row.title}: data as of {as_of}; {row.licence or 'licence not stated'}")
        if isinstance(row.notes, str) and row.notes:
            lines.append(f"  Caveats: {row.notes}")
    lines += [
        "",
        "## Parameters",
        "",
        "The pages' defaults: all tracked projects (data/projects.toml), the full date range, "
        "linear scale; downloads are per day over each monthly window; community figures use "
        "quarters, a 12-month window, a 50 % share, no bots and no merge commits; claims use "
        "the thresholds in data/claims.toml and 12-month windows.",
        "Missing values are missing in the CSV files (empty cells), never zero.",
        "",
        "## Charts",
        "",
    ]
    lines += [f"- {c.name}: {len(c.data)} rows of data" for c in charts]
    notes = []
    if "html" in formats:
        notes.append(
            f"The HTML files load ../{PLOTLY_JS} (plotly.js, shipped once at the top of the "
            "export): keep the folders together and they open offline in any browser."
        )
    if "csv" in formats:
        notes.append(
            "In the CSV files, a text cell that begins with =, +, -, @, a tab or a carriage "
            "return starts with an apostrophe, so that a spreadsheet shows it as text instead of "
            "running it as a formula; numbers are as they are."
        )
    if notes:
        lines += ["", "## Files", "", *notes]
    return "\n".join(lines) + "\n"


TABLES = (*INDICATOR_TABLES, "sources")


def export_tables(catalog: Catalog) -> dict[str, pd.DataFrame]:
    """The tables the exported pages are built from; the sources dated as the last live
    refresh left them (METHODS.md says what the charts show, not what the build read)."""
    tables = {name: catalog.read(name).frame for name in TABLES}
    runs = catalog.read("collection_runs").frame
    tables["sources"] = current_sources(tables["sources"], runs)
    return tables


def export_pages(
    page: str,
    out: Path,
    *,
    formats: Sequence[str] = FORMATS,
    catalog: Catalog,
    registry: Registry | None = None,
    overwrite: bool = False,
) -> list[str]:
    """Write the page's (or every page's) charts to a folder or a .zip; returns the names.
    `catalog` is the data to export (the CLI's: the default data and the user's history);
    `registry` defaults to data/projects.toml. The HTML files share one plotly.min.js at the
    top of the export.

    Raises ValueError for an unknown page or format, and ExportError when `out` already holds
    files (unless `overwrite`: nothing is replaced silently) or cannot be written (then what
    this export wrote is removed again: temporary files, and files and folders it created).
    When PNG and SVG cannot be made (no Chromium, or it fails or hangs), the other formats
    asked for are written all the same and ExportError says so, with `written` set.
    """
    bad = set(formats) - set(FORMATS)
    if bad:
        raise ValueError(f"unknown formats {sorted(bad)}; choose from {', '.join(FORMATS)}")
    if not overwrite and (out.is_file() or (out.is_dir() and any(out.iterdir()))):
        raise ExportError(
            f"{out} already exists and is not empty; choose another --out, or --overwrite"
        )
    pages = PAGES if page == "all" else (page,)
    registry = registry or load_registry()
    tables = export_tables(catalog)
    files: dict[str, bytes] = {}
    images = [fmt for fmt in IMAGES if fmt in formats]
    no_images = ""  # why PNG and SVG could not be made, if they could not
    with contextlib.ExitStack() as browser:
        if images:
            try:
                browser.enter_context(warm_browser(True))
            except ExportError as exc:
                no_images = str(exc)
        for name in pages:
            charts = page_charts(name, registry, tables)
            for chart in charts:
                stem = f"{name}/{_safe(chart.name)}"
                if "csv" in formats:
                    files[f"{stem}.csv"] = csv_bytes(chart.data)
                if chart.figure is None:
                    continue
                if "html" in formats:
                    files[f"{stem}.html"] = figure_bytes(
                        chart.figure, "html", plotlyjs=f"../{PLOTLY_JS}"
                    )
                    files.setdefault(PLOTLY_JS, _plotly_js())
                for fmt in images if not no_images else ():
                    try:
                        files[f"{stem}.{fmt}"] = figure_bytes(chart.figure, fmt)
                    except ExportError as exc:  # a browser that failed once: no more tries
                        no_images = str(exc)
                        break
            files[f"{name}/METHODS.md"] = methods_note(name, tables, charts, formats).encode()
    if no_images:
        files = {n: data for n, data in files.items() if not n.endswith(IMAGES)}
        if set(formats) <= set(IMAGES):
            raise ExportError(f"nothing was written: {no_images}")
        _write(files, out)
        raise ExportError(
            f"{no_images}. The other files ({', '.join(f for f in formats if f not in IMAGES)} "
            f"and the methods notes) were written to {out}; to add the PNG and SVG files, "
            "export again with --overwrite once Chromium is installed",
            written=sorted(files),
        )
    _write(files, out)
    return sorted(files)


def _plotly_js() -> bytes:
    """The plotly.js that plotly.py bundles (the one the app uses), minified."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "chart"


def _write(files: dict[str, bytes], out: Path) -> None:
    """Into a zip (any case of .zip; written to a temporary file, then renamed) or a folder
    (written into a hidden staging folder inside it, then each file moved into place).

    On failure (a full disk, a read-only folder) everything this export wrote is removed:
    the temporary file or staging folder, and the files and folders it created; files that
    were there before are never removed. Raises ExportError."""
    made: list[Path] = []  # files and folders this export created, in order
    try:
        if out.suffix.lower() == ".zip":
            _write_zip(files, out, made)
        else:
            _write_folder(files, out, made)
    except BaseException as exc:
        for path in reversed(made):
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    path.rmdir()  # only when empty: a folder never loses what it had
                else:
                    path.unlink()
        if isinstance(exc, OSError):
            raise ExportError(
                f"cannot write the export to {out}: {exc.strerror or exc}; "
                "nothing of it was left behind"
            ) from None
        raise


def _make_folders(folder: Path, made: list[Path]) -> None:
    """mkdir -p, recording each folder it creates."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        made.append(path)


def _write_zip(files: dict[str, bytes], out: Path, made: list[Path]) -> None:
    _make_folders(out.parent, made)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with tmp.open("xb") as stream:
        made.append(tmp)
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                member = zipfile.ZipInfo(name, date_time=time.gmtime()[:6])
                member.external_attr = 0o644 << 16  # readable by all, like any file made
                member.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(member, data)
    tmp.replace(out)
    made.remove(tmp)


def _write_folder(files: dict[str, bytes], out: Path, made: list[Path]) -> None:
    _make_folders(out, made)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=out))
    try:
        for name, data in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        for name in files:  # renames within one file system: no new space needed
            target = out / name
            _make_folders(target.parent, made)
            existed = target.exists()
            (staging / name).replace(target)
            if not existed:
                made.append(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
