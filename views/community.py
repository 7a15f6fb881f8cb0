"""The Community page's views: the summary table, active contributors of every project, and
per project its contributor flow, bus and elephant factors, organizations, releases and
weekly rhythm (the page shows one project, chosen in a select box; the export writes all)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from charts.community import (
    contributor_flow_chart,
    heatmap_chart,
    organization_chart,
    release_chart,
)
from charts.labels import percent
from charts.timeseries import history_chart
from metrics import community
from registry import Project, Registry
from views.base import ChartView


@dataclass(frozen=True)
class CommunitySettings:
    """The page's settings; the defaults are the page's defaults."""

    freq: str = "quarter"
    window_months: int = 12
    share: float = 0.5
    include_bots: bool = False
    include_merges: bool = False


@dataclass(frozen=True)
class ProjectCommunity:
    """One project's charts in page order, and what the page says beside them."""

    charts: dict[str, ChartView]  # by kind: contributors, factors, organizations, releases, heatmap
    median_gap: float | None  # median days between releases


@dataclass(frozen=True)
class CommunityViews:
    """The page's summary table and every chart, with one set of settings."""

    summary: pd.DataFrame  # one row per tracked project (community.summary)
    active: ChartView | None  # active contributors of every project; None without git history
    projects: dict[str, ProjectCommunity] = field(default_factory=dict)  # by name, with history

    def charts(self) -> list[ChartView]:
        """Every chart: the comparison, then each project's, in page order."""
        first = [self.active] if self.active is not None else []
        return first + [c for p in self.projects.values() for c in p.charts.values()]


def subjects(projects) -> list[Project]:
    """Who the Community page shows: each project on its main repositories only, then each
    family repository as a row of its own under its own name ('tensorflow/addons —
    TensorFlow family'), so no project is ever judged on another repository than its own."""
    out = []
    for project in projects:
        main = tuple(r for r in project.repos if r.role == "main")
        out.append(dataclasses.replace(project, repos=main))
    for project in projects:
        for ref in project.repos:
            if ref.role != "family":
                continue
            out.append(
                Project(
                    id=f"{project.id}--{ref.full_name.replace('/', '--').lower()}",
                    name=f"{ref.full_name} — {project.name} family",
                    group=project.group,
                    repos=(dataclasses.replace(ref, role="main"),),
                    packages=(),
                    description=ref.note,
                    by_user=project.by_user,
                )
            )
    return out


def community_views(
    registry: Registry,
    commits: pd.DataFrame,
    releases: pd.DataFrame,
    settings: CommunitySettings = CommunitySettings(),
    *,
    end: pd.Timestamp | None = None,
) -> CommunityViews:
    """The page's table and charts with the given settings: each project on its own
    repositories, each family repository on its own row (`subjects`). `end` is the data's
    as-of day (`community.data_end` of every commit in the data) when `commits` holds only
    the shown projects' commits; by default it is taken from `commits`."""
    shown = subjects(registry)
    end = end if end is not None else community.data_end(commits)
    split = community.ByRepo(commits)
    summary = community.summary(
        shown,
        split,
        releases,
        window_months=settings.window_months,
        share=settings.share,
        include_bots=settings.include_bots,
        include_merges=settings.include_merges,
        end=end,
    )
    projects, flows = {}, []
    for project in shown:
        mine = split.rows(project.repo_names)
        if end is not None:
            mine = mine[mine["authored_at"] < end]
        if mine.empty:
            continue
        contribs = community.contributions(
            mine, include_bots=settings.include_bots, include_merges=settings.include_merges
        )
        flow = community.contributor_flow(contribs, settings.freq)
        flows.append(flow.assign(series=project.name))
        projects[project.name] = _project(project, contribs, flow, releases, settings)
    if not flows:
        return CommunityViews(summary, None, projects)
    active = pd.concat(flows, ignore_index=True).rename(columns={"period": "date"})
    figure = history_chart(
        active,
        x="date",
        y="active",
        series="series",
        title=f"Active contributors per {settings.freq}",
        y_title="people",
    )
    data = active[["date", "series", "active", "new", "returning"]]
    return CommunityViews(summary, ChartView("active-contributors", figure, data), projects)


def _project(
    project: Project,
    contribs: pd.DataFrame,
    flow: pd.DataFrame,
    releases: pd.DataFrame,
    settings: CommunitySettings,
) -> ProjectCommunity:
    name, freq, share = project.name, settings.freq, settings.share
    factor = {"freq": freq, "window_months": settings.window_months, "share": share}
    factors = pd.concat(
        [
            community.factor_over_time(contribs, "person", **factor).assign(
                series="contributor absence (bus) factor"
            ),
            community.factor_over_time(
                contribs, "domain", exclude=community.NO_ORGANIZATION, **factor
            ).assign(series="elephant factor (organizations)"),
        ],
        ignore_index=True,
    ).rename(columns={"period": "date"})
    shares = community.organization_shares(contribs, "year")
    rel, source = community.project_releases(project.main_repo_names, project.packages, releases)
    per_year, median_gap = community.release_frequency(rel, "year")
    heat = community.activity_heatmap(contribs)
    window = f"{settings.window_months}-month window"
    charts = {
        "contributors": ChartView(
            f"{project.id}-contributors",
            contributor_flow_chart(flow, f"{name}: new and returning contributors per {freq}"),
            flow,
        ),
        "factors": ChartView(
            f"{project.id}-factors",
            history_chart(
                factors,
                x="date",
                y="factor",
                series="series",
                title=f"{name}: how many make {percent(share)} of contributions ({window})",
                y_title="count",
                markers=True,
            ),
            factors,
        ),
        "organizations": ChartView(
            f"{project.id}-organizations",
            organization_chart(
                shares, f"{name}: share of authored commits by organization (e-mail domain)"
            ),
            shares,
        ),
    }
    if len(per_year):
        charts["releases"] = ChartView(
            f"{project.id}-releases",
            release_chart(per_year, f"{name}: releases per year ({source}, no pre-releases)"),
            per_year,
        )
    charts["heatmap"] = ChartView(
        f"{project.id}-heatmap",
        heatmap_chart(heat, f"{name}: when contributions are made"),
        heat.rename_axis("weekday").reset_index(),
    )
    return ProjectCommunity(charts, median_gap)


def default_views(registry: Registry, tables: Mapping[str, pd.DataFrame]) -> list[ChartView]:
    """Every chart of the page with its default settings, for every project with history."""
    return community_views(registry, tables["commits"], tables["releases"]).charts()
