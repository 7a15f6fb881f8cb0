"""Export: every chart of a page as PNG, SVG and self-contained HTML, with the CSV of the data
behind it and a methods note, into a folder or a zip.

The charts are built by the same metric and chart functions the pages use, with the pages'
default settings. Static images need a Chromium on the machine (kaleido drives it); one browser
is kept warm for a whole export, so a page of charts takes seconds, not minutes.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from charts.claims import (
    comparison_chart,
    comparison_frame,
    evidence_chart,
    evidence_frame,
    matrix_chart,
    matrix_frame,
)
from charts.community import (
    contributor_flow_chart,
    heatmap_chart,
    organization_chart,
    release_chart,
)
from charts.packages import release_timeline_chart, scorecard_chart
from charts.timeseries import history_chart
from claims.evaluate import verdict_table
from claims.model import Claim, load_claims
from errors import DashboardError
from metrics import community, packages
from metrics.cohort import cohort_projects
from metrics.compare import METRICS, compare, method_changes
from metrics.indicators import Windows, compute
from metrics.overview import overview
from registry import Project, Registry, load_registry
from store import DEFAULT_DATA, Catalog, user_data_dir

FORMATS = ("png", "svg", "html", "csv")
PAGES = ("overview", "compare", "community", "claims", "project")


class ExportError(DashboardError):
    """An export could not be written (no Chromium for images, unwritable target, ...)."""


@dataclass
class ChartExport:
    """One chart: a file-name stem, its figure (None for a table-only item) and its data."""

    name: str
    figure: go.Figure | None
    data: pd.DataFrame


def page_charts(
    page: str, registry: Registry, tables: dict[str, pd.DataFrame]
) -> list[ChartExport]:
    """The charts a page shows, with its default settings. Raises ValueError for a bad page."""
    if page == "overview":
        cohort = cohort_projects(tables["cohort_members"], registry.cohort.label)
        snaps, downloads = tables["repo_snapshots"], tables["package_downloads"]
        claims = load_claims()
        indicators = compute([*registry, *cohort], tables, Windows())
        cohort_ids = [p.id for p in cohort]
        table = claims_verdicts(claims, indicators, registry, cohort_ids)
        return [
            ChartExport("claims-verdicts", None, table[table["kind"] != "project"]),
            claims_comparison(claims, indicators, registry, cohort_ids),
            ChartExport("tracked-projects", None, overview(registry, snaps, downloads)),
            ChartExport("cohort", None, overview(cohort, snaps, downloads)),
        ]
    if page == "claims":
        cohort = cohort_projects(tables["cohort_members"], registry.cohort.label)
        indicators = compute([*registry, *cohort], tables, Windows())
        return claim_charts(load_claims(), indicators, registry, [p.id for p in cohort])
    if page == "compare":
        out = []
        for key, metric in METRICS.items():
            result = compare(
                registry, metric, tables["repo_snapshots"], tables["package_downloads"]
            )
            figure = history_chart(
                result.frame,
                x="date",
                y="value",
                series="series",
                title=metric.label,
                y_title=metric.label,
                markers=metric.table == "package_downloads",
                events=result.events,
            )
            out.append(ChartExport(key, figure, result.frame.dropna(subset=["value"])))
        return out
    if page == "community":
        return _community_charts(registry, tables)
    if page == "project":
        return [chart for project in registry for chart in project_charts(project, tables)]
    raise ValueError(f"unknown page {page!r}; choose from {', '.join(PAGES)} or all")


def claims_verdicts(
    claims: Sequence[Claim],
    indicators: pd.DataFrame,
    registry: Registry,
    cohort_ids: Sequence[str],
    tuned: dict[tuple[str, str], float] | None = None,
) -> pd.DataFrame:
    """The verdict table for the tracked projects, their group and the cohort."""
    return verdict_table(
        claims,
        indicators,
        [(p.id, p.name) for p in registry],
        cohort_ids,
        tuned,
        group_label=_group_label(registry),
        cohort_label=registry.cohort.label,
    )


def claims_comparison(
    claims: Sequence[Claim], indicators: pd.DataFrame, registry: Registry, cohort_ids: Sequence[str]
) -> ChartExport:
    """The Overview's headline: the group's medians against the cohort's, per indicator."""
    frame = comparison_frame(claims, indicators, [p.id for p in registry], cohort_ids)
    group = _group_label(registry)
    figure = comparison_chart(
        frame,
        f"Is {group} ahead of {registry.cohort.label}? Median of the tracked projects ÷ "
        "median of the cohort, per indicator",
        group_label=group,
        cohort_label="cohort",
    )
    return ChartExport("claims-vs-cohort", figure, frame)


def claim_charts(
    claims: Sequence[Claim],
    indicators: pd.DataFrame,
    registry: Registry,
    cohort_ids: Sequence[str],
    tuned: dict[tuple[str, str], float] | None = None,
) -> list[ChartExport]:
    """The Claims page's charts: the verdict matrix ('verdicts'), then one evidence chart
    per claim ('claim-<id>'), with the given thresholds. The page draws exactly these."""
    table = claims_verdicts(claims, indicators, registry, cohort_ids, tuned)
    matrix = matrix_frame(table, claims)
    out = [
        ChartExport("verdicts", matrix_chart(matrix, "Verdicts: each claim, each project"), matrix)
    ]
    tracked = [(p.id, p.name) for p in registry]
    for claim in claims:
        data = evidence_frame(
            claim, indicators, tracked, cohort_ids, tuned, group_label=_group_label(registry)
        )
        figure = evidence_chart(
            data, f"{claim.title}: the evidence", registry.cohort.label, len(cohort_ids)
        )
        out.append(ChartExport(f"claim-{claim.id}", figure, data))
    return out


