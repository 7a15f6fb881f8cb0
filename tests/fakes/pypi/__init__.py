"""Faithful fakes of the PyPI-side hosts: one real HTTP server on 127.0.0.1 (port 0) in a
thread, routing by path the way each real host answers (shared/reference/apis.md C, D):

    /pypi/{name}/json                    pypi.org JSON API: `301` to the canonical name (an
                                         absolute Location), `404` {"message": "Not Found"}
                                         (also for a project with no releases, as Warehouse
                                         does), `ETag`, `X-PyPI-Last-Serial`, JSON
    /simple/{name}/                      the index: PEP 691 JSON (`versions`, `files`) when
                                         Accept asks for application/vnd.pypi.simple.v1+json,
                                         HTML otherwise; `301` to the normalized name
    /api/packages/{name}/overall         pypistats.org: `with_mirrors` and `without_mirrors`
                                         (or one of them with `mirrors=`), sorted by category
                                         then date, only the 180 days ending "yesterday" of
                                         the fake clock; `404` for an unknown package
    /v3/..., /v3alpha/...                api.deps.dev: camelCase JSON, `404` {"error": ...}
                                         for unknown keys, percent-encoded project ids
    /top-pypi-packages/*.min.json        the top-PyPI dump on GitHub Pages, with `ETag`

Faults a test scripts with `FakePackageHosts.fail(pattern, Fault.xxx(), times=n)`: any
status (5xx, 404), pypistats' HTML `429` with or without `Retry-After`, a connection reset,
JSON cut short, an HTML page with 200, and any JSON answer.

The package, by host and job:
- `world`: projects with hundreds of releases (yanked, pre-releases, legacy versions, a
  version without files), a project without releases, the small world and its registry, the
  default project list for the benchmark;
- `answers`: the shared replies (JSON, HTML, `ETag`/`304`) and the scripted `Fault`s;
- `pypi_json` (JSON API and simple index), `pypistats`, `depsdev` (with `scorecard`),
  `dump` (with `top_dump`): one host each;
- `server`: `FakePackageHosts`, tying them together on `tests.fakes.serving`;
- `fixtures`: each source's client pointed at the fake, and the pytest fixtures
  (`pytest_plugins = ["tests.fakes.pypi"]`).
"""

from tests.fakes.clock import NOW, FakeClock
from tests.fakes.pypi.answers import Fault
from tests.fakes.pypi.depsdev import scorecard, small_scorecards
from tests.fakes.pypi.dump import top_dump
from tests.fakes.pypi.fixtures import (
    clients_for,
    package_hosts,
    package_registry,
    pypi_clock,
    source_clients,
)
from tests.fakes.pypi.pypi_json import SIMPLE_JSON
from tests.fakes.pypi.pypistats import PYPISTATS_DAYS
from tests.fakes.pypi.server import FakePackageHosts, Logged
from tests.fakes.pypi.world import (
    DAY,
    DEFAULT_FACTS,
    HOSTILE,
    SMALL_REGISTRY,
    FakeFile,
    FakeProject,
    alpha_project,
    beta_project,
    default_world,
    gamma_project,
    make_project,
    small_world,
)
from tests.fakes.serving import Reply

__all__ = [
    "DAY",
    "DEFAULT_FACTS",
    "HOSTILE",
    "NOW",
    "PYPISTATS_DAYS",
    "SIMPLE_JSON",
    "SMALL_REGISTRY",
    "FakeClock",
    "FakeFile",
    "FakePackageHosts",
    "FakeProject",
    "Fault",
    "Logged",
    "Reply",
    "alpha_project",
    "beta_project",
    "clients_for",
    "default_world",
    "gamma_project",
    "make_project",
    "package_hosts",
    "package_registry",
    "pypi_clock",
    "scorecard",
    "small_scorecards",
    "small_world",
    "source_clients",
    "top_dump",
]
