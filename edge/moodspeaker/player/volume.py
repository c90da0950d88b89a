"""The listener's volume (0..1: the page's slider, MQTT's number, `player.volume`) as the gain the
decoded samples are scaled by.

Why a module of its own: loudness is heard on a logarithmic scale, so a volume taken straight as the
amplitude put the whole top half of the slider within 6 dB (hardly a change) and every audible step
at its bottom.  The listener's value maps to amplitude along the cubic curve of alsamixer,
PulseAudio and GStreamer's cubic volume (half volume is -18 dB, a tenth -60 dB), so equal moves of
the slider sound about equally large.  Everything reported (the status, the page, MQTT) keeps the
listener's value; only the samples get the amplitude (`ChunkFeeder.set_volume`).

The gain goes into the samples, not onto SDL_mixer's channel volume: that one is an integer 0..128
(pygame drops the fraction, and a chunk's volume times the channel's is divided by 128 as integers),
so every volume under 25 % played at 1/128 (-42 dB) and the steps above it were 3-6 dB apart.
"""

from __future__ import annotations

#: The smallest gain above silence: the cube of the page slider's lowest step (5 %), -78 dB.  Normalised
#: music (-16 LUFS) there peaks at a few steps of the 16-bit output; a lower gain rounds to silence,
#: so MQTT's 1-4 % play as 5 % does rather than as nothing.
QUIETEST = 0.05**3


def output_gain(volume: float) -> float:
    """The amplitude (0..1) the listener's `volume` (0..1, clamped) plays at: its cube, at least
    `QUIETEST` above 0.  0 is silence, 1 full level, 0.5 an eighth of it (-18 dB)."""
    volume = min(1.0, max(0.0, volume))
    if volume == 0.0:
        return 0.0
    return max(QUIETEST, volume**3)
