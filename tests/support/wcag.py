"""The WCAG 2.x contrast formulas, Qt-free (unit tests use them on colours given as hex)."""

from __future__ import annotations

AA_TEXT = 4.5  # normal text (WCAG 1.4.3)
AA_MARKS = 3.0  # meaningful non-text marks: focus rings, selections, state (WCAG 1.4.11)


def _channel(v: float) -> float:
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def luminance(rgb: tuple[float, float, float]) -> float:
    """Relative luminance of an sRGB colour with channels in 0..1."""
    r, g, b = (_channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def hex_rgb(colour: str) -> tuple[float, float, float]:
    """'#rgb' or '#rrggbb' (a Pygments style's 'rrggbb' too) as channels in 0..1."""
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255)


def ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def hex_ratio(a: str, b: str) -> float:
    return ratio(hex_rgb(a), hex_rgb(b))
