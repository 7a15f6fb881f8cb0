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
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.request import urlopen
from xml.etree import ElementTree

import pytest

from registry import load_registry
from tests.fakes.github import TEST_TOKEN, FakeClock, FakeGitHub, default_world

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
expect = playwright_api.expect

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # No DNS at all: anything but the local server fails at once instead of calling out.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# url path, title, the least number of charts the page draws from the default data
PAGES = [
    ("", "Open-source AI: ecosystem health", 1),  # the default page lives at /
    ("compare", "Compare projects over time", 1),
    ("community", "Community: who contributes, and how concentrated", 4),
    ("claims", "Claims against evidence", 8),  # the verdict matrix, one chart per claim
    ("project", "One project in depth", 1),
    ("methods", "Methods", 0),
    ("data", "Data: sources, coverage and caveats", 0),
]
CHART = '[data-testid="stPlotlyChart"] .main-svg'
STARS_METRIC = "Stars, all tracked projects"


def _chromium() -> str:
    found = os.environ.get("BROWSER_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        pytest.fail(
            "Chromium is needed for the browser tests and chart export: "
            "apt-get install chromium (or set BROWSER_PATH)"
        )
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def fake_github() -> Iterator[FakeGitHub]:
    """The tracked repositories on a fake GitHub, on the real clock (the app uses it)."""
    repos = [name for project in load_registry() for name in project.repo_names]
    now = datetime.now(UTC)
    with FakeGitHub(default_world(repos, now=now), clock=FakeClock(now)) as server:
        yield server


@pytest.fixture(scope="module")
def app_url(fake_github, tmp_path_factory) -> Iterator[str]:
    """`streamlit run dashboard.py` as a user starts it, with an empty user data folder."""
    port = _free_port()
    home = tmp_path_factory.mktemp("browser-home")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OSSAI_", "GITHUB_", "STREAMLIT_")) and "proxy" not in key.lower()
    }
    env.update(
        HOME=str(home),
        OSSAI_DATA_DIR=str(home / "ossai-data"),
        OSSAI_API_URLS=f"github={fake_github.url}",
        OSSAI_REFRESH_SOURCES="github",
        GITHUB_TOKEN=TEST_TOKEN,
    )
    log = (home / "streamlit.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server, home / "streamlit.log")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def _wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer within 60 s:\n{log.read_text()}")


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
    """Until Streamlit has finished running the page's script."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=60_000,
    )


def _wait_for_tables(page) -> None:
    """Tables draw on a canvas a moment after the script ends (a grey skeleton stands in
    while their code loads); wait for each visible one."""
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0)
    tables = page.locator('[data-testid="stDataFrame"]')
    for index in range(tables.count()):
        if tables.nth(index).is_visible():
            expect(tables.nth(index).locator("canvas").first).to_be_attached()
            _wait_until_drawn(tables.nth(index))


def _wait_until_drawn(table) -> None:
    """Until the table has taken its width and height (it lays out again after a resize)."""
    deadline = time.monotonic() + 30
    box = table.bounding_box()
    while not (box and box["height"] > 60 and box["width"] > 300):
        if time.monotonic() > deadline:
            pytest.fail(f"a table was never drawn: {box}")
        time.sleep(0.2)
        box = table.bounding_box()
    table.page.wait_for_timeout(300)  # the canvas paints on the next frames


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
