"""The PyPI-side world: projects as every fake host sees them (releases and their files,
metadata, daily downloads, dependents), hand-made projects with awkward histories, a small
world with its registry, and the default project list at plausible sizes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from registry.names import normalize_pypi_name
from tests.fakes.clock import NOW
from tests.fakes.projects_toml import projects_toml

DAY = 86400.0
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes" \u202e'


@dataclass
class FakeFile:
    filename: str
    uploaded: datetime
    yanked: bool = False
    size: int = 100_000
    packagetype: str = "bdist_wheel"


@dataclass
class FakeProject:
    """One PyPI project as every fake host sees it."""

    name: str  # canonical spelling, e.g. "Alpha.Lib"
    releases: dict[str, list[FakeFile]]  # version -> files (a version may have none)
    latest: str = ""  # info.version ('' when there is no release)
    summary: str | None = "A package"
    project_urls: Any = None
    home_page: str | None = None
    license: str | None = None
    license_expression: str | None = None
    classifiers: list[str] = field(default_factory=list)
    requires_python: str | None = ">=3.10"
    serial: int = 1000
    json_has_releases: bool = True  # False: the JSON API dropped `releases` (deprecated)
    daily_base: int = 10_000  # pypistats downloads on an average day
    daily_gaps: set[date] = field(default_factory=set)  # days pypistats leaves out
    on_pypistats: bool = True
    dependents: dict[str, tuple[int, int, int] | dict] = field(default_factory=dict)
    on_depsdev: bool = True

    @property
    def key(self) -> str:
        return normalize_pypi_name(self.name)

    def downloads(self, day: date) -> int:
        """Downloads without mirrors on a day: deterministic, so a day never changes."""
        n = day.toordinal()
        weekly = 1.0 + 0.25 * math.sin(2 * math.pi * (n % 7) / 7)
        growth = 1.0 + (n - date(2024, 1, 1).toordinal()) / 2000
        return int(self.daily_base * weekly * growth) + n % 97


def make_project(
    name: str,
    *,
    versions: int,
    files: int = 3,
    start: datetime = datetime(2019, 1, 10, tzinfo=UTC),
    end: datetime = NOW - timedelta(days=20),
    yanked_every: int = 0,
    pre_every: int = 0,
    legacy: tuple[str, ...] = (),
    empty: tuple[str, ...] = (),
    **extra: Any,
) -> FakeProject:
    """A project with `versions` releases spread from `start` to `end`, each with `files`
    files uploaded over a few hours (the first upload is the release's time)."""
    key = normalize_pypi_name(name).replace("-", "_")
    releases: dict[str, list[FakeFile]] = {}
    span = (end - start).total_seconds()
    latest = ""
    for i in range(versions):
        when = (start + timedelta(seconds=span * i / max(versions - 1, 1))).replace(microsecond=0)
        major, minor, patch = i // 50, (i // 10) % 5, i % 10
        version = f"{major}.{minor}.{patch}"
        if pre_every and i % pre_every == pre_every - 1:
            version += "rc1"
        yanked = bool(yanked_every) and i % yanked_every == yanked_every // 2
        uploads = [
            FakeFile(
                f"{key}-{version}-cp3{10 + k % 4}-cp3{10 + k % 4}-manylinux_2_17_x86_64.whl",
                when + timedelta(minutes=7 * (files - k)),  # not in upload order
                yanked=yanked,
            )
            for k in range(files - 1)
        ]
        uploads.append(FakeFile(f"{key}-{version}.tar.gz", when, yanked, 2_000_000, "sdist"))
        releases[version] = uploads
        if not yanked and "rc" not in version:
            latest = version
    for offset, version in enumerate(legacy):
        when = start - timedelta(days=30 * (offset + 1))
        releases[version] = [FakeFile(f"{key}-{version}.tar.gz", when, False, 5_000, "sdist")]
    for version in empty:
        releases[version] = []
    return FakeProject(name=name, releases=releases, latest=latest, **extra)


def alpha_project() -> FakeProject:
    """Hundreds of releases: yanked ones, pre-releases, legacy versions, one without files;
    requested by its normalized name it answers 301 to 'Alpha.Lib'."""
    project = make_project(
        "Alpha.Lib",
        versions=320,
        files=4,
        yanked_every=25,
        pre_every=6,
        legacy=("0.1-beta-final", "2004d", "latest"),
        empty=("0.0.1",),
        summary="Alpha: fast arrays",
        project_urls={
            "Documentation": "https://alpha.readthedocs.io",
            "Bug Tracker": "https://github.com/alpha-org/alpha-lib/issues",
            "Source Code": "https://github.com/Alpha-Org/Alpha-Lib.git",
            "Funding": "https://github.com/sponsors/alpha-org",
        },
        license_expression="BSD-3-Clause",
        daily_base=50_000,
    )
    project.dependents = {project.latest: (51_234, 6_000, 45_234)}
    return project


def beta_project() -> FakeProject:
    """A plain project; licence only as a classifier, repository only as home page."""
    project = make_project(
        "beta-kit",
        versions=40,
        files=2,
        summary="Beta kit",
        home_page="https://github.com/beta-org/beta-kit/tree/main/python",
        license="\n".join(["Permission is hereby granted, free of charge..."] * 30),
        classifiers=["License :: OSI Approved :: MIT License", "Programming Language :: Python"],
        daily_base=8_000,
    )
    project.dependents = {project.latest: {"dependentCount": 120, "directDependentCount": 20}}
    return project


def gamma_project() -> FakeProject:
    """A project that exists on PyPI but has never had a release."""
    return FakeProject(name="gamma", releases={}, latest="", summary=None, on_pypistats=False)


def small_world() -> list[FakeProject]:
    return [alpha_project(), beta_project(), gamma_project()]


SMALL_REGISTRY = projects_toml(
    (
        "alpha",
        '[{ name = "alpha-org/alpha-lib", formerly = ["alpha-org/alpha"] }, '
        '"alpha-org/alpha-docs"]',
        '["alpha.lib"]',
    ),
    ("beta", '["beta-org/beta"]', '["beta-kit"]'),
    ("gamma", '["gamma-org/gamma"]', '["gamma"]'),
    ("ghost", '["ghost-org/ghost"]', '["no-such-package"]'),
)


# The default projects' packages, with plausible sizes (versions, files per version).
DEFAULT_FACTS: dict[str, tuple[str, int, int, str]] = {
    "tensorflow": ("tensorflow", 160, 20, "https://github.com/tensorflow/tensorflow"),
    "torch": ("torch", 50, 24, "https://github.com/pytorch/pytorch"),
    "transformers": ("transformers", 190, 2, "https://github.com/huggingface/transformers"),
    "scikit-learn": ("scikit-learn", 70, 25, "https://github.com/scikit-learn/scikit-learn"),
    "opencv-python": ("opencv-python", 110, 20, "https://github.com/opencv/opencv-python"),
    "keras": ("keras", 90, 2, "https://github.com/keras-team/keras"),
    "diffusers": ("diffusers", 60, 2, "https://github.com/huggingface/diffusers"),
    "gpt-oss": ("gpt-oss", 8, 2, "https://github.com/openai/gpt-oss"),
    "tiktoken": ("tiktoken", 25, 30, "https://github.com/openai/tiktoken"),
}


def default_world(packages: list[str]) -> list[FakeProject]:
    world = []
    for name in packages:
        canonical, versions, files, source = DEFAULT_FACTS.get(
            name, (name, 20, 2, f"https://github.com/example/{name}")
        )
        project = make_project(
            canonical,
            versions=versions,
            files=files,
            pre_every=7,
            yanked_every=40,
            project_urls={"Homepage": source, "Source": source},
            license_expression="Apache-2.0",
            daily_base=1_000_000,
        )
        project.dependents = {project.latest: (10_000, 2_000, 8_000)}
        world.append(project)
    return world
