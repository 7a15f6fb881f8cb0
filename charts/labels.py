"""Text that goes into figures and tables: names from outside made plain, values by their unit,
one percentage format, compact numbers and log-axis ticks."""

from __future__ import annotations

import math
import textwrap

# One percentage format everywhere (figures, hover, axes and tables): one decimal, no space,
# '75.0%' and '26.4%' (never '75%' beside '26.39%').
PERCENT_DECIMALS = 1
PERCENT_D3 = f".{PERCENT_DECIMALS}%"  # plotly's tickformat / hovertemplate for a share
# Streamlit's "percent" column format shows as many decimals as its `step` has, less two
PERCENT_STEP = 10.0 ** -(PERCENT_DECIMALS + 2)


def plain(text: object) -> str:
    """Plotly renders a subset of HTML in labels; names from outside must show as text."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def percent(share: float, *, signed: bool = False) -> str:
    """A share (0.264) as the dashboard writes percentages: '26.4%' ('+26.4%' signed)."""
    return f"{share * 100:{'+' if signed else ''}.{PERCENT_DECIMALS}f}%"


def figure_text(value: float | None, unit: str, *, signed: bool = False) -> str:
    """A value as people read it, by its unit: '12,637', '3.1%', '30.3 days', '7.4 / 10';
    `signed` for a change ('+1.2 pp' for shares: percentage points). A missing value is an
    empty string (never '0')."""
    if value is None or value != value:  # None or NaN
        return ""
    sign = "+" if signed and value > 0 else ""
    if unit == "share":
        return f"{sign}{value * 100:.{PERCENT_DECIMALS}f} pp" if signed else percent(value)
    if unit == "count":
        return f"{sign}{value:,.0f}"
    if unit in ("days", "hours"):
        return f"{sign}{value:,.1f} {unit}"
    if unit == "score":
        return f"{sign}{value:.1f}" if signed else f"{value:.1f} / 10"
    return f"{sign}{value:.3g}"


def compact(value: float) -> str:
    """A tick-sized number: '500', '10k', '2.5M', '1bn'."""
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Ticks for a log axis from `low` to `high` (both > 0): the powers of ten, and 2× and 5×
    between them when the range spans less than two decades; every tick labelled with its
    whole value ('2k', '10k'), never plotly's lone minor digits ('2, 100k, 9, 8, 7')."""
    if not (low > 0 and high > 0 and math.isfinite(low) and math.isfinite(high)):
        return [], []
    low, high = min(low, high), max(low, high)
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    steps = (1,) if math.log10(high / low) >= 2 else (1, 2, 5)  # two decades or more
    candidates = [step * 10.0**power for power in range(first, last + 1) for step in steps]
    # the ticks inside the data's range, and one either side so the axis ends on a label
    inside = [v for v in candidates if low <= v <= high]
    below = [v for v in candidates if v < low][-1:]
    above = [v for v in candidates if v > high][:1]
    values = below + inside + above
    return values, [compact(v) for v in values]


def title_lines(title: str, width: int) -> str:
    """A chart title wrapped at `width` characters (plotly never wraps: a long title is cut
    at the figure's edge), each line made plain."""
    return "<br>".join(plain(line) for line in textwrap.wrap(str(title), width)) or plain(title)
