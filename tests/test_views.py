"""Each page's charts are defined once, in views/: the page with its default settings draws
exactly the views' figures (tests/test_export.py: and the export writes exactly the views)."""

from __future__ import annotations

import json

import pytest

from claims.model import load_claims
from exports import export_tables
from metrics.compare import METRICS
from registry import load_registry
from store import DEFAULT_DATA, Catalog
from tests.apptest import figure, open_page
from views import ChartView, page_views
from views.community import community_views
from views.compare import compare_view
from views.project import project_views


@pytest.fixture(scope="module")
def tables():
    return export_tables(Catalog(DEFAULT_DATA, "/nonexistent-user-dir"))


def _drawn(at) -> list[tuple[str, list[str]]]:
    """Each chart on the page: its title and its traces' names."""
    specs = [figure(at, i) for i in range(len(at.get("plotly_chart")))]
    return [(_title(s["layout"]), [t.get("name") for t in s["data"]]) for s in specs]


def _expected(views: list[ChartView]) -> list[tuple[str, list[str]]]:
    specs = [json.loads(v.figure.to_json()) for v in views if v.figure is not None]
    return [(_title(s["layout"]), [t.get("name") for t in s["data"]]) for s in specs]


def _title(layout: dict) -> str:
    title = layout.get("title", "")
    return title.get("text", "") if isinstance(title, dict) else str(title)


def test_overview_draws_its_views(tables):
    views = page_views("overview", load_registry(), tables, load_claims())
    assert _drawn(open_page("overview")) == _expected(views)


def test_compare_draws_the_view_of_its_default_metric(tables):
    registry = load_registry()
    shown = compare_view(
        registry, METRICS["stars"], tables["repo_snapshots"], tables["package_downloads"]
    )
    assert _drawn(open_page("compare")) == _expected([shown.chart])
    exported = {v.name: v for v in page_views("compare", registry, tables, [])}
    assert _expected([exported["stars"]]) == _expected([shown.chart])


def _drawn_tab_by_tab(at, key: str, above: int = 1) -> list[tuple[str, list[str]]]:
    """The `above` charts above the tabs, then each tab's charts, opened one by one as a
    click does (a page draws only its open tab; the first is open at first)."""
    above = _drawn(at)[:above]
    drawn = list(above)
    for tab in at.tabs:
        at.session_state[key] = tab.label
        at.run()
        assert not at.exception
        shown = _drawn(at)
        assert shown[: len(above)] == above  # the charts above the tabs stay as they were
        drawn += shown[len(above) :]
    return drawn


def test_community_draws_the_comparison_and_the_first_projects_views(tables):
    views = community_views(load_registry(), tables["commits"], tables["releases"])
    first = next(iter(views.projects.values()))
    drawn = _drawn_tab_by_tab(open_page("community"), "community_chart")
    assert drawn == _expected([views.active, *first.charts.values()])


def test_claims_draws_its_views(tables):
    views = page_views("claims", load_registry(), tables, load_claims())
    assert _drawn_tab_by_tab(open_page("claims"), "claims_tab") == _expected(views)


def test_project_draws_the_first_projects_views(tables):
    first = next(iter(load_registry()))
    drawn = _drawn_tab_by_tab(open_page("project"), "project_section", above=0)
    assert drawn == _expected(project_views(first, tables))
