"""Short real audio files for tests that need a small library: one pure tone per song, written as OGG
and carried as a Track with the valence/arousal the test gives it (not analysed: the tests pin each
song's mood by hand so they can say which song a mood must pick)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import soundfile as sf

from moodspeaker.library.track import Track

SR = 22050

#: (id, title, artist, valence, arousal, tone in Hz)
Song = tuple[str, str, str, float, float, float]


def write_tone(path: Path, freq: float, seconds: float, amplitude: float) -> None:
    """A sine at `freq` Hz as OGG; an existing file is kept (the tests reuse their folder)."""
    if path.exists():
        return
    t = np.arange(int(SR * seconds)) / SR
    x = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    with sf.SoundFile(str(path), "w", SR, 1, format="OGG") as handle:
        for i in range(0, len(x), SR):  # in blocks: soundfile can crash on long single OGG writes
            handle.write(x[i : i + SR])


def tone_file(folder: Path, name: str, freq: float) -> Path:
    """`<name>.ogg` in `folder`: a four-second tone at `freq` Hz, a song of the library-scan tests
    (short, so a real analysis of it is quick); an existing file is kept, as by write_tone."""
    path = folder / f"{name}.ogg"
    write_tone(path, freq, 4.0, 0.2)
    return path


def tone_folder(folder: Path, n: int, *, name: str = "tone", first_hz: float = 220.0) -> Path:
    """A music folder (made if missing) of `n` such songs, `<name>0.ogg` … at `first_hz` and 40 Hz
    steps up: distinct files for a real scan, in the same place on every run."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        tone_file(folder, f"{name}{i}", first_hz + 40 * i)
    return folder


def tone_tracks(
    folder: Path,
    songs: Iterable[Song],
    *,
    duration_s: float,
    file_s: float | None = None,
    amplitude: float = 0.2,
) -> list[Track]:
    """One `<id>.ogg` per song in `folder` and its Track, which says it lasts `duration_s`.

    `file_s` (default: `duration_s`) is how long the file really is: shorter files keep a test fast
    where only the queue matters, not the playback."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for tid, title, artist, v, a, freq in songs:
        path = folder / f"{tid}.ogg"
        write_tone(path, freq, duration_s if file_s is None else file_s, amplitude)
        out.append(
            Track(
                id=tid,
                location=str(path),
                title=title,
                artist=artist,
                duration_s=duration_s,
                valence=v,
                arousal=a,
                energy=(a + 1) / 2,
                tempo=80 + 60 * (a + 1),
                mode=1 if v > 0 else 0,
                loudness_lufs=-16.0,
            )
        )
    return out
