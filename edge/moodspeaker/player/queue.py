"""The play queue: what comes next and why (pure; no audio, no clock)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from moodspeaker.library.track import Track


@dataclass(frozen=True)
class QueueItem:
    """A track to play and the recommender's reason for it (shown on the page, sent over MQTT).

    `again`: queued on purpose while that track plays, because it is the only one the recommender may
    offer (a one-track library, or every other track rejected): it repeats without a gap.  The player
    keeps such an item in a new queue although it is the track playing (any other copy of the track
    playing is a plan made from a stale status, and dropped), and a Next on the track drops it.

    `start_s`: where it starts playing.  A track opened at a position (resumed after a restart) but
    cut before it was heard (a switch came first) goes back to the queue with that position, so it
    resumes there when it plays, and a save keeps it; the play opened from it starts from 0 again
    (`DeckMixer.start_next`), so the track heard, replayed or put back later carries none."""

    track: Track
    reason: str = ""
    again: bool = False
    start_s: float = 0.0

    def at(self, start_s: float) -> QueueItem:
        """This item starting at `start_s` when it plays (itself when that changes nothing)."""
        return self if start_s == self.start_s else dataclasses.replace(self, start_s=max(0.0, start_s))


def retracked(item: QueueItem, tracks: Mapping[str, Track]) -> QueueItem:
    """`item` with the track `tracks` holds under its track's id, its reason, repeat and start kept
    (itself when `tracks` has none for it or the same track): a file moved or retagged since it was
    queued keeps its id (library.moved) and plays from its new place, with its new tags."""
    track = tracks.get(item.track.id)
    return item if track is None or track == item.track else dataclasses.replace(item, track=track)


class Retrack:
    """`retracked` for every place one rescan's `tracks` reach (the queue, the item to resume, the
    plays on the decks, the play history): the same new item for the same item, since the player
    tells an item held in two places apart by its identity (a play and the one it continues, the
    item a hang was recorded for)."""

    def __init__(self, tracks: Mapping[str, Track]) -> None:
        self.tracks = tracks
        self._done: dict[int, tuple[QueueItem, QueueItem]] = {}  # id(item): (item, its new item)

    def __call__(self, item: QueueItem) -> QueueItem:
        done = self._done.get(id(item))
        if done is not None and done[0] is item:
            return done[1]
        new = retracked(item, self.tracks)
        self._done[id(item)] = (item, new)  # the item kept: its id is not reused meanwhile
        return new


class PlayQueue:
    """An ordered list of upcoming items; the player takes from the front."""

    def __init__(self, items: Iterable[QueueItem] = ()) -> None:
        self._items: list[QueueItem] = list(items)

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[QueueItem]:
        return list(self._items)

    def replace(self, items: Iterable[QueueItem]) -> None:
        """Re-plan: the new items replace everything upcoming (a new mood means a new plan)."""
        self._items = list(items)

    def extend(self, items: Iterable[QueueItem]) -> None:
        have = {i.track.id for i in self._items}
        for item in items:
            if item.track.id not in have:
                self._items.append(item)
                have.add(item.track.id)

    def drop_again(self, track_id: str) -> None:
        """A Next moved on from `track_id`: its repeat queued while it played goes too."""
        self._items = [i for i in self._items if not (i.again and i.track.id == track_id)]

    def push_front(self, item: QueueItem) -> None:
        self._items.insert(0, item)

    def pop(self) -> QueueItem | None:
        return self._items.pop(0) if self._items else None

    def peek(self) -> QueueItem | None:
        return self._items[0] if self._items else None

    def clear(self) -> None:
        self._items.clear()
