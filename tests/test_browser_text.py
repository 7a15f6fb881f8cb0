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
    served_dashboard,
    wait_for_script,
)
from tests.hostile_text import MULTILINE, SAMPLES, plain

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
