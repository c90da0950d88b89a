"""Loudness normalisation: pure functions from a track's loudness figure to a gain and to samples.

The analyser measures integrated loudness (LUFS) once per track; playback only multiplies.  A ReplayGain
tag, when the file carries one, wins over our own figure because the listener (or their tagger) chose it.
Boosts are capped: at 12 dB, and, when the track's peak is known, so that the peak stays under the
limiter's knee (as ReplayGain players' clipping prevention caps a gain with the track's peak tag).  The
result goes through a soft limiter, so a peak the analysis did not see (it reads excerpts) never
clips; but the limiter bends the waveform, so it is the last resort: a quiet track with loud peaks
boosted into it came out distorted (a -30 LUFS track peaking at -1 dBFS: +12 dB, 34 % THD).
"""

from __future__ import annotations

import numpy as np

from moodspeaker.library.track import Track

#: ReplayGain 2.0's reference loudness; its gains are relative to this.
REPLAYGAIN_REFERENCE_LUFS = -18.0
MAX_BOOST_DB = 12.0
MAX_CUT_DB = -30.0
#: Above this sample magnitude (full scale = 1) the limiter starts bending the curve.
LIMIT_KNEE = 0.9
#: Room kept between a boosted peak and the knee: the peak is read from excerpts and at the file's
#: own rate, and resampling to the mixer's may overshoot it slightly.
PEAK_MARGIN_DB = 0.5


def gain_db(track: Track, target_lufs: float) -> float:
    """Gain that brings `track` to `target_lufs` (dB), from its ReplayGain tag or analysed loudness;
    a boost no larger than keeps the track's peak (when known) under the limiter's knee."""
    if track.replaygain_db is not None and np.isfinite(track.replaygain_db):
        # ReplayGain brings the track to -18 LUFS; shift that to our target.
        gain = track.replaygain_db + (target_lufs - REPLAYGAIN_REFERENCE_LUFS)
    elif np.isfinite(track.loudness_lufs):
        gain = target_lufs - track.loudness_lufs
    else:
        gain = 0.0
    gain = min(MAX_BOOST_DB, max(MAX_CUT_DB, gain))
    peak = track.peak
    if gain > 0 and peak is not None and np.isfinite(peak) and peak > 0:
        # only a boost is capped: a track already peaking past the knee is not cut for it (ReplayGain's
        # clipping prevention likewise limits a gain that would take the peak past full scale)
        gain = min(gain, max(0.0, 20.0 * float(np.log10(LIMIT_KNEE / peak)) - PEAK_MARGIN_DB))
    return float(gain)


def apply_gain(samples: np.ndarray, gain: float) -> np.ndarray:
    """Scale float samples (-1..1) by a linear `gain` and soft-limit peaks above the knee.

    The limiter is a tanh curve above `LIMIT_KNEE`, continuous in value and slope at the knee, so
    normal material passes untouched and only rare peaks are rounded off instead of clipped.
    """
    out = samples.astype(np.float32, copy=True)
    if gain != 1.0:
        out *= np.float32(gain)
    over = np.abs(out) > LIMIT_KNEE
    if np.any(over):
        head = 1.0 - LIMIT_KNEE
        excess = (np.abs(out[over]) - LIMIT_KNEE) / head
        out[over] = np.sign(out[over]) * (LIMIT_KNEE + head * np.tanh(excess))
    return out


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float -1..1 to interleaved-ready int16 (the mixer's sample format)."""
    return np.clip(np.rint(samples * 32767.0), -32768, 32767).astype(np.int16)


def db_to_linear(db: float) -> float:
    return float(10.0 ** (db / 20.0))
