"""The conductor: turns moods into a queue and applies the reaction policy to the player.

It owns what the listener chose (profile, strategy, paused by hand) and asks the recommender for
plans: a new confident mood re-plans at once and, when the current track clearly clashes with the
best new pick, crossfades to it (`policy.clashes`); otherwise the queue is just kept topped up.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable

from moodspeaker.config.schema import Config
from moodspeaker.mood.classes import UNKNOWN
from moodspeaker.mood.filter import MoodState
from moodspeaker.player.engine import Player
from moodspeaker.player.queue import QueueItem
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.service.health import Health
from moodspeaker.service.policy import clashes

log = logging.getLogger(__name__)

#: After a refill found nothing to add, wait this long before asking the recommender again.
REFILL_BACKOFF_S = 30.0


class Conductor:
    """Plans with the recommender and drives the player (called from the inference and housekeeping
    threads and from commands; every player call is a posted command, so this needs no lock)."""

    def __init__(self, config: Config, player: Player, recommender: Recommender, health: Health) -> None:
        self.config = config
        self.player = player
        self._recommender = recommender
        self.health = health
        self.profile: str = config.recommend.profile
        self.strategy: str = config.recommend.strategy
        self.user_paused = False
        self.flips: deque[tuple[float, str]] = deque(maxlen=500)  # (monotonic time of a flip, first pick)
        self._quiet_until = 0.0

    def retry_soon(self) -> None:
        """Something changed (library, profile, strategy): the next refill may plan again at once."""
        self._quiet_until = 0.0

    def plan(
        self, mood: MoodState, k: int, exclude: set[str], *, profile: str | None = None, strict: bool = False
    ) -> list[QueueItem]:
        """Up to `k` picks for `profile` (default: the active one); [] when planning failed, which is
        reported in health.  `strict` lets storage errors (sqlite3.Error, OSError) propagate instead."""
        t0 = time.monotonic()
        try:
            picks = self._recommender.plan(
                mood, profile or self.profile, self.strategy, time.time(), k, exclude=frozenset(exclude)
            )
        except Exception as exc:
            if strict and isinstance(exc, sqlite3.Error | OSError):
                raise
            log.exception("planning failed")
            self.health.set_state("recommender", "error", str(exc)[:200])
            return []
        self.health.timing("plan", time.monotonic() - t0)
        self.health.set_state("recommender", "ok", self._recommender.status)
        return [QueueItem(p.track, p.reason) for p in picks]

    def react(self, mood: MoodState) -> None:
        """A new confident mood: re-plan at once; cut the current track only if it clearly clashes."""
        flip_at = time.monotonic()
        self._quiet_until = 0.0
        status = self.player.status()
        current = status.current
        items = self.plan(mood, self.config.recommend.queue_length, {current.track.id} if current else set())
        if not items:
            return
        cfg = self.config.player
        playing = status.state == "playing" and current is not None
        if (
            playing
            and current is not None
            and cfg.switch_on_clash
            and clashes(
                current.track, items[0].track, clash_distance=cfg.clash_distance, strategy=self.strategy
            )
        ):
            log.info("mood is now %s: %s clashes; switching", mood.mood, current.track.title)
            self.flips.append((flip_at, items[0].track.id))
            self.player.set_queue(items[1:])
            self.player.switch_to(items[0], fade_s=cfg.switch_fade_s)
            return
        self.player.set_queue(items)
        if status.state == "stopped" and cfg.autoplay and not self.user_paused:
            self.flips.append((flip_at, items[0].track.id))
            self.player.play()

    def refill(self, mood: MoodState) -> None:
        status = self.player.status()
        if status.ran_out and status.queue and status.state == "stopped" and not self.user_paused:
            self.player.play()  # tracks arrived just after the music ran out (planned as it did)
            return
        want = self.config.recommend.queue_length
        if len(status.queue) >= max(1, want // 2) or self.strategy == "off":
            return
        if status.current is None and mood.mood == UNKNOWN and not status.queue and not status.ran_out:
            return  # nothing to go on yet: wait for a mood (or Play)
        if time.monotonic() < self._quiet_until:
            return  # the last try found nothing; a new mood, setting or rescan tries again sooner
        exclude = {i.track.id for i in status.queue}
        if status.current is not None:
            exclude.add(status.current.track.id)
        items = self.plan(mood, want - len(status.queue), exclude)
        if items:
            self.player.extend_queue(items)
        else:
            self._quiet_until = time.monotonic() + REFILL_BACKOFF_S
        # Music that ran out (the rest of the queue was on a disk that went away) carries on with what
        # can still be played: the listener started it, so this is not autoplay.
        carry_on = self.config.player.autoplay or status.ran_out
        if status.state == "stopped" and carry_on and not self.user_paused and items:
            self.player.play()

    def switch_profile(self, mood: MoodState, profile: str, save: Callable[[], bool]) -> bool:
        """Switch the listener: plan for `profile` first (a storage error propagates and nothing has
        changed), then make it the active profile and `save()`.  When the save fails the previous
        profile is put back with its queue untouched and False is returned; on success the queue is the
        new listener's plan."""
        self._quiet_until = 0.0
        current = self.player.status().current
        exclude = {current.track.id} if current else set()
        items = self.plan(mood, self.config.recommend.queue_length, exclude, profile=profile, strict=True)
        previous, self.profile = self.profile, profile
        if not save():
            self.profile = previous
            return False
        self.player.set_queue(items)
        return True

    def replan(self, mood: MoodState) -> None:
        """Profile or strategy changed: a new plan for what comes after the current track."""
        self._quiet_until = 0.0
        current = self.player.status().current
        exclude = {current.track.id} if current else set()
        self.player.set_queue(self.plan(mood, self.config.recommend.queue_length, exclude))
