"""Which mood each recently queued track was picked for, and when.

Why: the first mood read after a restart counts as a change (from unknown) and re-plans; a restored track
picked for that very mood must not be cut as a clash.  The conductor notes the mood of every plan it
applies, and state.json carries the notes of the tracks playing and queued across a restart.

A note is a mood reading tied to a time of listening: personal data under the privacy retention
(`privacy.retention_days`), so each note has the time its plan was applied and the retention drops the
notes made before its cut-off (`forget_before`, from `delete_data(before)`), in memory and, with the
next save, in state.json.  A note restored from a state saved before notes had times has no time
(`Note.at` None) and counts as older than any cut-off: its true age is unknown and may be past the
retention already, and the promise is that such data goes, not that it may stay another period.  (It
costs the mood match of the tracks restored at the upgrade, until the first retention run.)

Thread-safe: the conductor notes plans under its own lock, the service reads the notes to save them and
the retention trims them from a command's thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from moodspeaker.player.queue import QueueItem

#: Tracks whose pick mood is remembered (the oldest forgotten first): far more than a queue holds.
PICKED_KEPT = 200


@dataclass(frozen=True)
class Note:
    """What a track was last picked for: the mood, when (`time.time()`; None: not known, older than
    any cut-off) and the explanation it was queued with (an item of the track held with another one
    was queued by an earlier plan, whose time this note does not give)."""

    mood: str
    at: float | None
    reason: str = ""


class PickedFor:
    def __init__(self, kept: int = PICKED_KEPT) -> None:
        self._kept = kept
        self._lock = threading.Lock()
        self._notes: OrderedDict[str, Note] = OrderedDict()  # track id -> its latest note, oldest first

    def get(self, track_id: str) -> str | None:
        """The mood `track_id` was last picked for (None: not known)."""
        with self._lock:
            note = self._notes.get(track_id)
        return None if note is None else note.mood

    def remember(self, items: Iterable[QueueItem], mood: str, at: float) -> None:
        """`items` were just applied, planned for `mood` at `at`: the latest notes; the oldest notes
        beyond `kept` go."""
        with self._lock:
            for item in items:
                self._add(item.track.id, Note(mood, at, item.reason))

    def _add(self, track_id: str, note: Note) -> None:
        self._notes.pop(track_id, None)
        self._notes[track_id] = note
        while len(self._notes) > self._kept:
            self._notes.popitem(last=False)

    def saved(self, held: Iterable[QueueItem]) -> tuple[dict[str, str], dict[str, float]]:
        """What state.json keeps of the notes of the `held` items (playing, queued): the moods, and the
        times by track id.  A time is saved only when its note was made for the last held item of that
        track (the one `restore` pairs it with again); else that item's explanation is older than the
        note, and after a restart it is as old as not known."""
        last = {item.track.id: item for item in held}
        with self._lock:
            notes = {t: self._notes[t] for t in last if t in self._notes}
        moods = {t: n.mood for t, n in notes.items()}
        times = {t: n.at for t, n in notes.items() if n.at is not None and n.reason == last[t].reason}
        return moods, times

    def restore(
        self, held: Iterable[QueueItem], moods: Mapping[str, str], times: Mapping[str, float]
    ) -> None:
        """The notes state.json kept (`saved`) for the restored `held` items; a note without a time is
        older than any cut-off (module doc)."""
        reasons = {item.track.id: item.reason for item in held}
        with self._lock:
            for track_id, mood in moods.items():
                self._add(track_id, Note(mood, times.get(track_id), reasons.get(track_id, "")))

    def forget_before(self, before: float) -> int:
        """The privacy retention: drop the notes made before `before` (and those of unknown time);
        returns how many went."""
        with self._lock:
            old = [t for t, n in self._notes.items() if n.at is None or n.at < before]
            for track_id in old:
                del self._notes[track_id]
        return len(old)

    def clear(self) -> None:
        with self._lock:
            self._notes.clear()
