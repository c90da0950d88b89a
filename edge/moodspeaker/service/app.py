"""The Appliance: camera -> vision -> mood filter -> recommender -> player, as one running service.

It implements `control.Speaker` (so the ControlAPI, the page and MQTT drive it) and publishes every
change on the EventBus.  Threads: inference (capture + classify + filter, watched by the watchdog),
the player, a feedback writer, a housekeeping loop (queue refill, state saving, health reports) and
the privacy retention (`service.retention`: the service deletes its own old data, page or no page).
What must survive a power cut is saved atomically by `StateStore`; feedback is committed by the
recommender before the command that caused it returns (likes) or before shutdown completes (plays).

This module wires the parts together and runs them: start-up (restoring the saved state), orderly
shutdown, the mood stream from inference to the conductor, housekeeping and live settings.  The
commands and reports live by responsibility in `service.playback` (what plays now),
`service.listeners` (profiles, strategies, calibration, data), `service.feedback` (what is learned
from plays by itself), `service.rescan` (library rescans and their progress),
`service.left_out_list` (the files left out and tracks held back, with why) and
`service.reporting` (state, health, liveness); `service.core` holds what they share.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from moodspeaker.config.schema import Config
from moodspeaker.mood.classes import UNKNOWN
from moodspeaker.mood.filter import MoodFilter, MoodState
from moodspeaker.player.engine import Player
from moodspeaker.service.calibration import FollowedCalibration
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.conductor import Conductor
from moodspeaker.service.control import CommandError
from moodspeaker.service.core import POSITION_STEP_S, Parts
from moodspeaker.service.events import (
    Event,
    EventBus,
    HealthReport,
    MoodChanged,
    MoodObserved,
    StateChanged,
    TrackStarted,
    mood_source,
)
from moodspeaker.service.feedback import FeedbackRecording
from moodspeaker.service.forget import ForgottenReasons
from moodspeaker.service.health import Health
from moodspeaker.service.inference import InferenceStage
from moodspeaker.service.left_out_list import LeftOutReport
from moodspeaker.service.listeners import ListenerCommands
from moodspeaker.service.moved_tracks import current_snapshot
from moodspeaker.service.pending import PendingChanges
from moodspeaker.service.playback import CAMERA_HELD_DETAIL, PlaybackCommands
from moodspeaker.service.policy import replan_on
from moodspeaker.service.reporting import STUCK_RESTARTS_LIMIT, ServiceReports
from moodspeaker.service.rescan import LibraryRescans
from moodspeaker.service.restart_rules import needs_restart
from moodspeaker.service.restored import RestoredState
from moodspeaker.service.retention import Retention
from moodspeaker.service.scan_state import ScanRun
from moodspeaker.service.skips import RecordedSkips
from moodspeaker.service.state import StateStore
from moodspeaker.service.switches import SwitchesUnderWay
from moodspeaker.service.watchdog import Heartbeat, Watchdog

__all__ = [
    "HEALTH_INTERVAL_S",
    "POSITION_STEP_S",
    "SAVE_INTERVAL_S",
    "STUCK_RESTARTS_LIMIT",
    "Appliance",
    "Parts",
]

log = logging.getLogger(__name__)

HEALTH_INTERVAL_S = 10.0
SAVE_INTERVAL_S = 2.0


class Appliance(
    PlaybackCommands, ListenerCommands, FeedbackRecording, LibraryRescans, ServiceReports, LeftOutReport
):
    """The running speaker (see the module doc). `start()`, then drive it; `stop()` on shutdown."""

    def __init__(self, config: Config, bus: EventBus, parts: Parts, data_dir: Path) -> None:
        # the shared attributes are declared, with what they mean, in `service.core.ApplianceCore`
        self.config = config
        self._classifier_type = config.classifier.type
        self.bus = bus
        self.parts = parts
        self.health = Health()
        self.store = StateStore(data_dir)
        self._data_dir = data_dir
        self._recommender = parts.recommender
        self._lock = threading.RLock()
        self._saving = threading.RLock()
        self._feedback_writes = threading.Lock()
        self._listener_changes = threading.Lock()
        self._camera_switch = threading.Lock()
        self._mood = MoodState(UNKNOWN, 0.0, 0.0, 0.0, face=False, changed=False)
        self._override = None
        self._recorded_skips = RecordedSkips()
        self._known_profiles, self._profiles_error = [], ""
        self._feedback = queue.Queue()
        self._stop = threading.Event()
        self._threads = []
        self._unrecovered_restarts = 0
        self._scans = ScanRun()
        self._pending = PendingChanges()
        self._switches = SwitchesUnderWay()
        self.started_tracks = deque(maxlen=500)
        self.player = Player(
            config.player, self._from_player, on_missing=self._on_missing, caches=parts.downloads
        )
        self._restored = RestoredState(self.player.status)
        # The conductor reads the status as the saves do: what was restored, until the player shows it.
        self.conductor = Conductor(
            config, self.player, parts.recommender, self.health, status=self._restored.status
        )
        self._forgotten = ForgottenReasons(self.conductor.picked)  # dated by the notes of the picks
        self._heartbeat = Heartbeat()
        self.stage = InferenceStage(
            parts.make_source,
            parts.make_pipeline,
            MoodFilter(config.mood, parts.classes),
            interval_s=config.camera.interval_s,
            on_result=self._on_result,
            health=self.health,
            heartbeat=self._heartbeat,
            enabled=config.camera.enabled,
            on_ended=self._end_reading,  # a replay that ran out: its mood, faded, is no reading now
        )
        self._calibration = FollowedCalibration(
            data_dir, self.stage.set_calibration, lambda notice: self._report("calibration", notice)
        )
        self.watchdog = Watchdog(
            self._heartbeat,
            self.stage.restart,
            timeout_s=config.classifier.stuck_timeout_s,
            on_restart=self._on_stage_restart,
        )
        self.retention = Retention(self._expire, lambda: self.config.privacy.retention_days)
        self._unsubscribe = bus.subscribe(self._on_event)

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        for component, (state, detail) in self.parts.states.items():
            self.health.set_state(component, state, detail)
        for notice in self.parts.notices:
            self._report("service", notice)
        self._restore()
        # What was restored is under the retention's cut-off before any of it plays or is reported
        # (a track resumed before the first run would put its old explanation in health anew).
        _, picks = self._expire_in_memory(self.retention.cut_off())
        if picks:
            log.info("retention: deleted %d restored notes of the moods tracks were picked for", picks)
        self.player.start()
        self.stage.start()
        self.watchdog.start()
        for name, target in (("feedback", self._feedback_loop), ("housekeeping", self._housekeeping)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.retention.start()

    def stop(self) -> None:
        """Orderly shutdown: stop capturing, save where we are, write pending feedback, close audio."""
        self._stop.set()
        self.retention.stop()  # at once, unless a deletion is under way: that one ends first
        self.watchdog.stop()
        self.stage.stop()
        self._save()
        self.player.close()
        self._feedback.put(None)
        for thread in self._threads:
            thread.join(5.0)
        self._unsubscribe()

    def _restore(self) -> None:
        snap, notice = self.store.load()
        if notice:
            self._report("state", notice)
        self._ensure_profiles(self.config.recommend.profiles)
        profiles = self._recommender.profiles()
        if snap.profile in profiles:
            self.conductor.profile = snap.profile
        elif self.conductor.profile not in profiles:
            self._recommender.create_profile(self.conductor.profile, time.time())
        self._use_calibration(self.conductor.profile)
        self._follow_profile(str(snap.strategy or ""))
        # Not snap.volume: the speaker starts at player.volume (Start volume), as moOde and Volumio do
        # with a startup volume; the volume set while it plays holds until the process ends.
        # Switched off at the speaker (its privacy button): off whatever the config says, until pressed.
        self._camera_held = snap.camera_held
        camera = False if snap.camera_held else snap.camera
        if camera is not None and camera != self.stage.enabled:
            self.stage.set_enabled(camera)
        why = CAMERA_HELD_DETAIL if self._camera_held else ""
        self.health.set_state("camera", ComponentState.OK if self.stage.enabled else ComponentState.OFF, why)
        snap = current_snapshot(snap, self._recommender.source)  # files moved since it was saved
        if snap.current is not None or snap.queue:
            held = [*([snap.current] if snap.current else []), *snap.queue]
            self.conductor.picked.restore(held, snap.picked_for, snap.picked_at)  # see Conductor._react
            self.player.load(snap.current, snap.position_s, list(snap.queue))
            log.info(
                "restored: %s at %.0f s, %d queued",
                snap.current.track.title if snap.current else "nothing",
                snap.position_s,
                len(snap.queue),
            )
        if snap.playing:
            self.player.play()
        elif snap.current is not None:  # paused at the power cut: back paused on it (not stopped, which
            self.player.pause()  # autoplay would start on the first mood read), as a music player is
        # Until the player shows all this, commands, saves and the conductor take it from `snap` (a
        # starved player thread must not have state.json saved empty, nor Play plan over the restored
        # queue, in the meantime: service.restored).
        self._restored.restoring(snap, self.player.when_idle())

    def _on_stage_restart(self, message: str) -> None:
        with self._lock:
            self._unrecovered_restarts += 1  # (the restarts are counted by the watchdog: health_snapshot)
        self._report("watchdog", message)

    def _from_player(self, event: Event) -> None:
        """The player's events, published: a track planned before "delete everything", or before the
        last retention cut-off, starts without the explanation that was taken back (service.forget)."""
        if isinstance(event, TrackStarted):
            reason = self._forgotten.reason(event.reason, event.track_id)
            if reason != event.reason:
                event = dataclasses.replace(event, reason=reason)
        self.bus.publish(event)

    # ---- mood -> plan -> player --------------------------------------------------------------------
    def _on_result(self, state: MoodState, observation: Any, _now: float) -> None:
        """One reading (the stage's thread; a reading that ended is never delivered, see
        InferenceStage.end_reading): the mood in force, published; a new mood re-plans.

        A change is announced from the mood announced last (`shown`): the listener's correction in
        force (`correct_mood`), not the mood the filter had read before it, so that each MoodChanged
        follows on from the one before (MQTT's event).  The camera coming to read the corrected mood
        is no change and is not announced as one (it is planned for all the same: the reading now
        stands in for the correction).  The filter's first mood after unknown (the camera just on,
        a listener come into view) is no change of the listener's either: a mood told holds over it,
        unannounced and unplanned for, until the camera reads a change from that mood.

        The reading is published as read (the page's mood history plots what the camera read) and,
        while a correction holds, with the mood in force (`told`): MQTT's mood topics show that, as
        the state does, instead of flipping to the reading and back at every capture."""
        with self._lock:
            if observation is not None:
                # a frame was read and classified: inference works (again).  Not on a capture that
                # gave nothing (observation None: a camera held by a hung capture, retrying or gone),
                # or a camera wedged for good would never reach STUCK_RESTARTS_LIMIT
                self._unrecovered_restarts = 0
            shown = self._announced_mood
            self._mood = state
            # the filter settling on its first mood after unknown (the camera just on, a listener
            # come into view) is no change of the listener's: a mood told (asked for) holds over it
            settling = state.changed and state.previous == UNKNOWN and self._override is not None
            if state.changed and not settling:
                self._override = None
            told = _in_force(self._override)
            # published under the lock the state changed under (an RLock; the bus's subscribers only
            # queue): a correction (`correct_mood`) made after this reading's state change is
            # published after it, never between it and its events, where its MoodChanged came before
            # a MoodObserved still saying the reading without it (MQTT's mood showed the reading)
            self.bus.publish(
                MoodObserved(
                    ts=time.time(),
                    mood=state.mood,
                    confidence=round(state.confidence, 3),
                    valence=round(state.valence, 3),
                    arousal=round(state.arousal, 3),
                    face=state.face,
                    camera=self.stage.enabled,  # False for a capture that finished as the camera went off
                    told=told,  # the state topics show the correction while it holds, the plot the reading
                    source=_source(self._override),  # asked or corrected while it holds: MQTT says which
                )
            )
            if state.changed and state.mood != shown and not settling:
                self.bus.publish(
                    MoodChanged(
                        ts=time.time(),
                        mood=state.mood,
                        previous=shown,
                        confidence=round(state.confidence, 3),
                        valence=round(state.valence, 3),
                        arousal=round(state.arousal, 3),
                    )
                )
        self._follow_tpu()
        if replan_on(state.mood, state.changed) and not settling:
            self.conductor.react(state)

    # ---- housekeeping, live settings ---------------------------------------------------------------
    def _housekeeping(self) -> None:
        next_health = time.monotonic() + 1.0
        while not self._stop.wait(SAVE_INTERVAL_S / 2):
            try:
                if not self._feedback_pending():  # what just ended must count as played first
                    self.conductor.refill(self._current_mood())
                self._announce_settled()  # what a busy player has applied since its command answered
                self._save()
                self._follow_calibration()  # one saved while the service runs corrects from now on
                if time.monotonic() >= next_health:
                    next_health = time.monotonic() + HEALTH_INTERVAL_S
                    self.bus.publish(HealthReport(ts=time.time(), stats=self.health_snapshot()))
            except Exception:
                log.exception("housekeeping step failed")

    def apply_config(self, new: Config) -> None:
        """A saved config (from the page): apply what can change at once; say what needs a restart."""
        old, self.config = self.config, new
        self.conductor.config = new
        self.player.set_config(new.player)
        self.stage.set_interval(new.camera.interval_s)
        self._ensure_profiles(new.recommend.profiles)
        if new.recommend.strategy != old.recommend.strategy:  # as the Now tab's picker, for the default
            self._follow_default_strategy(new.recommend.strategy)
        if new.camera.enabled != old.camera.enabled:
            self.camera_from_settings(new.camera.enabled, "the saved settings")
        if new.privacy.retention_days != old.privacy.retention_days:
            self.retention.run_now()  # a shorter period deletes more, now rather than within the hour
        pending = sorted(needs_restart(old, new))
        if pending:
            log.warning("settings saved; these take effect after a restart: %s", ", ".join(pending))
            self.bus.publish(StateChanged(ts=time.time(), key="restart_needed", value=pending))

    def release_camera_hold(self, reason: str) -> None:
        """Let go of a hold the privacy button made (`set_camera_at_speaker`, restored from state.json)
        on a speaker running with no working button (`reason`: none set, gpiozero missing, its pin
        busy: runner.start_gpio): only the button switches a held camera on, everything else is
        refused, so the camera would stay off for good.  It stays off (nothing switches it on
        unasked); the page, the API, MQTT and the settings may switch it on again.  Said in the log."""
        with self._camera_switch:
            if not self._camera_held:
                return
            self._camera_held = False
            on = self.stage.enabled  # off: it was held
            self.health.set_state("camera", ComponentState.OK if on else ComponentState.OFF)
        log.warning(
            "the camera was switched off at the speaker's privacy button, and this speaker runs without a "
            "working button (%s): it stays off, and may now be switched on from the page, the API or MQTT",
            reason,
        )
        self._save()

    def camera_from_settings(self, enabled: bool, where: str) -> None:
        """camera.enabled changed in the settings (`where`): the camera switched so, unless it was
        switched off at the speaker (its privacy button): that one only the button switches on."""
        try:
            self.set_camera(enabled)
        except CommandError as exc:
            log.warning("camera.enabled = true in %s: the camera stays off: %s", where, exc)


def _in_force(told: MoodState | None) -> tuple[str, float, float, float] | None:
    """A correction in force as MoodObserved's `told` (rounded as the state rounds it)."""
    if told is None:
        return None
    return (told.mood, round(told.confidence, 3), round(told.valence, 3), round(told.arousal, 3))


def _source(told: MoodState | None) -> str:
    """MoodObserved's `source`: the camera's reading, or the mood told in force (asked or corrected)."""
    return mood_source(told=told is not None, asked=told is not None and told.asked)
