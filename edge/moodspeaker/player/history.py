"""The play history: what the player announces about each play, and what `replay` goes back to.

Why a module of its own: a play's start and end become the TrackStarted / TrackEnded events the
feedback is learned from, a track that could not be played becomes a reported failure, and the
tracks heard most recently are what a "play that again" chooses from (a music player's "previous"
button).  That is one record of what was played, kept apart from the mixer mechanics that produce it;
the replay choice itself is pure.

What was played, and when, is the listeners' history: the privacy retention (`privacy.retention_days`)
and "delete everything" reach it too (`forget`, through `Player.forget_plays`), and the data export
gives it (`record`).  Each start is timed on the monotonic clock, as the service's other records of
plays are, so its age decides (a wall clock set by NTP after boot moves); a failure keeps the
`time.time()` it is reported with.  The player thread adds to it and a replay takes from it, while the
retention and the export come from other threads: the record is guarded by a lock of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from moodspeaker.library.track import artist_title
from moodspeaker.player.deck import Play
from moodspeaker.player.fetch import AUDIO, Obtained
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import ErrorReported, Event, TrackEnded, TrackStarted
from moodspeaker.util.clock import monotonic_of, wall_dates

#: told of a queued track that could not be opened: (item, error, fetched), `fetched` how far its audio
#: came (player.fetch.Obtained): all of it (AUDIO: the file found, a library server's download arrived)
#: and it could not be decoded, or not (no such file, no answer, a 404, a download cut short or too
#: large): a server that answered was reachable, and the service says what it answered (service.feedback)
OnMissing = Callable[[QueueItem, str, Obtained], None]

log = logging.getLogger(__name__)

#: Tracks remembered as started, newest last, for `replay` going back (a bounded history).
HISTORY = 50
#: Tracks skipped as unplayable that the status lists (health's failed tracks), newest last.
FAILURES_KEPT = 20


def skipped(item: QueueItem, error: str) -> tuple[dict[str, Any], ErrorReported]:
    """`item` is skipped as unplayable (`error`): logged here, and its record as the status lists it
    and the event reporting it.  One wording for a track that failed to open or decode
    (`PlayHistory.failed`) and for one the player thread hung on (`PlayerLoop._stuck_on`)."""
    log.warning("skipping %s: %s", item.track.title, error)
    ts = time.time()
    record = {"track_id": item.track.id, "title": item.track.title, "error": error, "ts": ts}
    return record, ErrorReported(ts=ts, component="player", message=f"skipped {item.track.title}: {error}")


class PlayHistory:
    """Announces plays as they start and end, keeps the recent ones and the failures (player thread)."""

    def __init__(self, emit: Callable[[Event], None], on_missing: OnMissing | None) -> None:
        self._emit = emit
        self._on_missing = on_missing  # a queued track that could not be opened (gone, unreadable)
        self._lock = threading.Lock()  # the record below (module doc)
        #: (when it began on the monotonic clock, item) of the plays as they started, newest last
        self._started: deque[tuple[float, QueueItem]] = deque(maxlen=HISTORY)
        self._failures: deque[dict[str, Any]] = deque(maxlen=FAILURES_KEPT)
        #: the item the player thread was given up on, stuck (`gave_up`): its failure is recorded
        self._gave_up: QueueItem | None = None

    @property
    def failures(self) -> tuple[dict[str, Any], ...]:
        """The tracks skipped as unplayable, newest last (what the status lists)."""
        with self._lock:
            return tuple(self._failures)

    @property
    def started(self) -> list[QueueItem]:
        """The items as they started, newest last (a copy)."""
        with self._lock:
            return [item for _, item in self._started]

    def began(self, play: Play) -> None:
        """The first chunk of `play` is audible: announce it (once per play)."""
        if play.started:
            return
        play.started = True
        with self._lock:
            self._started.append((time.monotonic(), play.item))
            self._back(play.item)
        track = play.item.track
        # Artist and title only: the pick's explanation quotes the mood read, and the journal outlives
        # the retention and delete-everything (README, Privacy).
        log.info("playing %s", artist_title(track.title, track.artist))
        self._emit(
            TrackStarted(
                ts=time.time(),
                track_id=track.id,
                title=track.title,
                artist=track.artist,
                reason=play.item.reason,
                source=track.source,
            )
        )

    def ended(self, play: Play) -> None:
        """`play` is over (finished, cut or skipped): announce it, once, if it was ever heard."""
        with self._lock:
            self._back(play.item)
        if not play.started:
            return
        play.started = False  # report once
        self._emit(
            TrackEnded(
                ts=time.time(),
                track_id=play.item.track.id,
                played_s=round(play.played_s, 2),
                completed=play.completed,
                skipped=play.skipped,
            )
        )

    def failed(self, item: QueueItem, error: str, *, missing: bool, fetched: Obtained = AUDIO) -> None:
        """`item` is skipped because it could not be played; `missing`: it could not even be opened
        (file gone, server down, no audio decoded), which the service hears about separately, with
        `fetched` (`OnMissing`): how far its audio came (AUDIO: obtained, not decoded)."""
        if missing and self._on_missing is not None:
            self._on_missing(item, error, fetched)
        with self._lock:
            if item is self._gave_up:  # the thread is back from the hang: its failure is recorded
                self._gave_up = None
                log.info("%s failed after the hang it is recorded for: %s", item.track.title, error)
                return
        record, event = skipped(item, error)
        with self._lock:
            self._failures.append(record)
        self._emit(event)

    def gave_up(self, item: QueueItem, error: str) -> ErrorReported:
        """The player thread was given up on, stuck on `item` (the watcher's thread, player.hang):
        the track is recorded as failed as one that cannot be played is, so the status, the export
        and the retention have it whether or not the thread comes back; a thread that comes back and
        fails the same play records nothing more (one whose play goes on instead, `_back`, leaves
        any later failure of the item to be recorded).  Returns the event reporting it, for the caller to
        send (the thread that sends the history's events is the one stuck)."""
        record, event = skipped(item, error)
        with self._lock:
            self._failures.append(record)
            self._gave_up = item
        return event

    def _back(self, item: QueueItem) -> None:
        """The thread given up on `item` is back and its play went on (it began, or ended without
        failing): a later failure of the same item (a replay hands it back) is a failure of its own,
        not the one `gave_up` recorded.  The lock held."""
        if item is self._gave_up:
            self._gave_up = None

    def retrack(self, swap: Callable[[QueueItem], QueueItem]) -> None:
        """The plays recorded take the item `swap` gives for theirs (`queue.Retrack`: the library's
        current track of the same id, a rescan having found its file moved or retagged;
        `Player.retrack`), each keeping when it began and its place: a replay of a track heard before
        its file moved opens it where it is now.  Before, it reopened the old path, failed as missing
        and marked the moved track so."""
        with self._lock:
            started = [(at, swap(item)) for at, item in self._started]
            self._started.clear()
            self._started.extend(started)
            if self._gave_up is not None:  # still the play it names, should the thread come back
                self._gave_up = swap(self._gave_up)

    def replay_choice(
        self, now: tuple[QueueItem, float] | None, previous_within_s: float
    ) -> tuple[QueueItem, QueueItem | None] | None:
        """What a replay plays, given the current item and position (`now`): the current track again,
        or the one before it when the current one began less than `previous_within_s` ago; with
        nothing current, the last one heard.  Returns (track to play, track to put back at the front
        of the queue or None), or None when nothing was played yet.  The chosen item leaves the
        history: it is added again as it starts."""
        with self._lock:
            history = self._started
            if now is None:
                if not history:
                    return None
                return self._pop(), None
            item, position = now
            if history and history[-1][1].track.id == item.track.id:
                self._pop()
            if position < previous_within_s and history:
                return self._pop(), item  # the track it interrupts comes next again
            return item, None

    def _pop(self) -> QueueItem:
        """The newest start leaves the record (the lock held): its item."""
        return self._started.pop()[1]

    def forget(self, before: float | None = None) -> int:
        """Drop the starts and failures recorded before `before` (a `time.time()`: the privacy
        retention's cut-off), or all of them ("delete everything").  Returns how many went.  What a
        replay can go back to goes with them: the track playing can still be played again."""
        since = None if before is None else monotonic_of(before)
        with self._lock:
            gone = len(self._started) + len(self._failures)
            while self._started and (since is None or self._started[0][0] < since):
                self._started.popleft()
            kept = [f for f in self._failures if before is not None and f["ts"] >= before]
            self._failures.clear()
            self._failures.extend(kept)
            return gone - len(self._started) - len(self._failures)

    def record(self) -> dict[str, list[dict[str, Any]]]:
        """What is kept, JSON-ready (the data export): the tracks started last, oldest first, each with
        when it started (`time.time()`), and the tracks skipped as unplayable."""
        dated = wall_dates()
        with self._lock:
            started = list(self._started)
            failures = [dict(f) for f in self._failures]
        return {
            "started": [
                {
                    "started_at": dated(at),
                    "track_id": item.track.id,
                    "title": item.track.title,
                    "artist": item.track.artist,
                    "reason": item.reason,  # the service leaves out one taken back (service.forget)
                }
                for at, item in started
            ],
            "failed": failures,
        }
