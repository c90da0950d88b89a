"""A file cut short (an interrupted copy to the USB disk, a broken download) fails its analysis with
the reason: analysed, it was indexed with the length its header states, picked, and on the speaker
played a quarter of the song (MP3) or stopped half-way (FLAC)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import synth

from moodspeaker.library.audio import DecodeError, read_excerpts

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


@pytest.mark.parametrize("suffix", [".mp3", ".flac"])
@pytest.mark.parametrize("excerpt_s", [0.0, 4.0])
def test_a_file_cut_short_fails_with_the_reason(tmp_path: Path, suffix: str, excerpt_s: float) -> None:
    whole = synth.write(tmp_path / f"whole{suffix}", synth.song("happy", 20.0))
    assert read_excerpts(whole, excerpt_s).duration_s == pytest.approx(20.0, abs=0.2)
    data = whole.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: len(data) // 4])
    with pytest.raises(DecodeError) as caught:
        read_excerpts(cut, excerpt_s)
    if suffix == ".mp3":
        assert "cut short" in str(caught.value)
