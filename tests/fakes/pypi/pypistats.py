"""pypistats.org in the fake PyPI-side hosts: `/api/packages/{name}/overall` with
`with_mirrors` and `without_mirrors` (or one of them with `mirrors=`), sorted by category then
date, only the 180 days ending "yesterday" of the fake clock; an HTML `404` for an unknown
package."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from tests.fakes.clock import FakeClock
from tests.fakes.pypi.answers import html_reply, json_reply
from tests.fakes.pypi.world import FakeProject
from tests.fakes.serving import Reply

PYPISTATS_DAYS = 180


class PypistatsRoutes:
    """pypistats.org's route of `FakePackageHosts` (a mixin: it holds the state)."""

    clock: FakeClock
    projects: dict[str, FakeProject]

    def _pypistats(self, path: str, query: dict) -> Reply:
        match = re.fullmatch(r"/api/packages/([^/]+)/overall", path)
        if not match:
            return html_reply(404, "Not Found")
        # The server turns '.' and '_' into '-' but does not lower-case.
        asked = re.sub(r"[._]+", "-", unquote(match.group(1)))
        project = next(
            (p for p in self.projects.values() if p.key == asked and p.on_pypistats), None
        )
        if project is None:
            return html_reply(404, "<h1>Not Found</h1>")
        yesterday = datetime.fromtimestamp(self.clock(), UTC).date() - timedelta(days=1)
        days = [yesterday - timedelta(days=n) for n in range(PYPISTATS_DAYS - 1, -1, -1)]
        days = [d for d in days if d not in project.daily_gaps]
        mirrors = query.get("mirrors")
        categories = {"true": ["with_mirrors"], "false": ["without_mirrors"]}.get(
            mirrors or "", ["with_mirrors", "without_mirrors"]
        )
        data = [
            {
                "category": category,
                "date": d.isoformat(),
                "downloads": project.downloads(d) + (137 if category == "with_mirrors" else 0),
            }
            for category in categories
            for d in days
        ]
        return json_reply(200, {"data": data, "package": asked, "type": "overall_downloads"})
