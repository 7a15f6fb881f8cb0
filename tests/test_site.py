"""The static report (`export --site`): the same data gives the same bytes, outside text is
escaped everywhere, a folder of other files is refused untouched, and a failed export leaves
nothing half-written. The browser's view of it is tests/test_browser_site.py."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

import cli
import static_site
from errors import ExportError
from registry import load_registry
from static_site import MARK, PLOTLY, export_site, site_files, site_zip
from store import DEFAULT_DATA, Catalog, SegmentStore
from tests.conftest import snapshot_rows

# a name and a provenance that, taken as HTML, would load a picture or run a script
HOSTILE = '<img src="http://127.0.0.1:9/x.png"><script>alert(1)</script>'
HOSTILE_SOURCE = "<img src=http://127.0.0.1:9/s.png>"
PAGES = ("index.html", "claims.html", "compare.html", "community.html", "project.html")
TEXT_PAGES = ("methods.html", "explore.html", "data.html")  # text and tables, no charts


def hostile_data(user_data: Path) -> tuple[Catalog, object]:
    """The default data and a tracked project whose name is markup, with a few days of stars
    from a source whose name is markup too: it shows in the Overview's table, the Compare
    chart's legend, the Project page and the provenance lines."""
    tracked = user_data / "tracked.toml"
    tracked.write_text(
        f"""[[projects]]
id = "hostile"
name = {json.dumps(HOSTILE)}
group = "Open-source AI"
description = {json.dumps(HOSTILE)}
repos = ["acme/widget"]
"""
    )
    days = ["2026-01-01", "2026-02-01", "2026-03-01"]
    rows = snapshot_rows("acme/widget", days, [10, 20, 30], source=HOSTILE_SOURCE)
    SegmentStore(user_data).append({"repo_snapshots": rows})
    return Catalog(DEFAULT_DATA, user_data), load_registry(tracked=tracked)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Catalog, object]:
    """One report of the hostile data, written by export_site."""
    user = tmp_path_factory.mktemp("user-data")
    catalog, registry = hostile_data(user)
    out = tmp_path_factory.mktemp("site") / "report"
    export_site(out, catalog=catalog, registry=registry)
    return out, catalog, registry


