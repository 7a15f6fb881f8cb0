"""Exported files are valid: PNG and SVG parse, HTML works offline, CSV matches the chart."""

from __future__ import annotations

import io
import os
import shutil
import struct
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


def test_html_is_self_contained_and_opens_offline(compare_zip):
    out, _ = compare_zip
    with zipfile.ZipFile(out) as archive:
        html = archive.read("compare/stars.html").decode()
    assert len(html) > 3_000_000  # plotly.js is inside the file
    assert '<script src="http' not in html  # nothing loaded from the network
    assert "TensorFlow" in html


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
    assert codes == {"0", "2", "3", "4", "5", "6", "7"}


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
