"""The whole dashboard as a static report: one HTML file per page with every chart interactive
(plotly, one shared copy of plotly.js in assets/), the tables as HTML, the Methods text, each
figure's sources and as-of date, and an index page. It opens from `file://` with no network and
can be published as it is on any static host: every link is relative, nothing is fetched.

What each page shows comes from `views` (the pages' default settings, as `exports` writes
them) and `views.methods`; this module only lays it out. Outside text (names, descriptions,
notes) is escaped wherever it goes; only the dashboard's own prose is read as markdown.
The same data gives the same bytes: chart ids come from the view's name, nothing records when
the report was made, and every listing is sorted. A folder is written to a staging folder
beside it and moved into place, so a failed export leaves nothing half-written; a folder that
holds files but is not an earlier report is never touched.
"""

from __future__ import annotations

import contextlib
import html
import inspect
import io
import json
import numbers
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from markdown_it import MarkdownIt

from charts.labels import percent
from claims.model import load_claims
from errors import ExportError
from exports import _plotly_js, csv_bytes, export_tables, page_charts
from metrics.coverage import KINDS
from metrics.coverage import coverage as coverage_table
from registry import Project, Registry, load_registry
from store import Catalog
from store.archive import Archive
from views import ChartView
from views.claims import group_name, member_count
from views.community import subjects as community_subjects
from views.data import LEAD as DATA_LEAD
from views.data import data_sections
from views.explore import explore_sections
from views.methods import INTRO, Section, methods_sections
from views.overview import HOW, claims_heading, introduction, story

MARK = ".ossai-report.json"  # names the files of a report; an export may replace only those
PLOTLY = "assets/plotly.min.js"
STYLE = "assets/style.css"
TITLE = "Open-source AI: ecosystem health"


@dataclass(frozen=True)
class Page:
    file: str
    title: str
    view: str  # the `views` page, or '' for a page of text
    lead: str


PAGES = (
    Page(
        "index.html",
        "Overview",
        "overview",
        "What the data says about the essays' claims: the verdicts for the open-source AI "
        "group and against the comparison cohort, the headline comparison, and the latest "
        "figures of every tracked project and of the cohort. Empty cells mean the data does "
        "not have the figure (never zero).",
    ),
    Page(
        "claims.html",
        "Claims",
        "claims",
        "Each claim, each project: the verdict matrix, then the evidence for every claim, "
        "with the default 12-month windows and the thresholds of data/claims.toml.",
    ),
    Page(
        "compare.html",
        "Compare",
        "compare",
        "Every metric over time for the tracked projects, over its whole range, linear scale.",
    ),
    Page(
        "explore.html",
        "Explore",
        "",
        "In the dashboard, Explore charts any repository or package of the embedded whole "
        "archives beside the tracked projects. This report cannot search; it says what the "
        "archives hold and where the tracked projects are in them.",
    ),
    Page(
        "community.html",
        "Community",
        "community",
        "Active contributors of every project, then per project its contributor flow, "
        "contributor absence (bus) and elephant factors, organizations, releases and weekly "
        "rhythm: quarters, a 12-month window, a 50 % share, no bots and no merge commits.",
    ),
    Page(
        "project.html",
        "Projects",
        "project",
        "Every tracked project's stars, PyPI downloads per day, releases and OpenSSF "
        "Scorecard checks.",
    ),
    Page("methods.html", "Methods", "", INTRO),
    Page("data.html", "Data", "", DATA_LEAD),
)
# the tables each view's figures are read from, for its sources (the rest: the indicators')
_READS = {
    "stars": ("repo_snapshots",),
    "forks": ("repo_snapshots",),
    "open_issues": ("repo_snapshots",),
    "downloads": ("package_downloads",),
    "tracked-projects": ("repo_snapshots", "package_downloads"),  # the Overview's tables
    "cohort": ("repo_snapshots", "package_downloads"),
    "releases": ("releases",),
    "scorecard": ("scorecards",),
}
_COMMUNITY = ("commits",)
_DATE_COLUMNS = ("date", "period_end", "as_of", "github_as_of", "pypi_as_of", "published_at")
# the columns a reader wants from the Overview's tables (the CSV beside each has them all)
_TABLE_COLUMNS = {
    "claims-verdicts": ["claim", "subject", "verdict", "k_of_n", "fragile", "partial"],
    "tracked-projects": [
        "project",
        "stars",
        "forks",
        "open_issues",
        "star_growth_12m",
        "github_as_of",
        "monthly_downloads",
        "downloads_period",
        "download_growth_12m",
        "pypi_as_of",
        "notes",
    ],
}
_TABLE_COLUMNS["cohort"] = _TABLE_COLUMNS["tracked-projects"]
_STYLE = Path(__file__).with_name("static_site.css")  # the report's one stylesheet
_MARKDOWN = MarkdownIt("commonmark", {"html": False})  # the dashboard's own prose only


