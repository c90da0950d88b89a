"""Stopping a mixer channel while it sounds without a click: a short ramp down instead of a step.

Why a module of its own: pygame's `Channel.stop` ends the sound on the sample it reached, which the
speaker hears as a click when the level there is not zero (the fading tail of a crossfade a Next cuts
short, a track a Next with no crossfade cuts).  `Channel.fadeout` ramps it down, but the channel is
busy meanwhile and plays its queued chunk after the ramp; `ramp_down` deals with both.

A deck whose channel ramps down goes on at once on a spare channel (`Channels.stop_soft`).  Two
spares: a switch during a crossfade ramps two channels down together (the fading tail, then the
track it cuts), and a second Next can land within a ramp; a spare still ramping is not taken.
pygame's pause and resume step the same way: `VolumeRamp` ramps the deck channels' volume first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pygame

from moodspeaker.player.deck import RATE

#: Channels reserved: one per deck and two spares.
RESERVED = 4
#: How long a channel stopped while it sounds takes to ramp down.
DECLICK_S = 0.2
#: What replaces the chunk queued on a ramping channel (pygame plays it when the fade ends).
_SILENCE_BYTES = bytes(4 * 64)


def ramp_down(channel: Any, spare: Any, left_s: float | None = None) -> bool:
    """Ramp `channel` down over `DECLICK_S`, its queued chunk dropped; `spare` (a channel whose own
    ramp, if any, is over or nearly so) is stopped to take its place.  False when `channel` is silent
    (nothing to ramp: stopped at once, and the caller keeps it).

    `left_s`: how long the chunk playing has left.  Less than a ramp, the fade would not outlast it:
    its end stops the fade, at the level reached, and the queued chunk plays on at that level (a
    silent one: a step to nothing).  Then the chunk plays out and the first `DECLICK_S` of the queued
    one follow, ramped down in their samples."""
    if not channel.get_busy():
        channel.stop()
        return False
    spare.stop()
    queued = channel.get_queue()
    if left_s is not None and left_s < DECLICK_S and queued is not None:
        channel.queue(_faded(queued))
        return True
    channel.queue(pygame.mixer.Sound(buffer=_SILENCE_BYTES))
    channel.fadeout(int(DECLICK_S * 1000))
    return True


def _faded(sound: Any) -> Any:
    """The first `DECLICK_S` of `sound` (16-bit stereo), ramped from its level down to nothing."""
    samples = np.frombuffer(sound.get_raw(), np.int16).reshape(-1, 2)[: int(DECLICK_S * RATE)]
    ramp = np.linspace(1.0, 0.0, len(samples), dtype=np.float32)[:, None]
    return pygame.mixer.Sound(buffer=(samples * ramp).astype(np.int16).tobytes())


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

    def stop(self, index: int, *, soft: bool, volume: float, left_s: float | None = None) -> None:
        """Stop deck `index`'s channel: at once, or (`soft`) ramped down (`ramp_down`, `left_s`), the
        deck going on at once on a spare not busy ramping (else the one whose ramp began first) set
        to `volume`."""
        ch = self.decks[index]
        if not soft or not self.spares:
            ch.stop()
            return
        spare = next((s for s in self.spares if not s.get_busy()), self.spares[0])
        if ramp_down(ch, spare, left_s):
            self.spares.remove(spare)
            self.spares.append(ch)  # the latest ramp goes last: the first taken when all are busy
            self.decks[index] = spare
            spare.set_volume(volume)


class VolumeRamp:
    """The deck channels' volume ramped to silence before pygame's mixer pauses, and back up after it
    resumes: pausing (or resuming) on a sample stepped from the level there to nothing (a click).
    A full ramp takes `DECLICK_S`, as a channel's `ramp_down` does; one turned back halfway (Play
    pressed while the pause ramps down) takes as much less.  SDL_mixer applies a channel's volume
    once per output buffer, so the ramp is a staircase of small steps, not a smooth curve."""

    def __init__(self) -> None:
        self.gain = 1.0  # the share of the player's volume the channels are at
        self._from = self._target = 1.0
        self._start = 0.0

    @property
    def moving(self) -> bool:
        return self.gain != self._target

    @property
    def left_s(self) -> float:
        """How long until the ramp reaches its target."""
        return abs(self._target - self.gain) * DECLICK_S

    def start(self, target: float, now: float) -> None:
        """Ramp from the gain reached to `target` (0 or 1), from monotonic time `now`."""
        self._from, self._target, self._start = self.gain, target, now

    def step(self, channels: Channels, volume: float, now: float) -> bool:
        """Set the deck channels to their share of `volume` at `now`; True once the target is reached."""
        span = abs(self._target - self._from) * DECLICK_S
        done = now - self._start >= span
        share = 1.0 if done else (now - self._start) / span
        self.gain = self._from + (self._target - self._from) * share
        for ch in channels:
            ch.set_volume(volume * self.gain)
        return done

    def reset(self, channels: Channels | None = None, volume: float = 1.0) -> None:
        """Back to full volume with no ramp, the deck `channels` (if given) set to `volume`."""
        self.gain = self._from = self._target = 1.0
        for ch in channels or ():
            ch.set_volume(volume)
