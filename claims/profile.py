"""One project in depth: every indicator with its trend and its place in the cohort (pure)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from claims.verdicts import percentile
from metrics.indicators import CATALOGUE


def project_profile(
    project_id: str,
    now: pd.DataFrame,
    year_before: pd.DataFrame,
    cohort_ids: Sequence[str],
) -> pd.DataFrame:
    """Per indicator: value, as of, quality ('partial' when it rests on only some of the
    project's repositories or packages), value a year earlier, change, cohort percentile,
    source, coverage (which repositories or packages it covers), and a link to its method."""
    mine = now[now["project_id"] == project_id].set_index("indicator")
    before = year_before[year_before["project_id"] == project_id].set_index("indicator")["value"]
    cohort = now[now["project_id"].isin(cohort_ids)]
    rows = []
    for metric, info in CATALOGUE.items():
        value = mine["value"].get(metric, np.nan)
        earlier = before.get(metric, np.nan)
        peers = cohort.loc[cohort["indicator"] == metric, "value"].dropna().tolist()
        rows.append(
            {
                "indicator": info.title,
                "value": value,
                "unit": info.unit,
                "as_of": mine["as_of"].get(metric, pd.NaT),
                "quality": mine["quality"].get(metric, "missing"),
                "a_year_earlier": earlier,
                "change": value - earlier if pd.notna(value) and pd.notna(earlier) else np.nan,
                "cohort_percentile": percentile(value, peers),
                "cohort_members_with_value": len(peers),
                "source": info.source,
                "note": mine["note"].get(metric, ""),
                "coverage": mine["coverage"].get(metric, "") if "coverage" in mine else "",
                "methods": f"/methods#{metric.replace('_', '-')}",
            }
        )
    frame = pd.DataFrame(rows)
    # what is known first; the missing rows follow, each saying what would supply it
    return frame.sort_values("value", key=lambda v: v.isna(), kind="stable").reset_index(drop=True)
