"""The Recommender: R = alpha*S_content + (1-alpha)*S_collaborative, personalised by feedback.

plan() turns (mood, profile, strategy, time) into a short queue of picks, each with a reason; the
scoring itself is planner.py's (targets, tolerance, filters, ranking).  This class holds the state:
  - the catalogue view, rebuilt when the source's ids change;
  - each profile's learned model (mapping, taste, recent plays, verdicts) and the household item-kNN,
    rebuilt from the feedback store on start and after a deletion (learned.py: the profile operations
    and the learning);
  - alpha, which leans on content at cold start and shifts towards collaborative as feedback accumulates.
feedback() writes the event durably first, then teaches the in-memory models.

Bad input never crashes: an empty or unanalysed library gives no picks (or unanalysed picks) and
`status` says why in a sentence; `readiness` says the same for machines (health): whether the last
plan was ready, off, or had nothing it may offer (`planner.Readiness`).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from moodspeaker.config.schema import Config
from moodspeaker.library.track import Track
from moodspeaker.recommend.collaborative import ContextKNN
from moodspeaker.recommend.content import KERNEL_WIDTH, weight_vector
from moodspeaker.recommend.feedback import (
    KINDS,
    FeedbackError,
    PersonalModel,
)
from moodspeaker.recommend.learned import LearnedProfiles
from moodspeaker.recommend.options import Options
from moodspeaker.recommend.outcome_log import OutcomeLog
from moodspeaker.recommend.planner import (
    Outcome,
    Pick,
    Readiness,
    nothing_left,
    plan_queue,
)
from moodspeaker.recommend.profiles import ProfileError, check_profile_name
from moodspeaker.recommend.source import (
    CatalogueView,
    TrackSource,
    empty_reason,
    track_features,
    track_taste,
)
from moodspeaker.recommend.steers import Steers
from moodspeaker.recommend.store import FeedbackRow, FeedbackStore
from moodspeaker.recommend.targets import STRATEGIES, Mood, MoodLike, as_mood

__all__ = ["Options", "Outcome", "Pick", "Readiness", "Recommender"]

log = logging.getLogger(__name__)

#: Automatic picks switched off for the profile: no picks, as chosen.
PICKS_OFF = Outcome(Readiness.OFF, "automatic picks are off for this profile")

#: How many times a plan is made when its picks are no longer in the library (checked without the
#: lock): each plan leaves out those found gone; a catalogue whose tracks vanished is read again by
#: the next plan (its ids changed), so a second plan is the most that is usually needed.
PLAN_CHECKS = 4


class Recommender(LearnedProfiles):
    """Plans queues for household profiles and learns from their feedback (thread-safe)."""

    def __init__(self, source: TrackSource, store: FeedbackStore, options: Options) -> None:
        self.source, self.store, self.options = source, store, options
        #: How the last plan came out (replaced whole, so readers see one plan's readiness and words).
        self.outcome = Outcome(Readiness.READY, "ready")
        self._said = OutcomeLog(log)  # the "no picks" lines, said when the outcome changes
        self._lock = threading.RLock()
        self._view: CatalogueView | None = None
        self._refreshes = 0  # `refresh` calls so far: a view read before one is not kept
        self._models: dict[str, PersonalModel] = {}
        self._knn = ContextKNN(options.half_life_s)
        self._steers = Steers()  # "calmer", "livelier": in memory only
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

    @property
    def status(self) -> str:
        """The last plan in a sentence: "ready", or why there were no picks (or unanalysed ones)."""
        return self.outcome.status

    @property
    def readiness(self) -> Readiness:
        """Whether the last plan was ready, off, or had nothing it may offer."""
        return self.outcome.readiness

    # -- catalogue --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Forget the cached catalogue (call after a rescan; plan() also notices changed ids)."""
        with self._lock:
            self._view = None
            self._refreshes += 1

    def _catalogue(self) -> CatalogueView:
        """The catalogue view of the library as it is now, read without the lock (the library's reads:
        its ids each plan, every track after a change): other plans and feedback go on meanwhile.  A
        view built from reads made before a `refresh` is used by this plan only, not kept."""
        with self._lock:
            refreshes = self._refreshes
        ids, matrix = self.source.feature_matrix()
        v = self._view
        same = v is not None and (
            v.source_ids is ids or (len(v.source_ids) == len(ids) and v.source_ids == ids)
        )
        if v is not None and same and v.n_analysed:
            return v
        view = CatalogueView(list(ids), matrix, self.source.tracks())
        with self._lock:
            if refreshes == self._refreshes:
                self._view = view
        return view

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
        seen: str | None = None,
    ) -> None:
        """Store one event durably (committed before returning), then learn from it.  `seen`, of a
        "missing": the file as it was when the track failed to open (`feedback.Mark`).  Refused
        (ProfileError naming it, by the store) for a profile that does not exist: profiles are made by
        `create_profile` only.  Made here, a misspelt name (MQTT, a command line) appeared as a new
        listener, and feedback given as its profile was deleted brought the profile back.  The track is
        looked up (its features, for the row) before the lock is taken: a slow library holds up no plan."""
        if kind not in KINDS:
            raise FeedbackError(f"unknown feedback kind {kind!r}; expected one of {', '.join(KINDS)}")
        if kind == "wrong_mood" and not corrected_mood:
            raise FeedbackError("wrong_mood feedback needs the corrected mood")
        profile = check_profile_name(profile)
        m = as_mood(mood)
        track = self._find(track_id)  # the library (SQLite) without the lock: plans go on meanwhile
        with self._lock:
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
                seen=seen if kind == "missing" else None,
            )
            self.store.add(row)
            self._learn(row)

    def _find(self, track_id: str) -> Track | None:
        """The track from the catalogue view, else the library (`source.get`); called without the
        lock: the view is read once (it is replaced whole, never changed) and the library has its own."""
        v = self._view
        if v is not None and track_id in v.row:
            return v.tracks[v.row[track_id]]
        get = getattr(self.source, "get", None)
        found = get(track_id) if callable(get) else None
        return found if isinstance(found, Track) else None

    # -- planning ---------------------------------------------------------------------------------
    def steer(self, profile: str, mood: MoodLike | None, by: float) -> float:
        """`profile` asked for calmer (`by` < 0) or livelier music in `mood`: its next plans aim `by`
        further along arousal, for as long as that mood lasts (recommend.steers); returns the move
        now in force.  Nothing is recorded: the track playing is not disliked.  Refused for a name
        with no stored profile (ProfileError, as its feedback is; one another program deleted), whose
        plans get nothing kept for it (`_plan_locked`): its requests are forgotten."""
        profile = check_profile_name(profile)
        with self._lock:
            if not self.store.has_profile(profile):
                self._steers.forget(profile)
                ask = "calmer" if by < 0 else "livelier"
                raise ProfileError(f"no profile named {profile!r}: the {ask} music asked for is not planned")
            return self._steers.add(profile, as_mood(mood).mood, by)

    def plan(
        self,
        mood: MoodLike | None,
        profile: str,
        strategy: str | None = None,
        now: float = 0.0,
        k: int = 5,
        *,
        exclude: frozenset[str] = frozenset(),
        after: str | None = None,
    ) -> list[Pick]:
        """The next `k` tracks for this profile in this mood, best first; [] with `status` when none.
        `after`: the track id the first pick will follow (the last queued, else the one playing), so
        that it is not by the same artist; None: the last one played."""
        return self.plan_with_outcome(mood, profile, strategy, now, k, exclude=exclude, after=after)[0]

    def plan_with_outcome(
        self,
        mood: MoodLike | None,
        profile: str,
        strategy: str | None = None,
        now: float = 0.0,
        k: int = 5,
        *,
        exclude: frozenset[str] = frozenset(),
        after: str | None = None,
    ) -> tuple[list[Pick], Outcome]:
        """`plan`, and how this very plan came out (also left in `outcome`): a caller that records it
        (the service's health) gets its own plan's, not that of a plan made meanwhile on another thread.
        The library is read without the lock (the catalogue, `_catalogue`; and each pick checked in it,
        `source.get`: still there?), so a slow read (the index on SQLite, a LAN mirror) holds up no
        other plan or feedback; a pick gone since the catalogue was read is planned without (the plan
        made again: `_plan_locked`)."""
        profile = check_profile_name(profile)
        m = as_mood(mood)
        strategy = strategy or self.strategy_of(profile)
        if strategy not in STRATEGIES:
            raise ProfileError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
        if strategy == "off":
            self.outcome = PICKS_OFF
            self._said.planned(PICKS_OFF)
            return [], PICKS_OFF
        get = getattr(self.source, "get", None)
        found: set[str] = set()  # picks the library has
        gone: set[str] = set()  # picks it no longer has: left out of the plans made again
        picks: list[Pick] = []
        said = ("no picks for the listener: %s", logging.INFO)  # its name is not for the journal
        for _ in range(PLAN_CHECKS):
            view = self._catalogue()  # the library read without the lock, as the lookups below
            if view.n == 0:
                picks, outcome = [], Outcome(Readiness.NOTHING, empty_reason(self.source))
                said = ("no picks: %s", logging.WARNING)
                break
            with self._lock:
                picks, outcome = self._plan_locked(
                    view, m, profile, strategy, now=now, k=k, exclude=exclude, after=after, gone=gone
                )
            if not callable(get) or not picks:
                break
            fresh = [p.track.id for p in picks if p.track.id not in found]
            missing = {tid for tid in fresh if get(tid) is None}  # the lookups, without the lock
            found.update(tid for tid in fresh if tid not in missing)
            if not missing:
                break
            gone |= missing
        else:  # still vanishing after PLAN_CHECKS plans: what was found
            picks = [p for p in picks if p.track.id not in gone]
            if not picks:
                outcome = nothing_left("the tracks picked are no longer in the library")
        self.outcome = outcome
        self._said.planned(outcome, None if picks else said[0], said[1])  # once per change: outcome_log
        return picks, outcome

    def _taste(self, profile: str, known: bool) -> PersonalModel:
        """What was learned of `profile` to plan with (lock held); the default taste, a model not kept,
        for a name with no stored profile (not `known`: a guest, a typo, one deleted by another program,
        whose deleted feedback steered its plans) or no feedback yet.  Before, one was kept for every name."""
        model = self._models.get(profile) if known else None
        return self._new_model() if model is None else model

    def _plan_locked(
        self,
        view: CatalogueView,
        m: Mood,
        profile: str,
        strategy: str,
        *,
        now: float,
        k: int,
        exclude: frozenset[str],
        after: str | None,
        gone: set[str],
    ) -> tuple[list[Pick], Outcome]:
        """One plan over `view`, with the lock held: the picks (none of `gone`) and how it came out.
        A name with no stored profile plans with nothing kept for it: the default taste, no steer."""
        known = self.store.has_profile(profile)
        steer = self._steers.now(profile, m.mood)  # asked always: a new mood ends everyone's requests
        picks, none = plan_queue(
            view,
            m,
            profile,
            strategy,
            model=self._taste(profile, known),
            knn=self._knn,
            options=self.options,
            prior_prec=self._prior_prec,
            alpha=self.alpha,
            now=now,
            k=max(1, int(k)),
            exclude=exclude,
            exists=(lambda tid: tid not in gone) if gone else None,
            steer=steer if known else 0.0,
            after=after,
        )
        if not picks:
            return [], none or nothing_left("no track is allowed")
        if view.n_analysed == 0:
            return picks, Outcome(
                Readiness.READY, "the library is not analysed yet: playing it in shuffled order"
            )
        return picks, Outcome(Readiness.READY, "ready")
