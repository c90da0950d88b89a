"""WCAG contrast of the colours Chromium computes, for the page tests.

Why a module: more than one page test checks that text stays readable (WCAG AA: 4.5:1) in the light
and the dark colour scheme (test_stuck_badge, test_contrast), from `getComputedStyle`, and they must
agree on the arithmetic.  Chromium gives a colour as `rgb()`/`rgba()`, or, for a `color-mix(in srgb, ...)`
the style sheet uses for tinted backgrounds, as `color(srgb r g b [/ a])` with channels from 0 to 1;
both are read here.  A translucent colour is laid over what is under it (`flatten`), as the browser
paints it, before the ratio is taken.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: WCAG AA's least contrast for text (any size: the page tests do not use the 3:1 of large text).
AA = 4.5

#: A colour as (red, green, blue) from 0 to 255 and alpha from 0 to 1.
RGBA = tuple[float, float, float, float]

_NUMBER = r"(-?\d+(?:\.\d+)?(?:e-?\d+)?)"
_RGB = re.compile(rf"rgba?\({_NUMBER}, {_NUMBER}, {_NUMBER}(?:, {_NUMBER})?\)")
_SRGB = re.compile(rf"color\(srgb {_NUMBER} {_NUMBER} {_NUMBER}(?: / {_NUMBER})?\)")


def colour(css: str) -> RGBA:
    """A computed colour ("rgb(194, 58, 58)", "rgba(0, 0, 0, 0)", "color(srgb 0.9 0.95 0.92)")."""
    if found := _RGB.fullmatch(css):
        r, g, b, a = found.groups()
        return float(r), float(g), float(b), 1.0 if a is None else float(a)
    if found := _SRGB.fullmatch(css):
        r, g, b, a = found.groups()
        return float(r) * 255, float(g) * 255, float(b) * 255, 1.0 if a is None else float(a)
    raise AssertionError(f"not a colour this test reads: {css!r}")


def over(top: RGBA, under: RGBA) -> RGBA:
    """`top` painted over the opaque `under` (source-over compositing)."""
    a = top[3]
    return (
        top[0] * a + under[0] * (1 - a),
        top[1] * a + under[1] * (1 - a),
        top[2] * a + under[2] * (1 - a),
        1.0,
    )


def flatten(layers: Sequence[str], base: str = "rgb(255, 255, 255)") -> RGBA:
    """The opaque colour seen through computed background `layers`, innermost first (an element's,
    then its parents' up to the root), painted from the root down over `base`."""
    seen = colour(base)
    for layer in reversed(layers):
        seen = over(colour(layer), seen)
    return seen


def luminance(c: RGBA) -> float:
    """WCAG's relative luminance of an opaque colour."""
    lin = [(x / 255 / 12.92 if x / 255 <= 0.03928 else ((x / 255 + 0.055) / 1.055) ** 2.4) for x in c[:3]]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def ratio(text: RGBA, background: RGBA) -> float:
    """WCAG's contrast ratio of `text` (laid over the background when translucent) on `background`
    (opaque: see `flatten`)."""
    dark, light = sorted((luminance(over(text, background)), luminance(background)))
    return (light + 0.05) / (dark + 0.05)


def contrast(a: str, b: str) -> float:
    """WCAG's contrast ratio of computed colour `a` (laid over `b` when translucent) and the opaque `b`."""
    background = colour(b)
    assert background[3] == 1, f"not an opaque colour: {b}"
    return ratio(colour(a), background)
