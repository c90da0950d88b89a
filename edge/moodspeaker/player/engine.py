"""The player: two mixer channels ("decks") fed with short decoded chunks, for real crossfades.

Why this shape: pygame's `mixer.music` has one stream only, and whole-track `Sound`s cost ~40 MB of
PCM each.  Instead each deck is a `pygame.mixer.Channel` kept one chunk ahead with `Channel.queue`
(gapless by construction); chunks are decoded incrementally, normalised, and multiplied by the
deck's fade envelope in numpy, so a crossfade is sample-exact and a gap-free change (crossfade 0)
simply continues the same deck with the next file.  One thread owns every pygame call; the public
methods only post commands to it.  Audio device trouble (no device, mixer gone, a stalled output)
puts the player in a "lost" state that retries with back-off and resumes where it was.

This module is the public side, callable from any thread; the rest lives in `player.loop` (the
player thread: transport commands, device loss), `player.mixer` (the decks on pygame's mixer),
`player.deck` (a deck's bookkeeping and fade envelope) and `player.history` (the plays announced and
what a replay goes back to).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from moodspeaker.config.schema import PlayerConfig
from moodspeaker.library.track import Track
from moodspeaker.player.loop import PlayerLoop, PlayerStatus
from moodspeaker.player.queue import QueueItem, Retrack

__all__ = ["Player", "PlayerStatus"]

log = logging.getLogger(__name__)

#: How long close() waits for the player thread: its passes are 20-200 ms, but a starved machine can
#: hold one for seconds; within systemd's TimeoutStopSec (20 s) with the rest of the service's stop.
CLOSE_WAIT_S = 10.0


class Player(PlayerLoop):
    """Queue, transport, volume, crossfade and loudness on pygame's mixer (see the module doc)."""

    def start(self) -> None:
        self._thread.start()
        self.watch.start()

    def close(self, timeout: float = CLOSE_WAIT_S) -> None:
        """Stop the player thread and wait for it to end (it closes the mixer on its way out).  A busy
        machine can keep it past a few seconds: a player thread still running after close() shuts
        pygame's mixer down under the next player made in the same process, which aborts it.  Said in
        the log when it outlives `timeout` (a call stuck for good: the hang watch's case)."""
        self.watch.stop()
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the player thread did not end within %.0f s of being asked to", timeout)
        self._prefetch.close()

    @property
    def alive(self) -> bool:
        """The player thread runs (it only ends on close(), or on a bug that escaped its loop)."""
        return self._thread.is_alive()

    @property
    def stuck(self) -> str:
        """Why the player thread counts as stuck for good ("" while it is not): blocked in a call
        its watcher could not end (`player.hang`), so only restarting the service brings music back."""
        return self.watch.stuck

    def status(self) -> PlayerStatus:
        return self._published()

    def set_queue(self, items: list[QueueItem]) -> None:
        """Replace what comes next.  The track playing now is left out: a plan made from a status read
        a moment before it started (Play pressed as autoplay begins) must not queue it a second time.
        A repeat queued on purpose (`QueueItem.again`: the only track allowed) is kept."""
        self._post(lambda: self._queue.replace(self._not_playing(items)))

    def extend_queue(self, items: list[QueueItem]) -> None:
        self._post(lambda: self._queue.extend(self._not_playing(items)))

    def load(self, item: QueueItem | None, position_s: float, upcoming: list[QueueItem]) -> None:
        """Restore after a restart: the track to resume (at position) and the queue; not playing yet."""

        def apply() -> None:
            self._queue.replace(upcoming)
            self._mixer.resume = (item, max(0.0, position_s)) if item is not None else None

        self._post(apply)

    def retrack(self, tracks: Mapping[str, Track]) -> None:
        """Every item the player holds takes the track `tracks` holds under its track's id (a rescan
        found its file moved or retagged: `service.moved_tracks`), in place and order, reason, start
        and repeat kept: the queued ones, the one to resume (restored, or interrupted by a lost
        device), the plays on the decks and the plays of the history.  The decks play on from the
        files they opened; what reopens a track (Play or a replay after a pause or a stop, a replay of
        a track heard before) opens it where it is now: before, a replay reopened the old path,
        failed as missing and marked the moved track so.  An item `tracks` has no track for is left
        as it is."""

        def apply() -> None:
            swap = Retrack(tracks)
            self._queue.replace([swap(i) for i in self._queue.items()])
            for deck in self._mixer.decks:
                for play in deck.plays():  # chunks hold their play: they follow
                    play.item = swap(play.item)
            interrupted = self._mixer.interrupted
            if interrupted is not None:  # still the play it continues (`lost.continued`)
                interrupted.item = swap(interrupted.item)
            if self._mixer.resume is not None:
                item, at_s = self._mixer.resume
                self._mixer.resume = (swap(item), at_s)
            self._history.retrack(swap)

        self._post(apply)

    def heard(self) -> list[QueueItem]:
        """The items of the plays a replay can go back to (the play history), oldest first."""
        return self._history.started

    def play(self) -> None:
        self._post(self._do_play)

    def pause(self) -> None:
        self._post(self._do_pause)

    def stop(self) -> None:
        self._post(self._do_stop)

    def next(
        self,
        *,
        fade_s: float | None = None,
        skipped: bool = True,
        before: Callable[[], None] | None = None,
        on: str | None = None,
    ) -> None:
        """Move to the next queued item, crossfading over `fade_s` (default: the configured fade).

        `on`: the id of the track the caller's status showed as current, the one the Next is meant
        for.  When that track is no longer the one shown as it runs (it ended on its own, or a switch
        replaced it, between the caller's read and the player thread getting to the command), the Next
        is dropped: applied, it skipped the track that followed, which the listener never chose to
        skip (and the service recorded both skips).  None: whatever is current is skipped.

        `before` runs on the player thread just before the Next is applied, when every event the
        status read so far shows has been announced (the status is published before its events: a
        caller reading it in between saw a track whose TrackStarted its handlers had not had yet),
        and before the end the Next decides is announced: the service marks there the skip its
        command recorded, so that the end of that play is not recorded again.  It does not run for a
        Next dropped for `on`: the play it would mark is over."""

        def apply() -> None:
            if on is not None and not self._shows(on):
                log.info("a Next on %s came after that track ended: nothing else is skipped", on)
                return
            if before is not None:
                before()
            self._do_switch(None, fade_s, skipped)

        self._post(apply)

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

    def forget_plays(self, before: float | None = None) -> int:
        """The privacy retention (`before`, a `time.time()`) or "delete everything" (None): the plays
        recorded before it go from the play history, and the tracks skipped as unplayable from the
        status (player.history).  Returns how many went.  The failures go from the published status
        at once: the player thread publishes a new one only when it runs, and one stuck for good
        (player.hang) never does until the restart, so health listed the hung track after the
        deletion.  The watcher's words for a stuck thread stop naming the track too (`forget`)."""
        gone = self._history.forget(before)
        self.watch.forget(before)
        with self._lock:  # a status the thread publishes later reads the history as it is now
            self._status = dataclasses.replace(self._status, failures=self._history.failures)
        return gone

    def plays(self) -> dict[str, list[dict[str, Any]]]:
        """The play history as the data export gives it (player.history)."""
        return self._history.record()

    def set_config(self, config: PlayerConfig) -> None:
        """New [player] settings (crossfade, loudness target...) from the next decision on."""
        self._post(
            lambda: setattr(self, "_cfg", dataclasses.replace(config, audio_device=self._cfg.audio_device))
        )

    def set_volume(self, volume: float) -> None:
        volume = min(1.0, max(0.0, float(volume)))

        self._post(lambda: self._mixer.set_volume(volume, self._now()))

    def wait_idle(self, timeout: float = 2.0) -> bool:
        """Block until every posted command has run and `status()` shows its effect (a command that
        answers with the state, such as set_volume, waits here); False when `timeout` ran out first."""
        return self.when_idle().wait(timeout)

    def when_idle(self) -> threading.Event:
        """An event set once every command posted so far has run and `status()` shows its effect.
        The player thread publishes the status only after its tick, which follows the commands it
        ran, so it is published here first: released before that, the caller would read the status
        from before the commands.  A caller that cannot wait long keeps the event to learn when its
        change took effect (the service marks such a change pending until then)."""
        done = threading.Event()

        def published() -> None:
            try:
                self._publish_status()
            finally:
                done.set()

        self._post(published)
        return done
