"""The projects registry: the default list, and clear errors naming file, line and rule."""

from __future__ import annotations

import pytest

from errors import ConfigError
from registry import load_registry, parse_registry
from registry.names import github_repo_problem, normalize_pypi_name, pypi_name_problem

GOOD = """\
[[projects]]
id = "demo"
name = "Demo"
group = "AI"
repos = ["octo/demo"]
packages = ["Demo_Pkg"]
"""


def test_default_registry_lists_the_projects_the_essays_name():
    registry = load_registry()
    assert [p.name for p in registry] == [
        "TensorFlow",
        "PyTorch",
        "Hugging Face Transformers",
        "scikit-learn",
        "OpenCV",
        "Keras",
        "Stable Diffusion",
        "GPT",
    ]
    sd = registry.get("stable-diffusion")
    assert sd.main_repo_names == (
        "CompVis/stable-diffusion",
        "AUTOMATIC1111/stable-diffusion-webui",
        "huggingface/diffusers",
    )
    assert registry.get("gpt").packages == ("gpt-oss", "tiktoken")
    assert registry.get("opencv").packages == ("opencv-python",)
    # the rename is declared, so the archive's old name joins the series
    assert registry.repo_aliases()["huggingface/pytorch-transformers"] == "huggingface/transformers"
    # the group and the cohort by one rule: software with repositories, split by AI
    assert registry.cohort.ranking_pool and registry.cohort.github_top == 0
    assert registry.cohort.group_top >= 30 and registry.cohort.pypi_top >= 30
    assert "classifies as" in registry.cohort.describe()
    assert "full git history" in registry.cohort.describe()
    # family repositories are rows of their own; only main ones are the project's
    hf = registry.get("transformers")
    assert hf.main_repo_names == ("huggingface/transformers",)
    assert "huggingface/huggingface_hub" in hf.repo_names
    assert all(r.note for r in hf.repos if r.role == "family")


def test_repository_roles_are_read_and_checked():
    text = GOOD.replace(
        'repos = ["octo/demo"]',
        'repos = ["octo/demo", { name = "octo/lib", role = "family", note = "its library" }]',
    )
    project = parse_registry(text).get("demo")
    assert project.main_repo_names == ("octo/demo",)
    assert project.repo_names == ("octo/demo", "octo/lib")
    assert project.repos[1].note == "its library"
    bad_role = GOOD.replace('repos = ["octo/demo"]', 'repos = [{ name = "octo/demo", role = "x" }]')
    with pytest.raises(ConfigError, match=r"projects.toml:5: repo role must be one of main"):
        parse_registry(bad_role, "projects.toml")
    only_family = GOOD.replace(
        'repos = ["octo/demo"]', 'repos = [{ name = "octo/demo", role = "family" }]'
    )
    with pytest.raises(ConfigError, match="at least one repository of role 'main'"):
        parse_registry(only_family, "projects.toml")


def test_package_names_are_normalized_per_pep_503():
    registry = parse_registry(GOOD)
    assert registry.get("demo").packages == ("demo-pkg",)
    assert normalize_pypi_name("Foo.Bar__baz") == "foo-bar-baz"


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_registry(text, "projects.toml")
    return info.value


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        ("-octo/demo", "must be 1-39 letters"),
        ("octo--x/demo", "single hyphens"),
        ("octo/demo/extra", "one slash"),
        ("octo", "one slash"),
        ("octo/..", "not dots alone"),
        ("octo/...", "not dots alone"),  # GitHub would refuse these three
        ("octo/.git", "must not end in '.git'"),
        ("octo/-uhelp", "must not start with '-'"),  # would read as an option to git
        ("octo/<b>", "1-100 letters"),
        ("octo/de mo", "1-100 letters"),
        ("octo/demo?x=1", "1-100 letters"),
        ("octo/" + "a" * 101, "1-100 letters"),
        ("ｏcto/demo", "1-39 letters"),  # full-width letter: looks right, is not
    ],
)
def test_bad_repository_names_name_the_line_and_the_rule(bad, rule):
    text = GOOD.replace('"octo/demo"', '"' + bad.replace('"', '\\"') + '"')
    error = _error(text)
    assert error.line == 5
    assert rule in error.rule
    assert str(error).startswith("projects.toml:5: ")