def site_files(
    catalog: Catalog, registry: Registry | None = None, archive: Archive | None = None
) -> dict[str, bytes]:
    """Every file of the report by its relative path, sorted: the pages, their charts' CSV
    files, assets/plotly.min.js, assets/style.css and the report's list of files (MARK).
    `archive`: the embedded whole archives the Explore page describes (data/archive/)."""
    registry = registry or load_registry()
    tables = export_tables(catalog)
    sources = _sources(tables)
    files: dict[str, bytes] = {PLOTLY: _plotly_js(), STYLE: _STYLE.read_bytes()}
    for page in PAGES:
        if page.view:
            views = page_charts(page.view, registry, tables)
            for view in views:
                files[_csv(page, view)] = csv_bytes(view.data)
            body = _prose(page, views, registry, tables) + _views(
                page, views, registry, tables, sources
            )
        else:
            body = _methods(_sections(page, catalog, registry, tables, archive or Archive()))
        files[page.file] = _page(page, body, sources).encode()
    files[MARK] = (json.dumps({"report": TITLE, "files": sorted(files)}, indent=1) + "\n").encode()
    return dict(sorted(files.items()))


def _sections(page: Page, catalog: Catalog, registry: Registry, tables, archive: Archive):
    """A page of text and tables (Methods, Explore, Data), from `views`."""
    if page.file == "explore.html":
        return explore_sections(archive, registry)
    if page.file == "data.html":
        read = {name for name, *_ in KINDS.values()} - set(tables)
        found = {**tables, **{name: catalog.read(name).frame for name in sorted(read)}}
        source_days = catalog.read("source_days").frame
        covered = coverage_table(list(registry), found, source_days)
        return data_sections(tables["sources"], covered, tables["git_histories"])
    members = catalog.read("cohort_members").frame
    return methods_sections(load_claims(), registry, members)


def export_site(
    out: Path,
    *,
    catalog: Catalog,
    registry: Registry | None = None,
    archive: Archive | None = None,
) -> list[str]:
    """Write the report into the folder `out` (or, for a .zip, into the file); returns the
    files' names. Raises ExportError when `out` holds files but is not an earlier report
    (nothing is touched), or cannot be written (nothing is left of the attempt)."""
    if out.suffix.lower() == ".zip":
        _refuse_file(out)
        files = site_files(catalog, registry, archive)
        _write_zip(out, site_zip(files))
        return sorted(files)
    earlier = _earlier_report(out)
    files = site_files(catalog, registry, archive)
    _write_folder(out, files, earlier)
    return sorted(files)


def site_zip(files: Mapping[str, bytes]) -> bytes:
    """The report as a zip of one folder, 'ossai-report/': the same files give the same bytes
    (sorted, with a fixed date)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            member = zipfile.ZipInfo(f"ossai-report/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            member.external_attr = 0o644 << 16
            member.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(member, files[name])
    return buffer.getvalue()


def _refuse_file(out: Path) -> None:
    """An existing file is replaced only when it is an earlier report's zip."""
    if not out.exists():
        return
    try:
        with zipfile.ZipFile(out) as archive:
            archive.getinfo(f"ossai-report/{MARK}")
    except (OSError, zipfile.BadZipFile, KeyError):
        raise ExportError(
            f"{out} already exists and is not a static report made by this dashboard; "
            "nothing was changed. Choose another name"
        ) from None


