"""Planning one queue for one profile in one mood: targets, tolerance, filters, then ranked picks.

Pure over its inputs (the catalogue view, the profile's learned model, the household kNN, the
options and `now`); the Recommender holds the state and the lock and calls `plan_queue`.
  1. The mood and the strategy give a target per queue position (targets.py); the profile's learned
     mood -> music mapping pulls it towards what this listener actually keeps.
  2. Content: Gaussian kernel of a learned diagonal metric around the target, times the odds of
     the profile's keep-or-skip model (timbre taste, mood-relative and per-mood terms).
  3. Collaborative: item-kNN over (profile, mood) contexts of the whole household, blended by alpha.
  4. Filters: rejected in this mood (the song's other files too), vanished, recently played (the
     window shrinks to what a small library allows); no artist twice in a row (unless that leaves
     nothing).  When they leave only the track playing (a one-track library), it is planned again,
     marked as a repeat.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Set
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from moodspeaker.library.track import Track
from moodspeaker.recommend import explain, ranking
from moodspeaker.recommend.collaborative import ContextKNN, item_weights
from moodspeaker.recommend.content import FloatArray, weighted_sq_distance
from moodspeaker.recommend.feedback import MoodAim, PersonalModel
from moodspeaker.recommend.options import Options
from moodspeaker.recommend.source import CatalogueView, artist_key
from moodspeaker.recommend.targets import Mood, lifts, music_point, steered, target_point

#: Evidence at which the learned mapping and the strategy's prior weigh the same.
MAPPING_HALF = 2.0
#: Pseudo-count of the prior tolerance around a target, and the tightest tolerances learned.
SPREAD_PRIOR = 3.0
VAR_FLOOR = 0.03


class Readiness(enum.Enum):
    """What a plan says about the recommender, for health (typed: its status sentence is for people).

    READY: it planned picks, or all tracks of the library are on already (they come round again).
    OFF: automatic picks are switched off for the profile, as the listener chose.
    NOTHING: nothing it may offer (every track rejected in this mood, none that could be opened, an
    empty or unanalysed library, the tracks allowed gone): the music stops until something changes."""

    READY = "ready"
    OFF = "off"
    NOTHING = "nothing"


@dataclass(frozen=True)
class Outcome:
    """How a plan came out: `readiness` for machines, `status` in a sentence for the listener.  One
    value, so that a reader never pairs the readiness of one plan with the words of another."""

    readiness: Readiness
    status: str


@dataclass(frozen=True)
class Pick:
    """One planned track, its score (0..1) and a sentence saying why; `again`: the track playing or
    queued already, planned once more because it is the only one allowed (`Allowed.only_one_on`)."""

    track: Track
    score: float
    reason: str
    again: bool = False


def position_targets(
    used: Mood,
    strategy: str,
    aim: MoodAim | None,
    ref: FloatArray,
    *,
    mood_on: bool,
    step0: int,
    k: int,
    uplift_steps: int,
    steer: float = 0.0,
) -> list[npt.NDArray[np.float32] | None]:
    """The music point to aim at for each of the `k` positions (None: no aim at all).

    The strategy's prior point is blended with the learned one by the mapping's evidence, then moved
    `steer` along arousal (the listener asked for calmer or livelier music: `targets.steered`)."""
    w_map = 0.0 if aim is None or aim.offset is None else aim.evidence / (aim.evidence + MAPPING_HALF)
    learned = ref + aim.offset if aim is not None and aim.offset is not None else None
    targets: list[npt.NDArray[np.float32] | None] = []
    for i in range(k):
        point = target_point(used, strategy, step0 + i, uplift_steps) if mood_on else None
        prior = music_point(*point) if point is not None else None
        if prior is None:
            target = None if learned is None else learned.astype(np.float32)
        elif learned is None:
            target = prior
        else:
            target = ((1 - w_map) * prior + w_map * learned).astype(np.float32)
        targets.append(steered(target, steer))
    return targets


def tolerance(prior_prec: npt.NDArray[np.float32], aim: MoodAim | None) -> npt.NDArray[np.float32]:
    """Per-dimension precision around a target: the prior's, tightened by the spread of what was kept."""
    if aim is None or aim.spread is None:
        return prior_prec
    kept = aim.kept
    var = (SPREAD_PRIOR / prior_prec + kept * np.maximum(aim.spread, VAR_FLOOR)) / (SPREAD_PRIOR + kept)
    return (1.0 / var).astype(np.float32)


