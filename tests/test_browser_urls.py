"""A view in its address, in Chromium: a link with choices opens the Compare page with those
choices drawn, a changed widget changes the address bar, and a hostile parameter is named as
text in a notice, never drawn as markup."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browsing import (
    CHROMIUM_ARGS,
    NotDrawnError,
    chromium_path,
    clean_environment,
    served_dashboard,
    wait_until_drawn,
)

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
expect = playwright_api.expect

LINK = "/compare?metric=forks&scale=log&x=age&project=tensorflow&project=keras"
NOTICE = '[data-testid="stAlertContentInfo"]'


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("urls-home")
    env = clean_environment(home, {"OSSAI_DATA_DIR": str(home / "ossai-data")})
    try:
        with served_dashboard(env, home / "streamlit.log") as url:
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


def _address(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _chart_axes(page) -> list[tuple[str, str]]:
    """Each drawn chart's y axis type and x axis type, as plotly laid them out."""
    return [
        tuple(axes)
        for axes in page.evaluate(
            "() => [...document.querySelectorAll('.js-plotly-plot')]"
            ".map(d => [d._fullLayout.yaxis.type, d._fullLayout.xaxis.type])"
        )
    ]


def test_a_link_opens_compare_with_its_choices_and_a_change_updates_the_address(page, app_url):
    page.goto(app_url + LINK)
    wait_until_drawn(page)
    for label in ("Forks", "Log", "Aligned by age"):
        expect(page.get_by_role("radio", name=label)).to_be_checked()
    chosen = page.get_by_test_id("stMultiSelect").first
    expect(chosen).to_contain_text("TensorFlow")
    expect(chosen).to_contain_text("Keras")
    expect(chosen).not_to_contain_text("PyTorch")
    assert _chart_axes(page) == [("log", "linear")]  # log scale, aligned by age (days)
    assert page.locator(NOTICE).count() == 0

    page.get_by_text("Linear", exact=True).click()
    expect(page).not_to_have_url(app_url + LINK)  # the address bar follows the widget
    wait_until_drawn(page)
    assert _address(page) == {"metric": ["forks"], "x": ["age"], "project": ["tensorflow", "keras"]}
    assert _chart_axes(page) == [("linear", "linear")]
    page.get_by_text("Indexed (start = 100)").click()
    expect(page).to_have_url(app_url + LINK.replace("&scale=log", "") + "&view=indexed")

    # the changed address, loaded again (a new session), draws the same view
    page.goto(page.url)
    wait_until_drawn(page)
    for label in ("Forks", "Linear", "Indexed (start = 100)", "Aligned by age"):
        expect(page.get_by_role("radio", name=label)).to_be_checked()


def test_a_hostile_parameter_is_named_as_text_and_left_out(page, app_url):
    page.goto(app_url + "/compare?metric=%3Cimg%20src%3Dx%3E&%3Cb%3Ebold%3C%2Fb%3E=1")
    wait_until_drawn(page)
    notice = page.locator(NOTICE)
    expect(notice).to_contain_text("metric: “<img src=x>” is not one of stars")
    expect(notice).to_contain_text("<b>bold</b>: this page has no such choice")
    assert notice.locator("img, b").count() == 0  # shown as written, never as markup
    expect(page.get_by_role("radio", name="Stars")).to_be_checked()
    assert _address(page) == {}  # the address keeps only what was used


def _chart_titles(page) -> list[str]:
    return page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')]"
        ".map(d => d._fullLayout.title.text || '')"
    )


def test_a_claim_link_opens_its_tab_and_a_click_on_a_tab_follows(page, app_url):
    page.goto(app_url + "/claims?claim=access")  # as the Overview links to each claim
    wait_until_drawn(page)
    expect(page.get_by_role("tab", name="Access")).to_have_attribute("aria-selected", "true")
    titles = _chart_titles(page)
    assert len(titles) == 2 and "Democratizes access" in titles[1]  # only the open tab

    page.get_by_role("tab", name="Barriers").click()
    expect(page).to_have_url(app_url + "/claims?claim=barriers")
    wait_until_drawn(page)
    titles = _chart_titles(page)
    assert len(titles) == 2 and "Reduces barriers" in titles[1]
    page.get_by_role("tab", name="Collaboration").click()  # the first tab: a bare address
    expect(page).to_have_url(app_url + "/claims")
