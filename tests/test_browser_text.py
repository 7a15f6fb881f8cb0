"""Outside text in a real browser (issue 20): a project's name, group or note, a repository's
description or a server's message is shown as written on every page, and never makes the
browser load anything; every page opens at its own address. Driven by Playwright in Debian's
Chromium, like tests/test_browser.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browsing import (
    CHROMIUM_ARGS,
    NotDrawnError,
    chromium_path,
    clean_environment,
    dashboard_on_fake_github,
    served_dashboard,
    wait_for_script,
    wait_until_drawn,
)
from tests.fakes.github import TEST_TOKEN, FakeClock, FakeGitHub, default_world
from tests.fakes.github.limits import Fault
from tests.hostile_text import MULTILINE, SAMPLES, image, plain
from tests.test_app_text import _tracked_toml

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
expect = playwright_api.expect


class PixelServer:
    """Another host on 127.0.0.1 (its own port): counts every request a page makes to it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def pixel_server() -> Iterator[PixelServer]:
    server = PixelServer()
    yield server
    server.close()


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


def _tab(browser, app_url: str, outside: list[str]):
    """A fresh tab that lets every request through (the pixel server counts those to it)
    and records those to any host but the app's."""
    context = browser.new_context(viewport={"width": 1440, "height": 2400})
    tab = context.new_page()

    def record(route):
        if not route.request.url.startswith(app_url):
            outside.append(route.request.url)
        route.continue_()

    tab.route("**/*", record)
    return context, tab


# ----- the helper: what it returns renders as the very text, in every markdown element -------


@pytest.fixture(scope="module")
def samples_url(tmp_path_factory, pixel_server) -> Iterator[str]:
    home = tmp_path_factory.mktemp("text-home")
    extra = f"![p]({pixel_server.url}/sample.png) www.example.org"
    env = clean_environment(home, {"OSSAI_TEST_TEXT": extra})
    try:
        with served_dashboard(env, home / "streamlit.log", script="tests/hostile_text.py") as url:
            yield url
    except NotDrawnError as exc:
        pytest.fail(str(exc))


_SHOWN = """(index) => {
  const box = document.querySelector('.st-key-sample_' + index);
  const parts = Array.from(box.querySelectorAll('[data-testid="stMarkdownContainer"]'))
    .filter(p => !['r', '1'].includes(p.innerText));  // a hidden radio label, a metric value
  const markup = 'img, a, strong, em, del, code, pre, h1, h2, h3, ul, ol, blockquote, hr, '
    + 'table, .katex, span, b, i, sup, svg';
  return {
    texts: parts.map(p => p.innerText),
    markup: parts.flatMap(p => Array.from(p.querySelectorAll(markup)))
      .map(e => e.outerHTML.slice(0, 120)),
  };
}"""


def test_escaped_outside_text_renders_as_written_in_every_markdown_element(
    browser, samples_url, pixel_server
):
    outside: list[str] = []
    context, tab = _tab(browser, samples_url, outside)
    try:
        samples = [*SAMPLES, MULTILINE, "extra"]
        tab.goto(samples_url)
        last = tab.locator(f".st-key-sample_{len(samples) - 1} [data-testid=stMetric]")
        expect(last).to_be_visible(timeout=60_000)
        wait_for_script(tab)
        tab.wait_for_timeout(1500)  # lazily loaded markdown plugins (emoji, KaTeX)
        for index, sample in enumerate(samples[:-1]):
            shown = tab.evaluate(_SHOWN, index)
            single = "\n" not in sample
            assert len(shown["texts"]) >= (8 if single else 3), (sample, shown["texts"])
            for text in shown["texts"]:
                if single:
                    assert plain(text) == plain(sample), (sample, text)
                else:  # line breaks may show as spaces; every character stays
                    assert plain(text).replace(" ", "") == plain(sample).replace(" ", "")
            assert shown["markup"] == [], (sample, shown["markup"])
        assert tab.evaluate(_SHOWN, len(samples) - 1)["markup"] == []
    finally:
        context.close()
    assert pixel_server.requests == []
    assert outside == []


# ----- the dashboard: a hostile tracked project and a hostile server, on every page ----------

# url path (the main page also at /overview), the page's title
PAGES = [
    ("", "Open-source AI: ecosystem health"),
    ("overview", "Open-source AI: ecosystem health"),
    ("compare", "Compare projects over time"),
    ("explore", "Explore any repository or package"),
    ("community", "Community: who contributes, and how concentrated"),
    ("claims", "Claims against evidence"),
    ("project", "One project in depth"),
    ("methods", "Methods"),
    ("data", "Data: sources, coverage and caveats"),
]


def _open(tab, app_url: str, path: str, title: str) -> None:
    tab.goto(f"{app_url}/{path}")
    expect(tab.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=60_000)
    wait_until_drawn(tab)


