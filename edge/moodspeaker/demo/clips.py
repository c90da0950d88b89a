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
    extra: tuple[int, ...] = ()  # added chord tones (semitones), e.g. a clashing second and tritone


STYLES: tuple[Style, ...] = (
    Style("bright", "Bright Morning", 138, False, 0.9, 261.63, (0, 5, 7, 5)),
    Style("stroll", "Sunday Stroll", 100, False, 0.55, 293.66, (0, 9, 5, 7)),
    Style("still", "Still Water", 62, False, 0.15, 349.23, (0, 5, 0, 7)),
    Style("rain", "Rainy Window", 68, True, 0.2, 220.0, (0, 5, 0, 7), (10,)),
    Style("storm", "Storm Chase", 160, True, 1.0, 164.81, (0, 1, 0, 6), (1, 6)),
    Style("night", "Night Drive", 112, True, 0.6, 196.0, (0, 5, 7, 0)),
)


def _note(freq: float, n: int, *, bright: float, decay: float, attack_s: float = 0.005) -> np.ndarray:
    """A plucked or pad-like tone: `bright` 0 is a pure sine, 1 a buzzy saw-like tone."""
    t = np.arange(n) / SR
    wave = np.zeros(n)
    harmonics = 1 + int(11 * bright)
    for k in range(1, harmonics + 1):
        if freq * k < SR / 2 - 500:
            wave += np.sin(2 * np.pi * freq * k * t) * (bright ** (k - 1)) / k
    envelope = np.exp(-t * decay) * np.clip(t / attack_s, 0.0, 1.0)
    return np.asarray(wave * envelope, dtype=np.float64)


def _noise(rng: np.random.Generator, n: int, decay_s: float, high: bool) -> np.ndarray:
    x = rng.standard_normal(n)
    if high:
        x = np.diff(x, prepend=0.0)  # tilt towards the highs (a hat rather than a rumble)
    return x * np.exp(-np.arange(n) / (decay_s * SR))


def _add(out: np.ndarray, start: int, x: np.ndarray) -> None:
    """Mix `x` into `out` at `start`, cut at the end of the buffer."""
    end = min(len(out), start + len(x))
    if end > start:
        out[start:end] += x[: end - start]


def render(style: Style, seconds: float, seed: int = 0) -> np.ndarray:
    """One mono float32 clip (-1..1) in the given style."""
    rng = np.random.default_rng(seed)
    e = style.energy
    beat_n = int(60.0 / style.tempo * SR)
    n = int(seconds * SR)
    out = np.zeros(n + 2 * SR)
    triad = (*(MINOR if style.minor else MAJOR), *style.extra)
    bright = 0.15 + 0.7 * e
    calm = e < 0.4
    for i_beat in range(n // beat_n + 1):
        start = i_beat * beat_n
        bar = i_beat // 4
        chord = style.progression[bar % len(style.progression)]
        if calm and i_beat % 4 == 0:  # a slow pad, one chord per bar
            length = 4 * beat_n + SR // 2
            for step in (*triad, 12):
                f = style.root * 2 ** ((chord + step) / 12)
                _add(out, start, 0.1 * _note(f, length, bright=bright, decay=0.4, attack_s=0.6))
        elif not calm:  # struck chords on every beat (offbeats too when lively)
            for offset in (0, beat_n // 2) if e > 0.8 else (0,):
                length = beat_n
                for step in triad:
                    f = style.root * 2 ** ((chord + step) / 12)
                    seg = _note(f, length, bright=bright, decay=3 + 4 * e)
                    _add(out, start + offset, 0.09 * seg)
        # bass: every beat when lively, on the bar in calm styles
        if not calm or i_beat % 4 == 0:
            length = beat_n if not calm else 4 * beat_n
            fb = style.root / 2 * 2 ** (chord / 12)
            _add(out, start, 0.25 * _note(fb, length, bright=0.3 * bright, decay=2.0 if calm else 5.0))
        if e >= 0.5:  # drums
            if i_beat % 2 == 0:
                k = int(0.2 * SR)
                tk = np.arange(k) / SR
                sweep = 2 * np.pi * (45 + 90 * np.exp(-tk * 35)) * tk
                _add(out, start, 0.9 * e * np.sin(sweep) * np.exp(-tk * 18))
            else:
                k = int(0.18 * SR)
                snare = _noise(rng, k, 0.05, high=False) + np.sin(2 * np.pi * 190 * np.arange(k) / SR)
                _add(out, start, 0.35 * e * snare * np.exp(-np.arange(k) / (0.06 * SR)))
            hats = 4 if e > 0.8 else 2
            for h in range(hats):
                k = int(0.04 * SR)
                at = start + h * beat_n // hats
                _add(out, at, 0.25 * e * _noise(rng, k, 0.012, high=True))
    out = out[:n]
    drive = 1.0 + 4.0 * e
    out = np.tanh(drive * out / (np.max(np.abs(out)) or 1.0)) / np.tanh(drive)
    level = 0.2 + 0.75 * e
    return np.asarray(out * level, dtype=np.float32)


def clip_path(style: Style, folder: Path) -> Path:
    return folder / f"{style.name}.ogg"


def is_current(path: Path, seconds: float) -> bool:
    """Whether the clip at `path` is there, readable and lasts at least `seconds` (the length asked
    for now: a clip made for a lower library.min_track_s is too short for a higher one)."""
    try:
        return path.stat().st_size > 0 and sf.info(str(path)).duration >= seconds - 0.5
    except (OSError, RuntimeError) as exc:  # unreadable (a write cut short): made again
        log.debug("%s: not a usable clip: %s", path, exc)
        return False


def to_write(folder: Path, seconds: float) -> list[Style]:
    """The styles whose clip in `folder` is missing or shorter than `seconds`."""
    return [style for style in STYLES if not is_current(clip_path(style, folder), seconds)]


def write_clip(style: Style, folder: Path, seconds: float = 45.0) -> Path:
    """Write one clip as OGG/Vorbis with title/artist tags (in one-second blocks; see COMMON), unless
    one lasting at least `seconds` is there already."""
    folder.mkdir(parents=True, exist_ok=True)
    path = clip_path(style, folder)
    if is_current(path, seconds):
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
