"""Light and dark: every colour a chart sets reads on both themes' backgrounds, and stays
apart from its neighbours for colour-blind readers; exports keep the light theme.

Pure computation on the figures the pages draw (views/, from the shipped data): nothing is
rendered except the one exported SVG. The browser side is tests/test_browser_theme.py.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator

import plotly.graph_objects as go
import pytest

from charts import theme
from charts.claims.style import (
    AHEAD_COLOUR,
    BEHIND_COLOUR,
    COHORT_COLOUR,
    GROUP_COLOUR,
    PARITY_COLOUR,
    TRACKED_COLOUR,
    VERDICT_COLOURS,
    verdict_css,
)
from claims.model import load_claims
from exports import ExportError, export_tables, figure_bytes
from registry import load_registry
from store import DEFAULT_DATA, Catalog
from tests.colours import VISIONS, contrast, difference, rgba
from views import PAGES, page_views

TEXT, GRAPHICS = 4.5, 3.0  # WCAG 2 AA: text, and the marks a reader needs (1.4.11)
# Where a figure's colour sits: the background of the page's light or dark theme
BACKGROUNDS = tuple(theme.BACKGROUNDS.values())


def test_contrast_gives_wcags_known_answers():
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # a known fail
    assert contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)  # a known pass
    assert rgba("rgba(119, 119, 119, 0.25)") == pytest.approx((119 / 255,) * 3 + (0.25,))
    assert difference("#CC6677", "#CC6677", "deutan") == 0
    # red and green, far apart for most readers, close for a deutan one
    assert difference("#FF0000", "#00AA00") > 3 * difference("#FF0000", "#00AA00", "deutan")


@pytest.fixture(scope="module")
def charts() -> list[tuple[str, go.Figure]]:
    """Every chart of every page, as the page draws it from the shipped data."""
    tables = export_tables(Catalog(DEFAULT_DATA, "/nonexistent-user-dir"))
    found = []
    for page in PAGES:
        for view in page_views(page, load_registry(), tables, load_claims()):
            if view.figure is not None:
                found.append((f"{page}: {view.name}", view.figure))
    assert len(found) > 50  # every page's charts, not a few
    return found


@pytest.fixture(scope="module")
def figures(charts) -> list[tuple[str, dict]]:
    return [(name, json.loads(figure.to_json())) for name, figure in charts]


def _colours(node: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """(where, colour) for every colour a figure sets: keys that name a colour, holding a
    colour or a list of them, and the colours of a colour scale."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "template":  # the exports' light template: the app's theme replaces it
                continue
            yield from _colours(value, (*path, key))
    elif isinstance(node, list):
        for item in node:
            yield from _colours(item, path)
    elif isinstance(node, str) and path and ("color" in path[-1] or path[-1] == "colorscale"):
        if re.fullmatch(r"#[0-9A-Fa-f]{3,6}|rgba?\(.*\)", node):
            yield path, node
        elif path[-1] != "colorscale":  # a named scale ('Blues') is one of plotly's own
            raise AssertionError(f"a colour by name reads differently per theme: {path}={node}")


def test_a_figure_sets_no_background_grid_or_text_colour_on_the_background(figures):
    """The page's theme paints them, light or dark (app/theme.py, app/widgets.py)."""
    for name, spec in figures:
        for path, colour in _colours(spec):
            where = path[-1]
            if where in ("paper_bgcolor", "plot_bgcolor", "gridcolor", "zerolinecolor"):
                raise AssertionError(f"{name}: {'.'.join(path)}={colour} is the theme's to set")
            if "font" in where or "font" in path[-2:-1]:
                # words on the background: only heatmaps (words on their cells) set them
                assert "heatmap" in json.dumps([t.get("type") for t in spec["data"]]), (
                    f"{name}: {'.'.join(path)}={colour}"
                )


