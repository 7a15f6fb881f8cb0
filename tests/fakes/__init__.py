"""Fakes of the outside services, for the tests and the benchmarks.

Two levels, as the style guide asks:
- `tests.fakes.transport`: a scripted `requests` transport adapter, for unit tests of the HTTP
  client (no socket at all);
- `tests.fakes.github`: a real HTTP server on 127.0.0.1 behaving like GitHub's API, for
  end-to-end refreshes (and `bench/github.py`);
- `tests.fakes.pypi`: one such server answering like pypi.org, pypistats.org, api.deps.dev and
  the top-PyPI dump (and `bench/pypi.py`).

Both server fakes are packages split by host and job, over what they share: `serving` (the
threaded `http.server`, `Reply`, scripted faults), `clock` (`FakeClock`) and `projects_toml`
(the small worlds' registry text).
"""

import pytest

# The fixtures in the tests.fakes.github and tests.fakes.pypi packages use plain asserts: let pytest
# rewrite them even though test modules import them before `pytest_plugins` registers them.
pytest.register_assert_rewrite("tests.fakes.github", "tests.fakes.pypi")
