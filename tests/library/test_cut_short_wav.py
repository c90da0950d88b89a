"""A WAV or AIFF cut short (an interrupted copy) fails its analysis with the reason.  libsndfile counts
such a file's frames from the bytes that are there, so every excerpt came back whole and the file was
indexed as analysed with the length its header states (mutagen's): 40 s for 27 s of audio, past
library.min_track_s.  Real files written by soundfile, cut, through the real decoder and indexer."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from moodspeaker.library.audio import DecodeError, read_excerpts
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.tags import read_tags
from moodspeaker.library.workers import AnalysisPool

SR = 22050


def _tone(path: Path, seconds: float) -> Path:
    t = np.arange(int(seconds * SR)) / SR
    y = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    sf.write(path, np.stack([y, y], axis=1), SR, subtype="PCM_16")
    return path


def _cut(whole: Path, to: Path, share: float) -> Path:
    data = whole.read_bytes()
    to.write_bytes(data[: int(len(data) * share)])
    return to


@pytest.mark.parametrize("suffix", [".wav", ".aiff"])
@pytest.mark.parametrize("share", [0.68, 0.9])
@pytest.mark.parametrize("excerpt_s", [0.0, 4.0])
def test_a_wav_or_aiff_cut_short_fails_saying_so(
    tmp_path: Path, suffix: str, share: float, excerpt_s: float
) -> None:
    whole = _tone(tmp_path / f"whole{suffix}", 40.0)
    assert read_excerpts(whole, excerpt_s).duration_s == pytest.approx(40.0)
    cut = _cut(whole, tmp_path / f"cut{suffix}", share)
    with pytest.raises(DecodeError) as caught:
        read_excerpts(cut, excerpt_s)
    assert str(caught.value).startswith("cut short: the audio stops at "), caught.value
    assert "of the 40.0 s its header states" in str(caught.value)


def test_a_wav_written_to_a_pipe_is_not_taken_for_a_cut_one(tmp_path: Path) -> None:
    """A WAV written to a pipe (ffmpeg) has no length in its header, only 0xFFFFFFFF: not cut short,
    and its length is the audio's (mutagen took the placeholder for 13.5 hours of it)."""
    wav = _tone(tmp_path / "piped.wav", 12.0)
    data = bytearray(wav.read_bytes())
    at = data.index(b"data")
    data[4:8] = data[at + 4 : at + 8] = struct.pack("<I", 0xFFFFFFFF)
    wav.write_bytes(bytes(data))
    assert read_excerpts(wav, 4.0).duration_s == pytest.approx(12.0)
    assert read_tags(wav).duration_s == pytest.approx(12.0)


def test_the_index_lists_a_cut_wav_as_failed(tmp_path: Path, pool: AnalysisPool) -> None:
    music = tmp_path / "music"
    music.mkdir()
    whole = _tone(tmp_path / "tone440.wav", 40.0)
    _cut(whole, music / "tone_cut.wav", 0.68)
    index = LibraryIndex(tmp_path / "lib.db")
    summary = Indexer(index, pool).scan([str(music)])
    assert [Path(p).name for p, _ in summary.failed] == ["tone_cut.wav"]
    reason = summary.failed[0][1]
    assert reason.startswith("cut short: the audio stops at 27.2 s of the 40.0 s"), reason
    assert index.stats()["failures"][0]["reason"] == reason