def _on_disk(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_two_exports_of_the_same_data_are_byte_identical(built):
    out, catalog, registry = built
    again = site_files(catalog, registry)
    first = _on_disk(out)
    assert sorted(first) == sorted(again)
    different = [name for name in first if first[name] != again[name]]
    assert not different, different
    assert site_zip(again) == site_zip(first)


def test_every_page_and_one_shared_plotly(built):
    out, _, _ = built
    files = _on_disk(out)
    assert [name for name in files if name.endswith(".js")] == [PLOTLY]
    assert len(files[PLOTLY]) > 1_000_000  # plotly.js itself, once
    for page in (*PAGES, *TEXT_PAGES):
        text = files[page].decode()
        assert f'<script src="{PLOTLY}"></script>' in text
        # everything a page refers to is a relative file inside the report
        for ref in re.findall(r'(?:src|href)="([^"#]+)"', text):
            assert "://" not in ref and not ref.startswith("/"), ref
            assert ref in files, ref
    for page in PAGES:
        text = files[page].decode()
        assert len(text) < 2_000_000 and "plotly.js v" not in text  # not inlined
        assert "Sources:" in text and "as of 20" in text  # each figure's provenance
    methods = files["methods.html"].decode()
    assert "Contributor absence (bus) factor" in methods and "two thirds" in methods
    listed = json.loads(files[MARK])["files"]
    assert listed == sorted(set(files) - {MARK})  # every file but the list itself


def test_outside_text_is_escaped_everywhere(built):
    out, _, _ = built
    files = _on_disk(out)
    escaped = "&lt;img src=&quot;http://127.0.0.1:9/x.png&quot;&gt;&lt;script&gt;"
    assert escaped in files["index.html"].decode()  # the tracked projects' table
    assert escaped in files["data.html"].decode()  # its coverage rows
    assert escaped in files["explore.html"].decode()  # where it is in the archives
    assert "&lt;img src=http://127.0.0.1:9/s.png&gt;" in files["compare.html"].decode()
    for name, data in files.items():
        if name.endswith(".html"):
            text = data.decode()
            assert "<img" not in text and "alert(1)</script>" not in text, name
            assert '127.0.0.1:9/x.png"' not in text.replace("&quot;", ""), name
    # in the charts' data the name is JSON with < and > escaped, never a tag
    assert "\\u003cimg src=" in files["compare.html"].decode()


def test_a_folder_of_other_files_is_refused_untouched(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(ExportError, match="not a static report made by this dashboard"):
        export_site(out, catalog=Catalog(DEFAULT_DATA, tmp_path / "user"))
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "keep me"
    file = tmp_path / "a-file"
    file.write_text("x")
    with pytest.raises(ExportError, match="is a file, not a folder"):
        export_site(file, catalog=Catalog(DEFAULT_DATA, tmp_path / "user"))
    assert file.read_text() == "x"


def _small(files: dict[str, bytes]):
    """site_files replaced by a fixed set of files (the real one takes half a minute)."""

    def make(catalog, registry=None, archive=None) -> dict[str, bytes]:
        out = dict(files)
        out[MARK] = json.dumps({"files": sorted(out)}).encode()
        return out

    return make


def test_an_earlier_report_is_replaced_and_added_files_are_kept(tmp_path, monkeypatch):
    out = tmp_path / "report"
    catalog = Catalog(DEFAULT_DATA, tmp_path / "user")
    monkeypatch.setattr(static_site, "site_files", _small({"index.html": b"1", "old.html": b"o"}))
    export_site(out, catalog=catalog)
    (out / "CNAME").write_text("report.example.org")  # the user's own file
    monkeypatch.setattr(static_site, "site_files", _small({"index.html": b"2", "a/b.csv": b"c"}))
    export_site(out, catalog=catalog)
    assert sorted(_on_disk(out)) == [MARK, "CNAME", "a/b.csv", "index.html"]
    assert (out / "index.html").read_bytes() == b"2"
    assert (out / "CNAME").read_text() == "report.example.org"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no staging left


def test_a_failed_export_leaves_nothing_half_written(tmp_path, monkeypatch):
    catalog = Catalog(DEFAULT_DATA, tmp_path / "user")
    # 'a' is a file, so 'a/b' cannot be written: the export fails after writing some files
    broken = _small({"index.html": b"new", "a": b"x", "a/b": b"y"})
    new = tmp_path / "new" / "report"
    monkeypatch.setattr(static_site, "site_files", broken)
    with pytest.raises(ExportError, match="nothing of it was left"):
        export_site(new, catalog=catalog)
    assert not (tmp_path / "new").exists()
    earlier = tmp_path / "report"
    monkeypatch.setattr(static_site, "site_files", _small({"index.html": b"old"}))
    export_site(earlier, catalog=catalog)
    monkeypatch.setattr(static_site, "site_files", broken)
    with pytest.raises(ExportError):
        export_site(earlier, catalog=catalog)
    assert _on_disk(earlier)["index.html"] == b"old"  # the earlier report, whole
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging


def test_the_cli_writes_the_report_and_refuses_other_folders(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(static_site, "site_files", _small({"index.html": b"<!doctype html>"}))
    out = tmp_path / "report"
    assert cli.main(["export", "--site", str(out)]) == 0
    assert f"wrote 2 files to {out}" in capsys.readouterr().out
    assert (out / "index.html").is_file()
    other = tmp_path / "other"
    other.mkdir()
    (other / "thesis.tex").write_text("x")
    assert cli.main(["export", "--site", str(other)]) == cli.EXIT_EXPORT
    said = capsys.readouterr().err
    assert "not a static report" in said and "nothing was changed" in said
    assert [p.name for p in other.iterdir()] == ["thesis.tex"]


def test_the_zip_is_one_folder_with_a_fixed_date():
    files = {"index.html": b"a", MARK: b"[]", "assets/x.js": b"b"}
    data = site_zip(files)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == sorted(f"ossai-report/{n}" for n in files)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert site_zip(dict(reversed(list(files.items())))) == data


def test_the_data_page_builds_the_report_as_a_zip_download(monkeypatch):
    from tests.apptest import open_page

    monkeypatch.setattr(static_site, "site_files", _small({"index.html": b"<!doctype html>"}))
    at = open_page("data")
    with pytest.raises(KeyError):  # nothing is built until asked
        at.download_button(key="data_site_download")
    at.button(key="data_build_site").click().run()
    assert not at.exception, [e.message for e in at.exception]
    button = at.download_button(key="data_site_download")
    assert button.label.startswith("Download the static report (zip")
    built = at.session_state["data_site_zip"]
    with zipfile.ZipFile(io.BytesIO(built)) as archive:
        assert archive.read("ossai-report/index.html") == b"<!doctype html>"


def test_a_zip_replaces_only_an_earlier_report(tmp_path, monkeypatch):
    catalog = Catalog(DEFAULT_DATA, tmp_path / "user")
    monkeypatch.setattr(static_site, "site_files", _small({"index.html": b"1"}))
    out = tmp_path / "report.zip"
    export_site(out, catalog=catalog)
    monkeypatch.setattr(static_site, "site_files", _small({"index.html": b"2"}))
    export_site(out, catalog=catalog)  # an earlier report: replaced
    with zipfile.ZipFile(out) as archive:
        assert archive.read("ossai-report/index.html") == b"2"
    theirs = tmp_path / "photos.zip"
    with zipfile.ZipFile(theirs, "w") as archive:
        archive.writestr("holiday.jpg", b"jpeg")
    before = theirs.read_bytes()
    with pytest.raises(ExportError, match="not a static report"):
        export_site(theirs, catalog=catalog)
    assert theirs.read_bytes() == before


def _plain(html_text: str) -> str:
    """A page's text without its tags, entities read, spaces joined: what a reader reads."""
    import html as markup

    inline = re.sub(r"</?(?:code|strong|em|a)\b[^>]*>", "", html_text)
    return " ".join(markup.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def test_the_data_page_has_the_sources_coverage_and_caveats(built):
    from metrics.coverage import KINDS
    from views.data import caveats

    out, catalog, _ = built
    said = _plain((out / "data.html").read_text())
    # every source with the day its data reaches and its licence
    for row in catalog.read("sources").frame.itertuples():
        assert _plain(row.title) in said
    assert "MIT License, Copyright (c) 2018 Evan Li" in said
    # a revision as a reader takes it in: a commit abbreviated, a commit per repository counted
    assert "2026-08-22 MIT License" in said and " 1f3e17015251 " in said
    assert re.search(r"\b\d+ repositories, each at the commit read", said)
    assert "tensorflow/addons@" not in said
    # the coverage of every kind of data, with the tracked projects' rows
    for kind in KINDS:
        assert kind in said
    assert "tensorflow/tensorflow 2018-12-18" in said  # a repository and its first day
    assert "acme/widget 2026-01-01 2026-03-01 3" in said  # the hostile project's three days
    # the caveats, as the app writes them (the same text: views/data.py)
    for caveat in caveats():
        assert _plain(caveat.replace("**", "").replace("`", "")) in said
    assert "full histories could be brought in" in said


def test_the_explore_page_says_what_the_archives_hold_and_that_search_needs_the_app(built):
    from store.archive import Archive

    out, _, _ = built
    said = _plain((out / "explore.html").read_text())
    archive = Archive()
    counts = archive.manifest()["counts"]
    assert f"{counts['repository_names']:,} repository names" in said
    assert f"{counts['packages']:,} packages" in said
    for source in archive.sources().values():
        assert source.title in said and f"{source.as_of:%Y-%m-%d}" in said
        assert source.licence in said
    assert "a static report cannot search" in said
    # the tracked projects' series in the archive, with their former names
    assert "huggingface/transformers 2019-07-17 to 2026-08-22" in said
    assert "huggingface/pytorch-transformers; huggingface/transformers" in said
    assert "acme/widget never listed" in said  # the user's project is not in the archive


def test_an_archive_that_cannot_be_read_is_said_so_on_the_explore_page(tmp_path):
    from store.archive import Archive
    from views.explore import explore_sections

    sections = explore_sections(Archive(tmp_path / "no-archive"), load_registry())
    said = " ".join(block.text for section in sections for block in section.blocks)
    assert "The embedded archive cannot be read" in said and "missing" in said
    assert not [b for s in sections for b in s.blocks if b.kind == "table"]


def test_the_overview_and_claims_say_their_verdicts_in_words(built):
    from claims.model import load_claims

    out, _, _ = built
    overview = _plain((out / "index.html").read_text())
    assert "Essays say open-source AI fosters innovation" in overview
    assert re.search(r"The medians of the \d+ members of .* of the 7 claims\.", overview)
    assert "Like with like, the group is" in overview
    assert "How a verdict is reached" in overview
    claims = (out / "claims.html").read_text()
    for claim in load_claims():
        assert f'id="claim-{claim.id}"' in claims
        assert _plain(claim.hypothesis) in _plain(claims)
    assert claims.count("<p class=verdicts>") == len(load_claims())
    assert "(group median):</strong> " in claims