def test_every_mark_keeps_3_to_1_on_the_light_and_the_dark_background(figures):
    checked = set()
    for name, spec in figures:
        for path, colour in _colours(spec):
            if "font" in path[-1] or (len(path) > 1 and "font" in path[-2]):
                continue  # words, the test above
            if path[-1] == "colorscale" or "fillpattern" in path:
                continue  # cells and hatching: they carry words or a legend, tested below
            if rgba(colour)[3] < 1:
                assert rgba(colour)[3] <= 0.3, (name, path, colour)  # a faint fill behind marks
                continue
            for background in BACKGROUNDS:
                assert contrast(colour, background) >= GRAPHICS, (
                    f"{name}: {'.'.join(path)}={colour} on {background}: "
                    f"{contrast(colour, background):.2f}:1"
                )
            checked.add(colour.upper())
    # the palettes are the ones in use: every series colour and the claims' marks are drawn
    assert set(theme.SERIES) <= checked
    assert {TRACKED_COLOUR, GROUP_COLOUR, COHORT_COLOUR, AHEAD_COLOUR, BEHIND_COLOUR} <= checked


def test_the_words_on_a_verdict_cell_keep_4_5_to_1_in_either_theme(figures):
    # the matrix's cells and the tables' verdict cells: black words on the verdict's colour
    matrices = [
        trace
        for _, spec in figures
        for trace in spec["data"]
        if trace.get("type") == "heatmap" and "textfont" in trace
    ]
    assert matrices  # the Claims page's verdict matrix is among the figures
    for trace in matrices:
        words = trace["textfont"]["color"]
        for _, fill in trace["colorscale"]:
            assert contrast(words, fill) >= TEXT, (words, fill)
    for verdict, fill in VERDICT_COLOURS.items():
        style = dict(part.split(": ") for part in verdict_css(verdict).split("; "))
        assert style["background-color"] == fill
        assert contrast(style["color"], fill) >= TEXT, (verdict, fill)


def test_the_series_colours_stay_apart_for_colour_blind_readers():
    """Tol's schemes, checked: under simulated protan, deutan and tritan vision no two series
    colours come closer than ΔE 15 (the light theme's old palette: 17; 2.3 is just visible)."""
    for vision in (None, *VISIONS):
        for first, second in itertools.combinations(theme.SERIES, 2):
            assert difference(first, second, vision) >= 15, (vision, first, second)


@pytest.mark.parametrize(
    "marks",
    [
        # the evidence chart: tracked projects, the group's median, the cohort
        (TRACKED_COLOUR, GROUP_COLOUR, COHORT_COLOUR),
        # the comparison: ahead, behind, level (parity), and the raw ratios
        (AHEAD_COLOUR, BEHIND_COLOUR, PARITY_COLOUR, theme.NEUTRAL),
        # the release timeline: major releases, releases, pre-releases, yanked ones
        (theme.RED, theme.BLUE, theme.NEUTRAL, theme.SERIES[3]),
    ],
)
def test_the_marks_of_one_chart_stay_apart_for_colour_blind_readers(marks):
    # they differ in symbol too; colour alone keeps ΔE 10 or more
    for vision in (None, *VISIONS):
        for first, second in itertools.combinations(marks, 2):
            assert difference(first, second, vision) >= 10, (vision, first, second)


def test_exports_keep_the_light_theme(figures):
    """A downloaded or exported chart has no Streamlit theme: its template is white with
    dark words, whatever theme the reader had."""
    for name, spec in figures:
        template = spec["layout"]["template"]["layout"]
        assert template["paper_bgcolor"] == "white" and template["plot_bgcolor"] == "white", name
        assert contrast(template["font"]["color"], "#FFFFFF") >= TEXT, name
        assert template["colorway"] == list(theme.SERIES), name


def test_an_exported_image_is_drawn_light(charts):
    """The SVG a reader downloads, drawn by Chromium: white behind dark words and the marks."""
    name, figure = next((n, f) for n, f in charts if n.startswith("overview"))
    try:
        svg = figure_bytes(figure, "svg").decode()
    except ExportError as exc:
        pytest.fail(f"Chromium is needed for the image export: {exc}")
    paper = re.search(r"<rect[^>]*style=\"fill: (rgb\([^)]*\))", svg)  # the first: the paper
    assert paper and paper.group(1) == "rgb(255, 255, 255)", name
    words = set(re.findall(r'<text[^>]*style="[^"]*fill: (rgb\([^)]*\))', svg))
    assert words, name
    for colour in words:
        assert contrast(colour, "#FFFFFF") >= TEXT, (name, colour)
