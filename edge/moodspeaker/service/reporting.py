"""What the Appliance says about itself: its state, its health, its profile list, its liveness.

Why a module of its own: the page, MQTT and the `state`/`health` commands all read the speaker
through these few methods, and systemd's watchdog reads `liveness_problem`.  They only read (plus
keeping health's `tpu` on the classifier actually in use); a part that cannot be read (the profile
database) is reported once and the last known answer stands in, so a report never fails.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from typing import Any

from moodspeaker.player.queue import QueueItem
from moodspeaker.service.component_states import UNKNOWN, ComponentState
from moodspeaker.service.control import CommandError
from moodspeaker.service.core import ApplianceCore
from moodspeaker.service.events import mood_source
from moodspeaker.service.health import tpu_state
from moodspeaker.service.plans import storage_reason
from moodspeaker.service.scan_state import ScanRun

log = logging.getLogger(__name__)

#: Watchdog restarts in a row without one completed step after which inference counts as stuck for
#: good: the main loop stops the systemd watchdog pings and systemd restarts the whole process
#: (which also resets a wedged USB accelerator that a fresh thread could not).
STUCK_RESTARTS_LIMIT = 3


class ServiceReports(ApplianceCore):
    """State, health, profiles and liveness as the outside sees them (see the module doc)."""

    _scans: ScanRun  # the library scan running or last run (service.rescan), set by Appliance.__init__

    def liveness_problem(self) -> str:
        """Why the process should stop telling systemd it is alive; "" while it is healthy.

        The main loop pings systemd's watchdog only when this is empty, so a process whose inference
        stays stuck however often it is restarted, whose player or housekeeping thread died, or whose
        player thread hangs in a call its watcher could not end (player.hang), is restarted by systemd
        instead of sitting there silent.
        """
        with self._lock:
            unrecovered = self._unrecovered_restarts
        if unrecovered >= STUCK_RESTARTS_LIMIT:
            return f"inference is still stuck after {unrecovered} restarts"
        timeout = self.config.classifier.stuck_timeout_s
        # as the watchdog counts it: a step the whole process stood still through (a suspend, swap)
        # is not stuck, also in the pass that runs before the watchdog's first tick after the pause
        stuck = self.watchdog.stuck_for()
        if stuck > 2 * timeout + 1.0:
            return f"inference has been stuck for {stuck:.0f} s and was not restarted"
        if not self.player.alive:
            return "the player thread has stopped"
        if self.player.stuck:  # its watcher could not free it (player.hang): only a restart can
            return self.player.stuck
        for thread in self._threads:
            if not thread.is_alive():
                return f"the {thread.name} thread has stopped"
        return ""

    def _follow_tpu(self) -> None:
        """Keep health's `tpu` on the classifier actually in use: it falls back to the CPU by itself
        when the Edge TPU fails while running (and a watchdog restart builds one that tries the TPU
        again). A change is reported once, when it happens."""
        classifier = getattr(self.stage.pipeline, "classifier", None)
        if classifier is None:
            return
        known = self.health.state_of("tpu") != UNKNOWN  # set at start-up from the probe classifier
        state, detail = tpu_state(self._classifier_type, classifier)
        if self.health.set_state("tpu", state, detail) and known:
            message = (
                "the Edge TPU is used again"
                if state == ComponentState.OK
                else f"the Edge TPU is not used: {detail}"
            )
            log.warning("%s", message)
            self._report("tpu", message)

    def health_snapshot(self) -> dict[str, Any]:
        status = self.player.status()
        self.health.set_state("audio", status.audio, status.audio_error)
        # the player's watcher (player.hang): what it reported since the last report becomes incidents
        for message in self.player.watch.reports():
            self.health.incident("player", message)
        self.health.set_state("player", *self.player.watch.state())
        snap = self.health.snapshot()
        # the hangs are counted by the player's watchdog, the inference stage's restarts by its own: read
        # from them, never counted a second time; each counter is there from the first on, as the
        # counters health keeps (`inference_restarts` also at the top, always: MQTT's stats carry it)
        if hangs := self.player.watch.recoveries:
            snap["counters"]["player_hangs"] = hangs
        if restarts := self.watchdog.restarts:
            snap["counters"]["inference_restarts"] = restarts
        snap["inference_restarts"] = restarts
        snap["failed_tracks"] = list(status.failures)
        snap["recommender"] = self.conductor.outcome.status  # the last plan applied, not one dropped
        return snap

    def profiles(self) -> list[str]:
        """The household's profiles from the recommender's database.  A storage failure (a corrupt or
        unreadable database) is a CommandError naming it, so `set_profile`, which checks its argument
        against this list, is refused clearly; it is reported once, and state() shows the last list."""
        try:
            names = self._recommender.profiles()
        except (sqlite3.Error, OSError) as exc:
            message = f"the listener profiles cannot be read: {storage_reason(exc)}"
            if message != self._profiles_error:
                self._profiles_error = message
                log.error("%s", message)
                self._report("recommender", message)
            raise CommandError(message) from exc
        self._known_profiles, self._profiles_error = list(names), ""
        return names

    def _profiles_or_known(self) -> list[str]:
        try:
            return self.profiles()
        except CommandError:
            return list(self._known_profiles)

    def _queue_entries(self, items: Iterable[QueueItem]) -> list[dict[str, Any]]:
        return [
            {
                "track_id": i.track.id,
                "title": i.track.title,
                "artist": i.track.artist,
                "reason": self._forgotten.reason(i.reason, i.track.id),
            }
            for i in items
        ]

    def _track_entry(self, item: QueueItem) -> dict[str, Any]:
        """`now_playing` but for the position: the track playing, or the one a Next moves to."""
        t = item.track
        return {
            "track_id": t.id,
            "title": t.title,
            "artist": t.artist,
            "album": t.album,
            "reason": self._forgotten.reason(item.reason, t.id),
            "duration_s": t.duration_s,
            "source": t.source,
        }

    def state(self) -> dict[str, Any]:
        """What is in effect now; `pending`: what commands asked the player for that it has not
        applied yet (a busy player, see `service.pending`), by the key it will change."""
        pending = self._pending.values()  # before the status: see PendingChanges.values
        if "queue" in pending:
            pending["queue"] = self._queue_entries(pending["queue"])
        if "now_playing" in pending:  # the track a Next moves to (None: nothing, until Play)
            item = pending["now_playing"]
            pending["now_playing"] = None if item is None else self._track_entry(item)
        # What was restored at start until the player shows it (no wait: a page or MQTT asking in the
        # first moments after a restart is shown the track it is about to resume, not nothing).
        status = self._restored.status()
        mood = self._current_mood()
        current = status.current
        now_playing = None
        if current is not None:
            now_playing = {**self._track_entry(current), "position_s": status.position_s}
        return {
            "mood": mood.mood,
            "confidence": round(mood.confidence, 3),
            "valence": round(mood.valence, 3),
            "arousal": round(mood.arousal, 3),
            "face": mood.face,
            # the reading's, or a mood told (asked for or corrected) in force: MQTT's mood topics say which
            "mood_source": mood_source(told=mood.told, asked=mood.asked),
            "camera": self.stage.enabled,
            "playing": status.state == "playing",
            "player": status.state,
            "audio": status.audio,
            "now_playing": now_playing,
            "queue": self._queue_entries(status.queue),
            "volume": status.volume,
            "strategy": self.conductor.strategy,
            "profile": self.conductor.profile,
            "profiles": self._profiles_or_known(),
            "health": self.health_snapshot(),
            "scan": self._scans.snapshot(),
            "pending": pending,
        }