def _earlier_report(out: Path) -> set[str] | None:
    """The files of the earlier report in `out`, an empty set for no folder or an empty one;
    raises ExportError for a file, or a folder with files that no report of ours made."""
    if not out.exists():
        return set()
    if not out.is_dir():
        raise ExportError(f"{out} is a file, not a folder; choose a folder for --site")
    if not any(out.iterdir()):
        return set()
    try:
        listed = json.loads((out / MARK).read_text(encoding="utf-8"))["files"]
        return {str(name) for name in listed}
    except (OSError, ValueError, KeyError, TypeError):
        raise ExportError(
            f"{out} is not empty and is not a static report made by this dashboard (it has no "
            f"valid {MARK}); nothing was changed. Choose a new or empty folder"
        ) from None


def _write_folder(out: Path, files: Mapping[str, bytes], earlier: set[str]) -> None:
    """Write into a staging folder beside `out`, then swap it in. Files in an earlier report
    that it did not make (a CNAME, a README someone added) are carried over, never deleted."""
    parent = out.absolute().parent
    made_parent = not parent.exists()
    staging = old = None
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=parent))
        staging.chmod(0o755)  # mkdtemp makes it private; a report is for publishing
        for name, data in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if out.exists():
            old = parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
            for path in sorted(old.rglob("*")):
                name = path.relative_to(old).as_posix()
                keep = path.is_file() and name not in earlier and name not in files
                if keep and not (staging / name).exists():
                    (staging / name).parent.mkdir(parents=True, exist_ok=True)
                    path.rename(staging / name)
        staging.rename(out)
        staging = None
    except OSError as exc:
        if old is not None and not out.exists():
            old.rename(out)
            old = None
        raise ExportError(
            f"cannot write the report to {out}: {exc.strerror or exc}; nothing of it was left"
        ) from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            if made_parent:
                with contextlib.suppress(OSError):
                    parent.rmdir()
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _write_zip(out: Path, data: bytes) -> None:
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ExportError(f"cannot write the report to {out}: {exc.strerror or exc}") from None


