"""Colour arithmetic for the tests: WCAG 2 contrast, and how a colour looks to a reader with
protan, deutan or tritan colour vision (Machado, Oliveira & Fernandes 2009, severity 1).
Pure computation, no plotting."""

from __future__ import annotations

import math
import re

# Machado et al. (2009), full severity, applied to linear RGB
VISIONS = {
    "protan": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deutan": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritan": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}


def rgba(colour: str) -> tuple[float, float, float, float]:
    """'#RRGGBB', '#RGB' or 'rgb(a)(r, g, b[, a])' as channels 0-1 and an alpha."""
    text = colour.strip()
    if text.startswith("#"):
        digits = text[1:]
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        if len(digits) != 6:
            raise ValueError(f"not a colour: {colour!r}")
        return (*(int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)), 1.0)
    found = re.fullmatch(
        r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+))?\)", text
    )
    if found is None:
        raise ValueError(f"not a colour: {colour!r}")
    red, green, blue, alpha = found.groups()
    return float(red) / 255, float(green) / 255, float(blue) / 255, float(alpha or 1)


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG's relative luminance of an opaque colour."""
    red, green, blue, _ = rgba(colour)
    return 0.2126 * _linear(red) + 0.7152 * _linear(green) + 0.0722 * _linear(blue)


def contrast(colour: str, background: str) -> float:
    """WCAG's contrast ratio, 1 to 21 (text needs 4.5, graphics 3)."""
    light, dark = sorted((luminance(colour), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _lab(linear: tuple[float, float, float]) -> tuple[float, float, float]:
    red, green, blue = linear
    x = (0.4124 * red + 0.3576 * green + 0.1805 * blue) / 0.95047
    y = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    z = (0.0193 * red + 0.1192 * green + 0.9505 * blue) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def seen(colour: str, vision: str | None = None) -> tuple[float, float, float]:
    """The colour in CIELAB as a reader with `vision` (None: typical vision) sees it."""
    red, green, blue, _ = rgba(colour)
    linear = (_linear(red), _linear(green), _linear(blue))
    if vision is not None:
        matrix = VISIONS[vision]
        linear = tuple(
            min(1.0, max(0.0, sum(m * c for m, c in zip(row, linear, strict=True))))
            for row in matrix
        )
    return _lab(linear)


def difference(first: str, second: str, vision: str | None = None) -> float:
    """How far apart two colours look (CIE76 ΔE; about 2 is just noticeable)."""
    return math.dist(seen(first, vision), seen(second, vision))
