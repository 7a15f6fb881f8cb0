"""Export: every chart of a page as PNG, SVG and self-contained HTML, with the CSV of the data
behind it and a methods note, into a folder or a zip.

What a page shows is defined once, in `views`; the export calls the same views with the
pages' default settings and only writes files. Static images need a Chromium on the machine
(kaleido drives it); one browser is kept warm for a whole export, so a page of charts takes
seconds, not minutes.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

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


def page_charts(page: str, registry: Registry, tables: dict[str, pd.DataFrame]) -> list[ChartView]:
    """The charts and tables a page shows with its default settings (from `views`). Raises
    ValueError for a bad page."""
    return page_views(page, registry, tables, load_claims())


_browser_users = 0  # how many warm_browser blocks are open (one Chromium serves them all)


@contextlib.contextmanager
def warm_browser(needed: bool) -> Iterator[None]:
    """Keep one Chromium running for a batch of static images (kaleido's sync server).

    Re-entrant: inside an outer `warm_browser`, the running Chromium is reused."""
    global _browser_users
    if not needed or _browser_users:
        _browser_users += bool(needed)
        try:
            yield
        finally:
            _browser_users -= bool(needed)
        return
    import kaleido

    warnings.filterwarnings("ignore", message="The kopts argument is ignored")
    try:
        kaleido.start_sync_server(mathjax=False)
    except Exception as exc:  # kaleido/choreographer raise their own types
        raise ExportError(
            f"static images need Chromium: install it (Debian: apt-get install chromium) ({exc})"
        ) from None
    _browser_users = 1
    try:
        yield
    finally:
        _browser_users = 0
        kaleido.stop_sync_server()


def figure_bytes(figure: go.Figure, fmt: str) -> bytes:
    """The figure as PNG, SVG or self-contained HTML (plotly.js inlined: opens offline)."""
    if fmt == "html":
        return figure.to_html(include_plotlyjs=True, full_html=True).encode()
    try:
        return figure.to_image(format=fmt, width=1100, height=550)
    except Exception as exc:  # plotly raises RuntimeError/ValueError from kaleido
        raise ExportError(f"could not render {fmt.upper()}: {exc}") from None


def methods_note(page: str, tables: dict[str, pd.DataFrame], charts: Sequence[ChartView]) -> str:
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
    `registry` defaults to data/projects.toml.

    Raises ValueError for an unknown page or format, and ExportError when images cannot be
    made or `out` already holds files (unless `overwrite`): nothing is replaced silently.
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
    with warm_browser(bool({"png", "svg"} & set(formats))):
        for name in pages:
            charts = page_charts(name, registry, tables)
            for chart in charts:
                stem = f"{name}/{_safe(chart.name)}"
                if "csv" in formats:
                    files[f"{stem}.csv"] = chart.data.to_csv(index=False).encode()
                if chart.figure is None:
                    continue
                for fmt in ("png", "svg", "html"):
                    if fmt in formats:
                        files[f"{stem}.{fmt}"] = figure_bytes(chart.figure, fmt)
            files[f"{name}/METHODS.md"] = methods_note(name, tables, charts).encode()
    _write(files, out)
    return sorted(files)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "chart"


def _write(files: dict[str, bytes], out: Path) -> None:
    """Into a zip (any case of .zip; written whole, then renamed) or a folder."""
    try:
        if out.suffix.lower() == ".zip":
            out.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, data in files.items():
                    member = zipfile.ZipInfo(name, date_time=time.gmtime()[:6])
                    member.external_attr = 0o644 << 16  # readable by all, like any file made
                    member.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(member, data)
            tmp = out.with_name(f".{out.name}.tmp")
            tmp.write_bytes(buffer.getvalue())
            tmp.replace(out)
            return
        for name, data in files.items():
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    except OSError as exc:
        raise ExportError(f"cannot write the export to {out}: {exc.strerror}") from None
