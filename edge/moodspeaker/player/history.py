"""The play history: what the player announces about each play, and what `replay` goes back to.

Why a module of its own: a play's start and end become the TrackStarted / TrackEnded events the
feedback is learned from, a track that could not be played becomes a reported failure, and the
tracks heard most recently are what a "play that again" chooses from (a music player's "previous"
button).  That is one record of what was played, kept apart from the mixer mechanics that produce it;
the replay choice itself is pure.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from moodspeaker.player.deck import Play
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import ErrorReported, Event, TrackEnded, TrackStarted

log = logging.getLogger(__name__)

#: Tracks remembered as started, newest last, for `replay` going back (a bounded history).
HISTORY = 50


class PlayHistory:
    """Announces plays as they start and end, keeps the recent ones and the failures (player thread)."""

    def __init__(
        self, emit: Callable[[Event], None], on_missing: Callable[[QueueItem, str], None] | None
    ) -> None:
        self._emit = emit
        self._on_missing = on_missing  # a queued track that could not be opened (gone, unreadable)
        self.started: deque[QueueItem] = deque(maxlen=HISTORY)  # items as they started, newest last
        self.failures: deque[dict[str, Any]] = deque(maxlen=20)
        self.last: tuple[QueueItem, float] | None = None

    def began(self, play: Play) -> None:
        """The first chunk of `play` is audible: announce it (once per play)."""
        if play.started:
            return
        play.started = True
        self.started.append(play.item)
        track = play.item.track
        # Artist and title only: the pick's explanation quotes the mood read, and the journal outlives
        # the retention and delete-everything (README, Privacy).
        log.info("playing %s - %s", track.artist, track.title)
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
        if not play.started:
            return
        play.started = False  # report once
        self.last = (play.item, play.played_s)
        self._emit(
            TrackEnded(
                ts=time.time(),
                track_id=play.item.track.id,
                played_s=round(play.played_s, 2),
                completed=play.completed,
                skipped=play.skipped,
            )
        )

    def failed(self, item: QueueItem, error: str, *, missing: bool) -> None:
        """`item` is skipped because it could not be played; `missing`: it could not even be opened
        (file gone, server down), which the service hears about separately."""
        log.warning("skipping %s: %s", item.track.title, error)
        if missing and self._on_missing is not None:
            self._on_missing(item, error)
        self.failures.append(
            {"track_id": item.track.id, "title": item.track.title, "error": error, "ts": time.time()}
        )
        self._emit(
            ErrorReported(ts=time.time(), component="player", message=f"skipped {item.track.title}: {error}")
        )

    def replay_choice(
        self, now: tuple[QueueItem, float] | None, previous_within_s: float
    ) -> tuple[QueueItem, QueueItem | None] | None:
        """What a replay plays, given the current item and position (`now`): the current track again,
        or the one before it when the current one began less than `previous_within_s` ago; with
        nothing current, the last one heard.  Returns (track to play, track to put back at the front
        of the queue or None), or None when nothing was played yet.  The chosen item leaves the
        history: it is added again as it starts."""
        history = self.started
        if now is None:
            if not history:
                return None
            return history.pop(), None
        item, position = now
        if history and history[-1].track.id == item.track.id:
            history.pop()
        if position < previous_within_s and history:
            return history.pop(), item  # the track it interrupts comes next again
        return item, None
