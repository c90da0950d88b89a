"""Mood -> target: where in the (normalised) music feature space the next tracks should lie.

Strategies (per profile):
- match:  music that fits the mood (a sad face gets quiet, minor, slow music).
- uplift: the iso principle of music therapy: start *at* the listener's mood and move the queue step
          by step towards a calmer (if agitated) or happier (if low) goal.  Jumping straight to
          happy music when someone is sad is what listeners reject.
- steady: ignore moods; only the learned taste counts (target is None).
- off:    no automatic picks.

The target is a full vector in `content.normalise` space: the non-mood dimensions (energy, tempo,
loudness, mode, brightness) follow valence/arousal the way they do in real music (energetic music is
loud and fast; major keys and bright timbres read as positive).  Pure: values in, values out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, Protocol

import numpy as np

from moodspeaker.recommend.content import FloatArray

Strategy = Literal["match", "uplift", "steady", "off"]
STRATEGIES: Final[tuple[str, ...]] = ("match", "uplift", "steady", "off")

#: Where each mood class sits on the circumplex when the filter gives no valence/arousal
#: (the usual placements, e.g. Russell 1980; the vision helper's circumplex uses the same picture).
MOOD_POINTS: Final[dict[str, tuple[float, float]]] = {
    "happy": (0.75, 0.45),
    "surprise": (0.3, 0.75),
    "neutral": (0.05, -0.05),
    "sad": (-0.65, -0.45),
    "angry": (-0.6, 0.7),
    "disgust": (-0.65, 0.3),
    "fear": (-0.55, 0.65),
    "contempt": (-0.45, 0.15),
    "unknown": (0.1, 0.0),
}

#: Number of queue steps the uplift strategy takes to go from the mood to its goal.
UPLIFT_STEPS: Final = 4


class MoodLike(Protocol):
    """What the recommender needs of the mood filter's state (MoodState satisfies it)."""

    @property
    def mood(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def valence(self) -> float: ...
    @property
    def arousal(self) -> float: ...


@dataclass(frozen=True)
class Mood:
    """A plain mood value (tests, the simulator, and feedback records)."""

    mood: str
    confidence: float = 1.0
    valence: float = 0.0
    arousal: float = 0.0

    @staticmethod
    def of(mood: str, confidence: float = 1.0) -> Mood:
        v, a = MOOD_POINTS.get(mood, MOOD_POINTS["unknown"])
        return Mood(mood, confidence, v, a)


def mood_point(mood: MoodLike) -> tuple[float, float]:
    """Valence/arousal of the mood, blended towards neutral when the filter is unsure."""
    c = float(np.clip(mood.confidence if np.isfinite(mood.confidence) else 0.0, 0.0, 1.0))
    v, a = float(mood.valence), float(mood.arousal)
    if not (np.isfinite(v) and np.isfinite(a)):
        v, a = MOOD_POINTS.get(mood.mood, MOOD_POINTS["unknown"])
    nv, na = MOOD_POINTS["unknown"]
    # Half weight even at zero confidence: an unsure reading is still some evidence.
    w = 0.5 + 0.5 * c
    return (w * v + (1 - w) * nv, w * a + (1 - w) * na)


def music_point(valence: float, arousal: float) -> FloatArray:
    """A full normalised feature vector typical of music with this valence and arousal."""
    v = float(np.clip(valence, -1.0, 1.0))
    a = float(np.clip(arousal, -1.0, 1.0))
    return np.array(
        [
            v,
            a,
            a * 0.85,  # energy
            a * 0.6,  # tempo
            a * 0.6,  # loudness
            float(np.clip(v * 1.2, -1.0, 1.0)),  # mode: major for positive
            0.3 * v + 0.4 * a,  # brightness
        ],
        dtype=np.float32,
    )


def uplift_goal(valence: float, arousal: float) -> tuple[float, float]:
    """Calmer if agitated, a little livelier if flat, and happier in any case."""
    return (max(valence, 0.5), float(np.clip(arousal, -0.25, 0.3)))


def target_point(
    mood: MoodLike, strategy: str, step: int = 0, steps: int = UPLIFT_STEPS
) -> tuple[float, float] | None:
    """The (valence, arousal) aim of the `step`-th track since the mood began; None = no mood aim."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
    if strategy in ("steady", "off") or mood.mood == "unknown":
        return None
    v, a = mood_point(mood)
    if strategy == "match":
        return (v, a)
    gv, ga = uplift_goal(v, a)
    frac = min(1.0, max(0, step) / max(1, steps))
    return (v + (gv - v) * frac, a + (ga - a) * frac)
