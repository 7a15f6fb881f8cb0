"""The user's own tracked projects (issue 13, "Track it"): tracked.toml in the user data
folder, validated like data/projects.toml, merged into the registry the app, the CLI and the
schedule read, collected by the next refresh, and untracked without losing history."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from datetime import UTC, datetime

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import cli
from app.loaders import INDICATOR_TABLES
from errors import ConfigError
from registry import load_registry, parse_registry
from registry.tracking import TRACKED_GROUP, track, untrack, with_tracked
from store import SegmentStore
from tests.apptest import open_page, texts
from tests.fakes.clock import FakeClock
from tests.fakes.github import TEST_TOKEN
from tests.fakes.github.server import FakeGitHub
from tests.fakes.github.world import default_world

SHIPPED = load_registry()


def _plain(at) -> str:
    """What the page says, markdown escapes taken out."""
    parts = [texts(at), *(str(e.value) for e in (*at.success, *at.markdown))]
    return "\n".join(parts).replace("\\", "")


def _mine(body: str, path: str = "tracked.toml"):
    return parse_registry(body, path, beside=SHIPPED)


def _refused(body: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        _mine(body)
    return info.value


def _entry(pid: str = "mine", name: str = "Mine", extra: str = 'repos = ["me/mine"]') -> str:
    return f'[[projects]]\nid = "{pid}"\nname = "{name}"\ngroup = "{TRACKED_GROUP}"\n{extra}\n'


# ----- validation: the projects file's rules, beside the shipped projects --------------------


@pytest.mark.parametrize(
    ("body", "line", "rule"),
    [
        (_entry(extra='repos = ["-evil/x"]'), 5, "GitHub owner '-evil' must be"),
        (_entry(extra='repos = ["me/../../etc"]'), 5, "one slash"),
        (_entry(extra='packages = ["../etc/passwd"]'), 5, "PEP 508"),
        (_entry(pid="Bad Id"), 2, "project id must be"),
        (_entry(pid="cohort-package-numpy"), 2, "kept for cohort members"),
        (_entry() + 'homepage = "x"\n', 6, "unknown key 'homepage'"),
        (_entry() + "\n" + _entry(name="Other"), 8, "used twice"),
        (
            _entry() + "\n" + _entry(pid="two", extra='repos = ["ME/MINE"]'),
            11,
            "repository 'ME/MINE' is already listed",
        ),
        (_entry(extra="repos = []"), 5, "needs a repository or a package"),
        (_entry() + "[cohort]\nlabel = 'x'\n", 6, "unknown top-level key 'cohort'"),
        (_entry() + "oops = [\n", 6, "not valid TOML"),
    ],
)
def test_the_users_list_breaks_the_same_rules_as_the_projects_file_with_its_line(body, line, rule):
    error = _refused(body)
    assert error.line == line and rule in error.rule, error
    assert str(error).startswith(f"tracked.toml:{line}: ")


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (_entry(pid="keras"), "project id 'keras' is already listed under project 'keras' in "),
        (_entry(name="pytorch"), "name 'pytorch' is already listed under project 'pytorch' in "),
        (
            _entry(extra='repos = ["HuggingFace/PyTorch-Transformers"]'),  # a former name
            "repository 'HuggingFace/PyTorch-Transformers' is already listed under project "
            "'transformers' in projects.toml",
        ),
        (_entry(extra='repos = []\npackages = ["TikToken"]'), "package 'tiktoken' is already"),
    ],
)
def test_a_user_entry_that_collides_with_the_shipped_projects_is_refused(body, said):
    assert said in str(_refused(body))


def test_a_package_without_a_repository_is_allowed_in_the_users_list_only():
    package_only = _entry(extra='packages = ["left-pad"]').replace('repos = ["me/mine"]\n', "")
    project = _mine(package_only).get("mine")
    assert project.repos == () and project.packages == ("left-pad",)
    shipped_text = SHIPPED.path.read_text() + "\n" + package_only
    with pytest.raises(ConfigError, match="missing the required key 'repos'"):
        parse_registry(shipped_text, "projects.toml")
    assert _mine("").projects == ()  # an empty list is a list


def test_a_broken_list_is_named_with_its_line_and_never_hides_the_shipped_projects(
    tracked_file, capsys
):
    tracked_file.write_text(_entry() + "\n" + _entry(pid="keras", name="K"))
    merged = load_registry(SHIPPED.path, tracked=tracked_file)
    assert merged.projects == SHIPPED.projects
    assert merged.tracked_problem.startswith(f"{tracked_file}:8: project id 'keras'")
    # the CLI: refresh and status carry on with the shipped projects and say why
    assert cli.main(["status"]) == 0
    out, err = capsys.readouterr()
    assert "TensorFlow" in out and f"{tracked_file}:8:" in err
    assert cli.main(["tracked"]) == cli.EXIT_USAGE
    assert f"{tracked_file}:8:" in capsys.readouterr().err
    # track never overwrites a broken list: the user's text is kept as it was
    before = tracked_file.read_text()
    assert cli.main(["track", "me/other"]) == cli.EXIT_USAGE
    assert tracked_file.read_text() == before
    # the app: the shipped projects and an error naming the file and line
    at = open_page("overview")
    table = next(d.value for d in at.dataframe if "repos_counted" in d.value.columns)
    assert len(table) == 8
    said = " ".join(str(e.value) for e in at.error)  # outside text: markdown-escaped
    assert f"{tracked_file}:8:" in said.replace("\\", "").replace("\u2060", "")


# ----- track and untrack ---------------------------------------------------------------------


def test_track_and_untrack_keep_the_users_other_entries_and_comments(tracked_file):
    first = track(tracked_file, SHIPPED, repo="acme/widget")
    assert (first.id, first.name, first.group) == ("widget", "acme/widget", TRACKED_GROUP)
    tracked_file.write_text(tracked_file.read_text() + "# my own note\n")
    second = track(tracked_file, SHIPPED, package="Left_Pad")
    assert second.repos == () and second.packages == ("left-pad",)
    # an id already taken gets the owner in front; a name already tracked is refused
    third = track(tracked_file, SHIPPED, repo="someone/keras")
    assert third.id == "someone-keras"
    for repo, package, said in [
        ("ACME/Widget", None, "ACME/Widget is already tracked"),
        ("keras-team/keras", None, "project 'keras' (Keras) in projects.toml"),
        (None, "torch", "project 'pytorch' (PyTorch) in projects.toml"),
        (None, "left.pad", "in your tracked projects"),
        ("evil/../x", None, "one slash"),
    ]:
        with pytest.raises(ConfigError, match=said.replace("(", r"\(").replace(")", r"\)")):
            track(tracked_file, SHIPPED, repo=repo, package=package)
    merged = with_tracked(SHIPPED, tracked_file)
    assert [p.id for p in merged.by_user] == ["widget", "left-pad", "someone-keras"]
    assert merged.shipped == SHIPPED.projects
    assert untrack(tracked_file, SHIPPED, "widget").id == "widget"
    assert "# my own note" in tracked_file.read_text()
    assert [p.id for p in with_tracked(SHIPPED, tracked_file).by_user] == [
        "left-pad",
        "someone-keras",
    ]
    with pytest.raises(ConfigError, match="never edits"):
        untrack(tracked_file, SHIPPED, "keras")
    with pytest.raises(ConfigError, match="no project 'nope'"):
        untrack(tracked_file, SHIPPED, "nope")
    assert not list(tracked_file.parent.glob(".tracked.toml.*"))  # no temp file left over


def test_a_renamed_repository_is_tracked_with_its_former_names(tracked_file):
    project = track(tracked_file, SHIPPED, repo="new-org/tool", formerly=["old-org/Tool"])
    assert project.repos[0].formerly == ("old-org/Tool",)
    assert with_tracked(SHIPPED, tracked_file).repo_aliases()["old-org/tool"] == "new-org/tool"
    with pytest.raises(ConfigError, match="huggingface/pytorch-transformers is already tracked"):
        track(tracked_file, SHIPPED, repo="x/y", formerly=["huggingface/pytorch-transformers"])


def test_the_cli_tracks_lists_and_untracks(tracked_file, capsys):
    assert cli.main(["track", "acme/widget"]) == 0
    assert "refresh --projects widget" in capsys.readouterr().out
    assert cli.main(["track", "--package", "left-pad"]) == 0
    assert cli.main(["track", "keras-team/keras"]) == cli.EXIT_USAGE
    assert "already tracked: project 'keras'" in capsys.readouterr().err
    assert cli.main(["tracked"]) == 0
    listed = capsys.readouterr().out
    assert "widget" in listed and "PyPI left-pad" in listed
    assert [p.id for p in cli._registry(cli.Settings.from_environment()).by_user] == [
        "widget",
        "left-pad",
    ]
    assert cli.main(["untrack", "widget"]) == 0
    assert "history is kept" in capsys.readouterr().out
    assert cli.main(["track"]) == cli.EXIT_USAGE


def test_the_schedule_reads_the_list_again_before_each_run(tracked_file, monkeypatch):
    from service import refresh

    seen: list[list[str]] = []

    def fake_run(registry, settings, options, progress=None):
        seen.append([p.id for p in registry.by_user])
        track(tracked_file, SHIPPED, package=f"pkg-{len(seen)}")  # tracked between two runs
        raise RuntimeError("not a real refresh")

    monkeypatch.setattr(refresh, "run", fake_run)
    monkeypatch.setattr(cli, "schedule_loop", _immediate_loop)
    assert cli.main(["schedule", "--every-hours", "1", "--max-runs", "2"]) == 0
    assert seen == [[], ["pkg-1"]]


def _immediate_loop(job, next_time, *, max_runs=None, **_):
    """The schedule's runs one after another, without waiting (a run's failure is its own)."""
    for _ in range(max_runs or 1):
        with contextlib.suppress(RuntimeError):
            job()
    return 0


# ----- the next refresh collects it, and it joins the tracked pages ---------------------------


@pytest.fixture
def widget_github():
    now = datetime.now(UTC)
    with FakeGitHub(default_world(["acme/widget"], now=now), clock=FakeClock(now)) as server:
        yield server


def test_tracked_by_cli_then_refreshed_against_the_fakes_it_shows_on_the_overview(
    widget_github, user_data_dir, monkeypatch, capsys
):
    monkeypatch.setenv("GITHUB_TOKEN", TEST_TOKEN)
    assert cli.main(["track", "acme/widget"]) == 0
    args = ["--sources", "github", "--api-url", f"github={widget_github.url}", "--quiet"]
    assert cli.main(["refresh", "--projects", "widget", *args]) == 0
    store = SegmentStore(user_data_dir)
    stars = store.read("repo_snapshots").frame
    stars = stars[stars["repo"] == "acme/widget"]
    assert len(stars) and stars["stars"].notna().all()
    expected = int(stars.sort_values("date")["stars"].iloc[-1])

    at = open_page("overview")
    table = next(d.value for d in at.dataframe if "repos_counted" in d.value.columns)
    row = table.set_index("project").loc["acme/widget"]
    assert row["stars"] == expected and row["group"] == TRACKED_GROUP
    assert len(table) == 9
    # it is not one of the group's medians, and the page says so
    assert "The medians of the 40 members of Open-source AI (by rule)" in _plain(at)
    assert (
        "(acme/widget) are shown with the others but are not part of the Open-source AI (by "
        "rule) group's medians"
    ) in _plain(at)

    # untracking keeps the stored history; tracking it again shows it again
    assert cli.main(["untrack", "widget"]) == 0
    assert store.read("repo_snapshots").frame["repo"].eq("acme/widget").sum() == len(stars)
    at = open_page("overview")
    table = next(d.value for d in at.dataframe if "repos_counted" in d.value.columns)
    assert "acme/widget" not in set(table["project"])
    assert cli.main(["track", "acme/widget"]) == 0
    at = open_page("overview")
    table = next(d.value for d in at.dataframe if "repos_counted" in d.value.columns)
    assert table.set_index("project").loc["acme/widget", "stars"] == expected


def test_refresh_now_in_the_app_collects_a_project_tracked_with_the_button(
    widget_github, user_data_dir, monkeypatch
):
    monkeypatch.setenv("GITHUB_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("OSSAI_API_URLS", f"github={widget_github.url}")
    monkeypatch.setenv("OSSAI_REFRESH_SOURCES", "github")
    _button_app("repo", "acme/widget").button(key="t_track").click().run()
    at = open_page("overview")
    at.button(key="refresh_now").click().run()
    assert not at.exception, [e.message for e in at.exception]
    asked = {entry.path.split("?")[0] for entry in widget_github.log}
    assert "/repos/acme/widget" in asked
    at = open_page("overview")
    table = next(d.value for d in at.dataframe if "repos_counted" in d.value.columns)
    assert table.set_index("project").loc["acme/widget", "stars"] > 0


def test_a_package_only_project_is_refreshed_from_the_package_sources(
    user_data_dir, user_settings, monkeypatch
):
    from service import refresh
    from tests.fakes.pypi import FakePackageHosts, small_scorecards, small_world, top_dump

    track(user_data_dir / "tracked.toml", SHIPPED, package="beta-kit")
    registry = load_registry(SHIPPED.path, tracked=user_data_dir / "tracked.toml")
    sources = ["pypi", "pypistats", "depsdev", "top-pypi"]
    dump = top_dump("2026-11-01", [("beta-kit", 40_000)])
    clock = FakeClock(datetime.now(UTC))
    with FakePackageHosts(
        small_world(), clock=clock, scorecards=small_scorecards(), dump=dump
    ) as h:
        settings = dataclasses.replace(user_settings, api_urls=dict.fromkeys(sources, h.url))
        options = refresh.RefreshOptions(sources=sources, projects=["beta-kit"])
        report = refresh.run(registry, settings, options, clock=clock, sleep=clock.sleep)
    assert report.exit_code == refresh.OK, report.table()
    downloads = SegmentStore(user_data_dir).read("package_downloads").frame
    assert {"daily", "monthly"} <= set(downloads.loc[downloads["package"] == "beta-kit", "series"])
    # its Project page: the package's figures, and its repository offered rather than refused
    at = open_page("project")
    at.selectbox(key="project_name").set_value("beta-kit").run()
    at.session_state["project_section"] = "On PyPI"  # the tab with what PyPI says
    at.run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert "beta-kit links to beta-org/beta-kit; track that repository too" in _plain(at)


# ----- the app: the Track button, the Data page, every page with a package-only project ------


def _button_app(kind: str, name: str) -> AppTest:
    def script(kind: str, name: str) -> None:
        from app.tracking import track_button

        track_button(kind, name, key="t")

    at = AppTest.from_function(script, args=(kind, name), default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_track_button_tracks_says_what_comes_next_and_untracks(tracked_file):
    at = _button_app("package", "left-pad")
    at.button(key="t_track").click().run()
    said = _plain(at)
    assert "Tracking PyPI package left-pad" in said and "Refresh now" in said
    assert "refresh --projects left-pad" in said
    assert [p.id for p in with_tracked(SHIPPED, tracked_file).by_user] == ["left-pad"]
    assert "**Tracked ✓** as left-pad (`left-pad`)" in _plain(at)
    at.button(key="t_untrack").click().run()
    assert "No longer tracking left-pad" in _plain(at)
    assert with_tracked(SHIPPED, tracked_file).by_user == ()
    assert "Tracked already: Keras, in projects.toml" in _plain(
        _button_app("repo", "Keras-Team/keras")
    )


def test_the_data_page_lists_the_users_projects_with_untrack(tracked_file):
    track(tracked_file, SHIPPED, package="left-pad")
    at = open_page("data")
    assert "Your tracked projects" in _plain(at) and "PyPI package left-pad" in _plain(at)
    at.button(key="data_untrack_left-pad").click().run()
    assert "No longer tracking left-pad" in _plain(at)
    assert "You track no projects of your own yet." in _plain(at)


@pytest.mark.parametrize(
    "page", ["overview", "compare", "community", "claims", "project", "methods", "data"]
)
def test_every_page_opens_with_a_package_only_tracked_project(page, tracked_file):
    track(tracked_file, SHIPPED, package="no-such-package-anywhere")
    at = open_page(page)
    if page == "project":
        at.selectbox(key="project_name").set_value("no-such-package-anywhere").run()
        assert "Packages: no-such-package-anywhere" in texts(at).replace("\\", "")
    if page in ("overview", "community", "compare"):  # it is one of the projects shown
        shown = [d.value for d in at.dataframe if "project" in d.value.columns]
        shown += [at.multiselect(key="compare_projects").value] if page == "compare" else []
        assert any(
            "no-such-package-anywhere" in list(t["project"] if hasattr(t, "columns") else t)
            for t in shown
        )
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    if page == "overview":
        table = next(d.value for d in at.dataframe if "repos_counted" in d.value.columns)
        row = table.set_index("project").loc["no-such-package-anywhere"]
        assert "no-such-package-anywhere: no monthly downloads in the data" in row["notes"]


# ----- the group's medians are the projects file's, unless the user says otherwise ----------


def test_the_users_projects_move_the_group_medians_only_when_put_in_the_group(
    tracked_file, user_data_dir
):
    from claims.model import load_claims
    from store import DEFAULT_DATA, Catalog
    from views import claims as claim_views
    from views.overview import comparison

    catalog = Catalog(DEFAULT_DATA, user_data_dir)
    tables = {name: catalog.read(name).frame for name in INDICATOR_TABLES}
    claims = load_claims()

    def group_rows(registry):
        found, cohort_ids = claim_views.indicators(registry, tables)
        table = claim_views.verdicts(claims, found, registry, cohort_ids)
        medians = comparison(claims, found, registry, cohort_ids).data["group_median"]
        return table[table["kind"] != "cohort"], medians

    shipped_table, shipped_medians = group_rows(SHIPPED)
    track(tracked_file, SHIPPED, repo="numpy/numpy")  # git history and stars in the data
    mine = with_tracked(SHIPPED, tracked_file)
    table, medians = group_rows(mine)
    assert "numpy/numpy" not in set(table["subject"])
    pd.testing.assert_frame_equal(table, shipped_table)
    pd.testing.assert_series_equal(medians, shipped_medians)
    # in the tracked projects' group it is a row of its own, and still not in the medians of
    # the group chosen by rule
    tracked_file.write_text(tracked_file.read_text().replace(TRACKED_GROUP, "Open-source AI"))
    table, medians = group_rows(with_tracked(SHIPPED, tracked_file))
    assert "numpy/numpy" in set(table["subject"])
    pd.testing.assert_series_equal(medians, shipped_medians)
    # the user's word: `group` set to the rule's group counts it in the medians
    rule_group = SHIPPED.cohort.group_label
    tracked_file.write_text(tracked_file.read_text().replace("Open-source AI", rule_group))
    table, medians = group_rows(with_tracked(SHIPPED, tracked_file))
    assert not medians.equals(shipped_medians)


def test_a_long_list_of_tracked_projects_outside_the_group_is_named_in_part(tracked_file):
    """At thousands of tracked projects the note names ten and counts the rest, rather than
    filling the page with names."""
    from app.tracking import group_note

    tracked_file.write_text(
        "".join(
            f'[[projects]]\nid = "p{i}"\nname = "o{i}/r{i}"\ngroup = "Tracked by you"\n'
            f'repos = ["o{i}/r{i}"]\n\n'
            for i in range(12)
        )
    )
    note = re.sub(r"\\(.)", r"\1", group_note(load_registry(tracked=tracked_file)))  # as shown
    assert note.startswith("12 of your tracked projects (o0/r0, o1/r1, ")
    assert "o9/r9 and 2 more" in note and "o10/r10" not in note
