"""Stopping a mixer channel while it sounds without a click: a short ramp down instead of a step.

Why a module of its own: pygame's `Channel.stop` ends the sound on the sample it reached, which the
speaker hears as a click when the level there is not zero (the fading tail of a crossfade a Next cuts
short, a track a Next with no crossfade cuts).  `Channel.fadeout` ramps it down, but the channel is
busy meanwhile and plays its queued chunk after the ramp; `ramp_down` deals with both.

A deck whose channel ramps down goes on at once on a spare channel (`Channels.stop_soft`).  Two
spares: a switch during a crossfade ramps two channels down together (the fading tail, then the
track it cuts), and a second Next can land within a ramp; a spare still ramping is not taken.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pygame

#: Channels reserved: one per deck and two spares.
RESERVED = 4
#: How long a channel stopped while it sounds takes to ramp down.
DECLICK_S = 0.2
#: What replaces the chunk queued on a ramping channel (pygame plays it when the fade ends).
_SILENCE_BYTES = bytes(4 * 64)


def ramp_down(channel: Any, spare: Any) -> bool:
    """Ramp `channel` down over `DECLICK_S`, its queued chunk dropped; `spare` (a channel whose own
    ramp, if any, is over or nearly so) is stopped to take its place.  False when `channel` is silent
    (nothing to ramp: stopped at once, and the caller keeps it)."""
    if not channel.get_busy():
        channel.stop()
        return False
    spare.stop()
    channel.queue(pygame.mixer.Sound(buffer=_SILENCE_BYTES))
    channel.fadeout(int(DECLICK_S * 1000))
    return True


class Channels:
    """The mixer channels: one per deck (`decks`; indexed by deck, as the holder itself is) and the
    spares a ramping channel is swapped with.  Empty while the mixer is closed."""

    def __init__(self) -> None:
        self.decks: list[Any] = []
        self.spares: list[Any] = []

    def __getitem__(self, index: int) -> Any:
        return self.decks[index]

    def __len__(self) -> int:
        return len(self.decks)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.decks)

    def open(self, volume: float) -> None:
        """Reserve the channels (the mixer just opened) at `volume`."""
        pygame.mixer.set_num_channels(max(RESERVED, pygame.mixer.get_num_channels()))
        pygame.mixer.set_reserved(RESERVED)
        channels = [pygame.mixer.Channel(i) for i in range(RESERVED)]
        for ch in channels:
            ch.set_volume(volume)
        self.decks, self.spares = channels[:2], channels[2:]

    def close(self) -> None:
        self.decks, self.spares = [], []

    def stop(self, index: int, *, soft: bool, volume: float) -> None:
        """Stop deck `index`'s channel: at once, or (`soft`) ramped down, the deck going on at once on
        a spare not busy ramping (else the one whose ramp began first) set to `volume`."""
        ch = self.decks[index]
        if not soft or not self.spares:
            ch.stop()
            return
        spare = next((s for s in self.spares if not s.get_busy()), self.spares[0])
        if ramp_down(ch, spare):
            self.spares.remove(spare)
            self.spares.append(ch)  # the latest ramp goes last: the first taken when all are busy
            self.decks[index] = spare
            spare.set_volume(volume)
