"""Test audio made from numbers: click tracks of known tempo, major/minor chords, loud and quiet."""

from __future__ import annotations

import subprocess
from pathlib import Path

import mutagen
import numpy as np
import soundfile as sf

SR = 44100


def clicks(tempo: float, seconds: float, sr: int = SR, amp: float = 0.5) -> np.ndarray:
    """Decaying noise bursts on every beat, every fourth one accented; quiet noise floor between."""
    rng = np.random.default_rng(int(tempo))
    y = 0.003 * rng.standard_normal(int(seconds * sr))
    burst = rng.standard_normal(int(0.03 * sr)) * np.exp(-np.linspace(0, 8, int(0.03 * sr)))
    period = 60.0 / tempo
    for i, t in enumerate(np.arange(0, seconds - 0.05, period)):
        start = int(t * sr)
        y[start : start + burst.size] += burst * amp * (1.0 if i % 4 == 0 else 0.6)
    return y.astype(np.float32)


def chord(freqs: list[float], seconds: float, sr: int = SR, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    y = np.zeros_like(t)
    for f in freqs:
        for h, w in ((1, 1.0), (2, 0.4), (3, 0.2)):
            y += w * np.sin(2 * np.pi * f * h * t)
    out: np.ndarray = (amp * y / np.max(np.abs(y))).astype(np.float32)
    return out


def midi(n: int) -> float:
    return 440.0 * 2 ** ((n - 69) / 12)


C_MAJOR = [midi(48), midi(60), midi(64), midi(67), midi(72)]
A_MINOR = [midi(45), midi(57), midi(60), midi(64), midi(69)]


def song(kind: str, seconds: float = 6.0, sr: int = SR) -> np.ndarray:
    """A short 'track': happy = fast, loud, major; sad = slow, quiet, minor."""
    y: np.ndarray
    if kind == "happy":
        y = chord(C_MAJOR, seconds, sr, 0.35) + clicks(140, seconds, sr, 0.6)
    elif kind == "sad":
        y = chord(A_MINOR, seconds, sr, 0.08) + clicks(70, seconds, sr, 0.05)
    else:
        raise ValueError(kind)
    return y


def write(path: Path, y: np.ndarray, sr: int = SR, stereo: bool = True) -> Path:
    """Write WAV/FLAC/OGG with soundfile in blocks; MP3/M4A through ffmpeg from a temporary WAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.stack([y, y], axis=1) if stereo else y[:, None]
    suffix = path.suffix.lower()
    if suffix in (".mp3", ".m4a"):
        wav = path.with_name(path.name + ".tmp.wav")
        write(wav, y, sr, stereo)
        codec = (
            ["-c:a", "libmp3lame", "-b:a", "128k"] if suffix == ".mp3" else ["-c:a", "aac", "-b:a", "128k"]
        )
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), *codec, str(path)], check=True
        )
        wav.unlink()
        return path
    fmt = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}[suffix]
    subtype = {"WAV": "PCM_16", "FLAC": "PCM_16", "OGG": "VORBIS"}[fmt]
    with sf.SoundFile(str(path), "w", sr, data.shape[1], subtype=subtype, format=fmt) as f:
        for start in range(0, len(data), 16384):  # blocks: long one-shot OGG writes can crash libsndfile
            f.write(data[start : start + 16384])
    return path


def tag(path: Path, **tags: str | list[str]) -> None:
    """Tags written into the file at `path` (mutagen's easy keys); a list gives a tag several values."""
    f = mutagen.File(str(path), easy=True)
    if f.tags is None:
        f.add_tags()
    for key, value in tags.items():
        f[key] = value
    f.save()