def _sources(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    return tables["sources"].sort_values("title").reset_index(drop=True)


def _page(page: Page, body: str, sources: pd.DataFrame) -> str:
    nav = "".join(
        f'<a href="{p.file}"{" aria-current=page" if p is page else ""}>{p.title}</a>'
        for p in PAGES
    )
    as_of = sources["as_of"].dropna()
    latest = f"{as_of.max():%Y-%m-%d}" if len(as_of) else "unknown"
    return (
        "<!doctype html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
        '<meta name=viewport content="width=device-width, initial-scale=1">\n'
        f"<title>{page.title} · {TITLE}</title>\n"
        f'<link rel=stylesheet href="{STYLE}">\n<script src="{PLOTLY}"></script>\n</head>\n'
        f"<body>\n<nav><strong>{TITLE}</strong>{nav}</nav>\n<main>\n"
        f"<h1>{page.title}</h1>\n{_markdown(page.lead)}\n{body}</main>\n"
        f"<footer><h2>Sources</h2>\n{_source_list(sources)}"
        f"<p>Data as of {latest} (the newest source). A static report of the open-source AI "
        "dashboard, with each page's default settings; the dashboard itself lets you change "
        "them.</p></footer>\n</body>\n</html>\n"
    )


def _source_list(sources: pd.DataFrame) -> str:
    items = []
    for row in sources.itertuples():
        as_of = f"{row.as_of:%Y-%m-%d}" if pd.notna(row.as_of) else "unknown"
        licence = row.licence if isinstance(row.licence, str) and row.licence else "not stated"
        items.append(f"<li>{_text(row.title)}: data as of {as_of}; licence: {_text(licence)}</li>")
    return f"<ul>{''.join(items)}</ul>\n"


def _views(
    page: Page,
    views: Sequence[ChartView],
    registry: Registry,
    tables: Mapping[str, pd.DataFrame],
    sources: pd.DataFrame,
) -> str:
    """The page's views in order; on the pages with one block per project (Community,
    Projects), each block under the project's heading, with a list of them at the top."""
    subjects = _subjects(page, registry)
    out, contents, current = [], [], None
    for view in views:
        subject = max(
            (s for s in subjects if view.name.startswith(f"{s.id}-")),
            key=lambda s: len(s.id),
            default=None,
        )
        if subject is not None and subject is not current:
            current = subject
            anchor = f"{page.view}-{_slug(subject.id)}"
            out.append(f'<h2 id="{anchor}" class=subject>{_text(subject.name)}</h2>\n')
            contents.append(f'<li><a href="#{anchor}">{_text(subject.name)}</a></li>')
        if page.view == "claims":
            matrix = next((v.data for v in views if v.name == "verdicts"), None)
            out.append(_claim_prose(view, matrix))
        out.append(_view(page, view, tables, sources, subject))
    if contents:
        out.insert(0, f"<nav class=toc><ul>{''.join(contents)}</ul></nav>\n")
    return "".join(out)


def _prose(page: Page, views: Sequence[ChartView], registry: Registry, tables) -> str:
    """The Overview's opening and its verdicts in words (views.overview), as the app says them;
    outside text in them (claims' titles, the group's and the cohort's names) escaped."""
    if page.view != "overview":
        return ""
    claims, group = load_claims(), group_name(registry)
    members = member_count(registry, tables)
    verdicts = next(v.data for v in views if v.name == "claims-verdicts")
    said = " ".join(story(verdicts, group, registry.cohort.label, members))
    return (
        f"<p>{_text(introduction(claims, group, members, registry.cohort.label))}</p>\n"
        f"<h2>{_text(claims_heading(claims))}</h2>\n<p class=story>{_text(said)}</p>\n"
        f"{_markdown(HOW)}"
    )


def _claim_prose(view: ChartView, verdicts: pd.DataFrame | None) -> str:
    """Over a claim's evidence chart: its title, its hypothesis and its two verdicts in words
    (the group's medians, and the group against the cohort), as the Claims page says them."""
    claim = next((c for c in load_claims() if view.name == f"claim-{c.id}"), None)
    if claim is None or verdicts is None:
        return ""
    rows = verdicts[verdicts["claim_id"] == claim.id]
    said = " · ".join(
        f"<strong>{_text(row.subject)}:</strong> {_text(row.label)}"
        for kind in ("group", "cohort")
        for row in rows[rows["kind"] == kind].head(1).itertuples()
    )
    return (
        f'<h2 id="claim-{_slug(claim.id)}">{_text(claim.title)}</h2>\n'
        f"<p>{_text(claim.hypothesis)}</p>\n<p class=verdicts>{said}</p>\n"
    )


def _subjects(page: Page, registry: Registry) -> list[Project]:
    if page.view == "project":
        return list(registry)
    if page.view == "community":
        return community_subjects(registry)
    return []


def _view(
    page: Page,
    view: ChartView,
    tables: Mapping[str, pd.DataFrame],
    sources: pd.DataFrame,
    subject: Project | None = None,
) -> str:
    anchor = _anchor(page, view)
    if view.figure is None:
        heading = f"<h2>{_text(view.name.replace('-', ' ').capitalize())}</h2>\n"
        shown = _table(view.data[[c for c in _TABLE_COLUMNS.get(view.name, view.data.columns)]])
    else:
        heading = ""
        height = int(view.figure.layout.height or 480)
        shown = view.figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=anchor,
            default_height=f"{height}px",
            config={"displaylogo": False, "responsive": True},
        )
    said = _provenance(page, view, tables, sources, subject)
    return (
        f'<section id="{anchor}-view" class=view>\n{heading}{shown}\n'
        f'<p class=provenance>{said} · <a href="{_csv(page, view)}">data (CSV)</a></p>\n'
        "</section>\n"
    )


