"""Text that goes into figures."""

from __future__ import annotations


def plain(text: object) -> str:
    """Plotly renders a subset of HTML in labels; names from outside must show as text."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
