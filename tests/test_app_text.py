"""Outside text is shown as text on every page (issue 20): a tracked project's name, group,
description and a family repository's note, a repository's description, a broken list's
error and a fake GitHub's 403 message during Refresh now are never rendered as markup by any
element that renders markdown (app/text.markdown_text is the one door)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from app.text import markdown_text
from store import SegmentStore
from store.schema import TABLES
from tests.apptest import open_page
from tests.fakes.github import TEST_TOKEN
from tests.fakes.github.limits import Fault
from tests.fakes.github.server import FakeGitHub
from tests.fakes.github.world import default_world
from tests.hostile_text import image

PIXEL = "http://127.0.0.1:9/pixel.png"  # nothing listens there; AppTest fetches nothing
NAME = image(PIXEL)  # ![p](http://...) **BOLD** :red[x] <b>b</b>, a valid project name
RAW = ("![p](", "**BOLD**", ":red[x]", "<b>b</b>")  # any of these raw is markup rendered
PAGES = ("overview", "compare", "explore", "community", "claims", "project", "methods", "data")
# elements that show plain text (no markdown): their text may hold the raw name
PLAIN_ELEMENTS = {"text", "code", "dataframe", "arrow_data_frame", "json", "plotly_chart"}
# selectbox and multiselect options show plain text; their labels render markdown
PLAIN_OPTIONS = {"selectbox", "multiselect"}
OPTION_FIELDS = {"options", "default", "raw_values", "raw_value", "value", "string_value"}


def _tracked_toml(name: str = NAME) -> str:
    return f"""[[projects]]
id = "hostile"
name = {json.dumps(name)}
group = {json.dumps("Group " + name[:70])}
description = {json.dumps(name)}
repos = [
  "acme/widget",
  {{ name = "acme/gadget", role = "family", note = {json.dumps(name)} }},
]
packages = ["widget-kit"]
"""


@pytest.fixture
def hostile_project(user_data_dir: Path) -> Path:
    """A tracked project whose every free-text field is markup, with a stored repository
    whose description is markup too."""
    (user_data_dir / "tracked.toml").write_text(_tracked_toml())
    rows = TABLES["repositories"].empty()
    rows.loc[0] = [
        "acme/widget",
        NAME,
        "Python",
        None,
        pd.NaT,
        "test",
        pd.Timestamp("2030-01-01", tz="UTC"),
        "ok",
    ]
    SegmentStore(user_data_dir).append({"repositories": rows})
    return user_data_dir


def _nodes(node) -> Iterator:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def _strings(message, skip: set[str]) -> Iterator[tuple[str, str]]:
    for field, value in message.ListFields():
        if field.name in skip:
            continue
        repeated = not isinstance(value, str | bytes) and not hasattr(value, "ListFields")
        values = list(value) if repeated and hasattr(value, "__iter__") else [value]
        for item in values:
            if isinstance(item, str):
                yield field.name, item
            elif hasattr(item, "ListFields"):
                yield from _strings(item, skip)


def markup_rendered(at) -> list[str]:
    """Every place on the page where the hostile text would be rendered as markup: raw in an
    element that renders markdown, or as HTML in a chart."""
    found = []
    for node in _nodes(at._tree):
        kind, proto = getattr(node, "type", None), getattr(node, "proto", None)
        if proto is None:
            continue
        if kind == "plotly_chart":  # plotly renders <b>, <a href>...: only escaped text
            found += [f"chart: {raw}" for raw in ("<b>b</b>",) if raw in _chart_texts(proto)]
            continue
        if kind in PLAIN_ELEMENTS:
            continue
        skip = OPTION_FIELDS if kind in PLAIN_OPTIONS else set()
        for field, text in _strings(proto, skip):
            if any(raw in text for raw in RAW):
                found.append(f"{kind}.{field}: {text[:160]!r}")
    return found


def _chart_texts(proto) -> str:
    """Every string in a chart's spec (trace names, titles, hover text, tick labels)."""

    def strings(value) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    return "\n".join(strings(json.loads(proto.spec)))


def shown(at) -> str:
    """Every markdown string on the page (to check the hostile text did reach it)."""
    return "\n".join(
        text
        for node in _nodes(at._tree)
        if getattr(node, "proto", None) is not None
        and getattr(node, "type", None) not in PLAIN_ELEMENTS
        for _, text in _strings(node.proto, set())
    )


def _visit(at, page: str):
    """Switch the running app to `page` and show the hostile project where a page picks one."""
    at.switch_page(f"app/{page}_page.py").run()
    if page == "project":
        at.selectbox(key="project_name").select(NAME).run()
    elif page == "explore":
        at.multiselect(key="explore_tracked").select(NAME).run()
    elif page == "community" and NAME in at.selectbox(key="community_project").options:
        at.selectbox(key="community_project").select(NAME).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def rendered_on_every_page(at) -> dict[str, list[str]]:
    """markup_rendered on each page in turn, in one session (as a person clicks through)."""
    return {page: markup_rendered(_visit(at, page)) for page in PAGES}


def test_a_tracked_project_s_markup_is_shown_as_text_on_every_page(hostile_project):
    at = open_page("overview")
    assert markdown_text(NAME) in shown(at)  # the name reaches the page, escaped
    assert rendered_on_every_page(at) == {page: [] for page in PAGES}
    for page in ("project", "data", "claims"):
        assert markdown_text(NAME) in shown(_visit(at, page)), page


def test_a_broken_list_s_error_quoting_markup_is_shown_as_text_on_every_page(user_data_dir):
    # two entries of one name: the error quotes the name
    second = _tracked_toml().replace('id = "hostile"', 'id = "again"')
    second = second.replace("acme/widget", "acme/widget2").replace("acme/gadget", "acme/g2")
    second = second.replace("widget-kit", "widget-kit2")
    (user_data_dir / "tracked.toml").write_text(_tracked_toml() + "\n" + second)
    at = open_page("overview")
    errors = [e.value for e in at.error]
    assert any("Your tracked projects are left out" in e for e in errors), errors
    assert any(markdown_text(NAME) in e for e in errors), errors
    banners = {}
    for page in PAGES:
        at.switch_page(f"app/{page}_page.py").run()
        banners[page] = markup_rendered(at)
        assert any(markdown_text(NAME) in e.value for e in at.error), page
    assert banners == {page: [] for page in PAGES}


def test_a_server_s_403_message_in_the_refresh_report_is_shown_as_text(
    hostile_project, monkeypatch
):
    message = f"{NAME} Forbidden"
    with FakeGitHub(default_world(["acme/widget"])) as github:
        github.fail(r"^/", Fault.http_error(403, message), times=None)
        monkeypatch.setenv("GITHUB_TOKEN", TEST_TOKEN)
        monkeypatch.setenv("OSSAI_API_URLS", f"github={github.url}")
        monkeypatch.setenv("OSSAI_REFRESH_SOURCES", "github")
        at = open_page("overview")
        at.button(key="refresh_now").click().run(timeout=300)
    assert not at.exception, [e.message for e in at.exception]
    said = "\n".join(t.value for t in at.text)  # st.text: shown as written, never markup
    assert message in said, said  # the server's words are in the report...
    assert markup_rendered(at) == []  # ...as text
    # and in the sidebar's "Last refresh" (the same on every page) and the Data page's runs
    assert markup_rendered(_visit(at, "data")) == []
