"""Charts in the reader's light or dark theme (README, "Light and dark").

Streamlit's chart theme (`st.plotly_chart(theme="streamlit")`, app/widgets.py) paints each
chart's background, grid and titles in the theme the reader picked in the settings menu, and
repaints them when the reader switches, without a rerun. It draws axis labels and the words
inside a chart (annotations, point labels) in a mid grey, below WCAG's 4.5:1 for text on the
light background. One style sheet gives that text the page's own text colour, which
Streamlit switches with the theme too; words on a coloured cell (the verdict matrix) and the
hover boxes keep their own colours. The colours a figure sets itself are in charts/theme.py.
"""

from __future__ import annotations

import streamlit as st

# `currentColor` is the page's text colour in the chart's container: dark on the light
# theme, light on the dark one. `!important` wins over the fill plotly writes on each text.
CHART_TEXT_CSS = """<style>
[data-testid="stPlotlyChart"] svg.main-svg text:not(.heatmap-label text):not(.hoverlayer text) {
  fill: currentColor !important;
}
</style>"""


def follow_theme() -> None:
    """Add the chart text style to the page (a style only: it takes no room on the page)."""
    st.html(CHART_TEXT_CSS)
