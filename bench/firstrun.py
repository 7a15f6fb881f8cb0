"""The first run as a new user has it: a fresh clone, `./dev run`, the Overview drawn.

    python -m bench.firstrun [--no-pip-cache] [--keep]

Clones this repository's HEAD into a temporary folder (with `../shared` beside it when this
checkout has one), runs `./dev run` there with no virtual environment yet, and times until
the Overview is fully drawn in Chromium (tests/browsing.py), split into installing (until
Streamlit answers its health check) and drawing. Then it prints the size of the environment
`./dev run` made, measured after the page was drawn (so the bytecode Python compiled for what
the app imported is counted). Targets (issue 15): first run <= 60 s, environment <= 450 MB.
pip's download cache is used as on any machine unless --no-pip-cache.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browsing import (  # noqa: E402
    CHROMIUM_ARGS,
    chromium_path,
    clean_environment,
    free_port,
    wait_until_drawn,
)

FIRST_RUN_TARGET_S = 60.0
ENVIRONMENT_TARGET_MB = 450.0


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _healthy(url: str) -> bool:
    try:
        with urlopen(f"{url}/_stcore/health", timeout=2) as answer:
            return answer.read() == b"ok"
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-pip-cache", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the clone (prints where)")
    args = parser.parse_args(argv)
    chromium = chromium_path()
    if chromium is None:
        print("first-run bench: no Chromium (apt-get install chromium, or set BROWSER_PATH)")
        return 1
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="firstrun-"))
    clone = work / "main"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    if (ROOT.parent / "shared").exists():
        (work / "shared").symlink_to(ROOT.parent / "shared")
    port = free_port()
    extra = {"OSSAI_DATA_DIR": str(work / "data"), "PATH": os.environ.get("PATH", "")}
    if args.no_pip_cache:
        extra["PIP_NO_CACHE_DIR"] = "1"
    env = clean_environment(Path(os.environ.get("HOME", work)), extra)
    env.pop("VIRTUAL_ENV", None)
    log = (work / "dev-run.log").open("wb")
    start = time.perf_counter()
    server = subprocess.Popen(
        ["./dev", "run", "--server.port", str(port)],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while not _healthy(url):
            if server.poll() is not None:
                print((work / "dev-run.log").read_text()[-3000:])
                print(f"./dev run exited with {server.returncode}")
                return 1
            if time.perf_counter() - start > 900:
                print("./dev run did not answer within 15 minutes")
                return 1
            time.sleep(0.2)
        served = time.perf_counter() - start
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            tab = browser.new_page(viewport={"width": 1440, "height": 900})
            tab.goto(url)
            wait_until_drawn(tab, timeout_s=300)
            drawn = time.perf_counter() - start
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    size_mb = folder_bytes(clone / ".venv") / 1e6
    ok = drawn <= FIRST_RUN_TARGET_S and size_mb <= ENVIRONMENT_TARGET_MB
    print(f"{'first run: ./dev run answers (install + start)':52} {served:8.1f} s")
    print(
        f"{'first run: the Overview fully drawn':52} {drawn:8.1f} s   "
        f"(target <= {FIRST_RUN_TARGET_S:g} s) {'ok' if drawn <= FIRST_RUN_TARGET_S else 'OVER'}"
    )
    print(
        f"{'environment made by ./dev run (.venv)':52} {size_mb:8.0f} MB  "
        f"(target <= {ENVIRONMENT_TARGET_MB:g} MB) "
        f"{'ok' if size_mb <= ENVIRONMENT_TARGET_MB else 'OVER'}"
    )
    if args.keep:
        print(f"kept: {work}")
    else:
        subprocess.run(["rm", "-rf", str(work)], check=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