@dataclass(frozen=True)
class Allowed:
    """What one plan may pick from: `view`'s tracks, less what `model` (the profile's history and
    verdicts) rules out in the mood `key` at `now` (verdicts count for `horizon_s`), less `exclude`
    (playing or queued already).  One value because the rows and the reason there are none must be
    worked out from the same arguments: a status that named other causes than the filter would mislead."""

    view: CatalogueView
    model: PersonalModel
    key: str
    now: float
    horizon_s: float
    exclude: frozenset[str]

    def rows(self) -> npt.NDArray[np.bool_]:
        """Rows that may be picked.

        Never: a track rejected in this mood (skipped, disliked) or the same song in another file,
        one that could not be opened, or one in `exclude`.  Nor a track among the last
        `no_repeat_window` plays, unless that leaves nothing: a library smaller than the window would
        then go silent once it has all played, so the window shrinks to what the library allows and
        the track heard longest ago is the one allowed again (a rotation, never the track just heard
        while another one is left)."""
        view, model = self.view, self.model
        mask = np.ones(view.n, bool)
        for tid in self._rejected() | self._missing() | self.exclude:
            r = view.row.get(tid)
            if r is not None:
                mask[r] = False
        last_play = {tid: i for i, tid in enumerate(model.recent)}  # latest place in the play history
        played = [
            (i, view.row[tid]) for tid, i in last_play.items() if tid in view.row and mask[view.row[tid]]
        ]
        if not played:
            return mask
        heard_longest_ago = min(played)[1] if len(played) == int(mask.sum()) else -1
        for _, r in played:
            if r != heard_longest_ago:
                mask[r] = False
        return mask

    def only_one_on(self) -> npt.NDArray[np.bool_]:
        """When `rows` left nothing: the row of the one track not ruled out by its verdicts, if it is
        playing or queued already (else none).  That is a one-track library, or one whose other tracks
        are all rejected or missing: planned again, it repeats without a gap (a player on repeat), where
        waiting for it to end left a silence between the plays."""
        view = self.view
        mask = np.zeros(view.n, bool)
        ruled_out = self._rejected() | self._missing()
        left = [tid for tid in view.row if tid not in ruled_out]
        if len(left) == 1 and left[0] in self.exclude:
            mask[view.row[left[0]]] = True
        return mask

    def why_none(self) -> Outcome:
        """Why `rows` left nothing, in a sentence for the status (what the listener can change).  When
        every track of the library is playing or queued already nothing is wrong: the music goes on
        and each track comes round again once it has ended, so the outcome is READY and the status
        says that, calmly; anything else is NOTHING, "nothing left to offer" (a fault on the health
        page: the music stops)."""
        rejected = self._rejected()
        missing = self._missing() - rejected
        queued = self.exclude - rejected - missing
        ids = self.view.row.keys()
        if ids and ids <= queued:
            return Outcome(Readiness.READY, whole_library_on(len(ids)))
        parts = [
            (len(rejected & ids), "rejected in this mood (skipped or disliked)"),
            (len(missing & ids), "could not be opened"),
            (len(queued & ids), "playing or queued already"),
        ]
        said = ", ".join(f"{n} {'track' if n == 1 else 'tracks'} {what}" for n, what in parts if n)
        return nothing_left(said or "no track is allowed")

    def _rejected(self) -> set[str]:
        """Tracks rejected in this mood (skipped, disliked, the wrong mood), and the same song in its
        other files (the view's twins, by tags, as the no-repeat rule has them): a song disliked in
        one folder was offered again from its copy in another.  Across a song's files the latest
        verdict here wins, as for one file: its newest rejection keeps every file of it out unless a
        yes (liked, replayed) on any of them came after it, which lets them all back (a like of last
        month does not outlast a dislike of today; a like of the album version after a dislike of the
        single is a like of the song, and its single is offered again when the album is out of reach)."""
        key, view, model = self.key, self.view, self.model
        out: set[str] = set()
        for tid in model.rejected(key, self.now, self.horizon_s):
            row = view.row.get(tid)
            song = view.twins.get(row, ()) if row is not None else ()
            if not song:
                out.add(tid)  # one file (or not in the library): its own latest verdict said no
                continue
            verdicts = [v for r in song if (v := model.verdict(key, view.ids[r])) is not None]
            newest_no = max(ts for w, ts in verdicts if w < 0)
            if not any(w > 0 and ts > newest_no for w, ts in verdicts):
                out.update(view.ids[r] for r in song)
        return out

    def _missing(self) -> set[str]:
        return self.model.missing(self.now, self.horizon_s)


