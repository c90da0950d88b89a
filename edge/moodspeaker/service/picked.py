"""Which mood each recently queued track was picked for.

Why: the first mood read after a restart counts as a change (from unknown) and re-plans; a restored track
picked for that very mood must not be cut as a clash.  The conductor notes the mood of every plan it
applies, and state.json carries the notes of the tracks playing and queued across a restart.  Pure
bookkeeping: the conductor's lock guards it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

#: Tracks whose pick mood is remembered (the oldest forgotten first): far more than a queue holds.
PICKED_KEPT = 200


class PickedFor:
    def __init__(self, kept: int = PICKED_KEPT) -> None:
        self._kept = kept
        self._moods: OrderedDict[str, str] = OrderedDict()  # track id -> the mood it was picked for

    def get(self, track_id: str) -> str | None:
        return self._moods.get(track_id)

    def of(self, track_ids: Iterable[str]) -> dict[str, str]:
        """The moods `track_ids` were picked for, as far as known."""
        return {t: self._moods[t] for t in track_ids if t in self._moods}

    def remember(self, picked: dict[str, str]) -> None:
        """Note `picked` (track id -> mood) as the latest; the oldest notes beyond `kept` go."""
        for track_id, mood in picked.items():
            self._moods.pop(track_id, None)
            self._moods[track_id] = mood
        while len(self._moods) > self._kept:
            self._moods.popitem(last=False)

    def clear(self) -> None:
        self._moods.clear()
