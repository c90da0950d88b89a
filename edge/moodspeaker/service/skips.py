"""Skips a command recorded itself, so the end of that play is not recorded a second time.

Why a module of its own: `next` and `dislike` write their feedback before they answer; the player
then reports the end of the play (TrackEnded, skipped), which must add nothing.  The mark is for that
play, not for the track id forever: a play whose end is never announced (it had already ended a
moment before the command read the status; or the track shown while the audio device is gone was a
restored one never heard, so the Next only called off its start) must not make the service swallow
the end of a later play of the same track.  (A play the lost device interrupted is announced as
skipped when a Next calls off its resumption: `DeckMixer.end_interrupted`.)
TrackStarted/TrackEnded carry only the track id, so a play is "the latest start of that track": a
new start of the track clears its mark, and marks are kept only for the few tracks started last (two
decks: at most two plays sound at once).  Pure bookkeeping, thread-safe.  Plays are reported and
marked on the player thread: a command's mark is set there just before its Next runs (`Player.next`'s
`before`), when every start the status showed the command has been handled.  Marked from the command
thread, a track shown in the status before its TrackStarted was handled (the status is published
first) was taken for one already over, and its skip was recorded twice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

#: Tracks started most recently that a mark may still refer to (two decks, plus slack for quick
#: changes while the last one fades out); anything older has ended, announced or not.
KEEP_PLAYS = 8


class RecordedSkips:
    """Marks on the plays now sounding whose skip a command has already recorded (module doc)."""

    def __init__(self, keep: int = KEEP_PLAYS) -> None:
        self._keep = max(1, keep)
        self._lock = threading.Lock()
        # plays started and not known to have ended, per track (two while a replay of the track
        # playing fades the first play out), the latest started last
        self._sounding: OrderedDict[str, int] = OrderedDict()
        self._marked: set[str] = set()

    def started(self, track_id: str) -> None:
        """A play of `track_id` began: a mark on an earlier play of it is stale (that play is over)."""
        with self._lock:
            self._marked.discard(track_id)
            self._sounding[track_id] = self._sounding.pop(track_id, 0) + 1
            while len(self._sounding) > self._keep:
                old, _ = self._sounding.popitem(last=False)
                self._marked.discard(old)

    def mark(self, track_id: str) -> None:
        """The command recorded the skip of the play of `track_id` sounding now (called on the player
        thread as its Next runs: module doc); a track that is not sounding (its end was already
        announced, or it was never heard) is not marked, so nothing stale is left."""
        with self._lock:
            if track_id in self._sounding:
                self._marked.add(track_id)

    def ended(self, track_id: str) -> bool:
        """A play of `track_id` ended: True when its skip was recorded already (record nothing)."""
        with self._lock:
            plays = self._sounding.get(track_id, 0)
            if plays > 1:
                self._sounding[track_id] = plays - 1  # the replayed play sounds on
            else:
                self._sounding.pop(track_id, None)
            if track_id in self._marked:
                self._marked.discard(track_id)
                return True
            return False

    def pending(self) -> list[str]:
        """The tracks marked now (for tests and diagnostics)."""
        with self._lock:
            return sorted(self._marked)