def verdict_horizon_s(o: Options) -> float:
    """How long a rejection or a "missing" mark holds a track back from the picks (three half-lives
    of the feedback): the plans' rule, and what the page lists as held back (Recommender.held_back)."""
    return 3 * o.half_life_s


def whole_library_on(n: int) -> str:
    """The status while all `n` tracks of the library are playing or queued already: all is well
    (see `Allowed.why_none`), and the sentence says so.  (Never one track: that one is planned again,
    `Allowed.only_one_on`.)"""
    return f"all {n} tracks of the library are on already (playing or queued): each plays again once it ends"


def nothing_left(why: str) -> Outcome:
    """The outcome of a plan that may offer nothing, and why (see `Readiness.NOTHING`)."""
    return Outcome(Readiness.NOTHING, f"nothing left to offer: {why}")


def _twins_of_heard(view: CatalogueView, mask: npt.NDArray[np.bool_], heard: Set[str]) -> set[int]:
    """Rows allowed by `mask` that are the same song (by tags) as a track playing, queued or played
    recently (`heard`): a household's copy of a song is not the next pick after the song itself.
    None when they are all that is allowed (the song is then let through, like the no-repeat rule)."""
    twins = {
        r
        for tid in heard
        if (row := view.row.get(tid)) is not None
        for r in view.twins.get(row, ())
        if mask[r]
    }
    return twins if twins and int(mask.sum()) > len(twins) else set()


def _artist_before(view: CatalogueView, model: PersonalModel, after: str | None) -> int | None:
    """The artist code of the track the first pick follows: `after`'s (playing or queued, so not in
    the play history yet: a pick after it by the same artist is that artist twice in a row), else the
    last one played."""
    row = view.row.get(after) if after is not None else None
    if row is not None:
        return int(view.artists[row])
    last = model.last_artist
    return view.artist_code.get(artist_key(last)) if last else None