@pytest.mark.parametrize("bad", ["-pkg", "pkg-", "p kg", "pk/g", "", "pkg;rm"])
def test_bad_package_names_are_rejected_before_any_io(bad):
    error = _error(GOOD.replace('"Demo_Pkg"', f'"{bad}"'))
    assert error.line == 6
    assert "PEP 508" in error.rule
    assert pypi_name_problem("torch") is None
    assert github_repo_problem("AUTOMATIC1111/stable-diffusion-webui") is None


def test_unknown_keys_duplicates_and_missing_keys_are_reported_on_their_line():
    assert _error(GOOD + 'homepage = "x"\n').line == 7
    assert "unknown key 'homepage'" in _error(GOOD + 'homepage = "x"\n').rule
    twice = _error(GOOD + "\n" + GOOD)
    assert twice.line == 9 and "used twice" in twice.rule
    shared_repo = _error(GOOD + "\n" + GOOD.replace('id = "demo"', 'id = "other"'))
    assert shared_repo.line == 12 and "already listed under project 'demo'" in shared_repo.rule
    no_repos = _error(GOOD.replace('repos = ["octo/demo"]\n', ""))
    assert no_repos.line == 1 and "'repos'" in no_repos.rule
    empty_repos = _error(GOOD.replace('["octo/demo"]', "[]"))
    assert empty_repos.line == 5


def test_a_name_or_package_in_two_projects_and_a_cohort_id_are_refused_on_their_line():
    """The rules the user's own list (tracked.toml) is checked by hold for this file too."""
    other = GOOD.replace('id = "demo"', 'id = "other"').replace("octo/demo", "octo/other")
    same_package = _error(GOOD + "\n" + other)
    assert same_package.line == 13 and same_package.rule == (
        "package 'demo-pkg' is already listed under project 'demo'"
    )
    same_name = _error(GOOD + "\n" + other.replace('"Demo_Pkg"', '"x"').replace("Demo", "DEMO"))
    assert same_name.line == 10 and "name 'DEMO' is already listed" in same_name.rule
    cohort_id = _error(GOOD.replace('id = "demo"', 'id = "cohort-package-x"'))
    assert cohort_id.line == 2 and "kept for cohort members" in cohort_id.rule
    top_table = _error(GOOD + "[extras]\nx = 1\n")
    assert top_table.line == 7 and "unknown top-level key 'extras'" in top_table.rule


def test_syntax_errors_and_missing_files_are_clear(tmp_path):
    error = _error(GOOD + "name = \n")
    assert error.line == 7 and "not valid TOML" in error.rule
    with pytest.raises(ConfigError, match="file not found"):
        load_registry(tmp_path / "nope.toml")
    binary = tmp_path / "projects.toml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_registry(binary)


def test_cohort_rule_is_validated():
    error = _error("[cohort]\ngithub_top = -3\n" + GOOD)
    assert error.line == 2 and "0 to 500" in error.rule
    error = _error('[cohort]\ngithub_listed_since = "yesterday"\n' + GOOD)
    assert error.line == 2 and "date" in error.rule


def test_extra_bot_patterns_are_read_and_checked():
    registry = parse_registry('[git]\nbots = ["^ci-robot$"]\n' + GOOD)
    assert registry.git.extra_bot_patterns == ("^ci-robot$",)
    error = _error('[git]\nbots = ["(unclosed"]\n' + GOOD)
    assert error.line == 2 and "not a valid regular expression" in error.rule
    # a pattern that can take exponential time on a crafted name is refused
    error = _error('[git]\nbots = ["(a+)+$"]\n' + GOOD)
    assert "catastrophic backtracking" in error.rule
    assert parse_registry('[git]\nbots = ["(?:ci|build)-bot$"]\n' + GOOD)
    assert load_registry().git.extra_bot_patterns == ()


def test_a_file_nested_too_deeply_or_listing_many_packages_is_handled():
    error = _error("x = " + "[" * 100_000 + "]" * 100_000 + "\n" + GOOD)
    assert "nested too deeply" in error.rule or "not valid TOML" in error.rule
    names = ", ".join(f'"pkg{i}"' for i in range(50_000))  # was a quadratic check
    big = GOOD.replace('packages = ["Demo_Pkg"]', f"packages = [{names}]")
    assert len(parse_registry(big).get("demo").packages) == 50_000
