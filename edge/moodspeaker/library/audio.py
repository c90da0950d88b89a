"""Decoding excerpts of an audio file into numpy arrays.

libsndfile (through soundfile) reads WAV, FLAC, OGG Vorbis/Opus and MP3 and can seek, so only the
excerpts are decoded.  Anything it cannot open (M4A/AAC, odd MP3s) goes through an `ffmpeg`
subprocess when ffmpeg is installed.  Every failure becomes a `DecodeError` whose message is one
sentence saying what is wrong, so the index can record the reason and the scan can go on.  The message
never names the file: the index, `moodspeaker index` and `library stats` print it next to its path,
and a path inside the reason showed it three times.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import librosa
import mutagen
import numpy as np
import soundfile as sf

from moodspeaker.library.adts import adts_info, is_adts
from moodspeaker.library.ffmpegpcm import PcmHeaderError, pcm_command, read_wav_header
from moodspeaker.library.pcmheader import audio_chunk
from moodspeaker.library.suffixes import FFMPEG_SUFFIXES


class DecodeError(Exception):
    """The file could not be decoded; the message is the reason recorded in the index (no path)."""


class _OpenError(DecodeError):
    """The decoder did not recognise the data at all (as opposed to a file that opened but is bad)."""


class _CutShortError(DecodeError):
    """The header states more audio than the file holds: no other decoder can find the rest."""


#: libsndfile's answer for data it does not recognise as any format; on a file that exists it only
#: misleads ("File does not exist or is not a regular file (possibly a pipe?)")
_MISLEADING = re.compile(r"file does not exist or is not a regular file.*", re.IGNORECASE)
_UNREADABLE = "not a readable audio file (corrupt or unsupported)"

#: How long one ffmpeg call (one excerpt) may run: a few seconds normally, even on a Pi.  One past it
#: is stuck (a loop on corrupt data) and killed, and the file fails saying so; a worker stuck anywhere
#: else is stopped by the pool's own, longer bound (library.workers).
FFMPEG_TIMEOUT_S = 120.0


def _short(reason: str, path: Path) -> str:
    """A decoder's message without the file name in it and without libsndfile's misleading text."""
    text = reason.replace(f"Error opening {str(path)!r}: ", "").replace(str(path), "").strip()
    text = _MISLEADING.sub("", text).strip(" :;.")
    if text.lower().startswith("error : unknown error"):
        return ""
    return text.removeprefix("Error : ")  # libsndfile's "Error : flac decoder lost sync"


def file_reason(exc: BaseException, path: str | os.PathLike[str]) -> str:
    """Any error about a file as a reason printed next to its path: without the path ("[Errno 13]
    Permission denied: '/music/a.mp3'" printed the path twice), OS errors as "cannot read the file:
    Permission denied"."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot read the file: {exc.strerror}"
    text = str(exc).replace(repr(os.fspath(path)), "").replace(os.fspath(path), "").strip(" :;.")
    return text or type(exc).__name__


@dataclass(frozen=True)
class Excerpts:
    """Decoded windows of one file at its native sample rate, shape (channels, samples) each."""

    windows: list[np.ndarray]
    samplerate: int
    duration_s: float


def excerpt_starts(duration_s: float, excerpt_s: float, count: int = 3) -> list[tuple[float, float]]:
    """Where the excerpts lie: the whole file when short, else `count` windows at 20/50/80 %.

    Windows avoid the very start and end (intros and fade-outs say little about a track's mood).
    Returns (start, length) pairs in seconds.
    """
    if duration_s <= 0:
        return []
    if excerpt_s <= 0 or duration_s <= excerpt_s * count:
        return [(0.0, duration_s)]
    spots = np.linspace(0.2, 0.8, count) if count > 1 else np.array([0.5])
    out = []
    for spot in spots:
        start = min(max(0.0, spot * duration_s - excerpt_s / 2), duration_s - excerpt_s)
        out.append((float(start), float(excerpt_s)))
    return out


def read_excerpts(
    path: str | os.PathLike[str],
    excerpt_s: float,
    count: int = 3,
    *,
    ffmpeg_timeout_s: float = FFMPEG_TIMEOUT_S,
) -> Excerpts:
    """Decode `count` excerpts of `excerpt_s` seconds (0 or a short file: the whole file)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise DecodeError(f"cannot read the file: {exc.strerror or exc}") from exc
    if st.st_size == 0 and stat.S_ISREG(st.st_mode):
        raise DecodeError("empty file (0 bytes)")
    try:
        return _read_soundfile(p, excerpt_s, count)
    except _CutShortError:
        raise
    except DecodeError as first:
        if shutil.which("ffmpeg") is None:
            if isinstance(first, _OpenError):
                suffix = p.suffix.lower()
                needs = suffix in FFMPEG_SUFFIXES
                hint = f"{suffix} files need ffmpeg, which is not installed" if needs else ""
                raise DecodeError(_unreadable(str(first), hint)) from first
            raise
        try:
            return _read_ffmpeg(p, excerpt_s, count, ffmpeg_timeout_s)
        except DecodeError as second:
            if not isinstance(first, _OpenError):
                raise first from second  # it opened: what libsndfile found wrong is the reason
            raise DecodeError(_unreadable(str(first), _short(str(second), p))) from second


def _unreadable(*reasons: str) -> str:
    """One sentence for data no decoder could read, with the decoders' own short reasons."""
    said = [r for r in dict.fromkeys(reasons) if r]
    return f"{_UNREADABLE}: {'; '.join(said)}" if said else _UNREADABLE


#: a window decoded to less than this share of its length ends before the header says the file does
_CUT_SHORT = 0.75


def _check_window(start: float, length: float, got_s: float, duration: float) -> None:
    """A file whose audio stops well before the length its header states is cut short (an interrupted
    copy or download): analysed, it was indexed with the header's length, picked, and played a few
    seconds of the song (or failed half-way) on the speaker."""
    if got_s < length * _CUT_SHORT:
        raise DecodeError(
            f"cut short: the audio stops at {start + got_s:.1f} s of the {duration:.1f} s its header "
            "states (an interrupted copy?)"
        )


#: a WAV or AIFF may miss this much of the audio its header states (a writer's rounding) and still pass
_HEADER_SLACK_S = 1.0


def _check_header(path: Path, duration: float) -> None:
    """A WAV or AIFF whose audio chunk ends before the size its header states is cut short: libsndfile
    counts its frames from the bytes there, so the windows never come up short, while the index took
    the header's length (mutagen) and the file was analysed."""
    chunk = audio_chunk(path)
    if chunk is None:
        return
    stated = chunk.stated_s(path.stat().st_size, duration)
    if stated - duration > _HEADER_SLACK_S:
        raise _CutShortError(
            f"cut short: the audio stops at {duration:.1f} s of the {stated:.1f} s its header states "
            "(an interrupted copy?)"
        )


def _read_soundfile(path: Path, excerpt_s: float, count: int) -> Excerpts:
    try:
        f = sf.SoundFile(str(path))
    except Exception as exc:  # libsndfile reports unrecognised data with several exception types
        raise _OpenError(_short(str(exc), path)) from exc
    try:
        with f:
            sr = int(f.samplerate)
            frames = int(f.frames)
            if sr <= 0:
                raise DecodeError(f"invalid sample rate {sr}")
            duration = frames / sr
            _check_header(path, duration)
            windows: list[np.ndarray] = []
            for start, length in excerpt_starts(duration, excerpt_s, count):
                if f.seekable():
                    f.seek(int(start * sr))
                elif windows:
                    break
                data = f.read(int(length * sr), dtype="float32", always_2d=True)
                if f.seekable():  # an unseekable stream's length is a guess
                    _check_window(start, length, len(data) / sr, duration)
                if data.size:
                    windows.append(np.ascontiguousarray(data.T))
    except DecodeError:
        raise
    except Exception as exc:  # corrupt data after a good header, with several exception types
        raise DecodeError(f"corrupt audio data: {_short(str(exc), path) or type(exc).__name__}") from exc
    if not windows or sum(w.shape[1] for w in windows) < sr // 2:
        raise DecodeError("no audio (shorter than half a second or truncated)")
    _check_finite(path, windows)
    return Excerpts(windows, sr, duration)


def _probe_duration(path: Path) -> tuple[float, int, int]:
    """Duration, sample rate and channels from the container's tags (mutagen), or counted frame by
    frame for raw AAC (see library.adts: mutagen's estimate can be many times too long)."""
    if is_adts(path):
        adts = adts_info(path)
        if adts is None:
            raise DecodeError("no whole AAC frame in the file")
        return adts.duration_s, adts.sample_rate, adts.channels
    try:
        info = mutagen.File(str(path))
    except Exception as exc:
        # mutagen's own verdict ("can't sync to MPEG frame") helps; the name it quotes first ("'x.flac'
        # is not a valid FLAC file") repeats the path; a parser error it wraps ("'ascii' codec can't
        # decode byte 0xfb") or raises means no more than "not recognised"
        own = isinstance(exc, mutagen.MutagenError) and exc.__context__ is None
        detail = re.sub(r"^'[^']*' is ", "", str(exc).strip()) if own else ""
        raise DecodeError(
            f"cannot read the container: {detail}" if detail else "container not recognised"
        ) from exc
    if info is None or getattr(info, "info", None) is None:
        raise DecodeError("unsupported or unrecognised format")
    duration = float(getattr(info.info, "length", 0.0) or 0.0)
    sr = int(getattr(info.info, "sample_rate", 0) or 44100)
    channels = int(getattr(info.info, "channels", 0) or 2)
    return duration, sr, min(max(channels, 1), 2)


def _read_ffmpeg(path: Path, excerpt_s: float, count: int, timeout_s: float) -> Excerpts:
    duration, sr, _ = _probe_duration(path)
    if duration <= 0:
        raise DecodeError("duration unknown or zero")
    windows = []
    for start, length in excerpt_starts(duration, excerpt_s, count):
        # the player's command (library.ffmpegpcm): the file's own channels, as libsndfile gives them
        cmd = pcm_command("ffmpeg", path, sr, start_s=start, length_s=length)
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:  # it was killed; its message held the whole command
            raise DecodeError(f"ffmpeg did not finish in {timeout_s:g} s (stuck on corrupt data?)") from exc
        except OSError as exc:
            raise DecodeError(f"ffmpeg failed: {exc}") from exc
        if proc.returncode != 0:
            lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise DecodeError(lines[-1] if lines else f"exit status {proc.returncode}")
        out = io.BytesIO(proc.stdout)
        try:
            channels = read_wav_header(out.read)
        except PcmHeaderError as exc:
            raise DecodeError(str(exc)) from exc
        data = np.frombuffer(out.read(), dtype="<f4")
        usable = data.size - data.size % channels
        _check_window(start, length, usable / channels / sr, duration)
        if usable:
            windows.append(np.ascontiguousarray(data[:usable].reshape(-1, channels).T))
    if not windows or sum(w.shape[1] for w in windows) < sr // 2:
        raise DecodeError("no audio decoded")
    _check_finite(path, windows)
    return Excerpts(windows, sr, duration)


def _check_finite(path: Path, windows: list[np.ndarray]) -> None:
    for w in windows:
        if not np.all(np.isfinite(w)):
            raise DecodeError("decoded samples are not finite (corrupt data)")


def to_mono(window: np.ndarray, samplerate: int, target_sr: int) -> np.ndarray:
    """Down-mix and resample one (channels, samples) window to mono float32 at `target_sr`."""
    mono = window.mean(axis=0) if window.ndim == 2 else window
    if samplerate != target_sr:
        mono = librosa.resample(mono, orig_sr=samplerate, target_sr=target_sr, res_type="soxr_hq")
    return np.ascontiguousarray(mono, dtype=np.float32)
