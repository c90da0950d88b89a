"""Per-frame class probabilities -> a stable mood, its confidence and a valence/arousal point.

The seed projects average the last 5-8 s of probabilities and take the argmax; they note that no
window length is both quick and steady.  The default filter here treats "has the mood changed?" as a
change-detection problem instead:

1. Evidence, not averages: every frame gives each challenger class the log-likelihood ratio
   `log(p_c + floor) - log(p_current + floor)`; the ratios are summed per challenger and clipped at zero
   (Page's CUSUM, 1954: the quickest detector of a change for a given false-alarm rate).  Consistent
   frames add up, so a real change wins in a few seconds; the floor bounds what one frame can say.
2. Confidence weighting: each frame's ratios are scaled by its certainty (1 - normalised entropy,
   softened); an ambiguous frame (a half-turned head, motion blur) moves little.
3. Hysteresis: the challenger's sum must reach `switch_evidence` and it must have kept gaining for
   `min_dwell_s`, so a yawn, squint or glance never becomes a mood, and the sums start again from zero
   after every switch.

Units: evidence is counted per second, not per frame, so the same face gives the same mood, switch
time and confidence whatever `camera.interval_s` is (it can change live, 0-60 s).  A frame stands for
its *span*, the time since the capture before it (face or not; at most MAX_FRAME_SPAN_S, so a slow
camera or a stall is not assumed to have looked like the frame after it), measured in REFERENCE_INTERVAL_S
(the schema's default `camera.interval_s`, 1 s): at the default interval every frame counts exactly 1,
as before.  `switch_evidence` is in nats per reference interval of a steady face.  The dwell clock of
a challenger starts at its first supporting frame, moved later by however much that frame's span falls
short of the reference interval: the excursion must be supported for `min_dwell_s` plus one reference
interval (2.5 s at the defaults; at 1 frame/s: three frames), so an excursion of 2 s never becomes the
mood at any interval, and one frame alone never does (with `min_dwell_s` > 0).

The reported confidence, class belief and valence/arousal come from a separate, faster view: the same
weighted log-evidence with exponential forgetting (half-life `half_life_s`), softmaxed.  A frame adds
its span's evidence as forgotten over that span, (1 - 2^(-span/h)) / (1 - 2^(-REFERENCE_INTERVAL_S/h)),
so a steady face settles on the same confidence at any interval up to MAX_FRAME_SPAN_S.

"No face" is not evidence: the belief is held and the reported confidence fades linearly to zero over
`no_face_timeout_s`, after which the mood becomes `unknown`.  It never flips to another class.  The
fade lasts at least NO_FACE_CAPTURES capture intervals (the shorter of the last two spans, so one stall
is not taken for the interval), so at a slow interval (30 s against the default 20 s timeout) one
missed detection halves the confidence instead of ending the mood.

`smoothing = "rolling"` gives the seeds' plain rolling average (argmax of the window mean) as the
baseline the benchmark compares against (its window is in seconds already).  Everything here is pure:
time is passed in, no I/O.
"""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from moodspeaker.config.schema import CameraConfig, MoodConfig
from moodspeaker.mood.circumplex import to_valence_arousal
from moodspeaker.mood.classes import ALL_EXPRESSIONS, UNKNOWN

Vector = npt.NDArray[np.float64]

#: Added to every class probability before taking logs: no single frame can rule a class out
#: (with 0.1, one frame says at most log(1.1 / 0.1) = 2.4 nats).
EVIDENCE_FLOOR = 0.1
#: Weight of the least certain frame; a confident frame counts up to 1.
MIN_FRAME_WEIGHT = 0.5

#: The capture interval evidence is counted in: the default `camera.interval_s` (the schema states it).
REFERENCE_INTERVAL_S = float(CameraConfig().interval_s)
#: The longest capture interval the settings allow; longer gaps (a stall) count as this for the fade.
MAX_CAPTURE_INTERVAL_S = float(
    next(f for f in dataclasses.fields(CameraConfig) if f.name == "interval_s").metadata["max"]
)
#: The most time one frame's evidence stands for, however long since the capture before it.
MAX_FRAME_SPAN_S = 5.0
#: Captures in a row without a face before the mood can become unknown, whatever the timeout.
NO_FACE_CAPTURES = 2


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
    #: True (with `told`): the listener asked for music of this mood ("play sad songs"), which says
    #: nothing of how they feel; the picks say "you asked for sad music".
    asked: bool = False


class Smoother(Protocol):
    """Turns a stream of probability vectors into a belief vector (same class order)."""

    def update(self, p: Vector, now: float, span: float = REFERENCE_INTERVAL_S) -> Vector:
        """Add frame `p` taken at `now`, standing for the `span` seconds before it."""
        ...


