"""Feedback streams and the personal mood -> music mapping they teach (pure; time passed in).

Explicit feedback (skip within 30 s, like, dislike, "wrong mood") and implicit feedback (played to
the end, replayed, queue left running) become signed evidence weights; a Next in a track's first
seconds (BARELY_HEARD_S) is navigation, neither evidence nor a verdict.  Each profile keeps:
- per mood class, a Rocchio estimate of where the music it keeps lies *relative to the mood's own
  point* on the circumplex (so "sad" at -0.4 and at -0.8 share what was learned), shrunk towards a
  profile-wide estimate when a mood has little evidence; the profile-wide estimate is relative to
  the mood (a matcher) or absolute (wants the same music whatever the mood), whichever separates
  kept from skipped music better;
- a keep-or-skip logistic model (preference.py) that learns directions a centroid cannot;
- recent plays, verdicts per mood (skip, dislike, like, wrong mood, replay: the latest wins),
  vanished tracks and mood corrections.
Every piece of evidence fades with a half-life, so a listener who changes is followed instead of
being averaged away.

The same learner, with `mood_aware=False`, is the "history only" baseline of the simulator.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from moodspeaker.recommend.content import FloatArray
from moodspeaker.recommend.preference import DecayedSums, PreferenceModel, fit_taste
from moodspeaker.recommend.targets import Mood, mood_point, music_point

#: Every kind of feedback the recommender accepts.
#: "missing" (a track that could not be opened) and "found" (a rescan found it again, lifting that mark)
#: are the service's bookkeeping, and say nothing about taste.
KINDS: Final = (
    "skip",
    "like",
    "dislike",
    "completed",
    "replayed",
    "left_running",
    "wrong_mood",
    "missing",
    "found",
)

#: Feedback that is a verdict on a track in a mood: the latest one decides whether the track is
#: offered again in that mood.  A replay is among them (the strongest positive signal): a track the
#: listener skipped earlier and then asked to hear again is no longer blocked in that mood.
VERDICT_KINDS: Final = ("skip", "dislike", "like", "wrong_mood", "replayed")

#: A skip later than this many seconds into the track is weak evidence (the listener gave it a go).
QUICK_SKIP_S: Final = 30.0

#: A skip (Next) this few seconds into the track is navigation, not a verdict: a listener pressing
#: Next several times to get past tracks has not judged the ones flashed past (a soak's burst of Nexts
#: left 4 of 6 tracks rejected in that mood for the verdicts' horizon, and the speaker rotated the other
#: two).  Such a skip is neither a rejection nor evidence; it still counts as a play for the no-repeat
#: rule, so a burst of Nexts moves on through the library.  Measured on the skip's `played_s`, the
#: audio the player reports heard, not wall time (a Next's: the player's position in the track,
#: service.playback; a play's end: its seconds heard); unknown (None: older rows) stays a verdict.
#: The rule is the learner's, so rows stored before it (a soak's burst) are navigation too once the
#: models are learned again at start.  A dislike is a verdict however soon it comes.
BARELY_HEARD_S: Final = 2.0

#: Pseudo-evidence that keeps a mood's estimate near the profile-wide one until the mood has its own.
MOOD_SHRINK: Final = 2.0

ANY_MOOD: Final = "any"
#: Key of the statistics of kept music in absolute terms (not relative to the mood).
ABSOLUTE: Final = "_absolute"


class FeedbackError(ValueError):
    """Feedback that cannot be used (unknown kind, bad mood); the message says which."""


def evidence_weight(kind: str, played_s: float | None = None) -> float:
    """Signed strength of one piece of feedback; 0 for kinds that say nothing about taste."""
    if kind not in KINDS:
        raise FeedbackError(f"unknown feedback kind {kind!r}; expected one of {', '.join(KINDS)}")
    if kind == "skip":
        if not is_verdict(kind, played_s):
            return 0.0  # navigation (BARELY_HEARD_S)
        return -1.0 if played_s is None or played_s < QUICK_SKIP_S else -0.3
    return {
        "like": 2.0,
        "dislike": -2.0,
        "completed": 1.0,
        "replayed": 1.5,
        "left_running": 0.5,
        "wrong_mood": -0.5,
        "missing": 0.0,
        "found": 0.0,
    }[kind]


def is_verdict(kind: str, played_s: float | None = None) -> bool:
    """Whether this feedback decides if the track is offered again in its mood (VERDICT_KINDS), a
    skip only once the track was heard for BARELY_HEARD_S: a quicker Next is navigation."""
    if kind == "skip" and played_s is not None:
        return played_s >= BARELY_HEARD_S
    return kind in VERDICT_KINDS


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
    taste: FloatArray | None = None  # preference.TASTE_KEYS values on 0..1, NaN where absent
    artist: str = ""
    played_s: float | None = None
    corrected_mood: str | None = None
    #: of a "missing": the file as it was when the track failed to open (`Mark.seen`)
    seen: str | None = None


@dataclass(frozen=True)
class Mark:
    """A track's "missing" mark: when it failed to open, and `seen`, the file as it was then (what the
    service recorded, service.file_seen: JSON of its place, size, mtime and permissions), None when no
    file was there (or unknown: a mark stored before the file was recorded)."""

    ts: float
    seen: str | None = None


@dataclass
class MoodAim:
    """What the mapping says for one mood: an offset from the mood's music point, its weight, and
    the per-dimension spread of what was kept (None until something was kept)."""

    offset: FloatArray | None
    evidence: float
    spread: FloatArray | None = None
    kept: float = 0.0


@dataclass
class PersonalModel:
    """One profile's learned mapping, taste, recent plays and verdicts; rebuilt by replaying events."""

    half_life_s: float
    no_repeat_window: int = 30
    mood_aware: bool = True
    learning: bool = True  # False keeps only the bookkeeping (recent plays, verdicts, uplift steps)
    _moods: dict[str, DecayedSums] = field(default_factory=dict)
    _pref: PreferenceModel | None = None
    _recent: deque[str] = field(default_factory=deque)
    _verdicts: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    _missing: dict[str, Mark] = field(default_factory=dict)
    _corrections: dict[str, dict[str, float]] = field(default_factory=dict)
    _dayparts: dict[tuple[str, str], float] = field(default_factory=dict)
    _last_artist: str | None = None
    plays: int = 0
    _episode: tuple[str, int] = (ANY_MOOD, 0)

    def __post_init__(self) -> None:
        # 0 keeps no recent plays: no no-repeat rule at all (`recommend.no_repeat_window`'s help)
        self._recent = deque(maxlen=max(0, self.no_repeat_window))

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
            self._missing[obs.track_id] = Mark(obs.ts, obs.seen)
            return
        if obs.kind == "found":  # a rescan found it again: no play, no verdict
            self._missing.pop(obs.track_id, None)
            return
        if obs.kind == "wrong_mood":
            # an "unknown" is no reading (camera off, no face read): nothing was misread to map from
            read = obs.mood.mood != "unknown"
            if obs.corrected_mood and self.mood_aware and read and obs.corrected_mood != obs.mood.mood:
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
        if is_verdict(obs.kind, obs.played_s):
            self._verdicts[(key, obs.track_id)] = (w, obs.ts)
        if w == 0.0 or not self.learning:
            return
        if obs.features is not None and np.all(np.isfinite(obs.features)):
            resid = obs.features - self.reference(obs.mood)
            for k, vec in ((key, resid), (ANY_MOOD, resid), (ABSOLUTE, obs.features)):
                if k == ANY_MOOD and key == ANY_MOOD:
                    continue
                stats = self._moods.get(k)
                if stats is None:
                    stats = self._moods[k] = DecayedSums(len(resid), self.half_life_s)
                stats.add(vec, w, obs.ts)
        if obs.features is not None and np.all(np.isfinite(obs.features)):
            if self._pref is None:
                self._pref = PreferenceModel(self.half_life_s, self.mood_aware)
            taste = fit_taste(obs.taste)
            self._pref.add(
                np.asarray(taste, np.float64),
                obs.features,
                self.reference(obs.mood),
                key,
                weight=w,
                now=obs.ts,
            )
        if w > 0:
            dp = (key, day_part(obs.ts))
            self._dayparts[dp] = self._dayparts.get(dp, 0.0) + w

    # -- queries ----------------------------------------------------------------------------------
    def _global(self, ref: FloatArray, now: float) -> MoodAim:
        """The profile-wide aim: relative to the mood (a matcher) or absolute (wants the same music
        whatever the mood), whichever explains the kept music with less spread, blended by it."""
        rel, ab = self._moods.get(ANY_MOOD), self._moods.get(ABSOLUTE)
        if rel is None or ab is None:
            return MoodAim(None, 0.0)
        r_off, a_off = rel.rocchio(), ab.rocchio()
        if r_off is None or a_off is None or rel.pos_w < 0.5:
            return MoodAim(None, 0.0)  # nothing kept yet: no picture of this listener at all
        r_sp, a_sp = rel.spread(), ab.spread()
        kept = rel.pos_w
        if r_sp is None or a_sp is None or kept < 2.0:
            return MoodAim(r_off, kept, r_sp, kept)
        # Which picture separates kept from rejected music better on valence/arousal?  (Spread of
        # the kept alone would mislead: what was offered already followed the mood.)
        r_sep = rel.separation(r_off) ** 2
        a_sep = ab.separation(a_off) ** 2
        w_rel = r_sep / (r_sep + a_sep)
        offset = w_rel * r_off + (1 - w_rel) * (a_off - ref)
        spread = w_rel * r_sp + (1 - w_rel) * a_sp
        return MoodAim(offset.astype(np.float32), kept, spread.astype(np.float32), kept)

    def aim(self, mood: str, now: float, ref: FloatArray | None = None) -> MoodAim:
        """Learned offset for a mood (from `ref`, the mood's music point), shrunk towards the
        profile-wide aim when the mood itself has little evidence."""
        key = self.key(mood)
        if ref is None:
            ref = music_point(0.0, 0.0)
        if key == ANY_MOOD:
            own = self._moods.get(ABSOLUTE) if not self.mood_aware else self._moods.get(ANY_MOOD)
            if own is None or own.rocchio() is None:
                return MoodAim(None, 0.0)
            off = own.rocchio()
            assert off is not None
            if not self.mood_aware:
                off = (off - ref).astype(np.float32)
            return MoodAim(off, sum(own.weights(now)), own.spread(), own.pos_w)
        glob = self._global(ref, now)
        stats = self._moods.get(key)
        o_off = stats.rocchio() if stats is not None else None
        if stats is None or o_off is None:
            return MoodAim(glob.offset, 0.35 * glob.kept, glob.spread, 0.35 * glob.kept)
        pos, neg = stats.weights(now)
        o_sp = stats.spread()
        if glob.offset is None:
            # Only this mood's own evidence; rejections alone say "not here" but not where, so they
            # barely move the target away from the strategy's prior.
            return MoodAim(o_off, pos, o_sp, pos)
        # With a profile-wide picture to fall back on, rejections in this mood are reason to trust
        # the strategy's prior less (evidence grows) while only kept tracks move the estimate.
        evidence = pos + 0.5 * neg + 0.35 * glob.kept
        # A mood where most picks were rejected has an estimate not worth trusting yet.  Evidence faded
        # to nothing (decades of half-lives: a clock set from 1970 by NTP) is no trust, not 0/0.
        trust = pos * pos / (pos + neg) if pos + neg > 0.0 else 0.0
        mixed = (trust * o_off + MOOD_SHRINK * glob.offset) / (trust + MOOD_SHRINK)
        spread = (
            glob.spread
            if o_sp is None
            else o_sp
            if glob.spread is None
            else ((trust * o_sp + MOOD_SHRINK * glob.spread) / (trust + MOOD_SHRINK))
        )
        return MoodAim(
            mixed.astype(np.float32),
            evidence,
            None if spread is None else np.asarray(spread, np.float32),
            pos + 0.35 * glob.kept,
        )

    def preference(self) -> PreferenceModel | None:
        """The learned keep-or-skip model (None before any feedback on an analysed track)."""
        return self._pref

    def blocked(self, mood: str, now: float, horizon_s: float) -> set[str]:
        """Tracks not to offer now: recently played, rejected in this mood (the latest verdict wins),
        or could not be opened."""
        return set(self._recent) | self.rejected(mood, now, horizon_s) | self.missing(now, horizon_s)

    def rejected(self, mood: str, now: float, horizon_s: float) -> set[str]:
        """Tracks whose latest verdict in this mood, within `horizon_s`, was a rejection (a skip, a
        dislike, a wrong mood): the listener said no, so no shortage of music lifts it."""
        key = self.key(mood)
        return {
            tid for (k, tid), (w, ts) in self._verdicts.items() if k == key and w < 0 and now - ts < horizon_s
        }

    def missing(self, now: float, horizon_s: float) -> set[str]:
        """Tracks that could not be opened within `horizon_s` (until one plays again)."""
        return {tid for tid, mark in self._missing.items() if now - mark.ts < horizon_s}

    def marks(self) -> dict[str, Mark]:
        """The "missing" marks by track id (a copy; a "found" event or a play of the track lifts one)."""
        return dict(self._missing)

    def mark(self, track_id: str) -> Mark | None:
        """The track's "missing" mark, if it has one."""
        return self._missing.get(track_id)

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

    def verdict(self, mood: str, track_id: str) -> tuple[float, float] | None:
        """The latest verdict on this track in this mood as (its signed weight, its time), or None:
        what `rejected` and `liked` decide from, for rules that must compare verdicts in time."""
        return self._verdicts.get((self.key(mood), track_id))

    @property
    def recent(self) -> list[str]:
        return list(self._recent)

    @property
    def last_artist(self) -> str | None:
        return self._last_artist

    @property
    def evidence(self) -> float:
        glob = self._moods.get(ABSOLUTE)
        return glob.pos_w + glob.neg_w if glob is not None else 0.0
