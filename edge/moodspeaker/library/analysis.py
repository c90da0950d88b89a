"""Analyse one file: decode excerpts, measure loudness at the native rate, extract features.

This is what a worker process runs per track.  It returns plain data (picklable) and raises
`DecodeError`/`AnalysisError` with a reason that the index records (without the path, which is
printed next to it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from moodspeaker.library.audio import DecodeError, read_excerpts, to_mono
from moodspeaker.library.features import SR, analyse_windows
from moodspeaker.library.loudness import integrated_loudness


class AnalysisError(Exception):
    """Decoded, but the features could not be computed (e.g. silence or far too short)."""


@dataclass(frozen=True)
class Analysis:
    features: dict[str, float]
    duration_s: float


def analyse_file(path: str | os.PathLike[str], excerpt_s: float = 20.0, count: int = 3) -> Analysis:
    """Features of one file (excerpt_s <= 0 analyses the whole file)."""
    excerpts = read_excerpts(path, excerpt_s, count)
    loudness = integrated_loudness(excerpts.windows, excerpts.samplerate)
    mono = [to_mono(w, excerpts.samplerate, SR) for w in excerpts.windows]
    peak = max(float(np.max(np.abs(m))) if m.size else 0.0 for m in mono)
    if peak < 1e-4:
        raise AnalysisError("silent (peak below -80 dBFS)")
    try:
        features = analyse_windows(mono, SR)
    except ValueError as exc:
        raise AnalysisError(str(exc)) from exc
    features["loudness_lufs"] = loudness
    features["peak"] = peak  # of the mono mix at SR: the silence check's
    # the largest sample of any channel at the file's own rate, which playback's loudness boost must
    # keep under the limiter's knee (Track.peak): the mono mix's is lower wherever the channels differ
    # (named "peak_..." so that emotion_fit leaves it out of the mood model, as "peak")
    features["peak_channels"] = max(float(np.max(np.abs(w))) if w.size else 0.0 for w in excerpts.windows)
    return Analysis(features, excerpts.duration_s)


__all__ = ["Analysis", "AnalysisError", "DecodeError", "analyse_file"]
