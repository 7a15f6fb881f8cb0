"""The dashboard as a person uses it: `streamlit run dashboard.py` on 127.0.0.1, driven by
Playwright in Debian's Chromium (no downloaded browser; shared/reference/toolchain.md §4).

Every page opens without an error and draws its charts; a chart download gives a valid
file; "Refresh now" against the fake GitHub changes a number on the page. A screenshot of
each page goes to test-artifacts/ (git-ignored); with OSSAI_README_SCREENSHOT set to a path,
the Overview screenshot is also written there (`./dev screenshot` regenerates the README's).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest

from registry import load_registry
from tests.browsing import (
    CHART,
    CHROMIUM_ARGS,
    ROOT,
    NotDrawnError,
    chromium_path,
    dashboard_on_fake_github,
    wait_for_script,
    wait_until_drawn,
)
from tests.fakes.github import TEST_TOKEN, FakeClock, FakeGitHub, default_world

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
expect = playwright_api.expect

ARTIFACTS = ROOT / "test-artifacts"
# url path, title, the least number of charts the page draws from the default data
PAGES = [
    ("", "Open-source AI: ecosystem health", 1),  # the default page lives at /
    ("compare", "Compare projects over time", 1),
    ("explore", "Explore any repository or package", 0),  # no chart until a name is added
    ("community", "Community: who contributes, and how concentrated", 2),  # one tab drawn
    ("claims", "Claims against evidence", 2),  # the verdict matrix, the open claim's evidence
    ("project", "One project in depth", 1),
    ("methods", "Methods", 0),
    ("data", "Data: sources, coverage and caveats", 0),
]
STARS_METRIC = "Stars, "  # "Stars, 7 of 8 projects (2026-08-22)": figures of one day


def _chromium() -> str:
    found = chromium_path()
    if found is None:
        pytest.fail(
            "Chromium is needed for the browser tests and chart export: "
            "apt-get install chromium (or set BROWSER_PATH)"
        )
    return found


@pytest.fixture(scope="module")
def fake_github() -> Iterator[FakeGitHub]:
    """The tracked repositories on a fake GitHub, on the real clock (the app uses it).

    Their weekly commits are ready at once: the app waits for real while GitHub answers
    202 (2 s a repository); that wait is tested on a fake clock (test_http_client and
    test_github_faults)."""
    repos = [name for project in load_registry() for name in project.repo_names]
    now = datetime.now(UTC)
    world = default_world(repos, now=now)
    for repo in world:
        repo.stats_pending = 0
    with FakeGitHub(world, clock=FakeClock(now)) as server:
        yield server


@pytest.fixture(scope="module")
def app_url(fake_github, tmp_path_factory) -> Iterator[str]:
    """`streamlit run dashboard.py` as a user starts it, with an empty user data folder."""
    home = tmp_path_factory.mktemp("browser-home")
    try:
        with dashboard_on_fake_github(fake_github.url, TEST_TOKEN, home) as url:
            yield url
    except NotDrawnError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh tab; fails the test if the page logs a JavaScript error or asks another host."""
    expect.set_options(timeout=30_000)
    context = browser.new_context(viewport={"width": 1440, "height": 2400}, accept_downloads=True)
    tab = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))

    def only_local(route):
        if route.request.url.startswith(app_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    tab.route("**/*", only_local)
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert outside == [], f"the page asked other hosts: {outside}"


def _open(page, app_url: str, path: str, title: str) -> None:
    page.goto(f"{app_url}/{path}")
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    _wait_for_script(page)
    _wait_for_tables(page)


def _wait_for_script(page) -> None:
    wait_for_script(page)


def _wait_for_tables(page) -> None:
    """Every chart and visible table drawn; then a moment for the canvases to paint."""
    wait_until_drawn(page)
    page.wait_for_timeout(300)


def _no_errors_shown(page) -> None:
    assert page.get_by_role("dialog").count() == 0, page.get_by_role("dialog").all_inner_texts()
    assert page.locator('[data-testid="stException"]').count() == 0
    alerts = page.locator('[data-testid="stAlertContentError"]')
    assert alerts.count() == 0, alerts.all_inner_texts()


@pytest.mark.parametrize(
    ("path", "title", "charts"), PAGES, ids=[p[0] or "overview" for p in PAGES]
)
def test_every_page_opens_without_an_error_and_draws_its_charts(page, app_url, path, title, charts):
    _open(page, app_url, path, title)
    if charts:
        expect(page.locator(CHART).nth(charts - 1)).to_be_visible()
        page.locator(CHART).first.scroll_into_view_if_needed()
        assert page.locator(CHART).count() >= charts
    _no_errors_shown(page)
    assert page.get_by_text("Data freshness").is_visible()  # the sidebar, on every page
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"page-{path or 'overview'}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    readme_copy = os.environ.get("OSSAI_README_SCREENSHOT")
    if readme_copy and not path:
        page.set_viewport_size({"width": 1440, "height": 1000})
        _wait_for_tables(page)
        page.screenshot(path=readme_copy)


def test_a_chart_downloads_as_csv_and_svg_with_the_data_it_shows(page, app_url, tmp_path):
    _open(page, app_url, "compare", "Compare projects over time")
    expect(page.locator(CHART).first).to_be_visible()
    files = {}
    for fmt in ("CSV", "SVG"):
        with page.expect_download(timeout=60_000) as started:
            page.get_by_role("button", name=fmt, exact=True).first.click()
        download = started.value
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        files[fmt] = target
    rows = list(csv.DictReader(io.StringIO(files["CSV"].read_text())))
    assert files["CSV"].suffix == ".csv" and len(rows) > 100
    assert {"series", "date", "value"} <= set(rows[0])
    svg = ElementTree.parse(files["SVG"]).getroot()
    assert svg.tag.endswith("svg") and files["SVG"].stat().st_size > 5_000
    plotted = json.loads(page.evaluate(_FIRST_TRACE_NAMES))
    shown = {row["series"] for row in rows}
    assert plotted and set(plotted) <= shown


_FIRST_TRACE_NAMES = """() => {
  const plot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  return JSON.stringify(plot.data.map(trace => trace.name).filter(Boolean));
}"""


def test_refresh_now_fetches_from_github_and_the_numbers_change(page, app_url, fake_github):
    _open(page, app_url, "", "Open-source AI: ecosystem health")
    metric = page.get_by_test_id("stMetric").filter(has_text=STARS_METRIC)
    before = _metric_value(metric)
    page.get_by_role("button", name="Refresh now").click()
    expect(page.get_by_text("Refreshed ", exact=False)).to_be_visible(timeout=180_000)
    _wait_for_script(page)
    assert fake_github.served("/repos/tensorflow/tensorflow")
    # the Overview adds up each project's main repositories (not its family of others)
    tracked = [name for project in load_registry() for name in project.main_repo_names]
    expected = sum(fake_github.repo(name).stars(fake_github.clock()) for name in tracked)
    # The page shows the new figures on the next run of its script, without a restart.
    page.reload()
    _wait_for_script(page)
    _wait_for_tables(page)
    after = _metric_value(page.get_by_test_id("stMetric").filter(has_text=STARS_METRIC))
    assert after != before
    assert after == expected
    expect(page.get_by_text("refresh: github", exact=False).first).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "after-refresh-overview.png"), full_page=True)


def _metric_value(metric) -> int:
    text = metric.get_by_test_id("stMetricValue").inner_text()
    return int(text.replace(",", ""))
