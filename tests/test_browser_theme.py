"""Light and dark in a real browser: the dashboard follows the reader's theme (the system's
colour scheme, or the choice in Streamlit's settings menu), and its charts follow it too:
their background is the page's, their words and marks keep WCAG's contrast against it.

The colours are read as Chromium draws them (computed styles of plotly's SVG), on the
Overview (the claims' comparison) and Compare (time series) pages. Screenshots go to
test-artifacts/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browsing import (
    CHROMIUM_ARGS,
    ROOT,
    chromium_path,
    clean_environment,
    served_dashboard,
    wait_until_drawn,
)
from tests.colours import contrast, luminance, rgba

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

ARTIFACTS = ROOT / "test-artifacts"
PAGES = ["", "compare"]  # the Overview (claims' comparison) and Compare (time series)

# Each chart's colours as drawn: the page's background, the chart's plot area, its words
# (hover boxes and words on a verdict cell left out) and its marks (lines, points, bars;
# a trace drawn invisible left out).
_DRAWN_COLOURS = """() => {
  const fill = e => getComputedStyle(e).fill;
  const shown = e => {
    const trace = e.closest('.trace');
    return !trace || getComputedStyle(trace).opacity !== '0';
  };
  const app = getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor;
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .filter(c => c.checkVisibility()).map(c => {
      const words = [...c.querySelectorAll('svg.main-svg text')]
        .filter(t => !t.closest('.hoverlayer, .heatmap-label') && t.textContent.trim())
        .map(t => [t.textContent.trim().slice(0, 40), fill(t)]);
      const marks = [];
      for (const p of c.querySelectorAll('.scatterlayer path.js-line')) {
        if (shown(p)) marks.push(getComputedStyle(p).stroke);
      }
      for (const p of c.querySelectorAll('.scatterlayer path.point, .barlayer path.point')) {
        if (!shown(p)) continue;
        const style = getComputedStyle(p);
        marks.push(style.fill !== 'none' && style.fillOpacity !== '0' ? style.fill : style.stroke);
      }
      // the paper (the svg's background) and a plot area drawn over it, if any
      const paper = getComputedStyle(c.querySelector('svg.main-svg')).backgroundColor;
      const areas = [...c.querySelectorAll('rect.bg')]
        .filter(r => !r.closest('.legend') && getComputedStyle(r).fillOpacity !== '0').map(fill);
      const plot = [paper, ...areas];
      return {plot, words, marks: [...new Set(marks)].filter(m => m && m !== 'none')};
    });
  return {app, charts};
}"""


def _chromium() -> str:
    found = chromium_path()
    if found is None:
        pytest.fail("Chromium is needed for the browser tests: apt-get install chromium")
    return found


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    """The dashboard on the shipped data, as a reader starts it (no theme set anywhere)."""
    home = tmp_path_factory.mktemp("home")
    env = clean_environment(home, {"OSSAI_DATA_DIR": str(home / "ossai-data")})
    with served_dashboard(env, home / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _assert_readable(drawn: dict, scheme: str, where: str) -> None:
    """The page is in `scheme`, and every chart on it reads on its background."""
    background = drawn["app"]
    is_dark = luminance(background) < 0.1
    assert is_dark == (scheme == "dark"), f"{where}: the page is {background} in the {scheme} theme"
    assert drawn["charts"], f"{where}: no chart drawn"
    for index, chart in enumerate(drawn["charts"]):
        assert chart["plot"] and set(chart["plot"]) == {background}, (
            f"{where}, chart {index}: plot area {chart['plot']} on a {background} page"
        )
        assert chart["words"] and chart["marks"], f"{where}, chart {index}: nothing drawn"
        for text, colour in chart["words"]:
            assert rgba(colour)[3] == 1 and contrast(colour, background) >= 4.5, (
                f"{where}, chart {index}: {text!r} in {colour} on {background}: "
                f"{contrast(colour, background):.2f}:1"
            )
        for colour in chart["marks"]:
            assert contrast(colour, background) >= 3.0, (
                f"{where}, chart {index}: a mark in {colour} on {background}: "
                f"{contrast(colour, background):.2f}:1"
            )


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_charts_follow_the_systems_colour_scheme_and_stay_readable(app_url, browser, scheme):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1440, "height": 1400}, color_scheme=scheme)
    try:
        page = context.new_page()
        for path in PAGES:
            page.goto(f"{app_url}/{path}")
            wait_until_drawn(page, 120)
            page.screenshot(path=str(ARTIFACTS / f"theme-{scheme}-{path or 'overview'}.png"))
            _assert_readable(page.evaluate(_DRAWN_COLOURS), scheme, f"/{path} ({scheme})")
    finally:
        context.close()


def test_charts_follow_a_switch_in_the_settings_menu_at_once(app_url, browser):
    """Light (the system's), then Dark from Streamlit's menu: the open page's charts turn
    dark with it, with no reload and no rerun."""
    context = browser.new_context(viewport={"width": 1440, "height": 1400}, color_scheme="light")
    try:
        page = context.new_page()
        page.goto(f"{app_url}/compare")
        wait_until_drawn(page, 120)
        _assert_readable(page.evaluate(_DRAWN_COLOURS), "light", "/compare before the switch")
        page.get_by_test_id("stMainMenu").click()
        page.get_by_test_id("stMainMenuItem-theme-Dark").click()
        page.keyboard.press("Escape")
        page.wait_for_function(
            "() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]'))"
            ".backgroundColor === 'rgb(23, 22, 20)'",
            timeout=15_000,
        )
        page.wait_for_timeout(500)  # plotly redraws after the page's colours change
        _assert_readable(page.evaluate(_DRAWN_COLOURS), "dark", "/compare after the switch")
    finally:
        context.close()
