"""The conductor: turns moods into a queue and applies the reaction policy to the player.

It owns what the listener chose (profile, paused by hand) and asks the recommender for plans: a new
confident mood re-plans at once and, when the current track clearly clashes with the best new pick,
crossfades to it (`policy.clashes`); otherwise the queue is just kept topped up.

The active strategy is the active profile's: the one it chose (stored with the profile), else
`recommend.strategy`, the household default for profiles that never chose.  A switch of profile or
strategy plans first and changes nothing when planning fails: the queue and the playing track are
kept and the failure is raised as a PlanningError for the caller to refuse the command with.

Plans run on several threads (refills on the housekeeping's, a mood's re-plan on the inference
thread's, switches on a command's), and a plan takes a while.  Every change of the active profile or
strategy counts a generation; a refill, re-plan or Play notes it before planning and applies its picks
(and its outcome to health) only if it is still the same, under the lock a switch changes it under.  A
plan made under a profile or strategy replaced meanwhile is dropped: the next refill plans again, Play
plans once more at once (`plan_to_play`).

A plan is made for the mood in force, so when the mood reading ends (the camera switched off, "delete
everything": `drop_plans`) the plans under way are dropped the same way.  A switch plans with the mood
too (its picks are mood-driven like any other): one whose reading ended while it planned plans once
more, with the mood then, before it takes effect (`_within_reading`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from moodspeaker.config.schema import Config
from moodspeaker.mood.classes import UNKNOWN
from moodspeaker.mood.filter import MoodState
from moodspeaker.player.engine import Player, PlayerStatus
from moodspeaker.player.queue import QueueItem
from moodspeaker.recommend.hybrid import Outcome, Recommender
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.flips import Flips
from moodspeaker.service.health import Health
from moodspeaker.service.picked import PickedFor
from moodspeaker.service.planning import Planner
from moodspeaker.service.plans import OvertakenError, Plan, PlanningError
from moodspeaker.service.policy import cuts

log = logging.getLogger(__name__)

#: After a refill found nothing to add, wait this long before asking the recommender again (unless
#: what was playing or queued then has gone since: see `Conductor.refill`).
REFILL_BACKOFF_S = 30.0


class Conductor:
    """Plans with the recommender and drives the player (called from the inference and housekeeping
    threads and from commands).  Every player call is a posted command; the lock only makes a change
    of profile or strategy and the applying of a plan made before it follow each other (module doc)."""

    def __init__(
        self,
        config: Config,
        player: Player,
        recommender: Recommender,
        health: Health,
        *,
        status: Callable[[], PlayerStatus] | None = None,
    ) -> None:
        self.config = config
        self.player = player
        #: The player's status as plans see it: the service's stands the restored state in until the
        #: player shows it (service.restored), so a mood read first checks the clash with that track.
        self._status = player.status if status is None else status
        self._recommender = recommender
        self.health = health
        self._planner = Planner(recommender, health)  # asks for the plans (service.planning)
        self._lock = threading.Lock()
        self._generation = 0  # changes of the active profile or strategy so far
        self._readings = 0  # mood readings ended so far (drop_plans, forget_moods)
        #: Held by a switch from finding its plan made within the current reading until its picks are
        #: queued; a reading ends (`drop_plans`) only outside it (lock order: this one, then `_lock`).
        self._switching = threading.Lock()
        self._profile: str = config.recommend.profile
        self._strategy: str = config.recommend.strategy  # the active profile's: see follow_profile()
        #: The outcome of the last plan applied (for health's `recommender` sentence): not the
        #: recommender's `outcome`, which a plan dropped as outdated, or made for a command, may
        #: have replaced.
        self.outcome: Outcome = recommender.outcome
        self.user_paused = False
        self.flips = Flips()  # when a mood made the music change, and to which track
        self._quiet_until = 0.0
        self._quiet_exclude: frozenset[str] = frozenset()  # what was playing or queued at that try
        #: What the applied plans' tracks were picked for, and when (thread-safe: the state saves it,
        #: the privacy retention trims it).
        self.picked = PickedFor()

    @property
    def profile(self) -> str:
        return self._profile

    @profile.setter
    def profile(self, profile: str) -> None:
        self._make_active(profile, self._strategy)

    @property
    def strategy(self) -> str:
        return self._strategy

    @strategy.setter
    def strategy(self, strategy: str) -> None:
        self._make_active(self._profile, strategy)

    def _make_active(self, profile: str, strategy: str) -> None:
        """Change the active profile and strategy: a plan made under the previous ones is outdated."""
        with self._lock:
            if (profile, strategy) != (self._profile, self._strategy):
                self._profile, self._strategy = profile, strategy
                self._generation += 1

    def forget_moods(self) -> None:
        """ "Delete everything": drop what was kept of the moods read (the flips), and the plans made
        meanwhile from them (a refill, re-plan or switch under way is dropped or planned again, as
        when the camera goes off: `drop_plans`)."""
        with self._switching, self._lock:
            self._generation += 1
            self._readings += 1
            self.flips.clear()
            self.picked.clear()

    def forget_flips(self, before: float) -> int:
        """The privacy retention: drop the flips made before `before` (a `time.time()`); returns how
        many went (service.flips)."""
        return self.flips.forget_before(before)

    def drop_plans(self) -> None:
        """The mood reading ended (camera off): a refill or re-plan under way, made for the mood read
        until then, is dropped as after a switch; the next refill plans at once, for the mood now.  A
        switch planning now plans again; one whose plan is being applied finishes first."""
        with self._switching, self._lock:
            self._generation += 1
            self._readings += 1
        self.retry_soon()

    def picked_for(self, track_id: str) -> str | None:
        """The mood the latest plan that queued `track_id` was made for (None: not known)."""
        return self.picked.get(track_id)

    def _note(self, items: list[QueueItem], mood: MoodState) -> None:
        """`items` are applied, planned for `mood` (the conductor's lock held, or nothing else runs)."""
        self.picked.remember(items, mood.mood, time.time())

    def retry_soon(self) -> None:
        """Something changed (library, profile, strategy): the next refill may plan again at once."""
        self._quiet_until = 0.0

    def strategy_of(self, profile: str) -> str:
        """The strategy `profile` chose, else the household default (storage errors propagate)."""
        return self._recommender.strategy_of(profile)

    def follow_profile(self) -> None:
        """Make the active strategy the active profile's (on start, and after its data was deleted)."""
        self.strategy = self.strategy_of(self.profile)

    def plan_to_play(self, mood: Callable[[], MoodState], k: int) -> Plan:
        """Play's plan, queued: up to `k` picks for the active profile and strategy and the mood now
        (`mood()`), given to the player as the queue when it has picks, its outcome recorded in health
        (a failure too, as "error": no picks).  Checked as refills are (module doc): a plan made while
        a switch took effect is dropped and made once more, under the new profile and strategy (and
        the mood then: camera off ends the reading); when that one is overtaken too, nothing is
        queued and OvertakenError says so (what the switch queued, if anything, is in effect).  Else
        a Play pressed as the listener switched queued, and played, the previous listener's or
        strategy's picks (under "off": picks although off)."""
        for _ in range(2):
            now = mood()
            plan = self._plan_now(now, k, set())
            with self._applying(plan) as current:
                if current:
                    if plan.items:
                        self._note(plan.items, now)
                        self.player.set_queue(plan.items)
                    return plan
        raise OvertakenError("the listener, strategy or mood reading changed twice while planning; try again")

    def _plan_now(self, mood: MoodState, k: int, exclude: set[str], after: str | None = None) -> Plan:
        """`plan`, recording nothing yet: see `_applying`.  `after`: the track the first pick follows
        (its artist is not the first pick's)."""
        with self._lock:
            generation, profile, strategy = self._generation, self._profile, self._strategy
        try:
            items, outcome = self._planner.plan_or_raise(mood, k, exclude, profile, strategy, after=after)
        except PlanningError as exc:
            return Plan(generation, [], error=exc.reason[:200])
        return Plan(generation, items, outcome)

    @contextmanager
    def _applying(self, plan: Plan) -> Iterator[bool]:
        """`with self._applying(plan) as current:` apply the plan's picks only when `current`, False
        when the profile or strategy changed since it was planned.  The lock is held meanwhile, so no
        switch takes effect in between; the plan's outcome goes to health only when current."""
        with self._lock:
            current = plan.generation == self._generation
            if current:
                self._record(plan)
            else:
                log.info(
                    "a plan made before a switch of listener or strategy (now %s) dropped", self._strategy
                )
            yield current

    def _record(self, plan: Plan) -> None:
        self.health.set_state("recommender", plan.state, plan.detail)
        if plan.outcome is not None:
            self.outcome = plan.outcome

    def react(self, mood: MoodState) -> None:
        """A new confident mood: re-plan at once; cut the current track only if it clearly clashes."""
        flip_at = time.monotonic()
        self._quiet_until = 0.0
        status = self._status()
        after = status.current.track.id if status.current else None
        plan = self._plan_now(mood, self.config.recommend.queue_length, {after} if after else set(), after)
        with self._applying(plan) as still_current:
            if still_current:  # else a switch planned with this mood already
                self._react(mood, plan.items, status, flip_at)

    def _react(self, mood: MoodState, items: list[QueueItem], status: PlayerStatus, flip_at: float) -> None:
        if not items:
            return
        self._note(items, mood)
        current = status.current
        cfg = self.config.player
        playing = status.state == "playing" and current is not None
        if (
            playing
            and current is not None
            and cfg.switch_on_clash
            # A track picked for this very mood suits it, however far the next best pick now is (the
            # tracks near it may be playing, queued or heard just now): a restart, or a face seen
            # again, reads the mood the music was chosen for, which is no reason to cut it.
            and self.picked.get(current.track.id) != mood.mood
            # music of a mood asked for: the music changes now unless it fits (policy.cuts)
            and cuts(
                current.track, items[0].track, mood, clash_distance=cfg.clash_distance, strategy=self.strategy
            )
        ):
            log.info("the mood changed: %s clashes; switching", current.track.title)  # no mood: journal
            self.flips.append((flip_at, items[0].track.id))
            self.player.set_queue(items[1:])
            self.player.switch_to(items[0], fade_s=cfg.switch_fade_s)
            return
        self.player.set_queue(items)
        if status.state == "stopped" and cfg.autoplay and not self.user_paused:
            self.flips.append((flip_at, items[0].track.id))
            self.player.play()

    def refill(self, mood: MoodState) -> None:
        """Keep the queue topped up (housekeeping, every second).  A try that found nothing holds the
        next ones off for REFILL_BACKOFF_S, but only while every track then playing or queued still
        is: one that has ended may be planned again (in a one-track library, the only track can come
        back only once it has ended, and waiting out the back-off then would be silence)."""
        status = self._status()
        if status.ran_out and status.queue and status.state == "stopped" and not self.user_paused:
            self.player.play()  # tracks arrived just after the music ran out (planned as it did)
            return
        want = self.config.recommend.queue_length
        if len(status.queue) >= max(1, want // 2) or self.strategy == "off":
            return
        if status.current is None and mood.mood == UNKNOWN and not status.queue and not status.ran_out:
            return  # nothing to go on yet: wait for a mood (or Play)
        exclude = {i.track.id for i in status.queue}
        if status.current is not None:
            exclude.add(status.current.track.id)
        if time.monotonic() < self._quiet_until and exclude >= self._quiet_exclude:
            return  # the last try found nothing; a new mood, setting or rescan tries again sooner
        after = status.queue[-1] if status.queue else status.current
        plan = self._plan_now(mood, want - len(status.queue), exclude, after.track.id if after else None)
        with self._applying(plan) as still_current:
            if not still_current:
                return  # planned for the previous profile or strategy: the next refill plans again
            items = plan.items
            if items:
                self._note(items, mood)
                self.player.extend_queue(items)
            else:
                self._quiet_until = time.monotonic() + REFILL_BACKOFF_S
                self._quiet_exclude = frozenset(exclude)
            # Music that ran out (the rest of the queue was on a disk that went away) carries on with
            # what can still be played: the listener started it, so this is not autoplay.
            carry_on = self.config.player.autoplay or status.ran_out
            if status.state == "stopped" and carry_on and not self.user_paused and items:
                self.player.play()

    def switch_profile(
        self, mood: Callable[[], MoodState], profile: str, save: Callable[[list[QueueItem] | None], bool]
    ) -> bool:
        """Switch the listener and, with them, the strategy to theirs: read it and plan for `profile`
        first (a storage error propagates, a failed plan raises PlanningError: nothing has changed),
        then make both active and `save(queue)` with the queue the switch leaves (None: the queue as it
        is), before applying it: what is saved is the new listener with their own queue, never with
        the previous listener's.  When the save fails the previous profile and strategy are put back
        with the queue untouched and False is returned; on success the queue is the new listener's
        plan (kept as it was when their plan is empty: nothing better to offer), and its outcome is
        health's.  A refill or re-plan planned under the previous profile is dropped (module doc);
        refills may try again at once only once the switch is in effect (see `change_strategy`).  The
        plan is for the mood now (`mood()`), made within one reading (`_within_reading`)."""
        strategy = self.strategy_of(profile)
        with self._within_reading(mood, profile, strategy) as (items, outcome, read):
            previous = self.profile, self.strategy
            self._make_active(profile, strategy)
            saved = save(self._new_queue(items, strategy))
            if saved:
                self.retry_soon()
                self._queue_plan(items, strategy, outcome, read)
            else:
                self._make_active(*previous)
        return saved

    def change_strategy(
        self, mood: Callable[[], MoodState], strategy: str, store: Callable[[], None]
    ) -> list[QueueItem] | None:
        """The active profile chose `strategy`: plan with it first (a failure raises PlanningError),
        then `store()` it with the profile (a storage error propagates), and only then make it active
        and queue the plan.  A failure at either step leaves the strategy, queue and track as they were.
        Returns the queue given to the player (None: the queue left as it was).  Refills may try again
        at once only once the strategy is active: one let through before would plan with the previous
        strategy (after a switch to "off": queue picks, and leave health's `recommender` "ok"); one
        planning already then is dropped when it is done (module doc).  The plan is for the mood now
        (`mood()`), made within one reading (`_within_reading`)."""
        with self._within_reading(mood, self.profile, strategy) as (items, outcome, read):
            store()
            self.strategy = strategy
            self.retry_soon()
            return self._queue_plan(items, strategy, outcome, read)

    @contextmanager
    def _within_reading(
        self, mood: Callable[[], MoodState], profile: str, strategy: str
    ) -> Iterator[tuple[list[QueueItem], Outcome, MoodState]]:
        """`with self._within_reading(...) as (items, outcome, read):` a switch's plan for the mood
        `read` now, made while that reading lasted; the body makes the switch and queues `items`.  A
        reading that ended while planning (the camera went off: the listener just stopped the mood
        reading) made them for a mood no longer read, quoted in every pick's reason: they are dropped
        and planned once more, with the mood then; when that reading ends too, PlanningError and
        nothing has changed.  The body runs holding `_switching`: no reading ends before its picks
        are queued (and a reading that ends after keeps them, as it keeps a refill applied before)."""
        for _ in range(2):
            read = mood()
            with self._lock:
                reading = self._readings
            items, outcome = self._plan_for(read, profile, strategy)
            with self._switching:
                if reading == self._readings:
                    yield items, outcome, read
                    return
            log.info("the mood reading ended while planning (%s): planning again", strategy)  # no listener
        raise PlanningError("the mood reading ended twice while planning; try again")

    def _plan_for(self, mood: MoodState, profile: str, strategy: str) -> tuple[list[QueueItem], Outcome]:
        """A switch's plan; a failure is health's `recommender` "error" and raised (PlanningError)."""
        current = self._status().current
        after = current.track.id if current else None
        k, exclude = self.config.recommend.queue_length, {after} if after else set()
        try:
            return self._planner.plan_or_raise(mood, k, exclude, profile, strategy, after=after)
        except PlanningError as exc:
            self.health.set_state("recommender", ComponentState.ERROR, exc.reason[:200])
            raise

    @staticmethod
    def _new_queue(items: list[QueueItem], strategy: str) -> list[QueueItem] | None:
        """What comes after the current track: the new plan; none under "off" (no automatic picks);
        None, the queue as it was, when a plan found nothing (every track rejected or queued)."""
        return items if items or strategy == "off" else None

    def _queue_plan(
        self, items: list[QueueItem], strategy: str, outcome: Outcome, mood: MoodState
    ) -> list[QueueItem] | None:
        """Apply a switch's plan (now in effect) and record its outcome, under the lock: a refill or
        re-plan made before the switch either went before this (and the queue is replaced) or is
        dropped, so neither its picks nor its outcome outlive the switch."""
        new = self._new_queue(items, strategy)
        with self._lock:
            self._record(Plan(self._generation, items, outcome))
            if new is not None:
                self._note(new, mood)
                self.player.set_queue(new)
        return new
