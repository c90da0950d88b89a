"""What every part of the Appliance works with: the wired parts, the mood in force, and three rules.

Why a module of its own: the Appliance (`service.app`) is one object that implements the `Speaker`
protocol, but its parts live in separate modules by responsibility (`service.playback`,
`service.listeners`, `service.feedback`, `service.reporting`).  They share the pieces declared here
(set up by `Appliance.__init__`) and these rules:

- an incident is both counted in health and published as an ErrorReported (`_report`);
- a command's write that fails, or a plan that fails, is a clear refusal naming what was not done
  (`_stored`, `_planned`), never an internal error, and nothing unwritten is acknowledged;
- what must survive a power cut is saved atomically, and a refusing disk shows in health (`_save`);
- an answer never shows a change the player has not applied as done: it is listed as pending until
  then (`_player_applied`, `service.pending`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from moodspeaker.config.schema import Config
from moodspeaker.mood.classes import UNKNOWN
from moodspeaker.mood.filter import MoodState
from moodspeaker.player.engine import Player, PlayerStatus
from moodspeaker.player.fetch import StreamCache
from moodspeaker.player.queue import QueueItem
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.profiles import ProfileError
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.conductor import Conductor
from moodspeaker.service.control import CommandError, unnamed
from moodspeaker.service.events import ErrorReported, EventBus, MoodChanged, MoodObserved, StateChanged
from moodspeaker.service.forget import ForgottenReasons
from moodspeaker.service.health import Health
from moodspeaker.service.inference import FrameSource, InferenceStage, Pipeline
from moodspeaker.service.pending import PendingChanges
from moodspeaker.service.plans import PlanningError, storage_reason
from moodspeaker.service.restored import RestoredState
from moodspeaker.service.scan_state import Rescan
from moodspeaker.service.skips import RecordedSkips
from moodspeaker.service.state import Snapshot, StateStore
from moodspeaker.service.switches import SwitchesUnderWay
from moodspeaker.service.watchdog import Heartbeat, Watchdog

log = logging.getLogger(__name__)

#: The saved position moves in steps of this much: a resume is at most this far back, and the SD card
#: sees one small write per step while music plays (plus one per change of track, queue or setting).
POSITION_STEP_S = 5.0
#: How long a command that changes what the player holds waits for the player thread to apply it
#: (the same as a replay waits for its answer); longer, and the change is answered as pending.
PLAYER_WAIT_S = 5.0
#: How long "delete everything" waits for the feedback being written to end before it deletes (a
#: write waits up to 30 s for a locked database); past it, it deletes all the same and says so.
FEEDBACK_DRAIN_S = 40.0
#: Pending changes the player announces itself once applied (its status and TrackStarted, or the
#: StateChanged of `playing`): the housekeeping announces only the others (`_announce_settled`).
PLAYER_ANNOUNCED = frozenset({"queue", "now_playing", "playing"})


@dataclass
class Parts:
    """The pieces the appliance is wired from (built by `service.components` or by a test)."""

    make_source: Callable[[], FrameSource]
    make_pipeline: Callable[[], Pipeline]
    recommender: Recommender
    classes: tuple[str, ...] | None = None
    rescan: Rescan | None = None  # one sentence on what changed; see service.rescan
    #: component -> (state, detail)
    states: dict[str, tuple[ComponentState, str]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    #: where the player plays a library server's tracks from (the download caches of the library's own
    #: LAN clients: library.lan.downloads); None: every URL is downloaded for each play
    downloads: StreamCache | None = None


class ApplianceCore:
    """The state the Appliance's parts share (declared here, set by `Appliance.__init__`)."""

    config: Config
    bus: EventBus
    parts: Parts
    health: Health
    store: StateStore
    player: Player
    conductor: Conductor
    stage: InferenceStage
    watchdog: Watchdog
    started_tracks: deque[tuple[float, str]]  # (monotonic, track id); retention and export: service.plays
    _data_dir: Path
    _recommender: Recommender
    _classifier_type: str  # changing it takes a restart
    _lock: threading.RLock
    _saving: threading.RLock  # held by a save, and by a command whose changes are saved as one
    _mood: MoodState
    _override: MoodState | None  # a mood told: corrected (`correct_mood`) or asked for (`ask_mood`), in
    # force over `_mood` until the camera reads a change, the camera is switched (`_end_reading`,
    # `_start_reading`) or `ask_mood camera` ends it (`_follow_camera`: the camera's mood again)
    _recorded_skips: RecordedSkips  # plays whose skip the command itself recorded
    _feedback: queue.Queue[Callable[[], None] | None]  # jobs for the feedback writer thread
    _deletions: int = 0  # "delete everything"'s starts and ends so far: a row of feedback read before
    _deleting: int = 0  # one, or while one runs (how many), is dropped (`_queue_feedback`)
    _feedback_writes: threading.Lock  # held by a command writing its feedback and by "delete everything"
    # as it begins (`_write_feedback`): the deletion waits for such a write under way, or it is dropped
    _listener_changes: threading.Lock  # held by a switch of listener (from its check that the profile
    # exists until it is active) and by "delete everything" (from deleting the profiles until the active
    # listener is one that exists): a switch never makes active a profile the deletion removed
    _known_profiles: list[str]  # the last profile list read, for state() when reads fail
    _profiles_error: str  # the last failure reading it (reported once, not on every poll)
    _heartbeat: Heartbeat
    _unrecovered_restarts: int  # watchdog restarts since the last completed inference step
    _threads: list[threading.Thread]
    _stop: threading.Event
    _pending: PendingChanges  # changes posted to the player that its status does not show yet
    _forgotten: ForgottenReasons  # explanations "delete everything" took back (service.forget)
    _restored: RestoredState  # what was restored, for commands and saves until the player shows it
    _switches: SwitchesUnderWay  # switches of listener or strategy whose queue is not in effect yet
    _camera_held: bool = False  # switched off at the speaker (its privacy button): only the button
    # switches it on again (`PlaybackCommands.set_camera`); saved with the state, restored at start
    _camera_switch: threading.Lock  # held by a switch of the camera, from its check of the hold to its event

    def _feedback_since(self) -> int | None:
        """Read before the listener and mood a row of feedback names: the deletions so far, or None
        while "delete everything" runs (its row is dropped, `_queue_feedback`)."""
        with self._lock:
            return None if self._deleting else self._deletions

    def _queue_feedback(self, write: Callable[[], None], since: int | None) -> None:
        """Have the feedback writer thread run `write` (a feedback row), unless "delete everything"
        ran since `since` (`_feedback_since`) or was running then: the row is evidence from before it,
        which it deletes (`_dropping_feedback`)."""

        def job() -> None:
            if since is not None and self._deletions == since:
                write()

        self._feedback.put(job)

    def _write_feedback(self, write: Callable[[], None], since: int | None) -> bool:
        """Run `write` (a command's own feedback row, written on its thread before it answers) unless
        "delete everything" ran since `since` (`_feedback_since`, read before the listener the row
        names) or was running then; whether it ran.  Checked and written under `_feedback_writes`,
        which the deletion takes as it begins: a write under way is waited for and deleted with the
        rest, a later one is dropped.  Else a Like given as the deletion ran named the listener active
        before it: a configured listener's went into their profile made again empty, evidence from
        before the deletion surviving it, and one of a listener the deletion removed was refused by the
        recommender, which makes no profile (`Recommender.feedback`: "no profile named ...")."""
        with self._feedback_writes:
            if since is None or self._deletions != since:
                log.info("feedback not recorded: everything was deleted as the command ran")
                return False
            write()
            return True

    @contextlib.contextmanager
    def _dropping_feedback(self) -> Iterator[None]:
        """ "Delete everything" deletes the feedback meanwhile: the rows still queued for the writer
        thread (a track that ended, one that could not be opened, a moment before) are dropped, and the
        one being written is waited for (up to FEEDBACK_DRAIN_S), so it is deleted with the rest.
        Written after the deletion, they went into the profiles made again empty, and the export
        showed listening from before it.  So is the feedback of a play that ends while it runs: it
        names the listener active then, whose profile the deletion removes: written after that
        removal it went into the profile made again empty (a configured listener's) or was refused,
        the recommender making no profile; and so is a command's (`_write_feedback`)."""
        with self._feedback_writes, self._lock:
            self._deletions += 1
            self._deleting += 1
        try:
            if not self._stop.is_set():  # else the writer is ending (its stop job is never marked done)
                done = self._feedback.all_tasks_done
                with done:
                    if self._feedback.unfinished_tasks:
                        log.info("delete everything: waiting for the feedback being written")
                    if not done.wait_for(lambda: not self._feedback.unfinished_tasks, FEEDBACK_DRAIN_S):
                        log.warning("delete everything: the feedback writer is busy; deleting all the same")
            yield
        finally:
            with self._lock:
                self._deletions += 1
                self._deleting -= 1

    def _replace_listener(self, gone: str, instead: str) -> None:
        """Make `instead` the active listener in place of `gone`, a profile another program deleted
        (the feedback writer finds it: service.feedback); service.listeners does it."""
        raise NotImplementedError

    def _listener_gone(self, profile: str, exc: ProfileError) -> None:
        """A row naming `profile` was refused (`exc`): said once, and the active listener replaced if
        it is `profile`, deleted by another program; service.feedback does it."""
        raise NotImplementedError

    def _report(self, component: str, message: str) -> None:
        self.health.incident(component, message)
        self.bus.publish(ErrorReported(ts=time.time(), component=component, message=message))

    def _current_mood(self) -> MoodState:
        """The mood in force; while the camera is off it says so (`MoodState.camera`), so the picks
        planned with it say the camera is off rather than that no face was seen yet.  A correction
        tells the mood, not who is there: its `face` is the camera's last reading, as MQTT's
        "listener present" publishes it with every reading (frozen at the correction, each state
        snapshot put it back and the topic flipped between the two)."""
        with self._lock:
            mood = self._mood
            if self._override is not None:
                mood = dataclasses.replace(self._override, face=mood.face)
        return mood if self.stage.enabled else dataclasses.replace(mood, camera=False)

    @property
    def _announced_mood(self) -> str:
        """The mood announced last, the `previous` of the next MoodChanged: the listener's correction
        in force (`_override`), else the camera's reading, so that each change follows on from the
        one before.  Read under `_lock`, with the change it is the previous of."""
        return (self._override or self._mood).mood

    def _end_reading(self) -> None:
        """The camera's reading of the mood ends (the camera switched off, "delete everything", a frame
        source that ran out and whose mood has faded: InferenceStage's `on_ended`): a mood read before
        is not the listener's mood now.  The filter starts afresh and a capture under way is dropped
        (InferenceStage.end_reading); the mood in force is unknown, a correction of it goes too, and
        that is published as the reading's end (MoodObserved `ended`: MQTT says no reading, not a
        listener gone, and the page plots no point) and, when a mood was in force, as a change to
        unknown.  Refills and re-plans under way, made for the mood read, are dropped: the next ones
        plan as for an unknown mood.  The music playing carries on."""

        def ended() -> None:
            with self._lock:  # published under it, as a reading's events are (`app._on_result`)
                shown = self._announced_mood
                self._mood = MoodState(UNKNOWN, 0.0, 0.0, 0.0, face=False, changed=False)
                self._override = None
                now = time.time()
                camera = self.stage.enabled
                self.bus.publish(
                    MoodObserved(now, UNKNOWN, 0.0, 0.0, 0.0, face=False, camera=camera, ended=True)
                )
                if shown != UNKNOWN:
                    self.bus.publish(MoodChanged(now, UNKNOWN, shown, 0.0, 0.0, 0.0))

        self.stage.end_reading(ended)
        self.conductor.drop_plans()

    def _start_reading(self) -> None:
        """The camera is switched back on: a fresh reading starts (the filter was reset when it went
        off), so a mood told while it was off (a correction, `_override`) is no longer in force.  Kept,
        the state said the camera was on with that mood at full confidence and no face, and MQTT
        published it as live until the filter moved on: Home Assistant recorded a mood nobody's face
        showed.  Its end is published as a change to unknown, and the plans under way made for it
        are dropped (`_end_reading`); the music playing carries on."""
        with self._lock:  # published under it, in the order the mood in force changed
            told, self._override = self._override, None
            if told is not None and told.mood != UNKNOWN:
                self.bus.publish(MoodChanged(time.time(), UNKNOWN, told.mood, 0.0, 0.0, 0.0))
        if told is None:
            return
        self.conductor.drop_plans()

    def _status(self) -> PlayerStatus:
        """The player's status as a command must act on it: once the restore at start is applied, or
        (a player too busy to apply it within RESTORE_WAIT_S of start) with the snapshot restored
        standing in (`service.restored`).  Read the live status instead and, in the first moments after
        start, Play planned over the restored queue and a Next or Like found nothing playing."""
        self._restored.wait()
        return self._restored.status()

    def _player_applied(self, key: str, value: object) -> bool:
        """Wait (up to PLAYER_WAIT_S) until the player shows what a command just posted to it; True
        when it does.  Otherwise the change, `value` for the state's `key`, is marked pending: the
        answer shows what is in effect plus the change under `pending`, saves use the change (what
        the command leads to), and `_announce_settled` publishes it once the player applied it."""
        done = self.player.when_idle()
        if done.wait(PLAYER_WAIT_S):
            return True
        self._pending.add(key, value, done)
        log.warning("the player is busy: %s is answered as pending until it takes effect", key)
        return False

    def _announce_settled(self) -> None:
        """Publish the pending changes the player has applied since (housekeeping, before a save),
        as their command would have; what the player announces itself is left to it (PLAYER_ANNOUNCED;
        the queue has no StateChanged: it is read with the state)."""
        for key, value in self._pending.settled().items():
            if key not in PLAYER_ANNOUNCED:
                self.bus.publish(StateChanged(ts=time.time(), key=key, value=value))

    def _save(self, upcoming: Sequence[QueueItem] | None = None) -> bool:
        """Save what must survive a power cut; False (reported in health) when the disk refused.
        `upcoming`: the queue a command is about to apply (a profile switch), else the player's.  Saves
        are serialised by `_saving`, which a command holds while it changes several things at once."""
        with self._saving:
            return self._save_now(upcoming)

    def _save_now(self, upcoming: Sequence[QueueItem] | None) -> bool:
        pending = self._pending.values()  # before the status: see PendingChanges.values
        status = self._restored.status()  # never a restore not applied yet as none (no wait: housekeeping)
        if upcoming is None:
            upcoming = pending.get("queue", status.queue)
        current, position_s = status.current, status.position_s
        if "now_playing" in pending:  # a Next under way: a restart resumes with the track it moves to
            current, position_s = pending["now_playing"], 0.0
            upcoming = [i for i in upcoming if i is not current]
        forgotten = self._forgotten.item
        moods, times = self.conductor.picked.saved(i for i in (current, *upcoming) if i is not None)
        snap = Snapshot(
            current=None if current is None else forgotten(current),
            position_s=position_s // POSITION_STEP_S * POSITION_STEP_S,
            queue=tuple(forgotten(i) for i in upcoming),
            playing=status.state == "playing",
            volume=pending.get("volume", status.volume),
            profile=self.conductor.profile,
            strategy=self.conductor.strategy,
            camera=self.stage.enabled,
            camera_held=self._camera_held,
            saved_at=time.time(),
            picked_for=moods,
            picked_at=times,
        )
        ok = self.store.save(snap)
        state = ComponentState.OK if ok else ComponentState.ERROR
        if self.health.set_state("storage", state, self.store.last_error) and not ok:
            self._report("storage", self.store.last_error)
        return ok

    @contextlib.contextmanager
    def _planned(self, what: str, listeners: tuple[str, ...] = ()) -> Iterator[None]:
        """A command that plans first (profile or strategy switch): a failed plan (a corrupt or
        unreadable library index, a broken recommender) becomes a CommandError saying `what` was not
        done and why, and is reported; the conductor changed nothing, so the queue and track stay.
        `listeners`: the names `what` quotes, left out of the log (control.unnamed)."""
        try:
            yield
        except PlanningError as exc:
            message = f"{what}: {exc}"
            log.error("%s", unnamed(message, listeners))
            self._report("recommender", message)
            raise CommandError(message, listeners=listeners) from exc

    @contextlib.contextmanager
    def _stored(self, what: str, listeners: tuple[str, ...] = ()) -> Iterator[None]:
        """A command's write to the recommender's database: a storage failure (disk full, card
        read-only, database locked) becomes a CommandError saying `what` was not done, and is reported,
        so the command is refused clearly instead of failing as an internal error. Nothing is
        acknowledged that was not written: the caller does nothing more after a failure.  `listeners`:
        as for `_planned`."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            message = f"{what}: {storage_reason(exc)}"
            log.error("%s", unnamed(message, listeners))
            self._report("recommender", message)
            raise CommandError(message, listeners=listeners) from exc