def plan_queue(
    view: CatalogueView,
    mood: Mood,
    profile: str,
    strategy: str,
    *,
    model: PersonalModel,
    knn: ContextKNN,
    options: Options,
    prior_prec: npt.NDArray[np.float32],
    alpha: Callable[[float], float],
    now: float,
    k: int,
    exclude: frozenset[str],
    exists: Callable[[str], bool] | None,
    steer: float = 0.0,
    after: str | None = None,
) -> tuple[list[Pick], Outcome | None]:
    """The best `k` picks for `profile` in `mood` (fewer when the filters leave fewer), with reasons,
    and, when there are none, the outcome saying why (None when there are picks).  `steer`: how far
    the listener asked to move the aim along arousal (below 0 calmer, above livelier).  `after`: the
    track the first pick will follow (the last one queued, else the one playing), whose artist the
    first pick avoids; None: the last one played (the profile's history).

    `alpha(now)` is the household's content share (Recommender.alpha); it is asked only where the
    profile's context has collaborative evidence, else content decides alone."""
    o = options
    used = mood
    corrected_from = None
    # the camera-correction mapping is for a mood the camera read; a told one (a correction, music
    # of a mood asked for) is what the listener said, planned for as said
    fix = model.corrected(mood.mood) if o.learning and not mood.told else None
    if fix is not None:
        used, corrected_from = Mood.of(fix, mood.confidence), mood.mood
    mood_on = o.mood_aware and used.mood != "unknown" and strategy != "steady"
    key = model.key(used.mood if mood_on else "unknown")
    ref = model.reference(used) if mood_on else music_point(0.0, 0.0)
    aim = model.aim(key, now, ref) if o.learning else None
    step0 = model.step_in_mood(key)
    targets = position_targets(
        used, strategy, aim, ref, mood_on=mood_on, step0=step0, k=k, uplift_steps=o.uplift_steps, steer=steer
    )
    mood_prec = tolerance(prior_prec, aim)
    pref = model.preference() if o.learning else None
    taste_d2 = np.zeros(view.n, np.float32)
    if pref is not None:
        # log-odds enter the Gaussian exponent: exp(-d2/2) * odds = exp(-(d2 - 2 log odds)/2)
        taste_d2 = -2.0 * pref.log_odds(view.base, ref, key)
    ctx = f"{profile}|{key}"
    collab_map = knn.scores(ctx) if o.learning and o.collaborative else {}
    collab = item_weights(collab_map, view.row, view.n)
    share = alpha(now) if collab_map else 1.0
    allowed = Allowed(view, model, key, now=now, horizon_s=verdict_horizon_s(o), exclude=exclude)
    mask = allowed.rows()
    again = not mask.any()
    if again:
        mask = allowed.only_one_on()
        if not mask.any():
            return [], allowed.why_none()
    cache: dict[int, tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]] = {}
    collab_rows = np.flatnonzero(collab > 0)
    picks: list[Pick] = []
    taken: set[int] = set()
    if not again:
        taken = _twins_of_heard(view, mask, exclude | set(model.recent))
    prev_artist = _artist_before(view, model, after)
    for i in range(k):
        t = targets[i]
        tkey = hash(t.tobytes()) if t is not None else 0
        if tkey not in cache:
            d2 = None
            if t is not None:
                d2 = weighted_sq_distance(view.z_cols, t, mood_prec, view.z_sq_cols) + taste_d2
            elif pref is not None:
                d2 = taste_d2
            cache[tkey] = ranking.ranked(view, d2, mask, collab, collab_rows, alpha=share, now=now)
        ranked_rows, ranked_scores = cache[tkey]
        row = ranking.best(ranked_rows, mask, taken, view, prev_artist=prev_artist, exists=exists)
        if row is None:
            break
        taken.add(row)
        taken.update(view.twins.get(row, ()))  # the same song in another file: not in the same plan
        prev_artist = int(view.artists[row])
        tr = view.tracks[row]
        ev = explain.Evidence(
            strategy=strategy if mood_on else "steady",
            mood=used.mood,
            own_context=knn.context_support(ctx, tr.id) if collab_map else 0.0,
            household=float(collab[row]) if collab_map and knn.others_support(ctx, tr.id) > 0 else 0.0,
            learned=0.0 if aim is None else aim.kept,
            liked=model.liked(key, tr.id),
            step=step0 + i,
            steps=o.uplift_steps if strategy == "uplift" and lifts(used) else 0,
            day_part=model.usual_day_part(key, now) if o.learning else None,
            corrected_from=corrected_from,
            analysed=bool(view.analysed[row]),
        )
        text = explain.reason(
            mood.mood,
            mood.confidence,
            tr,
            ev,
            face=mood.face,
            faces_read=mood.faces_read,
            camera=mood.camera,
            told=mood.told,
            asked=mood.asked,
        )
        if steer and ev.analysed:  # an unanalysed track was not chosen as calmer or livelier
            text += "; calmer, as you asked" if steer < 0 else "; livelier, as you asked"
        if again:
            text += "; again, as the only track to play now"
        score = float(ranked_scores[int(np.flatnonzero(ranked_rows == row)[0])])
        picks.append(Pick(tr, round(score, 4), text, again))
    return picks, None if picks else nothing_left("the tracks allowed have left the library")
