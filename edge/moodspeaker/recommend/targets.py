"""Mood -> target: where in the (normalised) music feature space the next tracks should lie.

Strategies (per profile):
- match:  music that fits the mood (a sad face gets quiet, minor, slow music).
- uplift: the iso principle of music therapy: start *at* the listener's mood and move the queue step
          by step towards a calmer (if agitated) or happier (if low) goal.  Jumping straight to
          happy music when someone is sad is what listeners reject.  A mood that is bright already
          (happy, or a point as positive as the goal) is not lifted: uplift plays what fits it.
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
#: The least valence the uplift strategy aims for.
UPLIFT_VALENCE: Final = 0.5
#: How far one "calmer" or "livelier" from the listener moves the aim's arousal (`steered`), and
#: the most that requests in a row move it (two steps: from a happy face's arousal to calm music).
STEER_STEP: Final = 0.5
STEER_MAX: Final = 1.0
#: Classes that are bright in themselves: uplift has nothing to lift them to, however unsure the filter
#: is (an unsure reading is pulled towards neutral, below UPLIFT_VALENCE, yet the face is a happy one).
BRIGHT_MOODS: Final = frozenset({"happy"})


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
    """A plain mood value (tests, the simulator, and feedback records).

    `face`, `faces_read` and `camera` only word an `unknown` mood (explain.mood_phrase): whether a
    face is in view at this reading, whether the filter has read any face so far, and whether the
    camera is on at all; None when not known.  `told`: the listener said this mood (a correction),
    the camera did not read it; `asked` (with it): said as music asked for ("play sad songs")."""

    mood: str
    confidence: float = 1.0
    valence: float = 0.0
    arousal: float = 0.0
    face: bool | None = None
    faces_read: bool | None = None
    camera: bool | None = None
    told: bool = False
    asked: bool = False

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
    return (max(valence, UPLIFT_VALENCE), float(np.clip(arousal, -0.25, 0.3)))


def lifts(mood: MoodLike) -> bool:
    """Whether the uplift strategy moves away from this mood.  Not from `unknown` (no aim), a bright
    class, or a point as positive as the goal already: "towards a brighter mood" would be untrue,
    and the only change left (calming a happy listener down) is not what uplift is chosen for."""
    if mood.mood == "unknown" or mood.mood in BRIGHT_MOODS:
        return False
    return mood_point(mood)[0] < UPLIFT_VALENCE


def target_point(
    mood: MoodLike, strategy: str, step: int = 0, steps: int = UPLIFT_STEPS
) -> tuple[float, float] | None:
    """The (valence, arousal) aim of the `step`-th track since the mood began; None = no mood aim."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
    if strategy in ("steady", "off") or mood.mood == "unknown":
        return None
    v, a = mood_point(mood)
    if strategy == "match" or not lifts(mood):
        return (v, a)
    gv, ga = uplift_goal(v, a)
    frac = min(1.0, max(0, step) / max(1, steps))
    return (v + (gv - v) * frac, a + (ga - a) * frac)


def steered(target: FloatArray | None, by: float) -> FloatArray | None:
    """`target` (None: no aim) moved `by` along arousal, as music a listener asked to be calmer
    (`by` < 0) or livelier is: lower (higher) arousal, energy, tempo, loudness and brightness, the
    same valence and mode (`music_point`'s arousal column).  With no aim (steady, an unknown mood)
    the move is from neutral music.  `by` 0 leaves the target as it is."""
    if by == 0.0:
        return target
    base = music_point(0.0, 0.0) if target is None else target
    return (base + music_point(0.0, by) - music_point(0.0, 0.0)).astype(np.float32)


def as_mood(mood: MoodLike | None) -> Mood:
    """A plain Mood of the caller's; a filter's MoodState also says whether a face is in view,
    whether any was read so far (its `probs` are empty until then) and, from the service, whether the
    camera is off, for the wording of `unknown`."""
    if mood is None:
        return Mood("unknown", 0.0, 0.0, 0.0)
    face = getattr(mood, "face", None)
    probs = getattr(mood, "probs", None)
    camera = getattr(mood, "camera", None)
    told = getattr(mood, "told", False)
    asked = getattr(mood, "asked", False)
    return Mood(
        str(mood.mood),
        float(mood.confidence),
        float(mood.valence),
        float(mood.arousal),
        face=face if isinstance(face, bool) else None,
        faces_read=bool(probs) if probs is not None else getattr(mood, "faces_read", None),
        camera=camera if isinstance(camera, bool) else None,
        told=told is True,
        asked=asked is True,
    )
