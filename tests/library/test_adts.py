"""Raw AAC (ADTS) lengths are counted, not estimated.

mutagen estimates an ADTS file's length from the bit rate of its first frames: a song that starts
quietly (few bits per frame) came out many times too long, its excerpts were sought past the end, and
the file failed as "cut short" (or, shorter, was indexed with a wrong length).  The length now comes
from counting frames: each carries 1024 samples per channel at the header's sample rate.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import synth
from mutagen.id3 import ID3, TIT2

from moodspeaker.library.adts import adts_duration
from moodspeaker.library.analysis import analyse_file
from moodspeaker.library.tags import read_tags

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def _header(sr_index: int, channels: int, length: int, blocks: int = 1, crc: bool = False) -> bytes:
    """A 7-byte ADTS header (9 with the CRC field) of an AAC-LC frame `length` bytes long."""
    b = bytearray(7)
    b[0] = 0xFF
    b[1] = 0xF0 | (0 if crc else 1)  # MPEG-4, layer 0, protection_absent
    b[2] = (1 << 6) | (sr_index << 2) | (channels >> 2)  # profile LC (1)
    b[3] = ((channels & 3) << 6) | (length >> 11)
    b[4] = (length >> 3) & 0xFF
    b[5] = ((length & 7) << 5) | 0x1F
    b[6] = 0xFC | (blocks - 1)
    return bytes(b) + (b"\0\0" if crc else b"")


def _frame(
    sr_index: int = 4, channels: int = 2, payload: int = 50, blocks: int = 1, crc: bool = False
) -> bytes:
    size = (9 if crc else 7) + payload
    return _header(sr_index, channels, size, blocks, crc) + bytes([0x21] * payload)


def test_hand_built_stream_with_id3_and_a_truncated_last_frame(tmp_path: Path) -> None:
    id3 = b"ID3\x04\x00\x00\x00\x00\x00\x14" + b"\0" * 20  # a 20-byte (padding only) ID3v2.4 tag
    frames = [_frame(payload=40 + i % 7) for i in range(100)]  # 100 frames at 44.1 kHz
    frames += [_frame(payload=30, blocks=2, crc=True)]  # two raw data blocks: 2048 samples
    data = id3 + b"".join(frames) + _frame(payload=80)[:20]  # the last frame cut off
    path = tmp_path / "hand.aac"
    path.write_bytes(data)
    assert adts_duration(path) == pytest.approx((100 * 1024 + 2048) / 44100)
    mono = b"".join(_frame(sr_index=3, channels=1, payload=20) for _ in range(375))
    path.write_bytes(mono + b"TAG" + b"\0" * 125)
    assert adts_duration(path) == pytest.approx(375 * 1024 / 48000)  # an ID3v1 tag at the end
    path.write_bytes(b"not an adts stream at all" * 10)
    assert adts_duration(path) is None


def _aac(path: Path, y: np.ndarray, sr: int = 44100, *args: str) -> Path:
    wav = path.with_suffix(".wav")
    sf.write(str(wav), np.stack([y, y], axis=1), sr)
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", *args, str(path)]
    subprocess.run(cmd, check=True)
    wav.unlink()
    return path


@needs_ffmpeg
def test_quiet_start_is_not_estimated_long(tmp_path: Path) -> None:
    """20 s of silence, then 10 s of noise: the frames of silence are tiny, so a bit-rate estimate from
    the first frames is far too long; the counted length is right, and the whole file is analysed."""
    sr = 44100
    y = np.zeros(30 * sr, dtype=np.float32)
    y[20 * sr :] = synth.song("happy", 10.0, sr)
    path = _aac(tmp_path / "quiet start.aac", y, sr, "-b:a", "128k")
    frames = 1 + 30 * sr // 1024 + 1  # ffmpeg's encoder adds one frame of priming and pads the last
    assert adts_duration(path) == pytest.approx(frames * 1024 / sr, abs=1024 / sr)
    assert read_tags(path).duration_s == pytest.approx(30.0, abs=0.1)
    analysis = analyse_file(path, excerpt_s=4.0)
    assert analysis.duration_s == pytest.approx(30.0, abs=0.1)


@needs_ffmpeg
def test_ffmpeg_file_with_id3_tag_and_other_rate(tmp_path: Path) -> None:
    path = _aac(tmp_path / "tagged.aac", synth.song("sad", 6.0, 22050), 22050)
    tag = ID3()  # type: ignore[no-untyped-call]
    tag.add(TIT2(encoding=3, text="Tagged"))  # type: ignore[no-untyped-call]
    tag.save(str(path))
    assert path.read_bytes()[:3] == b"ID3"
    assert adts_duration(path) == pytest.approx(6.0, abs=0.1)
    tags = read_tags(path)
    assert tags.title == "Tagged"  # mutagen alone took the file for a broken MP3: no title, no length
    assert tags.duration_s == pytest.approx(6.0, abs=0.1)
