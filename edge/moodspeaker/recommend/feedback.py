"""Feedback streams and the personal mood -> music mapping they teach (pure; time passed in).

Explicit feedback (skip within 30 s, like, dislike, "wrong mood") and implicit feedback (played to
the end, replayed, queue left running) become signed evidence weights.  Each profile keeps, per mood
class, a Rocchio estimate of where the music it keeps lies *relative to the mood's own point* on the
circumplex (so "sad" at -0.4 and at -0.8 share what was learned), shrunk towards the profile's
mood-independent offset when a mood has little evidence.  Every piece of evidence fades with a
half-life, so a listener who changes is followed instead of being averaged away.

The same learner, with `mood_aware=False`, is the "history only" baseline of the simulator.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from moodspeaker.recommend.content import FloatArray
from moodspeaker.recommend.targets import Mood, mood_point, music_point

#: Every kind of feedback the recommender accepts.
KINDS: Final = ("skip", "like", "dislike", "completed", "replayed", "left_running", "wrong_mood", "missing")

#: A skip later than this many seconds into the track is weak evidence (the listener gave it a go).
QUICK_SKIP_S: Final = 30.0

#: Rocchio's push away from what was rejected.
GAMMA: Final = 0.35
#: Pseudo-evidence that keeps a mood's estimate near the profile-wide one until the mood has its own.
MOOD_SHRINK: Final = 2.0

ANY_MOOD: Final = "any"

#: Timbre descriptors read from `Track.extra` for the mood-independent taste (absent keys are skipped).
TASTE_KEYS: Final = ("acousticness", "danceability", "speechiness", "instrumentalness")


class FeedbackError(ValueError):
    """Feedback that cannot be used (unknown kind, bad mood); the message says which."""


def evidence_weight(kind: str, played_s: float | None = None) -> float:
    """Signed strength of one piece of feedback; 0 for kinds that say nothing about taste."""
    if kind not in KINDS:
        raise FeedbackError(f"unknown feedback kind {kind!r}; expected one of {', '.join(KINDS)}")
    if kind == "skip":
        return -1.0 if played_s is None or played_s < QUICK_SKIP_S else -0.3
    return {
        "like": 2.0,
        "dislike": -2.0,
        "completed": 1.0,
        "replayed": 1.5,
        "left_running": 0.5,
        "wrong_mood": -0.5,
        "missing": 0.0,
    }[kind]


def day_part(now: float) -> str:
    """Morning / afternoon / evening / night in the device's local time (for explanations)."""
    hour = time.localtime(now).tm_hour
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


@dataclass(frozen=True)
class Observation:
    """One feedback event as the learner sees it (the store keeps the same fields)."""

    track_id: str
    kind: str
    mood: Mood
    ts: float
    features: FloatArray | None = None  # normalised (content.normalise), None when unknown
    taste: FloatArray | None = None  # TASTE_KEYS values, NaN where absent
    artist: str = ""
    played_s: float | None = None
    corrected_mood: str | None = None


class _Decayed:
    """Signed sums of vectors whose weights halve every `half_life` seconds."""

    __slots__ = ("half_life", "neg_sum", "neg_w", "pos_sum", "pos_w", "t_ref")

    def __init__(self, dim: int, half_life: float) -> None:
        self.half_life = half_life
        self.pos_sum = np.zeros(dim, np.float64)
        self.neg_sum = np.zeros(dim, np.float64)
        self.pos_w = 0.0
        self.neg_w = 0.0
        self.t_ref = -math.inf

    def _decay_to(self, now: float) -> None:
        if self.t_ref == -math.inf:
            self.t_ref = now
            return
        if now > self.t_ref:
            f = 0.5 ** ((now - self.t_ref) / self.half_life)
            self.pos_sum *= f
            self.neg_sum *= f
            self.pos_w *= f
            self.neg_w *= f
            self.t_ref = now

    def add(self, vec: FloatArray, weight: float, now: float) -> None:
        self._decay_to(now)
        v = np.nan_to_num(np.asarray(vec, np.float64))
        if weight > 0:
            self.pos_sum += weight * v
            self.pos_w += weight
        elif weight < 0:
            self.neg_sum += -weight * v
            self.neg_w += -weight

    def weights(self, now: float) -> tuple[float, float]:
        f = 0.5 ** (max(0.0, now - self.t_ref) / self.half_life) if self.t_ref > -math.inf else 0.0
        return self.pos_w * f, self.neg_w * f

    def rocchio(self) -> FloatArray | None:
        """Mean of the kept, pushed away from the mean of the rejected; None without evidence."""
        if self.pos_w <= 1e-9 and self.neg_w <= 1e-9:
            return None
        mp = self.pos_sum / self.pos_w if self.pos_w > 1e-9 else None
        mn = self.neg_sum / self.neg_w if self.neg_w > 1e-9 else None
        if mp is None:
            assert mn is not None
            out = -GAMMA * mn
        elif mn is None:
            out = mp
        else:
            out = mp + GAMMA * (mp - mn) * (self.neg_w / (self.neg_w + self.pos_w))
        return out.astype(np.float32)


@dataclass
class MoodAim:
    """What the mapping says for one mood: an offset from the mood's music point, and its weight."""

    offset: FloatArray | None
    evidence: float


