"""The static report (`export --site`) in a real browser, opened from `file://` with every
request that leaves the report's folder blocked and recorded: every page renders, every chart
draws, the navigation links work, outside text shows as written, and nothing is asked of any
other place. Playwright in Debian's Chromium, like tests/test_browser.py.

Set OSSAI_SITE_SHOTS to a folder to keep a 1440 px screenshot of each page there."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from static_site import PAGES, export_site
from tests.browsing import CHROMIUM_ARGS, chromium_path
from tests.hostile_text import plain
from tests.test_site import HOSTILE, hostile_data

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    user = tmp_path_factory.mktemp("user-data")
    catalog, registry = hostile_data(user)
    out = tmp_path_factory.mktemp("site") / "report"
    export_site(out, catalog=catalog, registry=registry)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    found = chromium_path()
    if found is None:
        pytest.fail("Chromium is needed for the browser tests: apt-get install chromium")
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=found, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Sealed:
    """A browser page that may read files under `folder` only: any other request (another
    host, another folder, a data: or blob: fetch aside) is aborted and recorded."""

    def __init__(self, browser, folder: Path) -> None:
        self.inside = folder.resolve().as_uri() + "/"
        self.left: list[str] = []
        self.context = browser.new_context(viewport={"width": 1440, "height": 900})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(self.inside) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.left.append(url)
            route.abort()


def _charts_drawn(page) -> tuple[int, int]:
    """(charts on the page, charts with plotly's SVG), once every chart has drawn."""
    charts = page.locator(".plotly-graph-div")
    total = charts.count()
    if total:
        page.wait_for_function(
            "n => document.querySelectorAll('.plotly-graph-div .main-svg').length >= 2 * n",
            arg=total,
            timeout=60_000,
        )
    drawn = page.locator(".plotly-graph-div:has(svg.main-svg)").count()
    return total, drawn


def test_every_page_renders_and_draws_from_file_with_nothing_leaving(browser, report):
    sealed = Sealed(browser, report)
    page = sealed.page
    shots = os.environ.get("OSSAI_SITE_SHOTS")
    expected = {p.file: 0 for p in PAGES}
    for name in expected:
        expected[name] = (report / name).read_text().count('class="plotly-graph-div"')
    assert expected["compare.html"] == 4 and expected["community.html"] > 20
    for shown in PAGES:
        page.goto((report / shown.file).as_uri())
        assert page.locator("h1").inner_text() == shown.title
        total, drawn = _charts_drawn(page)
        assert total == expected[shown.file] and drawn == total, shown.file
        assert "Sources" in page.locator("footer").inner_text()
        if shown.file in ("data.html", "explore.html"):  # their tables, drawn as tables
            assert page.locator("main table").count() >= 2, shown.file
            assert page.locator("main table").first.is_visible()
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"{Path(shown.file).stem}.png"))
    assert sealed.left == [], sealed.left
    assert sealed.errors == [], sealed.errors
    sealed.context.close()


def test_the_navigation_links_open_every_page(browser, report):
    sealed = Sealed(browser, report)
    page = sealed.page
    page.goto((report / "index.html").as_uri())
    for shown in [*PAGES[1:], PAGES[0]]:
        page.locator("nav").get_by_role("link", name=shown.title, exact=True).click()
        page.wait_for_load_state("load")
        assert page.url == (report / shown.file).as_uri()
        assert page.locator("h1").inner_text() == shown.title
        current = page.locator("nav a[aria-current=page]")
        assert current.inner_text() == shown.title
    page.goto((report / "methods.html").as_uri())
    page.locator("nav.toc").get_by_role("link", name="Verdict rules").click()
    assert page.url.endswith("methods.html#verdicts")
    assert sealed.left == [], sealed.left
    sealed.context.close()


def test_outside_text_shows_as_written(browser, report):
    sealed = Sealed(browser, report)
    page = sealed.page
    page.goto((report / "index.html").as_uri())
    assert page.locator("img").count() == 0
    said = plain(page.locator("main").inner_text())
    assert plain(HOSTILE) in said  # the name as written, in the tracked projects' table
    for name in ("data.html", "explore.html"):  # the coverage; the archives' place
        page.goto((report / name).as_uri())
        assert plain(HOSTILE) in plain(page.locator("main").inner_text()), name
        assert page.locator("img").count() == 0, name
    page.goto((report / "compare.html").as_uri())
    _charts_drawn(page)
    assert "<img src=http://127.0.0.1:9/s.png>" in page.locator("main").inner_text()
    assert page.locator("main img").count() == 0
    assert sealed.left == [], sealed.left
    sealed.context.close()
