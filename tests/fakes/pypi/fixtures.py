"""Each PyPI-side source's own client pointed at the fake hosts, and the pytest fixtures
(import them with `pytest_plugins = ["tests.fakes.pypi"]`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collectors import depsdev, pypi, pypistats, toppypi
from collectors.http import HttpClient
from registry import Registry, parse_registry
from tests.fakes.clock import NOW, FakeClock
from tests.fakes.pypi.depsdev import small_scorecards
from tests.fakes.pypi.server import FakePackageHosts
from tests.fakes.pypi.world import SMALL_REGISTRY, small_world


def clients_for(
    hosts: FakePackageHosts, clock: FakeClock, folder: Path, **options: Any
) -> dict[str, HttpClient]:
    """Each source's own client, pointed at the fake, with the fake's clock and sleep."""
    options.setdefault("read_timeout", 10.0)
    options.setdefault("connect_timeout", 2.0)
    common = {"base_url": hosts.url, "clock": clock, "sleep": clock.sleep, **options}
    return {
        "pypi": pypi.pypi_client(cache_path=folder / "pypi.json", **common),
        "pypistats": pypistats.pypistats_client(cache_path=folder / "pypistats.json", **common),
        "depsdev": depsdev.depsdev_client(cache_path=folder / "depsdev.json", **common),
        "top-pypi": toppypi.top_pypi_client(cache_path=folder / "top-pypi.json", **common),
    }


@pytest.fixture
def pypi_clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def package_hosts(pypi_clock: FakeClock) -> Iterator[FakePackageHosts]:
    """Healthy fake PyPI-side hosts with alpha (many releases), beta, gamma (no releases)."""
    with FakePackageHosts(small_world(), clock=pypi_clock, scorecards=small_scorecards()) as hosts:
        yield hosts


@pytest.fixture
def package_registry() -> Registry:
    return parse_registry(SMALL_REGISTRY, "projects.toml")


@pytest.fixture
def source_clients(
    package_hosts: FakePackageHosts, pypi_clock: FakeClock, user_data_dir: Path
) -> Iterator[dict[str, HttpClient]]:
    clients = clients_for(package_hosts, pypi_clock, user_data_dir / "http-cache")
    yield clients
    for client in clients.values():
        client.close()
