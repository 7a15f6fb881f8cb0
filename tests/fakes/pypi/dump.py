"""The top-PyPI dump (hugovk's top-pypi-packages on GitHub Pages) in the fake PyPI-side hosts:
`/top-pypi-packages/*.min.json` with an `ETag`, or `404` when the fake has no dump."""

from __future__ import annotations

from typing import Any

from tests.fakes.pypi.answers import conditional, html_reply, json_reply
from tests.fakes.serving import Reply


class DumpRoute:
    """The dump's route of `FakePackageHosts` (a mixin: it holds the state)."""

    dump: dict | None

    def _top_pypi(self, headers: Any) -> Reply:
        if self.dump is None:
            return html_reply(404, "File not found")
        return conditional(json_reply(200, self.dump), headers)


def top_dump(
    snapshot: str, rows: list[tuple[str, int]], *, last_update_time: str = "08:12:41"
) -> dict:
    """The top-pypi-packages `.min.json` shape for one snapshot."""
    return {
        "last_update": f"{snapshot} {last_update_time}",
        "query": {
            "bytes_billed": 0,
            "bytes_processed": 0,
            "cached": False,
            "estimated_cost": "0.00",
        },
        "rows": [{"download_count": count, "project": name} for name, count in rows],
    }
