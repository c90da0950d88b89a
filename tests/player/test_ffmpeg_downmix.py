"""ffmpeg's audio comes out at libsndfile's level: the same stereo of a mono or 5.1 file whichever
decoder reads it.  ffmpeg's own downmix (`-ac 2`) is not normalised: a 5.1 file's left and centre at
0.5 came out at 0.85 on the left where `downmix_matrix` gives 0.35 (7.7 dB apart), and mono at 0.35
on each side where libsndfile's path gives 0.5 (3 dB); the carry-on past damaged data (player.carryon)
reopens a file with ffmpeg, so a damaged 5.1 file got 7.7 dB louder past the damage.  The analysis's
ffmpeg excerpts (library.audio) share the command (library.ffmpegpcm): an M4A's loudness is measured
on the stereo the player makes of it.

Real files written by soundfile (and an M4A by ffmpeg's AAC encoder), decoded by the real decoders."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from playerkit import SR, encode

from moodspeaker.library.analysis import analyse_file
from moodspeaker.player.decode import Decoder, SoundfileDecoder, _reopener

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is needed")


def _tone(path: Path, loud: list[float], *, fmt: str = "FLAC") -> Path:
    """Two seconds of 440 Hz at amplitude loud[i] in channel i."""
    t = np.arange(2 * SR) / SR
    x = np.stack([a * np.sin(2 * np.pi * 440 * t) for a in loud], 1).astype(np.float32)
    sf.write(str(path), x, SR, format=fmt)
    return path


def _all(decoder: Decoder) -> np.ndarray:
    blocks = []
    try:
        while len(block := decoder.read(4096)):
            blocks.append(block)
    finally:
        decoder.close()
    return np.concatenate(blocks)


def _peaks(x: np.ndarray) -> tuple[float, float]:
    steady = x[len(x) // 4 : -len(x) // 4]
    return float(np.abs(steady[:, 0]).max()), float(np.abs(steady[:, 1]).max())


@pytest.mark.parametrize(
    "loud",
    [[0.5], [0.5, 0.2], [0.5, 0.0, 0.5, 0.0, 0.0, 0.0], [0.0, 0.3, 0.4, 0.9, 0.2, 0.1]],
    ids=["mono", "stereo", "5.1 left and centre", "5.1 all"],
)
def test_the_carry_on_reopens_at_libsndfiles_level(tmp_path: Path, loud: list[float]) -> None:
    path = _tone(tmp_path / "tone.flac", loud)
    by_libsndfile = _peaks(_all(SoundfileDecoder(path, SR)))
    by_ffmpeg = _peaks(_all(_reopener(path, SR, name="tone", duration_s=2.0)(0.0)))  # the carry-on's
    assert by_ffmpeg == pytest.approx(by_libsndfile, rel=0.01, abs=1e-4), (by_ffmpeg, by_libsndfile)


def test_an_m4a_s_loudness_is_that_of_the_same_audio_in_flac(tmp_path: Path) -> None:
    """The analysis reads the M4A through ffmpeg, the FLAC through libsndfile; a 5.1 M4A was measured
    on ffmpeg's unnormalised downmix, several dB above what the player plays."""
    flac = _tone(tmp_path / "tone.flac", [0.3, 0.0, 0.3, 0.0, 0.2, 0.0])
    m4a = encode(flac, tmp_path / "tone.m4a", "aac", "384k")
    with pytest.raises(RuntimeError):
        sf.info(str(m4a))  # libsndfile cannot read it: the analysis uses ffmpeg
    by_flac = analyse_file(flac, excerpt_s=0).features["loudness_lufs"]
    by_m4a = analyse_file(m4a, excerpt_s=0).features["loudness_lufs"]
    assert by_m4a == pytest.approx(by_flac, abs=0.5), (by_m4a, by_flac)
