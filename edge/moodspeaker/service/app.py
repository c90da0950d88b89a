"""The Appliance: camera -> vision -> mood filter -> recommender -> player, as one running service.

It implements `control.Speaker` (so the ControlAPI, the page and MQTT drive it) and publishes every
change on the EventBus.  Threads: inference (capture + classify + filter, watched by the watchdog),
the player, a feedback writer, and a housekeeping loop (queue refill, state saving, health reports).
What must survive a power cut is saved atomically by `StateStore`; feedback is committed by the
recommender before the command that caused it returns (likes) or before shutdown completes (plays).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moodspeaker.config.load import to_mapping
from moodspeaker.config.schema import Config
from moodspeaker.mood.circumplex import to_valence_arousal
from moodspeaker.mood.classes import UNKNOWN
from moodspeaker.mood.filter import MoodFilter, MoodState
from moodspeaker.player.engine import Player
from moodspeaker.player.queue import QueueItem
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.service.calibration import load_calibration
from moodspeaker.service.conductor import Conductor, PlanningError, storage_reason
from moodspeaker.service.control import STRATEGIES, CommandError
from moodspeaker.service.events import (
    ErrorReported,
    Event,
    EventBus,
    HealthReport,
    MoodChanged,
    MoodObserved,
    StateChanged,
    TrackEnded,
    TrackStarted,
)
from moodspeaker.service.health import Health, library_state, tpu_state
from moodspeaker.service.inference import FrameSource, InferenceStage, Pipeline
from moodspeaker.service.policy import replan_on
from moodspeaker.service.state import Snapshot, StateStore
from moodspeaker.service.watchdog import Heartbeat, Watchdog

log = logging.getLogger(__name__)

HEALTH_INTERVAL_S = 10.0
#: Watchdog restarts in a row without one completed step after which inference counts as stuck for
#: good: the main loop stops the systemd watchdog pings and systemd restarts the whole process
#: (which also resets a wedged USB accelerator that a fresh thread could not).
STUCK_RESTARTS_LIMIT = 3
SAVE_INTERVAL_S = 2.0
#: The saved position moves in steps of this much: a resume is at most this far back, and the SD card
#: sees one small write per step while music plays (plus one per change of track, queue or setting).
POSITION_STEP_S = 5.0
#: A replay this soon after a track began (plus the crossfade, while the last one was still fading
#: out) means the listener wants the track that just ended, as a music player's "previous" button.
REPLAY_PREVIOUS_S = 4.0
#: Settings applied while running (the rest need a restart; the page is told which).
LIVE_SETTINGS = (
    "player.",
    "camera.interval_s",
    "camera.enabled",
    "recommend.queue_length",
    "recommend.profiles",
    "web.",
    "privacy.",
)


@dataclass
class Parts:
    """The pieces the appliance is wired from (built by `service.components` or by a test)."""

    make_source: Callable[[], FrameSource]
    make_pipeline: Callable[[], Pipeline]
    recommender: Recommender
    classes: tuple[str, ...] | None = None
    rescan: Callable[[], str] | None = None  # returns one sentence on what changed
    states: dict[str, tuple[str, str]] = field(default_factory=dict)  # component -> (state, detail)
    notices: list[str] = field(default_factory=list)


class Appliance:
    """The running speaker (see the module doc). `start()`, then drive it; `stop()` on shutdown."""

    def __init__(self, config: Config, bus: EventBus, parts: Parts, data_dir: Path) -> None:
        self.config = config
        self._classifier_type = config.classifier.type  # changing it takes a restart
        self.bus = bus
        self.parts = parts
        self.health = Health()
        self.store = StateStore(data_dir)
        self._data_dir = data_dir
        self._recommender = parts.recommender
        self._lock = threading.RLock()
        self._mood = MoodState(UNKNOWN, 0.0, 0.0, 0.0, face=False, changed=False)
        self._override: MoodState | None = None
        self._no_skip_feedback: set[str] = set()
        self._known_profiles: list[str] = []  # the last profile list read, for state() when reads fail
        self._profiles_error = ""  # the last failure reading it (reported once, not on every poll)
        self._feedback: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._unrecovered_restarts = 0  # watchdog restarts since the last completed inference step
        self._rescan_pending: bool | None = None  # None: no scan runs; True: another one was asked for
        self.started_tracks: deque[tuple[float, str]] = deque(maxlen=500)  # (monotonic, track id)
        self.player = Player(config.player, bus.publish, on_missing=self._on_missing)
        self.conductor = Conductor(config, self.player, parts.recommender, self.health)
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
        )
        self.watchdog = Watchdog(
            self._heartbeat,
            self.stage.restart,
            timeout_s=config.classifier.stuck_timeout_s,
            on_restart=self._on_stage_restart,
        )
        self._unsubscribe = bus.subscribe(self._on_event)

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        for component, (state, detail) in self.parts.states.items():
            self.health.set_state(component, state, detail)
        for notice in self.parts.notices:
            self._report("service", notice)
        self._restore()
        self.player.start()
        self.stage.start()
        self.watchdog.start()
        for name, target in (("feedback", self._feedback_loop), ("housekeeping", self._housekeeping)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Orderly shutdown: stop capturing, save where we are, write pending feedback, close audio."""
        self._stop.set()
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
        if snap.volume is not None:
            self.player.set_volume(snap.volume)
        if snap.camera is not None and snap.camera != self.stage.enabled:
            self.stage.set_enabled(snap.camera)
        self.health.set_state("camera", "ok" if self.stage.enabled else "off")
        if snap.current is not None or snap.queue:
            self.player.load(snap.current, snap.position_s, list(snap.queue))
            log.info(
                "restored: %s at %.0f s, %d queued",
                snap.current.track.title if snap.current else "nothing",
                snap.position_s,
                len(snap.queue),
            )
        if snap.playing:
            self.player.play()

    def _ensure_profiles(self, names: tuple[str, ...]) -> None:
        """Create the listed profiles the recommender does not know yet, so they can be picked.  A
        profile that cannot be created (a refused name, a storage error) is reported, not raised: the
        settings that listed it are saved all the same, and the profile appears once storage works."""
        try:
            known = set(self._recommender.profiles())
        except (sqlite3.Error, OSError) as exc:
            self._report("recommender", f"profiles {', '.join(names)} not checked: {storage_reason(exc)}")
            return
        for name in names:
            if name.strip() in known:
                continue
            try:
                self._recommender.create_profile(name, time.time())
            except ValueError as exc:  # ProfileError: a name the recommender refuses
                self._report("recommender", f"profile {name!r} not created: {exc}")
            except (sqlite3.Error, OSError) as exc:
                self._report("recommender", f"profile {name!r} not created: {storage_reason(exc)}")

    def _report(self, component: str, message: str) -> None:
        self.health.incident(component, message)
        self.bus.publish(ErrorReported(ts=time.time(), component=component, message=message))

    def _on_stage_restart(self, message: str) -> None:
        with self._lock:
            self._unrecovered_restarts += 1
        self.health.count("inference_restarts")
        self._report("watchdog", message)

    def liveness_problem(self) -> str:
        """Why the process should stop telling systemd it is alive; "" while it is healthy.

        The main loop pings systemd's watchdog only when this is empty, so a process whose inference
        stays stuck however often it is restarted, or whose player or housekeeping thread died, is
        restarted by systemd instead of sitting there silent.
        """
        with self._lock:
            unrecovered = self._unrecovered_restarts
        if unrecovered >= STUCK_RESTARTS_LIMIT:
            return f"inference is still stuck after {unrecovered} restarts"
        timeout = self.config.classifier.stuck_timeout_s
        stuck = self._heartbeat.stuck_for(time.monotonic())
        if stuck > 2 * timeout + 1.0:
            return f"inference has been stuck for {stuck:.0f} s and was not restarted"
        if not self.player.alive:
            return "the player thread has stopped"
        for thread in self._threads:
            if not thread.is_alive():
                return f"the {thread.name} thread has stopped"
        return ""

    # ---- mood -> plan -> player --------------------------------------------------------------------
    def _on_result(self, state: MoodState, _observation: Any, _now: float) -> None:
        with self._lock:
            self._unrecovered_restarts = 0  # a step completed: inference works (again)
            self._mood = state
            if state.changed:
                self._override = None
        self._follow_tpu()
        self.bus.publish(
            MoodObserved(
                ts=time.time(),
                mood=state.mood,
                confidence=round(state.confidence, 3),
                valence=round(state.valence, 3),
                arousal=round(state.arousal, 3),
                face=state.face,
                camera=self.stage.enabled,  # False for a capture that finished as the camera went off
            )
        )
        if state.changed:
            self.bus.publish(
                MoodChanged(
                    ts=time.time(),
                    mood=state.mood,
                    previous=state.previous,
                    confidence=round(state.confidence, 3),
                    valence=round(state.valence, 3),
                    arousal=round(state.arousal, 3),
                )
            )
            if replan_on(state.mood, state.changed):
                self.conductor.react(state)

    def _follow_tpu(self) -> None:
        """Keep health's `tpu` on the classifier actually in use: it falls back to the CPU by itself
        when the Edge TPU fails while running (and a watchdog restart builds one that tries the TPU
        again). A change is reported once, when it happens."""
        classifier = getattr(self.stage.pipeline, "classifier", None)
        if classifier is None:
            return
        known = self.health.state_of("tpu") != "unknown"  # set at start-up from the probe classifier
        state, detail = tpu_state(self._classifier_type, classifier)
        if self.health.set_state("tpu", state, detail) and known:
            message = "the Edge TPU is used again" if state == "ok" else f"the Edge TPU is not used: {detail}"
            log.warning("%s", message)
            self._report("tpu", message)

    def _current_mood(self) -> MoodState:
        with self._lock:
            return self._override or self._mood

    # ---- events, feedback, housekeeping ----------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if isinstance(event, TrackStarted):
            self.started_tracks.append((time.monotonic(), event.track_id))
            self.health.reason(event.track_id, event.title, event.reason)
        elif isinstance(event, TrackEnded):
            if event.track_id in self._no_skip_feedback:
                self._no_skip_feedback.discard(event.track_id)
                return
            mood, profile = self._current_mood(), self.conductor.profile
            kind = "skip" if event.skipped else ""
            if event.completed:
                # Played to the end with the camera on but nobody in view: the queue was just left
                # running, weaker evidence than a listener who stayed for the whole track.
                kind = "left_running" if self.stage.enabled and not mood.face else "completed"
            if kind:
                self._feedback.put(
                    lambda: self._recommender.feedback(
                        profile, event.track_id, kind, mood, event.ts, played_s=event.played_s
                    )
                )

    def _on_missing(self, item: QueueItem, error: str) -> None:
        """A queued track could not be opened (file gone, server down): the recommender keeps it out
        of the plans for a while ("missing" says nothing about taste)."""
        # Health says so too (page, MQTT), with the file: an unplugged disk is reported once as the
        # library's problem, not only as one skipped-track line per track; a rescan resets it.
        detail = f"cannot open {error}; disk unplugged or files moved? (rescan once it is back)"
        first = self.health.state_of("library") != "missing"
        self.health.set_state("library", "missing", detail)
        if first:
            log.warning("library: %s", detail)
            self._report("library", detail)
        mood, profile, track_id = self._current_mood(), self.conductor.profile, item.track.id
        self._feedback.put(
            lambda: self._recommender.feedback(profile, track_id, "missing", mood, time.time())
        )

    def _feedback_loop(self) -> None:
        while True:
            job = self._feedback.get()
            if job is None:
                return
            try:
                job()
            except Exception as exc:
                log.exception("recording feedback failed")
                self._report("recommender", f"could not record feedback: {exc}")

    def _housekeeping(self) -> None:
        next_health = time.monotonic() + 1.0
        while not self._stop.wait(SAVE_INTERVAL_S / 2):
            try:
                self.conductor.refill(self._current_mood())
                self._save()
                if time.monotonic() >= next_health:
                    next_health = time.monotonic() + HEALTH_INTERVAL_S
                    self.bus.publish(HealthReport(ts=time.time(), stats=self.health_snapshot()))
            except Exception:
                log.exception("housekeeping step failed")

    def _save(self) -> bool:
        """Save what must survive a power cut; False (reported in health) when the disk refused."""
        status = self.player.status()
        snap = Snapshot(
            current=status.current,
            position_s=status.position_s // POSITION_STEP_S * POSITION_STEP_S,
            queue=status.queue,
            playing=status.state == "playing",
            volume=status.volume,
            profile=self.conductor.profile,
            strategy=self.conductor.strategy,
            camera=self.stage.enabled,
            saved_at=time.time(),
        )
        ok = self.store.save(snap)
        if self.health.set_state("storage", "ok" if ok else "error", self.store.last_error) and not ok:
            self._report("storage", self.store.last_error)
        return ok

    def health_snapshot(self) -> dict[str, Any]:
        status = self.player.status()
        self.health.set_state("audio", status.audio, status.audio_error)
        snap = self.health.snapshot()
        snap["inference_restarts"] = self.watchdog.restarts
        snap["failed_tracks"] = list(status.failures)
        snap["recommender"] = self._recommender.status
        return snap

    def apply_config(self, new: Config) -> None:
        """A saved config (from the page): apply what can change at once; say what needs a restart."""
        old, self.config = self.config, new
        self.conductor.config = new
        self.player.set_config(new.player)
        self.stage.set_interval(new.camera.interval_s)
        self._ensure_profiles(new.recommend.profiles)
        if new.camera.enabled != old.camera.enabled:
            self.set_camera(new.camera.enabled)
        before, after = to_mapping(old, include_defaults=True), to_mapping(new, include_defaults=True)
        changed = [
            f"{section}.{key}"
            for section, values in after.items()
            for key, value in values.items()
            if before.get(section, {}).get(key) != value
        ]
        pending = sorted(k for k in changed if not k.startswith(LIVE_SETTINGS) or k == "player.audio_device")
        if pending:
            log.warning("settings saved; these take effect after a restart: %s", ", ".join(pending))
            self.bus.publish(StateChanged(ts=time.time(), key="restart_needed", value=pending))

    # ---- control.Speaker ---------------------------------------------------------------------------
    def play(self) -> None:
        self.conductor.user_paused = False
        status = self.player.status()
        if status.current is None and not status.queue:
            items = self.conductor.plan(self._current_mood(), self.config.recommend.queue_length, set())
            if not items:
                raise CommandError(f"nothing to play: {self._recommender.status}")
            self.player.set_queue(items)
        self.player.play()

    def pause(self) -> None:
        self.conductor.user_paused = True
        self.player.pause()

    def next_track(self) -> None:
        """Skip the current track.  The skip is feedback the listener gave, so it is written before the
        command returns (a kill -9 right after the page's answer must not lose it) and the TrackEnded
        that follows is not recorded again; a storage failure is reported but the music still moves on
        (the listener asked to skip, not to record anything)."""
        status = self.player.status()
        if status.current is not None and status.state == "playing":
            track = status.current.track
            try:
                self._recommender.feedback(
                    self.conductor.profile,
                    track.id,
                    "skip",
                    self._current_mood(),
                    time.time(),
                    played_s=status.position_s,
                )
            except (sqlite3.Error, OSError) as exc:
                log.error("skip of %s not recorded: %s", track.title, exc)
                self._report("recommender", f"skip was not recorded: {exc}")
            self._no_skip_feedback.add(track.id)
        self.player.next(fade_s=self.config.player.switch_fade_s, skipped=True)

    def replay(self) -> None:
        """Play the current track again from its start, or the previous one when the current one has
        only just begun (`Player.replay`).  The replayed track gets `replayed` feedback, once per replay,
        written before the command returns; a storage failure is reported but does not stop the music
        (the listener asked to hear the track, not to record anything)."""
        self.conductor.user_paused = False
        try:
            item = self.player.replay(
                previous_within_s=REPLAY_PREVIOUS_S + self.config.player.crossfade_s,
                fade_s=self.config.player.switch_fade_s,
            )
        except TimeoutError as exc:
            raise CommandError(f"replay: {exc}") from exc
        if item is None:
            raise CommandError("replay: nothing has been played yet")
        mood = self._current_mood()
        try:
            self._recommender.feedback(self.conductor.profile, item.track.id, "replayed", mood, time.time())
        except (sqlite3.Error, OSError) as exc:
            log.error("replay of %s not recorded: %s", item.track.title, exc)
            self._report("recommender", f"replay was not recorded: {exc}")

    def _current_track_id(self, action: str) -> str:
        current = self.player.status().current
        if current is None:
            raise CommandError(f"{action}: nothing is playing")
        return current.track.id

    @contextlib.contextmanager
    def _planned(self, what: str) -> Iterator[None]:
        """A command that plans first (profile or strategy switch): a failed plan (a corrupt or
        unreadable library index, a broken recommender) becomes a CommandError saying `what` was not
        done and why, and is reported; the conductor changed nothing, so the queue and track stay."""
        try:
            yield
        except PlanningError as exc:
            message = f"{what}: {exc}"
            log.error("%s", message)
            self._report("recommender", message)
            raise CommandError(message) from exc

    @contextlib.contextmanager
    def _stored(self, what: str) -> Iterator[None]:
        """A command's write to the recommender's database: a storage failure (disk full, card
        read-only, database locked) becomes a CommandError saying `what` was not done, and is reported,
        so the command is refused clearly instead of failing as an internal error. Nothing is
        acknowledged that was not written: the caller does nothing more after a failure."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            message = f"{what}: {storage_reason(exc)}"
            log.error("%s", message)
            self._report("recommender", message)
            raise CommandError(message) from exc

    def _tell(self, track_id: str, kind: str, mood: MoodState, corrected_mood: str | None = None) -> None:
        """Feedback from a command: committed to disk before the command returns (or refused)."""
        label = "mood correction" if kind == "wrong_mood" else kind
        with self._stored(f"{label} was not recorded"):
            self._recommender.feedback(
                self.conductor.profile, track_id, kind, mood, time.time(), corrected_mood=corrected_mood
            )

    def like(self) -> None:
        self._tell(self._current_track_id("like"), "like", self._current_mood())

    def dislike(self) -> None:
        track_id = self._current_track_id("dislike")
        self._tell(track_id, "dislike", self._current_mood())
        self._no_skip_feedback.add(track_id)
        self.player.next(fade_s=self.config.player.switch_fade_s, skipped=True)

    def correct_mood(self, mood: str) -> None:
        current = self.player.status().current
        seen = self._current_mood()
        if current is not None:
            self._tell(current.track.id, "wrong_mood", seen, corrected_mood=mood)
        valence, arousal = to_valence_arousal({mood: 1.0})
        corrected = MoodState(mood, 1.0, valence, arousal, face=seen.face, changed=True, previous=seen.mood)
        with self._lock:
            self._override = corrected
        self.bus.publish(
            MoodChanged(
                ts=time.time(),
                mood=mood,
                previous=seen.mood,
                confidence=1.0,
                valence=valence,
                arousal=arousal,
            )
        )
        self.conductor.react(corrected)

    def set_volume(self, volume: float) -> None:
        self.player.set_volume(volume)
        self.player.wait_idle(1.0)
        self.bus.publish(StateChanged(ts=time.time(), key="volume", value=volume))
        self._save()

    def _follow_profile(self, saved: str = "") -> None:
        """Make the active strategy the active profile's (what it chose, else `recommend.strategy`)
        and say so when that changed it.  When the profile database cannot be read, `saved` (the
        strategy in the state file) stands in, and that is reported: the speaker keeps playing."""
        before = self.conductor.strategy
        try:
            self.conductor.follow_profile()
        except (sqlite3.Error, OSError) as exc:
            if saved in STRATEGIES:
                self.conductor.strategy = saved
            self._report(
                "recommender",
                f"the strategy of profile {self.conductor.profile!r} cannot be read: {storage_reason(exc)};"
                f" using {self.conductor.strategy!r}",
            )
        if self.conductor.strategy != before:
            self.bus.publish(StateChanged(ts=time.time(), key="strategy", value=self.conductor.strategy))

    def _use_calibration(self, profile: str) -> None:
        if self.parts.classes is None:  # no expression model: nothing to calibrate
            return
        calibration, notice = load_calibration(self._data_dir, profile, self.parts.classes)
        if notice:
            self._report("calibration", notice)
        self.stage.set_calibration(calibration)

    def set_camera(self, enabled: bool) -> None:
        self.stage.set_enabled(enabled)
        self.bus.publish(StateChanged(ts=time.time(), key="camera", value=enabled))
        self._save()

    def set_profile(self, profile: str) -> None:
        """Switch the listener, or refuse naming what failed with the previous profile still active: a
        storage error or a failed plan for them, or a state file that cannot be written (disk full,
        card read-only).  An unsaved switch would be undone by the next restart, and the feedback given
        until then would silently count for the wrong person.  The strategy follows the listener:
        theirs, else `recommend.strategy` (the household default)."""
        what = f"profile not changed to {profile!r}"
        strategy = self.conductor.strategy
        with self._stored(what), self._planned(what):
            switched = self.conductor.switch_profile(self._current_mood(), profile, self._save)
        if not switched:
            message = f"{what}: {self.store.last_error or 'the state could not be saved'}"
            log.error("%s", message)
            self._report("storage", message)
            raise CommandError(message)
        self._use_calibration(profile)
        self.player.wait_idle(1.0)  # the answer and the state published show the new listener's queue
        self.bus.publish(StateChanged(ts=time.time(), key="profile", value=profile))
        if self.conductor.strategy != strategy:
            self.bus.publish(StateChanged(ts=time.time(), key="strategy", value=self.conductor.strategy))

    def set_strategy(self, strategy: str) -> None:
        """The active listener's choice, kept with their profile.  Planned with first, then stored,
        then active: a failure at either step is a refusal naming it, with the strategy, the queue
        and the playing track as they were."""
        what = f"strategy not changed to {strategy!r}"

        def store() -> None:
            self._recommender.set_strategy(self.conductor.profile, strategy)

        with self._stored(what), self._planned(what):
            self.conductor.change_strategy(self._current_mood(), strategy, store)
        self.player.wait_idle(1.0)  # the answer, the state published and the state saved: the new queue
        self.bus.publish(StateChanged(ts=time.time(), key="strategy", value=strategy))
        self._save()

    def rescan_library(self) -> None:
        """Rescan in the background.  One scan at a time: a request while one runs (Rescan pressed
        again, or during the start-up scan) makes it go once more when it ends, instead of a second
        scan with its own analysis workers beside it (double the CPU and memory on a Pi)."""
        with self._lock:
            if self._rescan_pending is not None:
                self._rescan_pending = True
                return
            self._rescan_pending = False

        def run() -> None:
            finished = False
            try:
                while not finished:
                    work()
                    with self._lock:
                        finished = not self._rescan_pending
                        self._rescan_pending = None if finished else False
            finally:
                if not finished:  # work() itself failed: the next request scans again
                    with self._lock:
                        self._rescan_pending = None

        def work() -> None:
            result = "library reloaded"
            try:
                if self.parts.rescan is not None:
                    result = self.parts.rescan()
            except Exception as exc:
                log.exception("library rescan failed")
                result = f"failed: {exc}"
                self._report("library", f"rescan failed: {exc}")
            self._recommender.refresh()
            self.conductor.retry_soon()
            source = self._recommender.source
            n = len(source.tracks())
            self.health.set_state("library", *library_state(n, source, self.config.library.folders))
            self.bus.publish(StateChanged(ts=time.time(), key="library", value=result))

        threading.Thread(target=run, name="rescan", daemon=True).start()

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

    def export_data(self) -> dict[str, Any]:
        return {"profiles": {p: self._recommender.export_profile(p) for p in self._recommender.profiles()}}

    def delete_data(self, before: float | None = None) -> None:
        with self._stored("data not deleted"):
            if before is not None:  # and forget what was learned from it, at once
                self._recommender.forget_before(before)
                return
            for profile in self._recommender.profiles():
                self._recommender.delete_profile(profile)
            for profile in self.config.recommend.profiles:
                self._recommender.create_profile(profile, time.time())
        self._follow_profile()  # the profile's chosen strategy went with its data

    def state(self) -> dict[str, Any]:
        status = self.player.status()
        mood = self._current_mood()
        current = status.current
        now_playing = None
        if current is not None:
            t = current.track
            now_playing = {
                "track_id": t.id,
                "title": t.title,
                "artist": t.artist,
                "album": t.album,
                "reason": current.reason,
                "position_s": status.position_s,
                "duration_s": t.duration_s,
                "source": t.source,
            }
        return {
            "mood": mood.mood,
            "confidence": round(mood.confidence, 3),
            "valence": round(mood.valence, 3),
            "arousal": round(mood.arousal, 3),
            "face": mood.face,
            "camera": self.stage.enabled,
            "playing": status.state == "playing",
            "player": status.state,
            "audio": status.audio,
            "now_playing": now_playing,
            "queue": [
                {"track_id": i.track.id, "title": i.track.title, "artist": i.track.artist, "reason": i.reason}
                for i in status.queue
            ],
            "volume": status.volume,
            "strategy": self.conductor.strategy,
            "profile": self.conductor.profile,
            "profiles": self._profiles_or_known(),
            "health": self.health_snapshot(),
        }
