"""The player: two mixer channels ("decks") fed with short decoded chunks, for real crossfades.

Why this shape: pygame's `mixer.music` has one stream only, and whole-track `Sound`s cost ~40 MB of
PCM each.  Instead each deck is a `pygame.mixer.Channel` kept one chunk ahead with `Channel.queue`
(gapless by construction); chunks are decoded incrementally, normalised, and multiplied by the
deck's fade envelope in numpy, so a crossfade is sample-exact and a gap-free change (crossfade 0)
simply continues the same deck with the next file.  One thread owns every pygame call; the public
methods only post commands to it.  Audio device trouble (no device, mixer gone, a stalled output)
puts the player in a "lost" state that retries with back-off and resumes where it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pygame

from moodspeaker.config.schema import PlayerConfig
from moodspeaker.player.decode import DecodeError, Decoder, open_decoder
from moodspeaker.player.fetch import FetchError, Prefetcher
from moodspeaker.player.loudness import apply_gain, db_to_linear, gain_db, to_int16
from moodspeaker.player.queue import PlayQueue, QueueItem
from moodspeaker.service.events import ErrorReported, Event, StateChanged, TrackEnded, TrackStarted

log = logging.getLogger(__name__)

RATE = 44100
CHUNK_S = 0.4  # 0.4-0.8 s stays queued in the mixer: slack for a busy CPU
TICK_S = 0.02
#: A playing chunk that has not advanced after this many chunk lengths means the output stalled.
STALL_CHUNKS = 6
#: Tracks remembered as started, newest last, for `replay` going back (a bounded history).
HISTORY = 50


@dataclass
class _Play:
    """One play of one item: what the events and feedback report."""

    item: QueueItem
    played_s: float = 0.0
    started: bool = False
    decoding_done: bool = False
    completed: bool = False
    skipped: bool = False


@dataclass
class _Chunk:
    play: _Play
    offset_s: float
    dur_s: float


@dataclass
class _Deck:
    index: int
    decoder: Decoder | None = None
    play: _Play | None = None  # the play being decoded
    gain: float = 1.0  # loudness gain (linear) of the decoding item
    decoded_s: float = 0.0
    env: float = 1.0  # fade envelope value at the next sample
    env_step: float = 0.0  # per frame
    env_stop_at_zero: bool = False
    playing: _Chunk | None = None
    queued: _Chunk | None = None
    chunk_started: float = 0.0


@dataclass(frozen=True)
class PlayerStatus:
    """A snapshot for state(), persistence and health (no samples, no frames)."""

    state: str  # "playing" | "paused" | "stopped"
    audio: str  # "ok" | "lost" | "starting"
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


class Player:
    """Queue, transport, volume, crossfade and loudness on pygame's mixer (see the module doc)."""

    def __init__(
        self,
        config: PlayerConfig,
        emit: Callable[[Event], None],
        *,
        volume: float | None = None,
        retry_s: float = 2.0,
        on_missing: Callable[[QueueItem, str], None] | None = None,
    ) -> None:
        self._cfg = config
        self._emit = emit
        self._on_missing = on_missing  # a queued track that could not be opened (gone, unreadable)
        self._volume = config.volume if volume is None else volume
        self._retry_s = retry_s
        self._queue = PlayQueue()
        self._prefetch = Prefetcher()
        self._commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self._lock = threading.Lock()
        self._decks: list[_Deck] = [_Deck(0), _Deck(1)]
        self._channels: list[Any] = []
        self._active = 0
        self._state = "stopped"
        self._want_playing = False
        self._ran_out = False
        self._audio = "starting"
        self._audio_error = ""
        self._next_retry = 0.0
        self._paused_at = 0.0
        self._resume: tuple[QueueItem, float] | None = None
        self._last: tuple[QueueItem, float] | None = None
        self._history: deque[QueueItem] = deque(maxlen=HISTORY)  # items as they started, newest last
        self._failures: deque[dict[str, Any]] = deque(maxlen=20)
        self._status = PlayerStatus("stopped", "starting", None, 0.0, (), self._volume)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="player", daemon=True)

    # ---- public API (any thread) -------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._prefetch.close()

    @property
    def alive(self) -> bool:
        """The player thread runs (it only ends on close(), or on a bug that escaped its loop)."""
        return self._thread.is_alive()

    def status(self) -> PlayerStatus:
        with self._lock:
            return self._status

    def set_queue(self, items: list[QueueItem]) -> None:
        """Replace what comes next.  The track playing now is left out: a plan made from a status read
        a moment before it started (Play pressed as autoplay begins) must not queue it a second time."""
        self._post(lambda: self._queue.replace(self._not_playing(items)))

    def extend_queue(self, items: list[QueueItem]) -> None:
        self._post(lambda: self._queue.extend(self._not_playing(items)))

    def load(self, item: QueueItem | None, position_s: float, upcoming: list[QueueItem]) -> None:
        """Restore after a restart: the track to resume (at position) and the queue; not playing yet."""

        def apply() -> None:
            self._queue.replace(upcoming)
            self._resume = (item, max(0.0, position_s)) if item is not None else None

        self._post(apply)

    def play(self) -> None:
        self._post(self._do_play)

    def pause(self) -> None:
        self._post(self._do_pause)

    def stop(self) -> None:
        self._post(self._do_stop)

    def next(self, *, fade_s: float | None = None, skipped: bool = True) -> None:
        """Move to the next queued item, crossfading over `fade_s` (default: the configured fade)."""
        self._post(lambda: self._do_switch(None, fade_s, skipped))

    def switch_to(self, item: QueueItem, *, fade_s: float | None = None) -> None:
        """Start `item` now (crossfading the current track away); used when the mood clearly changed."""
        self._post(lambda: self._do_switch(item, fade_s, False))

    def replay(
        self, *, previous_within_s: float, fade_s: float | None = None, timeout: float = 5.0
    ) -> QueueItem | None:
        """Play a track again from its start, the way a music player's "previous" button does.

        The current track restarts; but when it began less than `previous_within_s` ago, the listener
        most likely wants the track that just ended, so that one plays again and the current one goes
        back to the front of the queue.  With nothing current, the last track heard plays again.
        Playback starts (or resumes) either way: a replay asks to hear the track now.  Returns the
        replayed item, None when there is nothing to replay; raises TimeoutError when the player did
        not answer within `timeout` (the replay is then called off, so it never happens unreported).
        """
        done = threading.Event()
        guard = threading.Lock()
        result: list[QueueItem | None] = [None]
        called_off = [False]

        def apply() -> None:
            with guard:
                if called_off[0]:
                    return
                try:
                    result[0] = self._do_replay(previous_within_s, fade_s)
                finally:
                    self._publish_status()  # the caller's next status() shows the replayed track
                    done.set()

        self._post(apply)
        done.wait(timeout)
        with guard:
            if not done.is_set():
                called_off[0] = True
                raise TimeoutError(f"the player did not answer within {timeout:g} s")
            return result[0]

    def set_config(self, config: PlayerConfig) -> None:
        """New [player] settings (crossfade, loudness target...) from the next decision on."""
        self._post(
            lambda: setattr(self, "_cfg", dataclasses.replace(config, audio_device=self._cfg.audio_device))
        )

    def set_volume(self, volume: float) -> None:
        volume = min(1.0, max(0.0, float(volume)))

        def apply() -> None:
            self._volume = volume
            for ch in self._channels:
                with contextlib.suppress(Exception):
                    ch.set_volume(volume)

        self._post(apply)

    def wait_idle(self, timeout: float = 2.0) -> bool:
        """Block until every posted command has run (tests and orderly shutdown)."""
        done = threading.Event()
        self._post(done.set)
        return done.wait(timeout)

    def _post(self, command: Callable[[], None]) -> None:
        self._commands.put(command)

    # ---- the player thread ---------------------------------------------------------------------
    def _run(self) -> None:
        self._open_audio()
        while not self._stop.is_set():
            try:
                command = self._commands.get(timeout=TICK_S if self._state == "playing" else 10 * TICK_S)
            except queue.Empty:
                command = None
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
        self._shutdown_audio()

    @staticmethod
    def _is_audio_error(exc: Exception) -> bool:
        return isinstance(exc, pygame.error)

    def _open_audio(self) -> bool:
        try:
            if pygame.mixer.get_init():
                pygame.mixer.quit()
            pygame.mixer.init(
                frequency=RATE,
                size=-16,
                channels=2,
                buffer=1024,
                devicename=self._cfg.audio_device or None,
                allowedchanges=0,
            )
            pygame.mixer.set_num_channels(max(2, pygame.mixer.get_num_channels()))
            pygame.mixer.set_reserved(2)
            self._channels = [pygame.mixer.Channel(0), pygame.mixer.Channel(1)]
            for ch in self._channels:
                ch.set_volume(self._volume)
        except pygame.error as exc:
            self._audio_lost(f"cannot open audio device {self._cfg.audio_device or '(default)'}: {exc}")
            return False
        was_lost = self._audio == "lost"
        self._audio, self._audio_error = "ok", ""
        if was_lost:
            log.warning("audio output is back")
            self._emit(StateChanged(ts=time.time(), key="audio", value="ok"))
            if self._want_playing:
                self._do_play()
        return True

    def _shutdown_audio(self) -> None:
        for deck in self._decks:
            self._cut(deck, completed=False, skipped=False)
        with contextlib.suppress(Exception):
            pygame.mixer.quit()

    def _audio_lost(self, reason: str) -> None:
        """Remember where we were, drop the mixer, and retry later (with back-off up to 30 s)."""
        current = self._current_position()
        if current is not None:
            self._resume = current
        for deck in self._decks:
            self._reset_deck(deck)
        self._channels = []
        with contextlib.suppress(Exception):
            pygame.mixer.quit()
        first = self._audio != "lost"
        self._audio, self._audio_error = "lost", reason
        self._state = "stopped"  # _want_playing is kept: playback resumes when the device is back
        self._next_retry = time.monotonic() + self._retry_s
        if first:
            log.error("audio output lost: %s; retrying every %.0f s", reason, self._retry_s)
            self._emit(ErrorReported(ts=time.time(), component="audio", message=f"{reason}; retrying"))
            self._emit(StateChanged(ts=time.time(), key="audio", value="lost"))

    def _tick(self) -> None:
        now = time.monotonic()
        if self._audio == "lost":
            if now >= self._next_retry and not self._open_audio():
                self._retry_s = min(30.0, self._retry_s * 1.5)
            return
        if not pygame.mixer.get_init():
            raise pygame.error("mixer was shut down")
        for deck in self._decks:
            self._advance(deck, now)
        if self._state == "playing":
            for deck in self._decks:
                self._feed(deck)
            self._maybe_crossfade()
            active = self._decks[self._active]
            if active.play is None and active.playing is None:
                other = self._decks[1 - self._active]
                if other.play is None and other.playing is None:
                    if self._start_next(active, 0.0):
                        self._feed(active)  # audible (and the current track) in this tick, not the next
                    else:
                        self._state = "stopped"
                        self._want_playing, self._ran_out = False, True
                        self._emit(StateChanged(ts=time.time(), key="playing", value=False))

    def _advance(self, deck: _Deck, now: float) -> None:
        """Follow the channel: a queued chunk that started, a chunk that finished, a stall."""
        ch = self._channels[deck.index]
        busy = bool(ch.get_busy())
        if deck.queued is not None and ch.get_queue() is None:
            self._chunk_done(deck, deck.playing)
            deck.playing, deck.queued = deck.queued, None
            deck.chunk_started = now
            self._chunk_begins(deck.playing)
        if deck.playing is not None and not busy and deck.queued is None:
            self._chunk_done(deck, deck.playing)
            deck.playing = None
        stalled = now - deck.chunk_started > STALL_CHUNKS * CHUNK_S + 1.0
        if deck.playing is not None and self._state == "playing" and stalled:
            raise pygame.error("audio output stalled (device gone?)")

    def _chunk_begins(self, chunk: _Chunk | None) -> None:
        if chunk is None or chunk.play.started:
            return
        chunk.play.started = True
        self._history.append(chunk.play.item)
        track = chunk.play.item.track
        log.info("playing %s - %s (%s)", track.artist, track.title, chunk.play.item.reason or "queued")
        self._emit(
            TrackStarted(
                ts=time.time(),
                track_id=track.id,
                title=track.title,
                artist=track.artist,
                reason=chunk.play.item.reason,
                source=track.source,
            )
        )

    def _chunk_done(self, deck: _Deck, chunk: _Chunk | None, played: float | None = None) -> None:
        if chunk is None:
            return
        play = chunk.play
        play.played_s += chunk.dur_s if played is None else played
        still_on_deck = (deck.queued is not None and deck.queued.play is play) or deck.play is play
        if play.decoding_done and not still_on_deck:
            self._ended(play)

    def _ended(self, play: _Play) -> None:
        if not play.started:
            return
        play.started = False  # report once
        self._last = (play.item, play.played_s)
        self._emit(
            TrackEnded(
                ts=time.time(),
                track_id=play.item.track.id,
                played_s=round(play.played_s, 2),
                completed=play.completed,
                skipped=play.skipped,
            )
        )

    def _feed(self, deck: _Deck) -> None:
        """Keep one chunk queued behind the playing one."""
        if deck.play is None or deck.decoder is None or deck.queued is not None:
            return
        frames = int(RATE * CHUNK_S)
        try:
            block = deck.decoder.read(frames)
        except DecodeError as exc:
            self._decode_failed(deck, str(exc))
            return
        play = deck.play
        if len(block) == 0:
            self._finish_decoding(deck, completed=True)
            if deck.index == self._active:
                self._start_next(deck, 0.0)  # gapless continuation on the same deck
            return
        env = deck.env + deck.env_step * np.arange(len(block), dtype=np.float32)
        np.clip(env, 0.0, 1.0, out=env)
        deck.env = float(np.clip(deck.env + deck.env_step * len(block), 0.0, 1.0))
        samples = apply_gain(block, deck.gain) * env[:, None]
        sound = pygame.mixer.Sound(buffer=np.ascontiguousarray(to_int16(samples)).tobytes())
        chunk = _Chunk(play, deck.decoded_s, len(block) / RATE)
        deck.decoded_s += chunk.dur_s
        ch = self._channels[deck.index]
        if deck.playing is None:
            ch.play(sound)
            ch.set_volume(self._volume)
            deck.playing, deck.chunk_started = chunk, time.monotonic()
            self._chunk_begins(chunk)
        else:
            ch.queue(sound)
            deck.queued = chunk
        if deck.env_stop_at_zero and deck.env <= 0.0:
            self._finish_decoding(deck, completed=play.completed)

    def _finish_decoding(self, deck: _Deck, *, completed: bool) -> None:
        if deck.decoder is not None:
            deck.decoder.close()
        if deck.play is not None:
            deck.play.decoding_done = True
            deck.play.completed = completed
            play, deck.play, deck.decoder = deck.play, None, None
            if deck.playing is None and deck.queued is None:
                self._ended(play)
        deck.env_stop_at_zero = False

    def _decode_failed(self, deck: _Deck, error: str) -> None:
        play = deck.play
        assert play is not None
        track = play.item.track
        log.warning("skipping %s: %s", track.title, error)
        self._failures.append({"track_id": track.id, "title": track.title, "error": error, "ts": time.time()})
        self._emit(
            ErrorReported(ts=time.time(), component="player", message=f"skipped {track.title}: {error}")
        )
        self._finish_decoding(deck, completed=False)
        if deck.index == self._active:
            self._start_next(deck, 0.0)

    def _start_next(self, deck: _Deck, fade_in_s: float, item: QueueItem | None = None) -> bool:
        """Open the next item (or `item`) on `deck`; on failure skip to the one after. True if started."""
        while True:
            start_s = 0.0
            if item is None and self._resume is not None:
                item, start_s = self._resume
                self._resume = None
            if item is None:
                item = self._queue.pop()
            if item is None:
                return False
            upcoming = self._queue.peek()
            if upcoming is not None:
                self._prefetch.want(upcoming.track)
            try:
                source = self._prefetch.open(item.track)
                decoder = open_decoder(source, RATE, start_s=start_s, name=item.track.title)
            except (FetchError, DecodeError) as exc:
                self._decode_failed_open(item, str(exc))
                item = None
                continue
            deck.decoder, deck.play, deck.decoded_s = decoder, _Play(item), start_s
            deck.gain = db_to_linear(gain_db(item.track, self._cfg.target_lufs))
            deck.env = 0.0 if fade_in_s > 0 else 1.0
            deck.env_step = 1.0 / (fade_in_s * RATE) if fade_in_s > 0 else 0.0
            deck.env_stop_at_zero = False
            self._active = deck.index
            return True

    def _decode_failed_open(self, item: QueueItem, error: str) -> None:
        log.warning("skipping %s: %s", item.track.title, error)
        if self._on_missing is not None:
            self._on_missing(item, error)
        self._failures.append(
            {"track_id": item.track.id, "title": item.track.title, "error": error, "ts": time.time()}
        )
        self._emit(
            ErrorReported(ts=time.time(), component="player", message=f"skipped {item.track.title}: {error}")
        )

    def _maybe_crossfade(self) -> None:
        """Near the end of the active track, start the next one on the other deck."""
        fade = self._cfg.crossfade_s
        deck = self._decks[self._active]
        if fade <= 0 or deck.decoder is None or deck.play is None or deck.env_stop_at_zero:
            return
        duration = deck.decoder.duration_s
        if duration <= 0 or duration - deck.decoded_s > fade:
            return
        if self._queue.peek() is None and self._resume is None:
            return
        remaining = max(CHUNK_S, duration - deck.decoded_s)
        self._fade_out(deck, remaining)
        other = self._decks[1 - deck.index]
        self._cut(other, completed=False, skipped=False)
        self._start_next(other, remaining)
        deck.play.completed = True

    def _fade_out(self, deck: _Deck, seconds: float) -> None:
        deck.env_step = -max(deck.env, 1e-3) / max(1.0, seconds * RATE)
        deck.env_stop_at_zero = True

    def _cut(self, deck: _Deck, *, completed: bool, skipped: bool) -> None:
        """Stop a deck now; the interrupted play is reported, an unstarted one goes back to the queue."""
        if deck.index < len(self._channels):
            with contextlib.suppress(Exception):
                self._channels[deck.index].stop()
        plays: list[_Play] = []
        for chunk in (deck.playing, deck.queued):
            if chunk is not None and chunk.play not in plays:
                plays.append(chunk.play)
        if deck.play is not None and deck.play not in plays:
            plays.append(deck.play)
        if deck.playing is not None:
            elapsed = min(deck.playing.dur_s, max(0.0, time.monotonic() - deck.chunk_started))
            deck.playing.play.played_s += elapsed
        for play in plays:
            if play.started:
                play.completed, play.skipped = completed, skipped
                self._ended(play)
            else:  # opened but never heard: it is still next
                self._queue.push_front(play.item)
        self._reset_deck(deck)

    def _reset_deck(self, deck: _Deck) -> None:
        if deck.decoder is not None:
            deck.decoder.close()
        deck.decoder, deck.play, deck.playing, deck.queued = None, None, None, None
        deck.env, deck.env_step, deck.env_stop_at_zero = 1.0, 0.0, False

    # ---- commands (run on the player thread) ---------------------------------------------------
    def _do_play(self) -> None:
        self._want_playing = True
        if self._audio != "ok":
            return
        if self._state == "paused":
            pygame.mixer.unpause()
            shift = time.monotonic() - self._paused_at
            for deck in self._decks:
                deck.chunk_started += shift
        elif self._state == "stopped":
            deck = self._decks[self._active]
            self._cut(deck, completed=False, skipped=False)
            if not self._start_next(deck, 0.0):
                self._want_playing, self._ran_out = False, True
                return
        self._state, self._ran_out = "playing", False
        self._emit(StateChanged(ts=time.time(), key="playing", value=True))

    def _do_pause(self) -> None:
        self._want_playing, self._ran_out = False, False
        if self._state != "playing":
            return
        if self._audio == "ok":
            pygame.mixer.pause()
        self._paused_at = time.monotonic()
        self._state = "paused"
        self._emit(StateChanged(ts=time.time(), key="playing", value=False))

    def _do_stop(self) -> None:
        current = self._current_position()
        for deck in self._decks:
            self._cut(deck, completed=False, skipped=False)
        if self._audio == "ok":
            pygame.mixer.unpause()
        if current is not None:
            self._resume = current
        was = self._state
        self._state, self._want_playing, self._ran_out = "stopped", False, False
        if was != "stopped":
            self._emit(StateChanged(ts=time.time(), key="playing", value=False))

    def _do_switch(self, item: QueueItem | None, fade_s: float | None, skipped: bool) -> None:
        fade = self._cfg.crossfade_s if fade_s is None else fade_s
        if self._audio != "ok" or self._state != "playing":
            if self._state == "paused":
                self._do_stop()
            if item is not None:
                self._queue.push_front(item)
            self._resume = None
            return
        current = self._decks[self._active]
        other = self._decks[1 - self._active]
        self._cut(other, completed=False, skipped=skipped)
        if fade > 0 and current.playing is not None:
            if current.play is not None:
                current.play.skipped = skipped
            for chunk in (current.playing, current.queued):
                if chunk is not None:
                    chunk.play.skipped = skipped
            if current.play is not None:  # else nothing is left to decode: the queued chunk ends
                self._fade_out(current, fade)
            self._start_next(other, fade, item)
        else:
            self._cut(current, completed=False, skipped=skipped)
            self._start_next(current, 0.0, item)
        self._feed(self._decks[self._active])  # audible at once, not at the next tick

    def _do_replay(self, previous_within_s: float, fade_s: float | None) -> QueueItem | None:
        now = self._current_position()
        history = self._history
        if now is None:
            if not history:
                return None
            target = history.pop()  # it is appended again as it starts
        else:
            item, position = now
            if history and history[-1].track.id == item.track.id:
                history.pop()
            if position < previous_within_s and history:
                target = history.pop()
                self._queue.push_front(item)  # the track it interrupts comes next again
            else:
                target = item
        self._do_switch(target, fade_s, False)  # the interrupted play is neither skipped nor completed
        if self._state != "playing":
            self._do_play()
        return target

    # ---- status --------------------------------------------------------------------------------
    def _not_playing(self, items: list[QueueItem]) -> list[QueueItem]:
        current = self._current_position()
        opened = self._decks[self._active].play  # opened, its first chunk not out yet
        item = current[0] if current else opened.item if opened else None
        return [i for i in items if item is None or i.track.id != item.track.id]

    def _current_position(self) -> tuple[QueueItem, float] | None:
        deck = self._decks[self._active]
        chunk = deck.playing
        if chunk is None:
            other = self._decks[1 - self._active]
            chunk, deck = other.playing, other
        if chunk is None:
            return self._resume
        now = self._paused_at if self._state == "paused" else time.monotonic()
        return chunk.play.item, chunk.offset_s + min(chunk.dur_s, max(0.0, now - deck.chunk_started))

    def _publish_status(self) -> None:
        current = self._current_position()
        opened = self._decks[self._active]
        if current is None and opened.play is not None:
            # Opened but its first chunk not out yet (the decoder failed at once, say): it is what
            # plays now; "playing" with no current track would show a title-less "Playing".
            current = (opened.play.item, opened.decoded_s)
        status = PlayerStatus(
            state=self._state,
            audio=self._audio,
            current=current[0] if current else None,
            position_s=round(current[1], 2) if current else 0.0,
            queue=tuple(self._queue.items()),
            volume=self._volume,
            failures=tuple(self._failures),
            audio_error=self._audio_error,
            ran_out=self._ran_out,
        )
        with self._lock:
            self._status = status
