"""The reaction policy: when a mood change re-plans the queue, and when it cuts the current track.

Pure functions (no clock, no I/O) so the rule can be read and tested on its own:
- a new stable mood (the filter announced a change to a real mood) re-plans the queue at once;
- the current track is crossfaded away only when it clearly clashes: the best new pick sits far from
  it in the valence/arousal plane (further than `clash_distance`) — a song that still roughly fits
  plays to its end, because cutting music is itself unpleasant;
- music of a mood asked for ("play something happy") is different: the listener expects the music to
  change now, so the current track is cut unless it fits the mood asked for (`misfits_asked`).  A
  mellow track picked for a sad face stayed under the clash rule (the best happy pick of a library may
  sit within `clash_distance` of it) and played on until skipped.
"""

from __future__ import annotations

import math

from moodspeaker.library.track import Track
from moodspeaker.mood.classes import UNKNOWN
from moodspeaker.mood.filter import MoodState

#: Strategies under which a mood change never interrupts a track.
NO_INTERRUPT = frozenset({"steady", "off"})


def replan_on(mood: str, changed: bool) -> bool:
    """A changed mood that is a real mood (not `unknown`) re-plans the queue."""
    return changed and mood != UNKNOWN


def va_distance(a: Track, b: Track) -> float:
    return math.hypot(a.valence - b.valence, a.arousal - b.arousal)


def clashes(current: Track, best_new: Track, *, clash_distance: float, strategy: str) -> bool:
    """True when `current` is clearly wrong for the new mood (so switching is worth the cut)."""
    if strategy in NO_INTERRUPT or current.id == best_new.id:
        return False
    return va_distance(current, best_new) > clash_distance


def misfits_asked(
    current: Track, best_new: Track, asked: tuple[float, float], *, clash_distance: float, strategy: str
) -> bool:
    """True when `current` does not fit the mood asked for (its valence/arousal point `asked`): it is
    further than half `clash_distance` from it and further than the best new pick is."""
    if strategy in NO_INTERRUPT or current.id == best_new.id:
        return False
    off = math.hypot(current.valence - asked[0], current.arousal - asked[1])
    return off > clash_distance / 2 and off > math.hypot(
        best_new.valence - asked[0], best_new.arousal - asked[1]
    )


def cuts(current: Track, best_new: Track, mood: MoodState, *, clash_distance: float, strategy: str) -> bool:
    """Whether a new `mood` cuts `current` for `best_new`: when it clashes, or (music of a mood asked
    for) when it does not fit the mood asked for."""
    return clashes(current, best_new, clash_distance=clash_distance, strategy=strategy) or (
        mood.asked
        and misfits_asked(
            current, best_new, (mood.valence, mood.arousal), clash_distance=clash_distance, strategy=strategy
        )
    )
