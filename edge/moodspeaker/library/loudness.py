"""Integrated loudness after ITU-R BS.1770-4 (K-weighting, 400 ms blocks, absolute and relative gates).

Pure numpy/scipy, so the device needs no extra package.  The K-weighting filters are designed for
any sample rate with the bilinear-transform formulas of libebur128, which reproduce the standard's
48 kHz coefficients exactly.  Loudness of several excerpts is gated over the union of their blocks,
which approximates the whole track's integrated loudness.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.signal import lfilter

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
SILENCE_LUFS = -70.0  # reported for silent input (below the absolute gate)


def k_weighting(samplerate: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(b1, a1, b2, a2): the pre-filter (high shelf) and RLB high-pass of BS.1770 at `samplerate`."""
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / samplerate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    b_shelf = np.array(
        [(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
    )
    a_shelf = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / samplerate)
    a0 = 1.0 + k / q + k * k
    b_hp = np.array([1.0, -2.0, 1.0])
    a_hp = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    return b_shelf, a_shelf, b_hp, a_hp


def block_powers(window: np.ndarray, samplerate: int) -> np.ndarray:
    """Channel-summed mean square of each 400 ms gating block (75 % overlap) of one excerpt.

    `window` is (channels, samples) or (samples,); channel weights are 1 (L, R, C).
    """
    x = np.atleast_2d(np.asarray(window, dtype=np.float64))
    b1, a1, b2, a2 = k_weighting(samplerate)
    y = lfilter(b2, a2, lfilter(b1, a1, x, axis=1), axis=1)
    block = round(0.4 * samplerate)
    step = round(0.1 * samplerate)
    n = y.shape[1]
    if n < block:
        return np.zeros(0)
    csum = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(y * y, axis=1)], axis=1)
    starts = np.arange(0, n - block + 1, step)
    per_channel = (csum[:, starts + block] - csum[:, starts]) / block
    result: np.ndarray = per_channel.sum(axis=0)
    return result


def gated_loudness(powers: np.ndarray) -> float:
    """Integrated loudness (LUFS) from block powers, with the absolute and relative gates."""
    if powers.size == 0:
        return SILENCE_LUFS
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(powers)
    kept = powers[block_lufs > ABSOLUTE_GATE_LUFS]
    if kept.size == 0:
        return SILENCE_LUFS
    relative = -0.691 + 10.0 * math.log10(float(kept.mean())) + RELATIVE_GATE_LU
    with np.errstate(divide="ignore"):
        kept_lufs = -0.691 + 10.0 * np.log10(kept)
    final = kept[kept_lufs > relative]
    if final.size == 0:
        return SILENCE_LUFS
    return float(-0.691 + 10.0 * math.log10(float(final.mean())))


def integrated_loudness(windows: Sequence[np.ndarray], samplerate: int) -> float:
    """Integrated loudness (LUFS) over one or more excerpts at their native sample rate."""
    if not windows:
        return SILENCE_LUFS
    return gated_loudness(np.concatenate([block_powers(w, samplerate) for w in windows]))
