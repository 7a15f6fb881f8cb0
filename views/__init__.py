"""Views: which charts and tables each page shows, built from metrics, defined once.

One module per page (overview, compare, community, claims, project). A view is pure: tables
and settings in, a list of `ChartView(name, figure, data)` out; no Streamlit, no file I/O.
The pages call the views (through app/loaders.py's cached wrappers where they compute) and
only lay them out with widgets; `exports.py` calls `page_views` (the pages' default
settings) and only writes files, so what is downloaded is what was seen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from claims.model import Claim
from registry import Registry
from views import claims, community, compare, overview, project
from views.base import ChartView

PAGES = ("overview", "compare", "community", "claims", "project")

__all__ = ["PAGES", "ChartView", "page_views"]


def page_views(
    page: str,
    registry: Registry,
    tables: Mapping[str, pd.DataFrame],
    claim_model: Sequence[Claim],
) -> list[ChartView]:
    """Every chart and table a page shows with its default settings, in page order; where a
    page shows one of several (a metric, a project), all of them. Raises ValueError for an
    unknown page."""
    if page == "overview":
        return overview.default_views(registry, tables, claim_model)
    if page == "compare":
        return compare.default_views(registry, tables)
    if page == "community":
        return community.default_views(registry, tables)
    if page == "claims":
        return claims.default_views(registry, tables, claim_model)
    if page == "project":
        return project.default_views(registry, tables)
    raise ValueError(f"unknown page {page!r}; choose from {', '.join(PAGES)} or all")
