"""Text that goes into figures."""

from __future__ import annotations


def plain(text: object) -> str:
    """Plotly renders a subset of HTML in labels; names from outside must show as text."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def figure_text(value: float | None, unit: str, *, signed: bool = False) -> str:
    """A value as people read it, by its unit: '12,637', '3.1 %', '30.3 days', '7.4 / 10';
    `signed` for a change ('+1.2 pp' for shares: percentage points). A missing value is an
    empty string (never '0')."""
    if value is None or value != value:  # None or NaN
        return ""
    sign = "+" if signed and value > 0 else ""
    if unit == "share":
        return f"{sign}{value * 100:.1f} pp" if signed else f"{value * 100:.1f} %"
    if unit == "count":
        return f"{sign}{value:,.0f}"
    if unit in ("days", "hours"):
        return f"{sign}{value:,.1f} {unit}"
    if unit == "score":
        return f"{sign}{value:.1f}" if signed else f"{value:.1f} / 10"
    return f"{sign}{value:.3g}"
