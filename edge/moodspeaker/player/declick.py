"""Stopping a mixer channel while it sounds without a click: a short ramp down instead of a step.

Why a module of its own: pygame's `Channel.stop` ends the sound on the sample it reached, which the
speaker hears as a click when the level there is not zero (the fading tail of a crossfade a Next cuts
short, a track a Next with no crossfade cuts).  `Channel.fadeout` ramps it down, but the channel is
busy meanwhile and plays its queued chunk after the ramp; `ramp_down` deals with both.
"""

from __future__ import annotations

from typing import Any

import pygame

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
