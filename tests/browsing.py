"""Serving the dashboard and driving Debian's Chromium with Playwright: shared by the browser
tests and the browser benchmark, so both wait for the same "fully drawn" (toolchain.md §4).

Fully drawn means: Streamlit's script has finished, no skeleton stands in for a table whose
code is still loading, every chart has its SVG and every visible table has laid out its canvas.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
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
CHART = '[data-testid="stPlotlyChart"] .main-svg'


class NotDrawnError(AssertionError):
    """The page did not reach its drawn state in time (or the server did not start)."""


def chromium_path() -> str | None:
    """Debian's Chromium (or $BROWSER_PATH); None when the machine has none."""
    found = os.environ.get("BROWSER_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    return found if Path(found).exists() else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_environment(home: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without the dashboard's, GitHub's, Streamlit's or proxy
    settings, with HOME and the given variables set: the app sees only what the caller says."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OSSAI_", "GITHUB_", "STREAMLIT_")) and "proxy" not in key.lower()
    }
    env.update(HOME=str(home), **extra)
    return env


@contextmanager
def served_dashboard(
    env: Mapping[str, str], log_path: Path, script: str = "dashboard.py"
) -> Iterator[str]:
    """`streamlit run dashboard.py` (or another `script`) on a free 127.0.0.1 port; yields
    its URL once healthy."""
    port = free_port()
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port)],
            cwd=ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(url, server, log_path)
            yield url
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


@contextmanager
def dashboard_on_fake_github(github_url: str, token: str, home: Path) -> Iterator[str]:
    """The dashboard as a user starts it, with an empty user data folder under `home`, its
    refreshes going to the fake GitHub at `github_url` only."""
    env = clean_environment(
        home,
        {
            "OSSAI_DATA_DIR": str(home / "ossai-data"),
            "OSSAI_API_URLS": f"github={github_url}",
            "OSSAI_REFRESH_SOURCES": "github",
            "GITHUB_TOKEN": token,
        },
    )
    with served_dashboard(env, home / "streamlit.log") as url:
        yield url


def _wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise NotDrawnError(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise NotDrawnError(f"streamlit did not answer within 60 s:\n{log.read_text()}")


def wait_for_script(page, timeout_ms: int = 60_000) -> None:
    """Until Streamlit has finished running the page's script."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=timeout_ms,
    )


def wait_until_drawn(page, timeout_s: float = 60) -> None:
    """Until the script has ended and every chart and visible table is drawn."""
    wait_for_script(page, int(timeout_s * 1000))
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(_DRAWN):
        if time.monotonic() > deadline:
            raise NotDrawnError(f"the page was not drawn within {timeout_s:g} s: {page.url}")
        page.wait_for_timeout(25)


# Every visible chart has drawn its SVG; no skeleton; every visible table's canvas has its size.
_DRAWN = """() => {
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
    if (!chart.checkVisibility()) continue;  // hidden: another tab, a closed expander
    if (!chart.querySelector('.main-svg')) return false;
  }
  for (const table of document.querySelectorAll('[data-testid="stDataFrame"]')) {
    if (!table.checkVisibility()) continue;
    const box = table.getBoundingClientRect();
    if (!table.querySelector('canvas') || box.height <= 60 || box.width <= 300) return false;
  }
  return true;
}"""
