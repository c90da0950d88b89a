"""The listener's volume (0..1: the page's slider, MQTT's number, `player.volume`) as the gain the
mixer channels play at.

Why a module of its own: loudness is heard on a logarithmic scale, so a volume taken straight as the
channels' amplitude put the whole top half of the slider within 6 dB (hardly a change) and every
audible step at its bottom.  The listener's value maps to amplitude along the cubic curve of
alsamixer, PulseAudio and GStreamer's cubic volume (half volume is -18 dB, a tenth -60 dB), so equal
moves of the slider sound about equally large.  Everything reported (the status, the page, MQTT)
keeps the listener's value; only the channels get the amplitude (`ChunkFeeder.channel_volume`).
"""

from __future__ import annotations

#: The smallest gain a channel has above silence: SDL_mixer's channel volume is 0..128 (pygame drops
#: the fraction), so a lower amplitude would be silence for any volume the listener sets above 0.
QUIETEST = 1 / 128


def channel_gain(volume: float) -> float:
    """The amplitude (0..1) the listener's `volume` (0..1, clamped) plays at: its cube, at least
    `QUIETEST` above 0.  0 is silence, 1 full level, 0.5 an eighth of it (-18 dB)."""
    volume = min(1.0, max(0.0, volume))
    if volume == 0.0:
        return 0.0
    return max(QUIETEST, volume**3)