@dataclass
class PersonalModel:
    """One profile's learned mapping, taste, recent plays and verdicts; rebuilt by replaying events."""

    half_life_s: float
    no_repeat_window: int = 30
    mood_aware: bool = True
    _moods: dict[str, _Decayed] = field(default_factory=dict)
    _taste: _Decayed | None = None
    _recent: deque[str] = field(default_factory=deque)
    _verdicts: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    _missing: dict[str, float] = field(default_factory=dict)
    _corrections: dict[str, dict[str, float]] = field(default_factory=dict)
    _dayparts: dict[tuple[str, str], float] = field(default_factory=dict)
    _last_artist: str | None = None
    plays: int = 0
    _episode: tuple[str, int] = (ANY_MOOD, 0)

    def __post_init__(self) -> None:
        self._recent = deque(maxlen=max(1, self.no_repeat_window))

    def key(self, mood: str) -> str:
        return mood if self.mood_aware else ANY_MOOD

    def reference(self, mood: Mood) -> FloatArray:
        """The music point residuals are measured from (the mood's own, or neutral without moods)."""
        if not self.mood_aware:
            return music_point(0.0, 0.0)
        return music_point(*mood_point(mood))

    def observe(self, obs: Observation) -> None:
        """Learn from one event (events must come in time order)."""
        w = evidence_weight(obs.kind, obs.played_s)
        key = self.key(obs.mood.mood)
        if obs.kind == "missing":
            self._missing[obs.track_id] = obs.ts
            return
        if obs.kind == "wrong_mood":
            if obs.corrected_mood and self.mood_aware and obs.corrected_mood != obs.mood.mood:
                row = self._corrections.setdefault(obs.mood.mood, {})
                row[obs.corrected_mood] = row.get(obs.corrected_mood, 0.0) + 1.0
        else:
            self._recent.append(obs.track_id)
            self.plays += 1
            if obs.artist:
                self._last_artist = obs.artist
            if key != self._episode[0]:
                self._episode = (key, self.plays - 1)
        self._missing.pop(obs.track_id, None)
        if obs.kind in ("skip", "dislike", "like", "wrong_mood"):
            self._verdicts[(key, obs.track_id)] = (w, obs.ts)
        if w == 0.0:
            return
        if obs.features is not None and np.all(np.isfinite(obs.features)):
            resid = obs.features - self.reference(obs.mood)
            for k in {key, ANY_MOOD}:
                stats = self._moods.get(k)
                if stats is None:
                    stats = self._moods[k] = _Decayed(len(resid), self.half_life_s)
                stats.add(resid, w, obs.ts)
        if obs.taste is not None and np.any(np.isfinite(obs.taste)):
            if self._taste is None:
                self._taste = _Decayed(len(obs.taste), self.half_life_s)
            self._taste.add(obs.taste, w, obs.ts)
        if w > 0:
            dp = (key, day_part(obs.ts))
            self._dayparts[dp] = self._dayparts.get(dp, 0.0) + w

    # -- queries ----------------------------------------------------------------------------------
    def aim(self, mood: str, now: float) -> MoodAim:
        """Learned offset for a mood, shrunk towards the profile-wide offset when evidence is thin."""
        key = self.key(mood)
        glob = self._moods.get(ANY_MOOD)
        own = self._moods.get(key) if key != ANY_MOOD else None
        g_off = glob.rocchio() if glob is not None else None
        g_w = sum(glob.weights(now)) if glob is not None else 0.0
        if own is None:
            return MoodAim(g_off, 0.35 * g_w if key != ANY_MOOD else g_w)
        o_off = own.rocchio()
        o_w = sum(own.weights(now))
        if o_off is None:
            return MoodAim(g_off, 0.35 * g_w)
        if g_off is None:
            return MoodAim(o_off, o_w)
        mixed = (o_w * o_off + MOOD_SHRINK * g_off) / (o_w + MOOD_SHRINK)
        return MoodAim(mixed.astype(np.float32), o_w + 0.35 * g_w)

    def taste(self) -> tuple[FloatArray | None, float]:
        """Learned timbre taste (TASTE_KEYS) and its evidence weight."""
        if self._taste is None:
            return None, 0.0
        return self._taste.rocchio(), self._taste.pos_w + self._taste.neg_w

    def blocked(self, mood: str, now: float, horizon_s: float) -> set[str]:
        """Tracks not to offer now: recently played, or rejected in this mood (the latest verdict wins)."""
        key = self.key(mood)
        out = set(self._recent)
        for (k, tid), (w, ts) in self._verdicts.items():
            if k == key and w < 0 and now - ts < horizon_s:
                out.add(tid)
        for tid, ts in self._missing.items():
            if now - ts < horizon_s:
                out.add(tid)
        return out

    def corrected(self, mood: str) -> str | None:
        """The mood this listener usually means when the camera reads `mood` (after >= 2 corrections)."""
        row = self._corrections.get(mood)
        if not row:
            return None
        best, count = max(row.items(), key=lambda kv: kv[1])
        return best if count >= 2.0 else None

    def usual_day_part(self, mood: str, now: float) -> str | None:
        """The current part of day when most kept tracks in this mood were kept then."""
        key = self.key(mood)
        part = day_part(now)
        total = sum(v for (k, _), v in self._dayparts.items() if k == key)
        here = self._dayparts.get((key, part), 0.0)
        return part if here >= 3.0 and here >= 0.4 * total else None

    def step_in_mood(self, mood: str) -> int:
        """Tracks played since the mood last changed (drives the uplift steps)."""
        key, start = self._episode
        return self.plays - start if key == self.key(mood) else 0

    def liked(self, mood: str, track_id: str) -> bool:
        """The latest explicit verdict on this track in this mood was positive."""
        v = self._verdicts.get((self.key(mood), track_id))
        return v is not None and v[0] > 0

    @property
    def recent(self) -> list[str]:
        return list(self._recent)

    @property
    def last_artist(self) -> str | None:
        return self._last_artist

    @property
    def evidence(self) -> float:
        glob = self._moods.get(ANY_MOOD)
        return glob.pos_w + glob.neg_w if glob is not None else 0.0
