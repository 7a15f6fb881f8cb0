"""Helpers for driving the app with streamlit.testing.v1.AppTest."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "dashboard.py")


def open_page(page: str = "overview") -> AppTest:
    """The app after its first run, switched to `page` (overview, compare, community, data)."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    if page != "overview":
        at.switch_page(f"app/{page}_page.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


# AppTest does not keep a dataframe's key, so tables are found by their place on the page,
# checked by a column only that table has.
TABLES = {
    "overview_claims": (0, "evidence"),
    "overview_tracked": (1, "repos_counted"),
    "overview_repositories": (2, "description"),
    "overview_group": (3, "repos_counted"),
    "overview_cohort": (4, "repos_counted"),
    "data_sources": (0, "licence"),
    "data_coverage": (1, "status"),
    "data_cohort": (2, "rank"),
    "data_histories": (3, "size_mb"),
    "data_runs": (4, "run_id"),
}


def frame(at: AppTest, name: str) -> pd.DataFrame:
    """The data behind the named st.dataframe (see TABLES)."""
    index, column = TABLES[name]
    value = at.dataframe[index].value
    assert column in value.columns, (name, list(value.columns))
    return value


def figure(at: AppTest, index: int = 0) -> dict:
    """The plotly figure spec of the index-th chart (AppTest has no typed accessor)."""
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def trace_values(trace: dict, axis: str) -> np.ndarray:
    """A trace's x or y values; plotly encodes numeric arrays as base64 typed arrays."""
    values = trace[axis]
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"])
    return np.array([np.nan if v is None else v for v in values], dtype=object)


def trace(spec: dict, name: str) -> dict:
    for item in spec["data"]:
        if item["name"] == name:
            return item
    raise KeyError(f"no trace {name!r}; have {[t['name'] for t in spec['data']]}")


def texts(at: AppTest) -> str:
    """Everything the page says in markdown, captions, alerts and code blocks."""
    parts = []
    for kind in ("markdown", "caption", "warning", "error", "info", "code", "title", "subheader"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)