def _not_found_dialogs(tab) -> list[str]:
    tab.wait_for_timeout(300)  # the dialog comes with the page's first message
    return tab.get_by_role("dialog").all_inner_texts()


@pytest.fixture(scope="module")
def plain_dashboard(tmp_path_factory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("address-home")
    env = clean_environment(home, {"OSSAI_DATA_DIR": str(home / "ossai-data")})
    try:
        with served_dashboard(env, home / "streamlit.log") as url:
            yield url
    except NotDrawnError as exc:
        pytest.fail(str(exc))


def test_every_page_opens_at_its_own_address(browser, plain_dashboard):
    outside: list[str] = []
    context, tab = _tab(browser, plain_dashboard, outside)
    dialogs = {}
    try:
        for path, title in PAGES:
            _open(tab, plain_dashboard, path, title)
            dialogs[path] = _not_found_dialogs(tab)
            assert tab.url.rstrip("/") == f"{plain_dashboard}/{path}".rstrip("/")
    finally:
        context.close()
    assert dialogs == {path: [] for path, _ in PAGES}
    assert outside == []


@pytest.fixture(scope="module")
def hostile_dashboard(tmp_path_factory, pixel_server) -> Iterator[tuple[str, Path, str]]:
    """The dashboard with a tracked project whose name, group, description and note load
    a picture from the pixel server if rendered as markdown, and a GitHub that answers every
    request 403 with such a message. Yields its URL, the tracked list and the name."""
    home = tmp_path_factory.mktemp("hostile-home")
    data = home / "ossai-data"
    data.mkdir()
    name = image(f"{pixel_server.url}/name.png")
    tracked = data / "tracked.toml"
    tracked.write_text(_tracked_toml(name))
    now = datetime.now(UTC)
    with FakeGitHub(default_world(["acme/widget"], now=now), clock=FakeClock(now)) as github:
        message = image(f"{pixel_server.url}/message.png") + " Forbidden"
        github.fail(r"^/", Fault.http_error(403, message), times=None)
        try:
            with dashboard_on_fake_github(github.url, TEST_TOKEN, home) as url:
                yield url, tracked, name
        except NotDrawnError as exc:
            pytest.fail(str(exc))


def _show_the_project(tab, path: str, name: str) -> None:
    """Where a page picks a project, pick the hostile one, as a person would."""
    if path == "project":
        tab.get_by_test_id("stSelectbox").first.click()
        tab.get_by_role("option", name=name, exact=True).click()
    elif path == "explore":
        tab.get_by_test_id("stMultiSelect").first.click()
        tab.get_by_role("option", name=name, exact=True).click()
        tab.keyboard.press("Escape")
    else:
        return
    wait_for_script(tab)
    wait_until_drawn(tab)


def test_outside_markup_makes_the_browser_load_nothing_on_any_page(
    browser, hostile_dashboard, pixel_server
):
    app_url, tracked, name = hostile_dashboard
    pixel_server.requests.clear()
    outside: list[str] = []
    context, tab = _tab(browser, app_url, outside)
    try:
        for path, title in PAGES[1:]:  # the tracked project's name, group, description, note
            _open(tab, app_url, path, title)
            _show_the_project(tab, path, name)
        bold_as_text = tab.get_by_text("**BOLD**", exact=False).count()
        # Refresh now: the fake GitHub's 403 message in the report, then in the sidebar
        _open(tab, app_url, "", PAGES[0][1])
        tab.get_by_role("button", name="Refresh now").click()
        # every GitHub target refused: a total failure, "Nothing was refreshed"
        expect(tab.get_by_text("Nothing was refreshed", exact=False)).to_be_visible(timeout=180_000)
        wait_for_script(tab)
        reported = tab.get_by_text("message.png", exact=False).count()  # as text, checked below
        _open(tab, app_url, "data", "Data: sources, coverage and caveats")  # "Last refresh"
        # a broken list: the error quoting the name, on every page
        second = _tracked_toml(name).replace('id = "hostile"', 'id = "again"')
        for old, new in (("acme/widget", "acme/w2"), ("acme/gadget", "acme/g2"), ("kit", "k2")):
            second = second.replace(old, new)
        tracked.write_text(_tracked_toml(name) + "\n" + second)
        for path, title in PAGES[1:]:
            _open(tab, app_url, path, title)
            expect(
                tab.get_by_text("Your tracked projects are left out", exact=False)
            ).to_be_visible()
    finally:
        context.close()
    assert pixel_server.requests == []
    assert [url for url in outside if not url.startswith(pixel_server.url)] == []
    assert reported > 0  # the server's message is in the report, as text
    assert bold_as_text > 0  # the name on the Data page, as text
