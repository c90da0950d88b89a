"""What a lost audio device leaves on the decks: plays over, the play to resume, items never heard.

Why a module of its own: when the output goes, both decks are emptied at once, and each play on them
must be accounted for so that nothing the listener decided is undone and nothing queued is lost.
Sorting them out is bookkeeping over the decks (no pygame, no events), kept apart from the mixer
calls (`player.mixer`, which announces and queues what is sorted out here) so that it can be read
on its own; so is the rule for continuing the interrupted play when the device is back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from moodspeaker.player.deck import Deck, Play
from moodspeaker.player.queue import QueueItem


@dataclass
class Leftovers:
    """The plays on the decks when the device went, sorted out (`sort_out`)."""

    #: Plays whose end was decided before the device went (faded out by a Next, a switch or a
    #: crossfade, or decoded to their end): over, announced as decided, not resumed.
    over: list[Play] = field(default_factory=list)
    #: The play still going on and where it was heard: it resumes there with the device.
    going_on: tuple[Play, float] | None = None
    #: Items opened but never heard (taken as the next track just as the device went), in the order
    #: they were opened, with the position each was opened at: they are still to come.
    unheard: list[tuple[QueueItem, float]] = field(default_factory=list)


def sort_out(decks: Sequence[Deck], active: int, now: float) -> Leftovers:
    """Sort out the plays on `decks` (`active` the deck heard) as the device goes at monotonic time
    `now`; the part of each playing chunk heard by then is added to its play's `played_s`.  The
    decks are left as they are (the caller empties them)."""
    left = Leftovers()
    for deck in (decks[1 - active], decks[active]):  # the order they opened in
        heard_at = deck.decoded_s  # where the deck's decoding play is heard (none of it is out: here)
        chunk = deck.playing
        if chunk is not None:  # the part of the chunk heard counts as played
            elapsed = min(chunk.dur_s, max(0.0, now - deck.chunk_started))
            chunk.play.played_s += elapsed
            heard_at = chunk.offset_s + elapsed
        current = deck.play if not deck.env_stop_at_zero else None
        for play in deck.plays():
            if not play.started:
                first = next((c for c in (deck.playing, deck.queued) if c and c.play is play), None)
                left.unheard.append((play.item, first.offset_s if first is not None else deck.decoded_s))
            elif play is current:
                left.going_on = (play, heard_at)
            else:
                left.over.append(play)
    return left


def continued(interrupted: Play | None, item: QueueItem) -> Play | None:
    """The play `item` continues when it resumes: the one the lost device interrupted, if `item` is
    that play's item, else None (a new play).  A resume is the same play heard in two parts: it is
    not announced as started again, and its end counts the time heard in both (`Play.played_s`)."""
    if interrupted is None or interrupted.item is not item:
        return None
    interrupted.completed = interrupted.skipped = interrupted.decoding_done = False
    return interrupted
