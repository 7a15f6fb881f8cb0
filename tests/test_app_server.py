"""The server's start (app/server.py): what it does before the first visit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.server import PAGES

ROOT = Path(__file__).resolve().parent.parent

START = """
import json, sys
from streamlit import delta_generator
from app import server
flag = "_use_warning_has_been_displayed"
before = getattr(delta_generator, flag, "renamed")
server.warm_up()
print(json.dumps({
    "before": before,
    "after": getattr(delta_generator, flag, "renamed"),
    "pages": sorted(m for m in sys.modules if m.startswith("app.") and m.endswith("_page")),
    "emojis": "streamlit.emojis" in sys.modules,
}))
"""


def test_the_start_imports_every_page_and_skips_the_direct_run_check(tmp_path):
    """In a new process, as at a server's start: every page's module imported, and
    Streamlit's once-per-process direct-run check marked done (its flag is Streamlit's own:
    a Streamlit that renamed it fails here instead of silently costing 0.1 s a page)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OSSAI_DATA_DIR": str(tmp_path / "d")}
    done = subprocess.run(
        [sys.executable, "-c", START],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout.splitlines()[-1])
    assert said["before"] is False  # the pinned Streamlit has the flag, not yet set
    assert said["after"] is True
    assert said["pages"] == [f"app.{stem}" for stem in PAGES]
    assert len(said["pages"]) == 9
    assert said["emojis"]
