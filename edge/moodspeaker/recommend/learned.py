"""What the Recommender keeps of its profiles: their storage and what was learned from their feedback.

Each profile's learned model (mapping, taste, recent plays, verdicts), the household item-kNN and the
household's evidence count (alpha) are learned from the feedback store's rows (`_learn`), and learned
again from what remains after a deletion (`_relearn`).  The Recommender (hybrid.py) plans with them and
feeds them; this base class holds the profile operations and the learning, so either file has room,
and the "missing" marks of tracks that failed to open: those in force (`held_back`) and their lifting
once a rescan finds the file again (`found_again`).
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from moodspeaker.recommend.collaborative import ContextKNN
from moodspeaker.recommend.content import FEATURE_COLUMNS, normalise
from moodspeaker.recommend.feedback import Mark, Observation, PersonalModel, evidence_weight
from moodspeaker.recommend.options import DAY, Options
from moodspeaker.recommend.planner import verdict_horizon_s
from moodspeaker.recommend.profiles import ProfileError, check_profile_name
from moodspeaker.recommend.steers import Steers
from moodspeaker.recommend.store import FeedbackRow, FeedbackStore
from moodspeaker.recommend.targets import STRATEGIES, Mood, as_mood

log = logging.getLogger(__name__)

#: The mood of a "found" event, which no listener gave (feedback.Mark).
UNKNOWN = as_mood(None)


class LearnedProfiles:
    """Profiles and what was learned from their feedback (set up by `Recommender.__init__`; thread-safe
    under `_lock`)."""

    store: FeedbackStore
    options: Options
    _lock: threading.RLock
    _models: dict[str, PersonalModel]
    _knn: ContextKNN
    _steers: Steers  # "calmer", "livelier": in memory only
    _events: float  # the household's evidence, decayed to `_events_ts` (alpha)
    _events_ts: float

    # -- profiles ---------------------------------------------------------------------------------
    def create_profile(self, name: str, now: float, strategy: str | None = None) -> bool:
        if strategy is not None and strategy not in STRATEGIES:
            raise ProfileError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
        return self.store.create_profile(name, now, strategy)

    def profiles(self) -> list[str]:
        return self.store.profiles()

    def strategy_of(self, name: str) -> str:
        """The strategy this profile chose, else the household default (`recommend.strategy`, which
        is what a profile that never chose follows); storage errors propagate."""
        stored = self.store.strategy(check_profile_name(name))
        return stored if stored in STRATEGIES else self.options.default_strategy

    def set_default_strategy(self, strategy: str) -> None:
        """`recommend.strategy` changed while the speaker runs: the household default that a profile
        which never chose its own follows (`strategy_of`) is `strategy` from now on."""
        if strategy not in STRATEGIES:
            raise ProfileError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
        with self._lock:
            self.options = dataclasses.replace(self.options, default_strategy=strategy)

    def set_strategy(self, name: str, strategy: str) -> None:
        if strategy not in STRATEGIES:
            raise ProfileError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
        self.store.set_strategy(check_profile_name(name), strategy)

    def export_profile(self, name: str) -> dict[str, Any]:
        """Everything stored about a profile (JSON-ready)."""
        return self.store.export(check_profile_name(name))

    def delete_profile(self, name: str) -> int:
        """Delete a profile, its history and what was learned from it; returns rows deleted."""
        name = check_profile_name(name)
        with self._lock:
            n = self.store.delete_profile(name)
            # relearned from what remains: the household's evidence count (alpha) counted its events too
            self._relearn()
            self._steers.forget(name)
        return n

    def apply_retention(self, now: float, retention_days: float) -> int:
        """Apply the privacy retention ([privacy] retention_days); returns rows deleted."""
        return self.forget_before(now - retention_days * DAY)

    def forget_before(self, ts: float) -> int:
        """Delete all feedback older than `ts` and forget what was learned from it (the models are
        rebuilt from what remains, so nothing deleted keeps steering picks); returns rows deleted."""
        with self._lock:
            n = self.store.prune(ts)
            if n:
                self._relearn()
        return n

    def _relearn(self) -> None:
        """Forget every model and learn them again from the feedback stored (after a deletion)."""
        self._models.clear()
        self._knn = ContextKNN(self.options.half_life_s)
        self._events, self._events_ts = 0.0, 0.0
        for row in self.store.events():
            self._learn(row)

    def _model(self, profile: str) -> PersonalModel:
        """The model `profile`'s feedback is learned into, made (and kept) at its first row."""
        m = self._models.get(profile)
        if m is None:
            m = self._models[profile] = self._new_model()
        return m

    def _new_model(self) -> PersonalModel:
        """A model that learned nothing yet, as the options make it: the one a profile learns into
        (`_model`) and the default taste a plan gets (`Recommender._taste`)."""
        o = self.options
        return PersonalModel(o.half_life_s, o.no_repeat_window, mood_aware=o.mood_aware, learning=o.learning)

    def _learn(self, row: FeedbackRow) -> None:
        feats = None
        if row.features is not None and len(row.features) == len(FEATURE_COLUMNS):
            feats = normalise(np.array([row.features], np.float32))[0]
        obs = Observation(
            track_id=row.track_id,
            kind=row.kind,
            mood=Mood(row.mood, row.confidence, row.valence, row.arousal),
            ts=row.ts,
            features=feats,
            taste=None if row.taste is None else np.array(row.taste, np.float32),
            artist=row.artist,
            played_s=row.played_s,
            corrected_mood=row.corrected_mood,
            seen=row.seen,
        )
        model = self._model(row.profile)
        model.observe(obs)
        w = evidence_weight(row.kind, row.played_s) if self.options.learning else 0.0
        if w != 0.0 and self.options.collaborative:
            self._knn.add(f"{row.profile}|{model.key(row.mood)}", row.track_id, w, row.ts)
        if w != 0.0:
            decay = 0.5 ** (max(0.0, row.ts - self._events_ts) / self.options.half_life_s)
            self._events = self._events * decay + 1.0
            self._events_ts = max(self._events_ts, row.ts)

    # -- missing marks ----------------------------------------------------------------------------
    def held_back(self, now: float) -> dict[str, Mark]:
        """The tracks held back from the picks now because they failed to open: their "missing" marks
        younger than the plans' horizon (planner.verdict_horizon_s), of any profile (the newest mark
        of a track marked in several), by track id.  What the page lists, named by no listener."""
        horizon = verdict_horizon_s(self.options)
        out: dict[str, Mark] = {}
        with self._lock:
            for model in self._models.values():
                for tid, mark in model.marks().items():
                    if now - mark.ts < horizon and (tid not in out or out[tid].ts < mark.ts):
                        out[tid] = mark
        return out

    def found_again(self, back: Callable[[str, str | None], bool], now: float | None = None) -> set[str]:
        """Lift the "missing" marks, in every profile, of the tracks `back(id, seen)` says can be opened
        again (the service asks after each rescan pass: a file found moved, a disk back, a damaged
        file replaced; `seen` is the mark's, feedback.Mark); the ids.  Each lift is stored, a "found"
        event (all in one commit), so a restart does not hold the track back again.  `back` looks the
        tracks up in the library (SQLite, the disk): called without the lock, so picks and feedback
        go on meanwhile; a mark renewed meanwhile (the track failed again) is kept.  A profile another
        program deleted (the store refuses its events: ProfileError) is forgotten here too, as after a
        deletion here (`_relearn`), and the other profiles' marks are lifted; a storage error is
        logged and the marks are looked at again after the next scan."""
        with self._lock:
            marks = {
                (p, tid): mark for p, model in self._models.items() for tid, mark in model.marks().items()
            }
        answers: dict[tuple[str, str | None], bool] = {}
        for tid, seen in {(tid, mark.seen) for (_, tid), mark in marks.items()}:
            answers[(tid, seen)] = back(tid, seen)
        at = time.time() if now is None else now

        def lifted() -> list[FeedbackRow]:  # the marks still as they were, of the tracks back
            return [
                FeedbackRow(p, tid, "found", UNKNOWN.mood, 0.0, 0.0, 0.0, max(at, mark.ts))
                for (p, tid), mark in marks.items()
                if answers[(tid, mark.seen)]
                and (m := self._models.get(p)) is not None
                and m.mark(tid) == mark
            ]

        with self._lock:
            rows = lifted()
            try:
                try:
                    self.store.add_all(rows)
                except ProfileError as exc:  # a profile another program deleted: learned here still
                    log.warning(
                        "%s: it was deleted by another program; what was learned from it is forgotten"
                        " and the other listeners' missing marks are lifted",
                        exc,
                    )
                    self._relearn()
                    rows = lifted()
                    self.store.add_all(rows)
            except (sqlite3.Error, ProfileError) as exc:  # a disk full, a deletion again meanwhile
                log.warning(
                    "missing marks not lifted (they are looked at again after the next scan): %s", exc
                )
                return set()
            for row in rows:
                self._learn(row)
        return {row.track_id for row in rows}

    # -- evidence ---------------------------------------------------------------------------------
    def alpha(self, now: float) -> float:
        """Content share: 1 at cold start, falling towards alpha_min as household evidence grows."""
        o = self.options
        if not (o.learning and o.collaborative):
            return 1.0
        n = self._events * 0.5 ** (max(0.0, now - self._events_ts) / o.half_life_s)
        return float(o.alpha_min + (1.0 - o.alpha_min) * o.alpha_half_events / (o.alpha_half_events + n))
