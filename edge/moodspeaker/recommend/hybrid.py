"""The Recommender: R = alpha*S_content + (1-alpha)*S_collaborative, personalised by feedback.

plan() turns (mood, profile, strategy, time) into a short queue of picks, each with a reason.
  1. The mood and the profile's strategy give a target per queue position (targets.py); the
     profile's learned mood -> music mapping pulls it towards what this listener actually keeps.
  2. Content: Gaussian kernel of a learned diagonal metric around the target, times the odds of
     the profile's keep-or-skip model (timbre taste, mood-relative and per-mood terms).
  3. Collaborative: item-kNN over (profile, mood) contexts of the whole household.
  4. alpha leans on content at cold start and shifts towards collaborative as feedback accumulates.
  5. Filters: recently played, rejected in this mood, vanished; no artist twice in a row.
feedback() writes the event durably first, then teaches the in-memory models.

Bad input never crashes: an empty or unanalysed library gives no picks (or unanalysed picks) and
`status` says why in a sentence.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from moodspeaker.config.schema import Config, RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import explain, ranking
from moodspeaker.recommend.collaborative import ContextKNN, item_weights
from moodspeaker.recommend.content import (
    FEATURE_COLUMNS,
    KERNEL_WIDTH,
    normalise,
    weight_vector,
    weighted_sq_distance,
)
from moodspeaker.recommend.feedback import (
    KINDS,
    FeedbackError,
    Observation,
    PersonalModel,
    evidence_weight,
)
from moodspeaker.recommend.profiles import ProfileError, check_profile_name
from moodspeaker.recommend.source import CatalogueView, TrackSource, track_features, track_taste
from moodspeaker.recommend.store import FeedbackRow, FeedbackStore
from moodspeaker.recommend.targets import STRATEGIES, Mood, MoodLike, mood_point, music_point, target_point

log = logging.getLogger(__name__)

DAY = 86400.0
#: Evidence at which the learned mapping and the strategy's prior weigh the same.
MAPPING_HALF = 2.0
#: Kept tracks at which the timbre taste counts half its learned strength.
TASTE_HALF = 4.0
#: Pseudo-count of the prior tolerance around a target, and the tightest tolerances learned.
SPREAD_PRIOR = 3.0
VAR_FLOOR = 0.03


@dataclass(frozen=True)
class Pick:
    """One planned track, its score (0..1) and a sentence saying why."""

    track: Track
    score: float
    reason: str


@dataclass(frozen=True)
class Options:
    """How the recommender behaves; built from the [recommend] settings (`from_config`)."""

    default_strategy: str
    no_repeat_window: int
    half_life_s: float
    alpha_min: float
    alpha_half_events: float
    uplift_steps: int
    mood_aware: bool = True  # False = the "history only" baseline
    learning: bool = True  # False = content only (no feedback is learned from)
    collaborative: bool = True

    @staticmethod
    def from_config(cfg: RecommendConfig, **changes: Any) -> Options:
        opts = Options(
            default_strategy=cfg.strategy,
            no_repeat_window=cfg.no_repeat_window,
            half_life_s=cfg.half_life_days * DAY,
            alpha_min=cfg.alpha_min,
            alpha_half_events=cfg.alpha_half_events,
            uplift_steps=cfg.uplift_steps,
        )
        return dataclasses.replace(opts, **changes)


def _as_mood(mood: MoodLike | None) -> Mood:
    if mood is None:
        return Mood("unknown", 0.0, 0.0, 0.0)
    return Mood(str(mood.mood), float(mood.confidence), float(mood.valence), float(mood.arousal))


class Recommender:
    """Plans queues for household profiles and learns from their feedback (thread-safe)."""

    def __init__(self, source: TrackSource, store: FeedbackStore, options: Options) -> None:
        self.source, self.store, self.options = source, store, options
        self.status = "ready"
        self._lock = threading.RLock()
        self._view: CatalogueView | None = None
        self._models: dict[str, PersonalModel] = {}
        self._knn = ContextKNN(options.half_life_s)
        self._events = 0.0
        self._events_ts = 0.0
        w = weight_vector()
        self._prior_prec = (w / w.sum() / KERNEL_WIDTH**2).astype(np.float32)
        for row in store.events():
            self._learn(row)

    @classmethod
    def from_config(cls, config: Config, source: TrackSource, path: str | Path | None = None) -> Recommender:
        """The recommender the service runs: feedback in <data_dir>/recommend.sqlite."""
        db = Path(path) if path else Path(config.device.data_dir).expanduser() / "recommend.sqlite"
        rec = cls(source, FeedbackStore(db), Options.from_config(config.recommend))
        for name in config.recommend.profiles:
            rec.create_profile(name, 0.0)
        return rec

    # -- catalogue --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Forget the cached catalogue (call after a rescan; plan() also notices changed ids)."""
        with self._lock:
            self._view = None

    def _catalogue(self) -> CatalogueView:
        ids, matrix = self.source.feature_matrix()
        v = self._view
        same = v is not None and (
            v.source_ids is ids or (len(v.source_ids) == len(ids) and v.source_ids == ids)
        )
        if v is not None and same and v.n_analysed:
            return v
        self._view = CatalogueView(list(ids), matrix, self.source.tracks())
        return self._view

    # -- profiles ---------------------------------------------------------------------------------
    def create_profile(self, name: str, now: float, strategy: str | None = None) -> bool:
        if strategy is not None and strategy not in STRATEGIES:
            raise ProfileError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
        return self.store.create_profile(name, now, strategy)

    def profiles(self) -> list[str]:
        return self.store.profiles()

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
            self._models.pop(name, None)
            self._knn.forget_context(name + "|")
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
                self._models.clear()
                self._knn = ContextKNN(self.options.half_life_s)
                self._events, self._events_ts = 0.0, 0.0
                for row in self.store.events():
                    self._learn(row)
        return n

    def _model(self, profile: str) -> PersonalModel:
        m = self._models.get(profile)
        if m is None:
            o = self.options
            m = self._models[profile] = PersonalModel(
                o.half_life_s, o.no_repeat_window, mood_aware=o.mood_aware, learning=o.learning
            )
        return m

    # -- feedback ---------------------------------------------------------------------------------
    def feedback(
        self,
        profile: str,
        track_id: str,
        kind: str,
        mood: MoodLike | None,
        now: float,
        *,
        played_s: float | None = None,
        corrected_mood: str | None = None,
    ) -> None:
        """Store one event durably (committed before returning), then learn from it."""
        if kind not in KINDS:
            raise FeedbackError(f"unknown feedback kind {kind!r}; expected one of {', '.join(KINDS)}")
        if kind == "wrong_mood" and not corrected_mood:
            raise FeedbackError("wrong_mood feedback needs the corrected mood")
        profile = check_profile_name(profile)
        m = _as_mood(mood)
        with self._lock:
            if not self.store.has_profile(profile):
                self.store.create_profile(profile, now)
            track = self._find(track_id)
            row = FeedbackRow(
                profile=profile,
                track_id=str(track_id),
                kind=kind,
                mood=m.mood,
                confidence=m.confidence if np.isfinite(m.confidence) else 0.0,
                valence=m.valence if np.isfinite(m.valence) else 0.0,
                arousal=m.arousal if np.isfinite(m.arousal) else 0.0,
                ts=now,
                played_s=played_s,
                corrected_mood=corrected_mood,
                artist=track.artist if track else "",
                features=track_features(track) if track else None,
                taste=track_taste(track) if track else None,
            )
            self.store.add(row)
            self._learn(row)

    def _find(self, track_id: str) -> Track | None:
        v = self._view
        if v is not None and track_id in v.row:
            return v.tracks[v.row[track_id]]
        get = getattr(self.source, "get", None)
        found = get(track_id) if callable(get) else None
        return found if isinstance(found, Track) else None

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

    # -- planning ---------------------------------------------------------------------------------
    def alpha(self, now: float) -> float:
        """Content share: 1 at cold start, falling towards alpha_min as household evidence grows."""
        o = self.options
        if not (o.learning and o.collaborative):
            return 1.0
        n = self._events * 0.5 ** (max(0.0, now - self._events_ts) / o.half_life_s)
        return float(o.alpha_min + (1.0 - o.alpha_min) * o.alpha_half_events / (o.alpha_half_events + n))

    def plan(
        self,
        mood: MoodLike | None,
        profile: str,
        strategy: str | None = None,
        now: float = 0.0,
        k: int = 5,
        *,
        exclude: frozenset[str] = frozenset(),
    ) -> list[Pick]:
        """The next `k` tracks for this profile in this mood, best first; [] with `status` when none."""
        profile = check_profile_name(profile)
        m = _as_mood(mood)
        with self._lock:
            strategy = strategy or self.store.strategy(profile) or self.options.default_strategy
            if strategy not in STRATEGIES:
                raise ProfileError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
            if strategy == "off":
                self.status = "automatic picks are off for this profile"
                return []
            view = self._catalogue()
            if view.n == 0:
                self.status = self._empty_reason()
                log.warning("no picks: %s", self.status)
                return []
            picks = self._plan(view, m, profile, strategy, now=now, k=max(1, int(k)), exclude=exclude)
            if not picks:
                self.status = "every track was played recently or rejected in this mood"
            elif view.n_analysed == 0:
                self.status = "the library is not analysed yet: playing it in shuffled order"
            else:
                self.status = "ready"
            return picks

    def _empty_reason(self) -> str:
        """Why there is nothing to play, in a sentence (a library still being analysed, or none)."""
        stats = getattr(self.source, "stats", None)
        if callable(stats):
            try:
                info = stats()
                pending = int(info.get("pending", 0))
                failed = int(info.get("failed", 0))
            except Exception as exc:  # a broken source must not break planning
                log.warning("library stats unavailable: %s", exc)
            else:
                if pending:
                    return f"the library is not analysed yet: {pending} tracks waiting for analysis"
                if failed:
                    return f"no playable tracks: all {failed} tracks failed analysis (see `library stats`)"
        return "the library is empty: add a music folder or a LAN server in the settings"

    def _plan(
        self,
        view: CatalogueView,
        mood: Mood,
        profile: str,
        strategy: str,
        *,
        now: float,
        k: int,
        exclude: frozenset[str],
    ) -> list[Pick]:
        o = self.options
        model = self._model(profile)
        used = mood
        corrected_from = None
        fix = model.corrected(mood.mood) if o.learning else None
        if fix is not None:
            used, corrected_from = Mood.of(fix, mood.confidence), mood.mood
        mood_on = o.mood_aware and used.mood != "unknown" and strategy != "steady"
        key = model.key(used.mood if mood_on else "unknown")
        ref = model.reference(used) if mood_on else music_point(0.0, 0.0)
        aim = model.aim(key, now, ref) if o.learning else None
        w_map = 0.0 if aim is None or aim.offset is None else aim.evidence / (aim.evidence + MAPPING_HALF)
        step0 = model.step_in_mood(key)
        learned = ref + aim.offset if aim is not None and aim.offset is not None else None
        targets: list[npt.NDArray[np.float32] | None] = []
        for i in range(k):
            point = target_point(used, strategy, step0 + i, o.uplift_steps) if mood_on else None
            prior = music_point(*point) if point is not None else None
            if prior is None:
                targets.append(None if learned is None else learned.astype(np.float32))
            elif learned is None:
                targets.append(prior)
            else:
                targets.append(((1 - w_map) * prior + w_map * learned).astype(np.float32))
        mood_prec = self._prior_prec
        if aim is not None and aim.spread is not None:
            var = (SPREAD_PRIOR / mood_prec + aim.kept * np.maximum(aim.spread, VAR_FLOOR)) / (
                SPREAD_PRIOR + aim.kept
            )
            mood_prec = (1.0 / var).astype(np.float32)
        pref = model.preference() if o.learning else None
        taste_d2 = np.zeros(view.n, np.float32)
        if pref is not None:
            # log-odds enter the Gaussian exponent: exp(-d2/2) * odds = exp(-(d2 - 2 log odds)/2)
            taste_d2 = -2.0 * pref.log_odds(view.base, ref, key)
        ctx = f"{profile}|{key}"
        collab_map = self._knn.scores(ctx) if o.learning and o.collaborative else {}
        collab = item_weights(collab_map, view.row, view.n)
        alpha = self.alpha(now) if collab_map else 1.0
        blocked = model.blocked(key, now, 3 * o.half_life_s) | exclude
        mask = np.ones(view.n, bool)
        for tid in blocked:
            r = view.row.get(tid)
            if r is not None:
                mask[r] = False
        if not mask.any():
            # Everything was played recently: relax the no-repeat rule but keep explicit rejections.
            mask[:] = True
            for tid in model.blocked(key, now, 3 * o.half_life_s) - set(model.recent):
                if tid in view.row:
                    mask[view.row[tid]] = False
        cache: dict[int, tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]] = {}
        get = getattr(self.source, "get", None)
        exists = (lambda tid: get(tid) is not None) if callable(get) else None
        collab_rows = np.flatnonzero(collab > 0)
        picks: list[Pick] = []
        taken: set[int] = set()
        last = model.last_artist
        prev_artist = view.artist_code.get(last.casefold().strip()) if last else None
        for i in range(k):
            t = targets[i]
            tkey = hash(t.tobytes()) if t is not None else 0
            if tkey not in cache:
                d2 = None
                if t is not None:
                    d2 = weighted_sq_distance(view.z_cols, t, mood_prec, view.z_sq_cols) + taste_d2
                elif pref is not None:
                    d2 = taste_d2
                cache[tkey] = ranking.ranked(view, d2, mask, collab, collab_rows, alpha=alpha, now=now)
            ranked_rows, ranked_scores = cache[tkey]
            row = ranking.best(ranked_rows, mask, taken, view, prev_artist=prev_artist, exists=exists)
            if row is None:
                break
            taken.add(row)
            prev_artist = int(view.artists[row])
            tr = view.tracks[row]
            ev = explain.Evidence(
                strategy=strategy if mood_on else "steady",
                mood=used.mood,
                own_context=self._knn.context_support(ctx, tr.id) if collab_map else 0.0,
                household=float(collab[row]),
                learned=0.0 if aim is None else aim.kept,
                liked=model.liked(key, tr.id),
                step=step0 + i,
                steps=o.uplift_steps if strategy == "uplift" else 0,
                day_part=model.usual_day_part(key, now) if o.learning else None,
                corrected_from=corrected_from,
                analysed=bool(view.analysed[row]),
            )
            text = explain.reason(mood.mood, mood.confidence, mood_point(mood)[1], tr, ev)
            score = float(ranked_scores[int(np.flatnonzero(ranked_rows == row)[0])])
            picks.append(Pick(tr, round(score, 4), text))
        return picks
