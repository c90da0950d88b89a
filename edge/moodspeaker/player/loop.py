"""The player thread: its loop, the transport commands it runs, audio-device loss and recovery.

Why a module of its own: one thread owns every pygame call (see `player.engine`).  This is that
thread's side of the player: it takes the commands the public methods post, decides what play,
pause, stop, a track change and a replay mean for the decks (`player.mixer`), keeps the decks fed
once per tick, turns a lost or stalled output into a "lost" state that retries with back-off and
resumes where it was, and publishes the status snapshot other threads read.  Each pass of the loop
beats the heartbeat of a watchdog outside the thread (`player.hang`), which frees it from a decoder
that never returns.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pygame

from moodspeaker.config.schema import PlayerConfig
from moodspeaker.player.declick import VolumeRamp
from moodspeaker.player.fetch import Prefetcher, StreamCache
from moodspeaker.player.hang import PlayerWatch
from moodspeaker.player.history import OnMissing, PlayHistory
from moodspeaker.player.mixer import DeckMixer
from moodspeaker.player.queue import PlayQueue, QueueItem
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.events import ErrorReported, Event, StateChanged

log = logging.getLogger(__name__)

TICK_S = 0.02


@dataclass(frozen=True)
class PlayerStatus:
    """A snapshot for state(), persistence and health (no samples, no frames)."""

    state: str  # "playing" | "paused" | "stopped"
    audio: ComponentState  # ok, lost or starting (health's `audio` component)
    current: QueueItem | None
    position_s: float
    queue: tuple[QueueItem, ...]
    volume: float
    failures: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    audio_error: str = ""
    #: Stopped because nothing queued could be played any more (the queue ran out, or every track left
    #: in it was gone: an unplugged disk), not because play was paused or stopped: the conductor then
    #: plans more even without a mood, since the listener still wants music.
    ran_out: bool = False
    #: Stopped only because the audio output is gone while the listener wants music: `current` is the
    #: play the lost device interrupted, resuming when the device is back, so a Next skips it as it
    #: would while playing (the skip is feedback, its end announced as skipped: `DeckMixer.interrupted`).
    waiting_for_audio: bool = False


class PlayerLoop:
    """The state the player thread owns and the commands it runs (`Player` adds the public side)."""

    def __init__(
        self,
        config: PlayerConfig,
        emit: Callable[[Event], None],
        *,
        volume: float | None = None,
        retry_s: float = 2.0,
        on_missing: OnMissing | None = None,
        watch_clock: Callable[[], float] = time.monotonic,
        caches: StreamCache | None = None,
    ) -> None:
        """`watch_clock`: the clock of the watchdog outside the thread (`watch`; a test sets it).
        `caches`: the download caches a library server's tracks play from (`player.fetch`; the
        service's LAN clients); without them every URL is downloaded for each play."""
        self._cfg = config
        self._emit = emit
        self._first_retry_s = retry_s  # where the back-off starts again once the output is back
        self._retry_s = retry_s
        self._queue = PlayQueue()
        self._prefetch = Prefetcher(caches=caches)
        # What the history announces (a play started or ended, a track skipped as unplayable) is held
        # until the status shows it (`_publish_status`): see `_announce` for why.
        self._held: list[Event] = []
        self._history = PlayHistory(self._held.append, on_missing)
        self._lock = threading.Lock()
        self.watch = PlayerWatch(
            on_stuck=self._stuck_on,
            on_report=self._error,
            playing=lambda: self._published().current,
            clock=watch_clock,
        )
        self._mixer = DeckMixer(
            self._queue,
            self._prefetch,
            self._history,
            lambda: self._cfg,
            config.volume if volume is None else volume,
            watch=self.watch,
        )
        self._commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self._state = "stopped"
        self._want_playing = False
        self._ran_out = False
        self._audio = ComponentState.STARTING
        self._audio_error = ""
        self._next_retry = 0.0
        self._paused_at = 0.0
        self._ramp, self._mixer_paused = VolumeRamp(), False  # a pause ramps down, then pauses pygame
        self._status = PlayerStatus("stopped", ComponentState.STARTING, None, 0.0, (), self._mixer.volume)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="player", daemon=True)

    def _post(self, command: Callable[[], None]) -> None:
        self._commands.put(command)

    # ---- the loop ------------------------------------------------------------------------------
    def _run(self) -> None:
        self._open_audio()
        while not self._stop.is_set():
            try:
                busy = self._state == "playing" or self._ramp.moving
                command = self._commands.get(timeout=TICK_S if busy else 10 * TICK_S)
            except queue.Empty:
                command = None
            self.watch.pass_begins()
            try:
                if command is not None:
                    command()
                    while True:  # run everything pending before feeding
                        try:
                            self._commands.get_nowait()()
                        except queue.Empty:
                            break
                self._tick()
            except Exception as exc:
                if self._is_audio_error(exc):
                    self._audio_lost(str(exc))
                else:
                    log.exception("player step failed")
                    self._emit(ErrorReported(ts=time.time(), component="player", message=str(exc)))
            self._publish_status()
            self.watch.pass_ends()
        self._mixer.shutdown()
        self._send_held()  # the ends shutdown announces (no status after it: it is the one to keep)

    @staticmethod
    def _is_audio_error(exc: Exception) -> bool:
        return isinstance(exc, pygame.error)

    def _tick(self) -> None:
        now = time.monotonic()
        if self._audio == ComponentState.LOST:
            if now >= self._next_retry and not self._open_audio():
                self._retry_s = min(30.0, self._retry_s * 1.5)
            return
        if not pygame.mixer.get_init():
            raise pygame.error("mixer was shut down")
        ramped = self._ramp.moving and self._ramp.step(self._mixer.channels, self._mixer.channel_volume, now)
        if ramped and self._state == "paused":  # ramped down: pause now, and play on from here on Play
            pygame.mixer.pause()
            self._mixer_paused, self._paused_at = True, time.monotonic()
        self._mixer.follow(now, self._state == "playing")
        if self._state == "playing" and not self._mixer.play_on():
            self._state = "stopped"
            self._want_playing, self._ran_out = False, True
            self._announce("playing", False)

    # ---- the audio device ----------------------------------------------------------------------
    def _open_audio(self) -> bool:
        try:
            self._mixer.open(self._cfg.audio_device)
        except pygame.error as exc:
            self._audio_lost(f"cannot open audio device {self._cfg.audio_device or '(default)'}: {exc}")
            return False
        was = self._audio
        self._audio, self._audio_error = ComponentState.OK, ""
        # The back-off is for this outage only: the next loss (a USB DAC blipping again) retries soon
        # again, not at the up to 30 s a long outage grew the interval to.
        self._retry_s = self._first_retry_s
        if was == ComponentState.LOST:
            log.warning("audio output is back")
        # The first opening ("starting") is announced too: else what follows the output (HA's "Audio
        # output" sensor) stays unknown at boot until some later state read (a minute on, for MQTT).
        self._announce("audio", ComponentState.OK)
        if was == ComponentState.LOST and self._want_playing:
            self._do_play()
        return True

    def _audio_lost(self, reason: str) -> None:
        """Remember where we were, drop the mixer, and retry later (with back-off up to 30 s, starting
        over at the configured interval with each outage: `_open_audio` sets it back).  What
        resumes is the play still going on; one a Next or a switch was fading out is over (its end
        is announced now), so a Next pressed as the device went is not undone (`DeckMixer.drop`)."""
        self._mixer.drop(self._now())
        self._ramp.reset()  # the channels reopen at the volume (`Channels.open`), not paused
        self._mixer_paused = False
        first = self._audio != ComponentState.LOST
        self._audio, self._audio_error = ComponentState.LOST, reason
        # _want_playing is kept: playback resumes when the device is back.  Paused stays paused (on the
        # track to resume: `_do_play` opens it), else autoplay would start what the listener paused.
        self._state = "paused" if self._state == "paused" else "stopped"
        self._next_retry = time.monotonic() + self._retry_s
        if first:
            log.error("audio output lost: %s; retrying in %g s, then less often", reason, self._retry_s)
            error = ErrorReported(ts=time.time(), component="audio", message=f"{reason}; retrying")
            self._announce("audio", ComponentState.LOST, error)

    # ---- commands (run on the player thread) ---------------------------------------------------
    def _do_play(self) -> None:
        self._want_playing = True
        if self._audio != ComponentState.OK:
            return
        if self._state == "paused" and self._on_decks():
            if self._mixer_paused:  # (else Play came while the pause ramped down: it ramps back up)
                self._ramp.step(self._mixer.channels, self._mixer.channel_volume, time.monotonic())  # silent
                pygame.mixer.unpause()
                self._mixer_paused = False
                shift = time.monotonic() - self._paused_at
                for deck in self._mixer.decks:
                    deck.chunk_started += shift
            self._ramp.start(1.0, time.monotonic())
        elif self._state != "playing":  # (paused, the decks ran out while the pause ramped: that is over)
            self._ramp.reset(self._mixer.channels, self._mixer.channel_volume)
            pygame.mixer.unpause()
            self._mixer_paused = False
            if not self._mixer.start_over():  # paused with nothing opened: the item to resume opens at
                self._want_playing, self._ran_out = False, True  # its position
                return
        self._state, self._ran_out = "playing", False
        self._announce("playing", True)

    def _do_pause(self) -> None:
        """Pause playback.  Stopped with a track to resume at its position (restored after a restart
        while paused: `Player.load` then Pause), the player is paused on it too: that track is the
        current one, shown paused where it was, and Play resumes it there; the decks stay empty until
        then (`_do_play` opens it).  Stopped, autoplay would start it on the next mood read."""
        self._want_playing, self._ran_out = False, False
        if self._state == "stopped" and self._mixer.resume is not None and not self._on_decks():
            self._paused_at = time.monotonic()
            self._state = "paused"  # "playing" was False already: nothing to announce
            return
        if self._state != "playing":
            return
        # The channels ramp down first (`_tick` pauses pygame's mixer at silence, where Play goes on)
        self._paused_at = time.monotonic()
        if self._audio == ComponentState.OK:
            self._ramp.start(0.0, self._paused_at)
            self._paused_at += self._ramp.left_s
        self._state = "paused"
        self._announce("playing", False)

    def _on_decks(self) -> bool:
        """Some play is open on a deck (paused on pygame's mixer, when paused)."""
        return any(deck.plays() for deck in self._mixer.decks)

    def _do_stop(self) -> None:
        current = self._current_position()
        # While it sounds, each channel ramps down (`declick`), else the speaker clicks; paused, it is
        # silent and stops at once (a ramp would be heard after the unpause below).
        sounds = self._state != "stopped" and not self._mixer_paused
        self._mixer.cut_all(soft=sounds and self._audio == ComponentState.OK)
        self._mixer.end_interrupted(skipped=False)  # a play the lost device interrupted is stopped too
        self._ramp.reset(self._mixer.channels, self._mixer.channel_volume)  # back from a pause's ramp
        if self._audio == ComponentState.OK:
            pygame.mixer.unpause()
            self._mixer_paused = False
        if current is not None:
            self._mixer.resume = current
        was = self._state
        self._state, self._want_playing, self._ran_out = "stopped", False, False
        if was != "stopped":
            self._announce("playing", False)

    def _do_switch(self, item: QueueItem | None, fade_s: float | None, skipped: bool) -> None:
        fade = self._cfg.crossfade_s if fade_s is None else fade_s
        if self._audio != ComponentState.OK or self._state != "playing":
            current = self._mixer.now_playing(self._now())
            if skipped and current is not None:  # (while playing, DeckMixer.switch drops it)
                self._queue.drop_again(current[0].track.id)  # a Next moves on from a track on repeat
            if self._state == "paused":
                self._do_stop()
            # The play a lost device interrupted ends here rather than resume: skipped by a Next while
            # the music is meant to play (the status said so: `waiting_for_audio`), else cut.
            self._mixer.end_interrupted(skipped=skipped and self._want_playing)
            if item is not None:
                self._queue.push_front(item)
            self._mixer.resume = None
            return
        self._mixer.switch(item, fade, skipped=skipped)

    def _do_replay(self, previous_within_s: float, fade_s: float | None) -> QueueItem | None:
        choice = self._history.replay_choice(self._current_position(), previous_within_s)
        if choice is None:
            return None
        target, interrupted = choice
        if interrupted is not None:
            self._queue.push_front(interrupted)  # the track it interrupts comes next again
        self._do_switch(target, fade_s, False)  # the interrupted play is neither skipped nor completed
        if self._state != "playing":
            self._do_play()
        return target

    def _stuck_on(self, item: QueueItem | None, error: str) -> None:
        """The watcher gave this thread up, stuck on `item` (player.hang; on the watcher's thread):
        the service is to be restarted from its saved state.  The status the saves read leaves the
        hung track out, so the restart does not resume it (and hang again), and lists it as failed:
        a failure of the play history, as a track that fails to decode is (`PlayHistory.gave_up`), so
        the status the thread publishes should it come back, the export and the retention keep it.
        The thread publishes nothing while it hangs."""
        if item is None:
            return
        event = self._history.gave_up(item, error)  # said as a track that cannot be played is
        with self._lock:
            status = self._status
            hung = status.current is not None and status.current.track.id == item.track.id
            self._status = dataclasses.replace(
                status,
                current=None if hung else status.current,
                position_s=0.0 if hung else status.position_s,
                queue=tuple(i for i in status.queue if i is not item),
                failures=self._history.failures,
            )
        self._emit(event)  # not held: the thread that sends what is held is the one stuck

    def _error(self, message: str) -> None:
        self._emit(ErrorReported(ts=time.time(), component="player", message=message))

    # ---- status --------------------------------------------------------------------------------
    def _now(self) -> float:
        """The monotonic time playback has reached: frozen while paused."""
        return self._paused_at if self._state == "paused" else time.monotonic()

    def _not_playing(self, items: list[QueueItem]) -> list[QueueItem]:
        """`items` less the track playing and the one opened to follow it; a repeat of the track
        playing queued on purpose (`QueueItem.again`) is kept, unless it is the one opened already."""
        current = self._mixer.now_playing(self._now())
        item = current[0] if current else None
        opened = self._opened_next(item)
        playing = item.track.id if item is not None else None
        up_next = opened.track.id if opened is not None else None
        return [i for i in items if i.track.id != up_next and (i.again or i.track.id != playing)]

    def _opened_next(self, current: QueueItem | None) -> QueueItem | None:
        """The item already taken from the queue and opened to follow `current` (heard now) while the
        last chunks of `current` play out: the short gap of a gapless change.  It is up next, so the
        status shows it at the head of the queue; else a plan made in the gap would queue it again."""
        deck = self._mixer.decks[self._mixer.active]
        opened = deck.play.item if deck.play is not None else None
        return opened if current is not None and opened is not None and opened is not current else None

    def _shows(self, track_id: str) -> bool:
        """`track_id` is the track the status shows as current now (`now_playing`, as published)."""
        current = self._mixer.now_playing(self._now())
        return current is not None and current[0].track.id == track_id

    def _current_position(self) -> tuple[QueueItem, float] | None:
        return self._mixer.position(self._now())

    def _announce(self, key: str, value: Any, *first: Event) -> None:
        """Publish the status, then announce the change it shows (`StateChanged(key, value)`, after
        the events `first`: a lost output's ErrorReported).  A listener reacts to the event by reading
        the state (the MQTT bridge publishes its state topics so); announced before the status showed
        it, a read in between got the old value, published it and kept it until some later read.
        Every StateChanged the player sends goes through here; the history's events are held until
        the next status is published, and sent (in their order) right after it."""
        self._publish_status()
        for event in (*first, StateChanged(ts=time.time(), key=key, value=value)):
            self._emit(event)

    def _publish_status(self) -> None:
        current = self._mixer.now_playing(self._now())
        item = current[0] if current else None
        opened = self._opened_next(item)
        status = PlayerStatus(
            state=self._state,
            audio=self._audio,
            current=item,
            position_s=round(current[1], 2) if current else 0.0,
            queue=((opened,) if opened is not None else ()) + tuple(self._queue.items()),
            volume=self._mixer.volume,
            failures=self._history.failures,
            audio_error=self._audio_error,
            ran_out=self._ran_out,
            waiting_for_audio=self._audio == ComponentState.LOST and self._want_playing,
        )
        with self._lock:
            self._status = status
        self._send_held()

    def _published(self) -> PlayerStatus:
        with self._lock:
            return self._status

    def _send_held(self) -> None:
        """Send the history's events held since the last status (their listeners may read it now)."""
        held = list(self._held)
        self._held.clear()
        for event in held:
            self._emit(event)
