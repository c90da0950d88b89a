"""Small synthetic songs for the demo library, each with a clearly different tempo, mode and energy.

When no real music is around (no Debian soundtrack packages, no ~/Music), the demo still needs a
library whose tracks sound different enough for the mood-following to be audible.  These are made
here from sines, a plucked bass, a kick and noise hats; they are then analysed like any other file,
so what the recommender sees comes from the real analyser, not from labels written here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

log = logging.getLogger(__name__)

SR = 22050
MAJOR = (0, 4, 7)
MINOR = (0, 3, 7)


@dataclass(frozen=True)
class Style:
    name: str
    title: str
    tempo: float  # beats per minute
    minor: bool
    energy: float  # 0..1: loudness, drums, brightness
    root: float  # Hz of the key's root
    progression: tuple[int, ...]  # chord roots in semitones from the key's root


STYLES: tuple[Style, ...] = (
    Style("bright", "Bright Morning", 138, False, 0.9, 261.63, (0, 5, 7, 5)),
    Style("stroll", "Sunday Stroll", 100, False, 0.55, 293.66, (0, 9, 5, 7)),
    Style("still", "Still Water", 62, False, 0.15, 349.23, (0, 5, 0, 7)),
    Style("rain", "Rainy Window", 68, True, 0.2, 220.0, (0, 5, 0, 7)),
    Style("storm", "Storm Chase", 160, True, 1.0, 164.81, (0, 1, 0, 6)),
    Style("night", "Night Drive", 112, True, 0.6, 196.0, (0, 5, 7, 0)),
)


def _note(freq: float, n: int, *, bright: float, decay: float) -> np.ndarray:
    t = np.arange(n) / SR
    wave = np.sin(2 * np.pi * freq * t)
    for k in (2, 3, 4):
        wave += (bright**k) * np.sin(2 * np.pi * freq * k * t) / k
    return wave * np.exp(-t * decay)


def render(style: Style, seconds: float, seed: int = 0) -> np.ndarray:
    """One mono float32 clip (-1..1) in the given style."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / style.tempo
    n = int(seconds * SR)
    out = np.zeros(n, np.float32)
    triad = MINOR if style.minor else MAJOR
    bar = 4 * beat
    beat_n = int(beat * SR)
    i_beat = 0
    while i_beat * beat_n < n:
        start = i_beat * beat_n
        chord_root = style.progression[int(i_beat * beat / bar) % len(style.progression)]
        length = min(beat_n * (1 if style.energy > 0.5 else 2), n - start)
        # chord: sustained for calm styles, struck every beat for lively ones
        if style.energy > 0.5 or i_beat % 2 == 0:
            for step in triad:
                f = style.root * 2 ** ((chord_root + step) / 12)
                bright, decay = 0.3 + 0.5 * style.energy, 1.5 + 3 * style.energy
                out[start : start + length] += 0.12 * _note(f, length, bright=bright, decay=decay)
        # bass on every beat
        fb = style.root / 2 * 2 ** (chord_root / 12)
        out[start : start + length] += 0.25 * _note(fb, length, bright=0.2, decay=4.0)
        # drums scale with energy: kick on 1 and 3, hats on eighths
        if style.energy >= 0.5 and i_beat % 2 == 0:
            k = min(int(0.15 * SR), n - start)
            tk = np.arange(k) / SR
            sweep = 2 * np.pi * (50 + 80 * np.exp(-tk * 30)) * tk
            out[start : start + k] += 0.6 * style.energy * np.sin(sweep) * np.exp(-tk * 20)
        if style.energy >= 0.4:
            for half in (0, beat_n // 2):
                h = min(int(0.03 * SR), n - start - half)
                if h > 0:
                    out[start + half : start + half + h] += (
                        0.15 * style.energy * rng.standard_normal(h) * np.exp(-np.arange(h) / (0.005 * SR))
                    )
        i_beat += 1
    peak = float(np.max(np.abs(out))) or 1.0
    level = 0.25 + 0.6 * style.energy
    return (out / peak * level).astype(np.float32)


def write_clip(style: Style, folder: Path, seconds: float = 45.0) -> Path:
    """Write one clip as OGG/Vorbis with title/artist tags (in one-second blocks; see COMMON)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{style.name}.ogg"
    if path.exists() and path.stat().st_size > 0:
        return path
    audio = render(style, seconds)
    tmp = path.with_suffix(".tmp.ogg")
    with sf.SoundFile(str(tmp), "w", SR, 1, format="OGG", subtype="VORBIS") as handle:
        handle.title = style.title
        handle.artist = "Moodspeaker demo"
        handle.album = "Generated clips"
        for i in range(0, len(audio), SR):
            handle.write(audio[i : i + SR])
    tmp.replace(path)
    return path


def write_all(folder: Path, seconds: float = 45.0) -> list[Path]:
    return [write_clip(style, folder, seconds) for style in STYLES]
