"""Charts of the claims: the verdict colours and words (style), the verdict matrix (matrix),
each claim's evidence (evidence) and the headline comparison of the open-source AI group with
the cohort (comparison).

Builders are pure: frames in, plotly figures out. Each figure has a frame (the `*_frame`
functions) that holds exactly what it draws, for its CSV download.
"""

from __future__ import annotations

from charts.claims.comparison import comparison_chart, comparison_frame
from charts.claims.evidence import EVIDENCE_COLUMNS, evidence_chart, evidence_frame
from charts.claims.matrix import matrix_chart, matrix_frame
from charts.claims.style import (
    BETTER,
    COHORT_COLOUR,
    GROUP_COLOUR,
    TRACKED_COLOUR,
    VERDICT_COLOURS,
    VERDICT_ORDER,
    fold_missing,
    labelled,
    missing_line,
    short_label,
    verdict_css,
    verdict_label,
)

__all__ = [
    "BETTER",
    "COHORT_COLOUR",
    "EVIDENCE_COLUMNS",
    "GROUP_COLOUR",
    "TRACKED_COLOUR",
    "VERDICT_COLOURS",
    "VERDICT_ORDER",
    "comparison_chart",
    "comparison_frame",
    "evidence_chart",
    "evidence_frame",
    "fold_missing",
    "labelled",
    "matrix_chart",
    "matrix_frame",
    "missing_line",
    "short_label",
    "verdict_css",
    "verdict_label",
]
