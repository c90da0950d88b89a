"""Per-frame class probabilities -> a stable mood, its confidence and a valence/arousal point.

The seed projects average the last 5-8 s of probabilities and take the argmax; they note that no
window length is both quick and steady.  The default filter here treats "has the mood changed?" as a
change-detection problem instead:

1. Evidence, not averages: every frame gives each challenger class the log-likelihood ratio
   `log(p_c + floor) - log(p_current + floor)`; the ratios are summed per challenger and clipped at zero
   (Page's CUSUM, 1954: the quickest detector of a change for a given false-alarm rate).  Consistent
   frames add up, so a real change wins in a few frames; the floor bounds what one frame can say.
2. Confidence weighting: each frame's ratios are scaled by its certainty (1 - normalised entropy,
   softened); an ambiguous frame (a half-turned head, motion blur) moves little.
3. Hysteresis: the challenger's sum must reach `switch_evidence` and it must have kept gaining for
   `min_dwell_s`, so a yawn, squint or glance (one or two frames) never becomes a mood, and the sums
   start again from zero after every switch.

The reported confidence, class belief and valence/arousal come from a separate, faster view: the same
weighted log-evidence with exponential forgetting (half-life `half_life_s`), softmaxed.

"No face" is not evidence: the belief is held and the reported confidence fades linearly to zero over
`no_face_timeout_s`, after which the mood becomes `unknown`.  It never flips to another class.

`smoothing = "rolling"` gives the seeds' plain rolling average (argmax of the window mean) as the
baseline the benchmark compares against.  Everything here is pure: time is passed in, no I/O.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from moodspeaker.config.schema import MoodConfig
from moodspeaker.mood.circumplex import to_valence_arousal
from moodspeaker.mood.classes import ALL_EXPRESSIONS, UNKNOWN

Vector = npt.NDArray[np.float64]

#: Added to every class probability before taking logs: no single frame can rule a class out
#: (with 0.1, one frame says at most log(1.1 / 0.1) = 2.4 nats).
EVIDENCE_FLOOR = 0.1
#: Weight of the least certain frame; a confident frame counts up to 1.
MIN_FRAME_WEIGHT = 0.5


@dataclass(frozen=True)
class MoodState:
    """The filter's answer after one update.

    `confidence` is the smoothed belief in `mood` (0 when unknown), faded while no face is seen.
    `changed` is True exactly on the update where `mood` differs from `previous` (the mood after the
    update before).  `probs` is the smoothed belief over the model's classes (empty before any face).
    """

    mood: str
    confidence: float
    valence: float
    arousal: float
    face: bool
    changed: bool
    previous: str = UNKNOWN
    probs: Mapping[str, float] = field(default_factory=dict)
    #: False: the camera is off (the privacy switch), so no face can be read at all; the service
    #: says so of the mood it plans with (recommend.explain words it).  None: not said (the filter).
    camera: bool | None = None
    #: True: the listener said this mood (a correction: "I'm sad" in the Tell box), the camera did not
    #: read it; the picks planned with it say so ("you said you feel sad", explain.mood_phrase).
    told: bool = False


class Smoother(Protocol):
    """Turns a stream of probability vectors into a belief vector (same class order)."""

    def update(self, p: Vector, now: float) -> Vector: ...


class EvidenceSmoother:
    """Confidence-weighted log-evidence per class with exponential forgetting, softmaxed."""

    def __init__(self, n_classes: int, half_life_s: float) -> None:
        self._scores = np.zeros(n_classes)
        self._half_life = half_life_s
        self._last: float | None = None

    def update(self, p: Vector, now: float) -> Vector:
        if self._last is not None:
            dt = max(0.0, now - self._last)
            self._scores *= 0.5 ** (dt / self._half_life)
        self._last = now
        self._scores += frame_weight(p) * np.log(p + EVIDENCE_FLOOR)
        return softmax(self._scores)


class RollingSmoother:
    """Mean of the probability vectors seen in the last `window_s` seconds (the seeds' baseline)."""

    def __init__(self, n_classes: int, window_s: float) -> None:
        self._window = window_s
        self._items: deque[tuple[float, Vector]] = deque()

    def update(self, p: Vector, now: float) -> Vector:
        self._items.append((now, p))
        while self._items and self._items[0][0] <= now - self._window:
            self._items.popleft()
        return np.mean([v for _, v in self._items], axis=0)  # type: ignore[no-any-return]


class ChangeDetector:
    """CUSUM per challenger class against the current mood, with a threshold and a minimum dwell.

    `current` is the index of the announced class, or None before the first decision (then the
    reference is the uniform distribution: a class must stand out from "no information").
    """

    def __init__(self, n_classes: int, threshold: float, min_dwell_s: float) -> None:
        self.current: int | None = None
        self._n = n_classes
        self._threshold = threshold
        self._dwell = min_dwell_s
        self._sums = np.zeros(n_classes)
        self._since = np.full(n_classes, np.nan)

    @property
    def sums(self) -> Vector:
        """Evidence gathered by each challenger (read-only copy, for tests and diagnostics)."""
        return self._sums.copy()

    def update(self, p: Vector, now: float) -> int | None:
        evidence = frame_weight(p) * np.log(p + EVIDENCE_FLOOR)
        if self.current is None:
            reference = frame_weight(p) * math.log(1.0 / self._n + EVIDENCE_FLOOR)
        else:
            reference = float(evidence[self.current])
        gain = evidence - reference
        self._sums = np.maximum(0.0, self._sums + gain)
        if self.current is not None:
            self._sums[self.current] = 0.0
        rising = self._sums > 0.0
        self._since[~rising] = np.nan
        self._since[rising & np.isnan(self._since)] = now
        best = int(np.argmax(self._sums))
        # Switch only on a frame that itself supports the challenger: a yawn that ends must not be
        # announced on the first frame after it just because the dwell time has passed.
        if (
            self._sums[best] >= self._threshold
            and gain[best] > 0.0
            and now - self._since[best] >= self._dwell
        ):
            self.current = best
            self._sums[:] = 0.0
            self._since[:] = np.nan
        return self.current


def softmax(scores: Vector) -> Vector:
    """Numerically stable softmax."""
    shifted = np.exp(scores - scores.max())
    return shifted / shifted.sum()  # type: ignore[no-any-return]


def frame_weight(p: Vector) -> float:
    """How much one frame counts: between MIN_FRAME_WEIGHT (uniform) and 1 (one-hot).

    Linear in 1 - normalised entropy: a confident frame (0.9 on one class) counts about 0.88, an
    undecided one (0.45 / 0.30 / rest) about 0.64.
    """
    if p.size < 2:
        return 1.0
    q = p[p > 0]
    certainty = 1.0 - float(-(q * np.log(q)).sum()) / math.log(p.size)
    return MIN_FRAME_WEIGHT + (1.0 - MIN_FRAME_WEIGHT) * min(1.0, max(0.0, certainty))


def normalise(probs: Mapping[str, float], classes: Sequence[str]) -> Vector:
    """Probabilities in `classes` order; missing classes count 0, junk values are cleaned up.

    A vector without any positive finite entry becomes uniform (no information) rather than NaN.
    """
    v = np.array([float(probs.get(c, 0.0)) for c in classes], dtype=np.float64)
    v[~np.isfinite(v)] = 0.0
    v = np.clip(v, 0.0, None)
    total = v.sum()
    if total <= 0.0:
        return np.full(len(classes), 1.0 / len(classes))
    return v / total  # type: ignore[no-any-return]


class MoodFilter:
    """The mood stage: smoother + decision rule + no-face handling; built from `MoodConfig`.

    `classes` fixes the class order; when omitted it is taken from the keys of the first
    probabilities passed in (so it follows whatever model is loaded).  Keys outside that set are
    ignored later; missing ones count as 0.
    """

    def __init__(self, cfg: MoodConfig, classes: Sequence[str] | None = None) -> None:
        self._cfg = cfg
        self._classes: tuple[str, ...] | None = tuple(classes) if classes else None
        self._smoother: Smoother | None = None
        self._detector: ChangeDetector | None = None
        self._belief: Vector | None = None
        self._mood = UNKNOWN
        self._last_face: float | None = None

    @property
    def mood(self) -> str:
        return self._mood

    @property
    def classes(self) -> tuple[str, ...] | None:
        return self._classes

    def reset(self) -> None:
        """Forget everything (e.g. the listener changed); the next state starts unknown."""
        self._smoother = None
        self._detector = None
        self._belief = None
        self._mood = UNKNOWN
        self._last_face = None

    def update(self, probs: Mapping[str, float] | None, now: float) -> MoodState:
        """Feed one capture: the classifier's probabilities, or None when no face was found."""
        previous = self._mood
        if probs is None:
            return self._no_face(now, previous)
        if self._classes is None:
            self._classes = tuple(probs) or ALL_EXPRESSIONS
        n = len(self._classes)
        if self._smoother is None:
            self._smoother = (
                RollingSmoother(n, self._cfg.rolling_window_s)
                if self._cfg.smoothing == "rolling"
                else EvidenceSmoother(n, self._cfg.half_life_s)
            )
        p = normalise(probs, self._classes)
        self._last_face = now
        self._belief = self._smoother.update(p, now)
        if self._cfg.smoothing == "rolling":
            self._mood = self._classes[int(np.argmax(self._belief))]  # no hysteresis, as in the seeds
        else:
            if self._detector is None:
                self._detector = ChangeDetector(n, self._cfg.switch_evidence, self._cfg.min_dwell_s)
            index = self._detector.update(p, now)
            self._mood = UNKNOWN if index is None else self._classes[index]
        return self._state(presence=1.0, face=True, previous=previous)

    def _no_face(self, now: float, previous: str) -> MoodState:
        if self._belief is None or self._last_face is None:
            return self._state(presence=0.0, face=False, previous=previous)
        absent = max(0.0, now - self._last_face)
        presence = max(0.0, 1.0 - absent / self._cfg.no_face_timeout_s)
        if presence <= 0.0 and self._mood != UNKNOWN:
            self._mood = UNKNOWN
            self._detector = None  # the next face starts a fresh decision
        return self._state(presence=presence, face=False, previous=previous)

    def _state(self, *, presence: float, face: bool, previous: str) -> MoodState:
        probs: dict[str, float] = {}
        confidence = valence = arousal = 0.0
        if self._belief is not None and self._classes is not None:
            probs = {c: float(b) for c, b in zip(self._classes, self._belief, strict=True)}
            if self._mood != UNKNOWN:
                confidence = probs[self._mood] * presence
            valence, arousal = to_valence_arousal(probs)
            valence *= presence
            arousal *= presence
        return MoodState(
            mood=self._mood,
            confidence=confidence,
            valence=valence,
            arousal=arousal,
            face=face,
            changed=self._mood != previous,
            previous=previous,
            probs=probs,
        )
