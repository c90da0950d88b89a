"""Analyse one file: decode excerpts, measure loudness at the native rate, extract features.

This is what a worker process runs per track.  It returns plain data (picklable) and raises
`DecodeError`/`AnalysisError` with a reason that the index records (without the path, which is
printed next to it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from moodspeaker.library.audio import DecodeError, read_excerpts, to_mono
from moodspeaker.library.downmix import downmix_matrix
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
    heard = _as_played(excerpts.windows, path)
    loudness = integrated_loudness(heard, excerpts.samplerate)
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
    features["peak_channels"] = max(float(np.max(np.abs(w))) if w.size else 0.0 for w in heard)
    return Analysis(features, excerpts.duration_s)


def _as_played(windows: list[np.ndarray], path: str | os.PathLike[str]) -> list[np.ndarray]:
    """The excerpts as the player plays them, for the loudness and the peak it normalises with: a file
    of 3 or more channels downmixed to stereo by the player's matrix (library.downmix).  Measured on
    all its channels, a 5.1 file's loudness was that of six speakers, about 8 dB above the stereo the
    player makes of it, so it played that much under the target.  (ffmpeg's excerpts come with the
    file's own channels, as the player's ffmpeg decoder gets them, library.ffmpegpcm, and are downmixed
    here the same way.)  The mood features keep all channels."""
    channels = max(w.shape[0] for w in windows)
    if channels <= 2:
        return windows
    try:
        container = str(sf.info(os.fspath(path)).format)  # the channel order (Ogg: Vorbis order)
    except Exception:  # libsndfile read the excerpts: it can read the header again; if not, WAV order
        container = "WAV"
    matrix = downmix_matrix(channels, container)
    return windows if matrix is None else [np.ascontiguousarray(matrix.T @ w) for w in windows]


__all__ = ["Analysis", "AnalysisError", "DecodeError", "analyse_file"]
