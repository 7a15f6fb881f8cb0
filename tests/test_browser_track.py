"""Explore as a person uses it, in Chromium: search any name, chart it, Track it, and find it
on the Data page among your tracked projects.

What follows (Refresh now collects it, the Overview counts it) is the refresh that
tests/test_browser.py drives in the browser once, and that tests/test_tracking.py
(`test_refresh_now_in_the_app_collects_a_project_tracked_with_the_button`) checks in AppTest:
it is not repeated here. A server of its own (tests/browsing.py), so the project tracked here
never leaks into the other browser tests' data folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from registry import load_registry
from tests.browsing import (
    CHART,
    CHROMIUM_ARGS,
    NotDrawnError,
    chromium_path,
    dashboard_on_fake_github,
    wait_for_script,
    wait_until_drawn,
)
from tests.fakes.github import TEST_TOKEN, FakeClock, FakeGitHub, default_world

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
expect = playwright_api.expect

NEW_REPO = "ohmyzsh/ohmyzsh"  # in the archive, not tracked: its former name is searched


@pytest.fixture(scope="module")
def fake_github() -> Iterator[FakeGitHub]:
    shipped = [name for project in load_registry() for name in project.repo_names]
    now = datetime.now(UTC)
    with FakeGitHub(default_world([*shipped, NEW_REPO], now=now), clock=FakeClock(now)) as server:
        yield server


@pytest.fixture(scope="module")
def app_url(fake_github, tmp_path_factory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("track-home")
    try:
        with dashboard_on_fake_github(fake_github.url, TEST_TOKEN, home) as url:
            yield url
    except NotDrawnError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def page(app_url):
    chromium = chromium_path()
    if chromium is None:
        pytest.fail("Chromium is needed for the browser tests: apt-get install chromium")
    expect.set_options(timeout=60_000)
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1440, "height": 1600})
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        yield tab
        browser.close()
    assert errors == [], f"JavaScript errors: {errors}"


def test_search_chart_and_track_puts_the_project_on_your_list(page, app_url, fake_github):
    page.goto(f"{app_url}/explore")
    wait_until_drawn(page)
    query = page.get_by_label("Search every repository and package in the archives")
    query.fill("robbyrussell")
    query.press("Enter")
    # the one match, a former name, is chosen already; add it and its chart is drawn
    expect(page.get_by_text("1 best matches")).to_be_visible()
    wait_for_script(page)
    page.get_by_role("button", name="Add to chart").click()
    expect(page.locator(CHART).first).to_be_visible()
    wait_until_drawn(page)
    expect(page.get_by_text("renamed to ohmyzsh/ohmyzsh", exact=False).first).to_be_visible()
    page.get_by_role("button", name="Track", exact=True).click()
    expect(page.get_by_text("Tracked ✓").first).to_be_visible()
    assert fake_github.log == []  # tracking asks nothing: the next refresh collects it

    page.goto(f"{app_url}/data")
    wait_until_drawn(page)
    expect(page.get_by_role("button", name="Untrack", exact=False).first).to_be_visible()
    expect(page.get_by_text(NEW_REPO, exact=False).filter(visible=True).first).to_be_visible()
    page.screenshot(path=str(_artifacts() / "after-track-data.png"), full_page=True)


def _artifacts():
    from tests.browsing import ROOT

    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder
