"""The charts' colours: one set that reads on the app's light and dark backgrounds alike.

The app draws charts with Streamlit's theme (`st.plotly_chart(theme="streamlit")`), which
paints each chart's background and grid in the reader's light or dark theme and repaints
them at once when the reader switches theme in the settings menu; the words in a chart take
the page's text colour (app/theme.py). So a figure never sets those colours itself.
Streamlit (1.67) repaints nothing a figure sets, and a figure built for the theme the server
knows (`st.context.theme.type`) would stay in the old theme after a switch until the next
rerun: so each colour a figure does set is a mark (a line, point, bar or reference line)
chosen to keep WCAG's 3:1 for graphics against both themes' backgrounds, from Paul Tol's
colour-blind-safe schemes (the claims' verdicts: Okabe-Ito's). Words on a coloured cell (the
verdict matrix) are black, on fills that keep 4.5:1 with it.

Exports (PNG, SVG, HTML) have no Streamlit theme: they draw with TEMPLATE, plotly's white
template, so a downloaded chart is always the light one (tests/test_theme.py checks all this).
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# The app's backgrounds (Streamlit 1.67's default themes, bgColor): every mark below keeps
# at least 3:1 against both.
BACKGROUNDS = {"light": "#FFFFFF", "dark": "#171614"}

# Lines and bars, one colour a series: Paul Tol's "muted" scheme without the colours too
# dark for the dark theme (#332288, #882255) or too pale for the light one (#88CCEE,
# #44AA99, #DDCC77), and Tol's medium-contrast blue for a fifth. Simulated protan, deutan
# and tritan vision keeps every pair apart (tests/test_theme.py); past five lines the
# colours repeat with another dash.
SERIES = ("#6699CC", "#CC6677", "#117733", "#AA4499", "#999933")

# Marks that give context, not the subject: the cohort's spread, raw ratios, reference
# lines (a threshold, parity), pre-releases. A mid grey, 4.5:1 on white and 4.0:1 on dark.
NEUTRAL = "#777777"

# One-off marks, from Tol's "vibrant" scheme: a release and a major release.
BLUE = "#0077BB"
RED = "#CC3311"

# Words drawn on a coloured cell (the verdict matrix) rather than on the background.
ON_FILL = "#000000"

# Plotly's white template with the series colours: what exports draw with (the app's
# Streamlit theme replaces its background, grid and text colours, not its colorway).
TEMPLATE = go.layout.Template(pio.templates["plotly_white"])
TEMPLATE.layout.colorway = SERIES
for _bar in TEMPLATE.data.bar:  # no white outline round each bar: it would glare on dark
    _bar.marker.line.width = 0