def _provenance(
    page: Page, view: ChartView, tables, sources: pd.DataFrame, subject: Project | None
) -> str:
    """Where the figure's data comes from (each source with its as-of day; for one project's
    figure, the sources of that project's rows) and the latest day its data reaches."""
    kind = view.name if page.view == "overview" else view.name.rsplit("-", 1)[-1]
    kind = "" if page.view == "claims" else kind
    if page.view == "community":
        reads = _READS["releases"] if kind == "releases" else _COMMUNITY
    else:
        reads = _READS.get(kind, tuple(t for t in tables if t != "sources"))
    used = set()
    for name in reads:
        frame = tables.get(name)
        if frame is not None and subject is not None:
            frame = _rows_of(frame, subject)
        if frame is not None and "source" in frame:
            used |= set(frame["source"].dropna().astype(str).unique())
    used = {part.strip() for u in used for part in u.split(";") if part.strip()}
    matched = {u: s for u in used for s in sources["source"].dropna() if _same_source(u, s)}
    known = sources[sources["source"].isin(set(matched.values()))]
    said = [
        f"{_text(row.title)} (as of {row.as_of:%Y-%m-%d})"
        if pd.notna(row.as_of)
        else _text(row.title)
        for row in known.itertuples()
    ]
    said += [_text(u) for u in sorted(used - set(matched))]
    days = [
        pd.to_datetime(view.data[c], errors="coerce", utc=True).max()
        for c in _DATE_COLUMNS
        if c in view.data
    ]
    days = [d for d in days if pd.notna(d)]
    reach = f" · latest day in the data: {max(days):%Y-%m-%d}" if days else ""
    return f"Sources: {'; '.join(said) or 'those listed at the foot of the page'}{reach}"


def _rows_of(frame: pd.DataFrame, subject: Project) -> pd.DataFrame:
    """The rows about one project: its repositories' and its packages'."""
    if "repo" in frame:
        return frame[frame["repo"].isin(subject.repo_names)]
    if "package" in frame:
        return frame[frame["package"].isin(subject.packages)]
    return frame


def _same_source(used: str, listed: str) -> bool:
    """A table's provenance ('git:key-…', 'git (file authorship)') is the sources table's
    row ('git') it names, or equals."""
    return used == listed or used.startswith((f"{listed}:", f"{listed} "))


def _table(frame: pd.DataFrame) -> str:
    """The frame as an HTML table, every cell escaped (outside text shows as written)."""
    head = "".join(f"<th>{_text(str(c).replace('_', ' '))}</th>" for c in frame.columns)
    rows = [
        "<tr>"
        + "".join(
            f"<td{' class=day' if _is_day(v) else ''}>{_text(_cell(v, str(c)))}</td>"
            for c, v in zip(frame.columns, row, strict=True)
        )
        + "</tr>"
        for row in frame.itertuples(index=False)
    ]
    body = "".join(rows)
    return (
        f"<div class=table><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _is_day(value: object) -> bool:
    return isinstance(value, pd.Timestamp) and not pd.isna(value)


def _cell(value: object, column: str) -> str:
    """A cell as a reader reads it: missing is blank (never 0 or 'nan'), counts grouped,
    growth as signed per cent (as the app shows it)."""
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else ""
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        value = float(value)
        if "growth" in column:
            return percent(value, signed=True)
        return f"{value:,.0f}" if value.is_integer() or abs(value) >= 100 else f"{value:,.3g}"
    return str(value)


def _methods(sections: Sequence[Section]) -> str:
    out = ["<nav class=toc><strong>On this page</strong><ul>"]
    out += [f'<li><a href="#{s.anchor}">{_text(s.title)}</a></li>' for s in sections]
    out.append("</ul></nav>\n")
    for section in sections:
        out.append(f'<section id="{section.anchor}" class=methods><h2>{_text(section.title)}</h2>')
        for block in section.blocks:
            lead = f"<strong>{_text(block.label)}</strong> " if block.label else ""
            if block.kind == "markdown":
                out.append(
                    _markdown(f"**{block.label}** {block.text}" if block.label else block.text)
                )
            elif block.kind == "table" and block.table is not None:
                out.append(_table(block.table))
            else:
                out.append(f"<p>{lead}{_text(block.text)}</p>")
        out.append("</section>\n")
    return "\n".join(out)


def _markdown(text: str) -> str:
    """The dashboard's own prose (docstrings and leads) as HTML; raw HTML in it is escaped."""
    return _MARKDOWN.render(inspect.cleandoc(text))


def _text(value: object) -> str:
    """Outside text shown as written."""
    return html.escape(str(value), quote=True)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "view"


def _anchor(page: Page, view: ChartView) -> str:
    return f"{page.view}-{_slug(view.name)}"


def _csv(page: Page, view: ChartView) -> str:
    return f"data/{page.view}/{_anchor(page, view).removeprefix(page.view + '-')}.csv"