def _group_label(registry: Registry) -> str:
    return registry.groups[0] if registry.groups else "Tracked"


def project_charts(project: Project, tables: dict[str, pd.DataFrame]) -> list[ChartExport]:
    """The Project page's charts for one project, in page order; those without data are left
    out. The page draws exactly these."""
    out = []
    stars = compare([project], METRICS["stars"], tables["repo_snapshots"], pd.DataFrame())
    if not stars.frame.empty:
        figure = history_chart(
            stars.frame,
            x="date",
            y="value",
            series="series",
            title=f"{project.name}: stars",
            y_title="Stars",
            events=stars.events,
        )
        out.append(ChartExport(f"{project.id}-stars", figure, stars.frame.dropna(subset=["value"])))
    mine = tables["package_downloads"]
    mine = mine[mine["package"].isin(project.packages)]
    history = packages.download_history(mine, project.packages)
    if not history.empty:
        figure = history_chart(
            history,
            x="date",
            y="value",
            series="series",
            title=f"{project.name}: PyPI downloads per day",
            y_title="Downloads per day",
            events=method_changes(mine[mine["series"] == "monthly"]),
        )
        data = history.dropna(subset=["value"])
        out.append(ChartExport(f"{project.id}-downloads", figure, data))
    timeline = packages.release_timeline(tables["releases"], project.packages)
    if not timeline.empty:
        figure = release_timeline_chart(timeline, f"{project.name}: releases on PyPI")
        out.append(ChartExport(f"{project.id}-releases", figure, timeline))
    cards = packages.latest_scorecards(tables["scorecards"], project.repo_names)
    if cards["check"].ne("overall").any():
        figure = scorecard_chart(cards, f"{project.name}: OpenSSF Scorecard checks")
        out.append(ChartExport(f"{project.id}-scorecard", figure, cards))
    return out


def _community_charts(registry: Registry, tables: dict[str, pd.DataFrame]) -> list[ChartExport]:
    commits, releases = tables["commits"], tables["releases"]
    out, flows = [], []
    for project in registry:
        mine = commits[commits["repo"].isin(project.repo_names)]
        if mine.empty:
            continue
        contribs = community.contributions(mine)
        flow = community.contributor_flow(contribs)
        flows.append(flow.assign(series=project.name))
        factors = pd.concat(
            [
                community.factor_over_time(contribs, "person").assign(
                    series="contributor absence (bus) factor"
                ),
                community.factor_over_time(
                    contribs, "domain", exclude=community.NO_ORGANIZATION
                ).assign(series="elephant factor (organizations)"),
            ],
            ignore_index=True,
        ).rename(columns={"period": "date"})
        shares = community.organization_shares(contribs, "year")
        rel, _ = community.project_releases(project.main_repo_names, project.packages, releases)
        per_year, _ = community.release_frequency(rel, "year")
        heat = community.activity_heatmap(contribs)
        out += [
            ChartExport(
                f"{project.id}-contributors",
                contributor_flow_chart(flow, f"{project.name}: new and returning contributors"),
                flow,
            ),
            ChartExport(
                f"{project.id}-factors",
                history_chart(
                    factors,
                    x="date",
                    y="factor",
                    series="series",
                    title=f"{project.name}: bus and elephant factors",
                    y_title="count",
                    markers=True,
                ),
                factors,
            ),
            ChartExport(
                f"{project.id}-organizations",
                organization_chart(shares, f"{project.name}: organizations"),
                shares,
            ),
            ChartExport(
                f"{project.id}-heatmap",
                heatmap_chart(heat, f"{project.name}: when contributions are made"),
                heat.rename_axis("weekday").reset_index(),
            ),
        ]
        if len(per_year):
            out.append(
                ChartExport(
                    f"{project.id}-releases",
                    release_chart(per_year, f"{project.name}: releases per year"),
                    per_year,
                )
            )
    if flows:
        active = pd.concat(flows, ignore_index=True).rename(columns={"period": "date"})
        out.insert(
            0,
            ChartExport(
                "active-contributors",
                history_chart(
                    active,
                    x="date",
                    y="active",
                    series="series",
                    title="Active contributors per quarter",
                    y_title="people",
                ),
                active[["date", "series", "active", "new", "returning"]],
            ),
        )
    return out


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


def methods_note(page: str, tables: dict[str, pd.DataFrame], charts: Sequence[ChartExport]) -> str:
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


TABLES = (
    "repo_snapshots",
    "package_downloads",
    "cohort_members",
    "commits",
    "releases",
    "sources",
    "scorecards",
    "issue_activity",
    "package_dependents",
)


def export_tables(catalog: Catalog) -> dict[str, pd.DataFrame]:
    """The tables the exported pages are built from."""
    return {name: catalog.read(name).frame for name in TABLES}


def export_pages(
    page: str,
    out: Path,
    *,
    formats: Sequence[str] = FORMATS,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> list[str]:
    """Write the page's (or every page's) charts to a folder or a .zip; returns the names.

    Raises ValueError for an unknown page or format and ExportError when images cannot be made.
    """
    bad = set(formats) - set(FORMATS)
    if bad:
        raise ValueError(f"unknown formats {sorted(bad)}; choose from {', '.join(FORMATS)}")
    pages = PAGES if page == "all" else (page,)
    registry = registry or load_registry()
    catalog = catalog or Catalog(DEFAULT_DATA, user_data_dir())
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
    """Into a zip (written whole, then renamed) or a folder."""
    try:
        if out.suffix == ".zip":
            out.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, data in files.items():
                    archive.writestr(name, data)
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
