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

The same bookkeeping dates the explanations the picks were queued with, which quote the mood read
(service.forget: one older than the retention's cut-off is not reported): by track and explanation,
since an item of a track can stay held while a later plan queues the track again with another one (a
one-track library's repeat, a plan made from a status just outdated).

Thread-safe: the conductor notes plans under its own lock, the service reads the notes to save them and
to report explanations, and the retention trims them from a command's thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from moodspeaker.player.queue import QueueItem

#: Tracks whose pick mood is remembered (the oldest forgotten first): far more than a queue holds.
PICKED_KEPT = 200
#: Explanations whose time is remembered: a track playing or queued keeps its explanation reported
#: after a retention run only while its time is (service.forget), through many plans of a big library.
MADE_KEPT = 1000

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class Note:
    """What a track was last picked for: the mood, and when (`time.time()`; None: not known, older
    than any cut-off)."""

    mood: str
    at: float | None


def _put(entries: OrderedDict[K, V], key: K, value: V, kept: int) -> None:
    """`entries[key] = value` as the newest; the oldest beyond `kept` go."""
    entries.pop(key, None)
    entries[key] = value
    while len(entries) > kept:
        entries.popitem(last=False)


class PickedFor:
    def __init__(self, kept: int = PICKED_KEPT, made_kept: int = MADE_KEPT) -> None:
        self._kept, self._made_kept = kept, made_kept
        self._lock = threading.Lock()
        self._notes: OrderedDict[str, Note] = OrderedDict()  # track id -> its latest note, oldest first
        self._made: OrderedDict[tuple[str, str], float] = OrderedDict()  # (track id, explanation) -> when

    def get(self, track_id: str) -> str | None:
        """The mood `track_id` was last picked for (None: not known)."""
        with self._lock:
            note = self._notes.get(track_id)
        return None if note is None else note.mood

    def remember(self, items: Iterable[QueueItem], mood: str, at: float) -> None:
        """`items` were just applied, planned for `mood` at `at`: the latest notes."""
        with self._lock:
            for item in items:
                _put(self._notes, item.track.id, Note(mood, at), self._kept)
                if item.reason:
                    _put(self._made, (item.track.id, item.reason), at, self._made_kept)

    def saved(self, held: Iterable[QueueItem]) -> tuple[dict[str, str], dict[str, float]]:
        """What state.json keeps of the notes of the `held` items (playing, queued): the moods, and by
        track id the time of the explanation of the last held item of that track (the one `restore`
        pairs it with again), where known: no later than the note's, so the restored note is trimmed
        no later than it would have been (an item without an explanation: the note's)."""
        last = {item.track.id: item for item in held}
        with self._lock:
            moods = {t: self._notes[t].mood for t in last if t in self._notes}
            made = {t: self._time_of(t, last[t].reason) for t in moods}
        return moods, {t: at for t, at in made.items() if at is not None}

    def _time_of(self, track_id: str, reason: str) -> float | None:
        """When an item of `track_id` with the explanation `reason` was queued, where known (the lock
        held); without an explanation, the note's time."""
        return self._made.get((track_id, reason)) if reason else self._notes[track_id].at

    def restore(
        self, held: Iterable[QueueItem], moods: Mapping[str, str], times: Mapping[str, float]
    ) -> None:
        """The notes state.json kept (`saved`) for the restored `held` items; a note without a time is
        older than any cut-off (module doc)."""
        reasons = {item.track.id: item.reason for item in held}
        with self._lock:
            for track_id, mood in moods.items():
                at = times.get(track_id)
                _put(self._notes, track_id, Note(mood, at), self._kept)
                if at is not None and reasons.get(track_id):
                    _put(self._made, (track_id, reasons[track_id]), at, self._made_kept)

    def forget_before(self, before: float) -> int:
        """The privacy retention: drop the notes made before `before` (and those of unknown time), and
        the times of the explanations made before it; returns how many notes went."""
        with self._lock:
            old = [t for t, n in self._notes.items() if n.at is None or n.at < before]
            for track_id in old:
                del self._notes[track_id]
            for key in [k for k, at in self._made.items() if at < before]:
                del self._made[key]
        return len(old)

    def made_since(self, track_id: str, reason: str, since: float) -> bool:
        """Whether the explanation `reason` of an item of `track_id` is known to be made at or after
        `since`."""
        with self._lock:
            at = self._made.get((track_id, reason))
        return at is not None and at >= since

    def export(self) -> dict[str, list[dict[str, object]]]:
        """Every note kept, JSON-ready (the data export gives what is kept, not only the notes of the
        tracks held, which state.json saves): by track, the mood it was last picked for and when
        (`picks`), and when each explanation was queued (`explanations`), oldest first."""
        with self._lock:
            notes = list(self._notes.items())
            made = list(self._made.items())
        return {
            "picks": [{"track_id": t, "mood": n.mood, "at": n.at} for t, n in notes],
            "explanations": [{"track_id": t, "reason": r, "at": at} for (t, r), at in made],
        }

    def clear(self) -> None:
        with self._lock:
            self._notes.clear()
            self._made.clear()
