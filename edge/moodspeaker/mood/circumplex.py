"""Expression classes on Russell's circumplex of affect: probabilities -> a (valence, arousal) point.

Why a continuous point besides the discrete mood: the recommender matches music by valence/arousal,
and a point moves smoothly where the class argmax jumps.  The coordinates are the approximate places
of the emotion words on the circumplex (Russell 1980, "A circumplex model of affect", J. Pers. Soc.
Psychol. 39(6):1161-1178, Fig. 2), rounded to one decimal as commonly used in affective-computing work;
they are a convention, not a measurement.  Pure functions, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

#: class name -> (valence, arousal), both in -1..1.
COORDINATES: Final[Mapping[str, tuple[float, float]]] = {
    "happy": (0.8, 0.5),
    "surprise": (0.4, 0.8),
    "angry": (-0.6, 0.7),
    "fear": (-0.6, 0.6),
    "disgust": (-0.7, 0.3),
    "sad": (-0.7, -0.4),
    "neutral": (0.0, 0.0),
    "contempt": (-0.5, 0.2),
}


def coordinates(mood: str) -> tuple[float, float]:
    """The circumplex point of one class; `unknown` and unmapped names sit at the centre (0, 0)."""
    return COORDINATES.get(mood, (0.0, 0.0))


def to_valence_arousal(probs: Mapping[str, float]) -> tuple[float, float]:
    """Probability-weighted mean of the class points, clipped to -1..1.

    Classes without a point (unknown names) count as the centre.  Weights are normalised, so a
    distribution that does not quite sum to one (quantised outputs) still gives a proper mean; an
    all-zero or non-finite input gives the centre rather than NaN.
    """
    total = 0.0
    valence = 0.0
    arousal = 0.0
    for name, p in probs.items():
        if not math.isfinite(p) or p <= 0.0:
            continue
        v, a = coordinates(name)
        total += p
        valence += p * v
        arousal += p * a
    if total <= 0.0:
        return 0.0, 0.0
    return _clip(valence / total), _clip(arousal / total)


def _clip(x: float) -> float:
    return max(-1.0, min(1.0, x))
