"""What reaches the speaker: SDL's disk driver writes the mixed output (16-bit stereo) to a file, read
back here.  For the player tests that check the sound itself (a fade, a ramp, a level)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from playerkit import SR

FRAME_BYTES = 4  # 16-bit stereo, as the disk driver writes it


def to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SDL's output goes to `speaker.raw` in `tmp_path` (returned) for the players made after this."""
    out = tmp_path / "speaker.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(out))
    return out


def steady(path: Path, level: float, seconds: float) -> Path:
    """A track at a constant `level` (a step in it shows as a step of that size), written to `path`."""
    sf.write(str(path), np.full((int(seconds * SR), 2), level, np.float32), SR)
    return path


def written(out: Path) -> int:
    """How many frames the disk driver wrote so far."""
    return out.stat().st_size // FRAME_BYTES if out.exists() else 0


def speaker(out: Path, start: int = 0) -> np.ndarray:
    """The left channel the disk driver wrote from frame `start` on, as -1..1."""
    x = np.fromfile(out, dtype=np.int16).reshape(-1, 2)[start:, 0]
    return x.astype(np.float32) / 32767.0


def heard_next(out: Path, frames: int, *, start: int | None = None, timeout: float = 30.0) -> np.ndarray:
    """The next `frames` frames the disk driver writes (left channel, -1..1); from frame `start` (a
    `written` read earlier) rather than from now."""
    start = written(out) if start is None else start
    deadline = time.monotonic() + timeout
    while written(out) < start + frames:
        assert time.monotonic() < deadline, f"SDL's disk driver wrote nothing more to {out}"
        time.sleep(0.01)
    return speaker(out, start)[:frames]


def tone_levels(x: np.ndarray, freqs: tuple[float, ...], win: int = 2048) -> np.ndarray:
    """The amplitude of each frequency in `x`, per window of `win` frames (single-bin DFT)."""
    n = len(x) // win
    t = np.arange(win) / SR
    rows = []
    for f in freqs:
        probe = np.exp(-2j * np.pi * f * t)
        rows.append([2 * abs(np.dot(x[i * win : (i + 1) * win], probe)) / win for i in range(n)])
    return np.array(rows)