class EvidenceSmoother:
    """Confidence-weighted log-evidence per class with exponential forgetting, softmaxed."""

    def __init__(self, n_classes: int, half_life_s: float) -> None:
        self._scores = np.zeros(n_classes)
        self._half_life = half_life_s
        self._last: float | None = None

    def update(self, p: Vector, now: float, span: float = REFERENCE_INTERVAL_S) -> Vector:
        if self._last is not None:
            dt = max(0.0, now - self._last)
            self._scores *= 0.5 ** (dt / self._half_life)
        self._last = now
        # the span's evidence, forgotten over the span: 1 at the reference interval, and the same
        # steady belief for a steady face at any interval
        span = min(max(0.0, span), MAX_FRAME_SPAN_S)
        weight = (1.0 - 0.5 ** (span / self._half_life)) / (
            1.0 - 0.5 ** (REFERENCE_INTERVAL_S / self._half_life)
        )
        self._scores += weight * frame_weight(p) * np.log(p + EVIDENCE_FLOOR)
        return softmax(self._scores)


class RollingSmoother:
    """Mean of the probability vectors seen in the last `window_s` seconds (the seeds' baseline)."""

    def __init__(self, n_classes: int, window_s: float) -> None:
        self._window = window_s
        self._items: deque[tuple[float, Vector]] = deque()

    def update(self, p: Vector, now: float, span: float = REFERENCE_INTERVAL_S) -> Vector:
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

    def update(self, p: Vector, now: float, span: float = REFERENCE_INTERVAL_S) -> int | None:
        """Add frame `p` taken at `now`, standing for the `span` seconds before it (module doc: units)."""
        span = max(0.0, span)
        evidence = frame_weight(p) * np.log(p + EVIDENCE_FLOOR)
        if self.current is None:
            reference = frame_weight(p) * math.log(1.0 / self._n + EVIDENCE_FLOOR)
        else:
            reference = float(evidence[self.current])
        gain = (evidence - reference) * (min(span, MAX_FRAME_SPAN_S) / REFERENCE_INTERVAL_S)
        self._sums = np.maximum(0.0, self._sums + gain)
        if self.current is not None:
            self._sums[self.current] = 0.0
        rising = self._sums > 0.0
        self._since[~rising] = np.nan
        # the dwell clock starts at the first supporting frame, later by what its span lacks of the
        # reference interval: at any rate the support must last min_dwell_s + one reference interval
        self._since[rising & np.isnan(self._since)] = now + max(0.0, REFERENCE_INTERVAL_S - span)
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
    top = v.max(initial=0.0)
    if top <= 0.0:
        return np.full(len(classes), 1.0 / len(classes))
    v = v / top  # two values near the float maximum would sum to inf (and divide to all zeros)
    return v / v.sum()  # type: ignore[no-any-return]


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
        self._last_capture: float | None = None
        self._last_span: float | None = None
        self._presence = 0.0

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
        self._last_capture = None
        self._last_span = None
        self._presence = 0.0

    def update(self, probs: Mapping[str, float] | None, now: float) -> MoodState:
        """Feed one capture: the classifier's probabilities, or None when no face was found.

        Feed every capture, with or without a face: the time since the capture before is what a frame
        stands for (the first one stands for REFERENCE_INTERVAL_S).
        """
        previous = self._mood
        span = REFERENCE_INTERVAL_S if self._last_capture is None else max(0.0, now - self._last_capture)
        # the capture interval as seen: the shorter of the last two spans (one stall is no interval)
        interval = span if self._last_span is None else min(span, self._last_span)
        self._last_capture, self._last_span = now, span
        if probs is None:
            return self._no_face(now, previous, interval)
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
        self._presence = 1.0
        self._belief = self._smoother.update(p, now, span)
        if self._cfg.smoothing == "rolling":
            self._mood = self._classes[int(np.argmax(self._belief))]  # no hysteresis, as in the seeds
        else:
            if self._detector is None:
                self._detector = ChangeDetector(n, self._cfg.switch_evidence, self._cfg.min_dwell_s)
            index = self._detector.update(p, now, span)
            self._mood = UNKNOWN if index is None else self._classes[index]
        return self._state(presence=1.0, face=True, previous=previous)

    def _no_face(self, now: float, previous: str, interval: float) -> MoodState:
        if self._belief is None or self._last_face is None:
            return self._state(presence=0.0, face=False, previous=previous)
        absent = max(0.0, now - self._last_face)
        # at least NO_FACE_CAPTURES intervals: at a slow interval one missed detection is not the end
        timeout = max(self._cfg.no_face_timeout_s, NO_FACE_CAPTURES * min(interval, MAX_CAPTURE_INTERVAL_S))
        # never rises again without a face (the interval may change live)
        self._presence = min(self._presence, max(0.0, 1.0 - absent / timeout))
        if self._presence <= 0.0 and self._mood != UNKNOWN:
            self._mood = UNKNOWN
            self._detector = None  # the next face starts a fresh decision
        return self._state(presence=self._presence, face=False, previous=previous)

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
