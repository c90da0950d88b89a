"""The reaction policy: when a mood change re-plans the queue, and when it cuts the current track.

Pure functions (no clock, no I/O) so the rule can be read and tested on its own:
- a new stable mood (the filter announced a change to a real mood) re-plans the queue at once;
- the current track is crossfaded away only when it clearly clashes: the best new pick sits far from
  it in the valence/arousal plane (further than `clash_distance`) — a song that still roughly fits
  plays to its end, because cutting music is itself unpleasant.
"""

from __future__ import annotations

import math

from moodspeaker.library.track import Track
from moodspeaker.mood.classes import UNKNOWN

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
