"""ffmpeg's messages cannot block its decoding: a long damaged stretch of an MP3 makes ffmpeg write a
line or two per bad frame (`-v error`), and its stderr went to a pipe read only once it exited.  Past
the pipe's 64 KB ffmpeg blocked writing there while the player's read waited for its audio: the
decoder gave nothing and the player's hang watcher failed the track.  The carry-on past damaged data
(player.carryon) reopens a damaged MP3 with exactly this decoder.

Real files: a tone encoded by ffmpeg (libmp3lame), 8 MB of seeded random bytes, the tone again;
decoded by the real ffmpeg decoder."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
from playerkit import SR, write_tone

from moodspeaker.player.decode import DamagedDataError, FfmpegDecoder

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is needed")

#: how long the decode may take before it counts as hung (it takes about a second): a bound on a
#: hang, so that the test fails instead of waiting for ever, not a speed requirement
HUNG_S = 120.0


def _mp3(tmp_path: Path) -> bytes:
    wav = write_tone(tmp_path / "tone.wav", 440, 4.0, amp=0.5)
    mp3 = tmp_path / "tone.mp3"
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", str(mp3)]
    subprocess.run(cmd, check=True)
    return mp3.read_bytes()


def _decode(decoder: FfmpegDecoder) -> tuple[np.ndarray, BaseException | None]:
    """All of `decoder`'s audio and the error its read ended with; aborted (and the test failed) when
    it gives nothing for `HUNG_S`."""
    blocks: list[np.ndarray] = []
    error: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            while len(block := decoder.read(4096)):
                blocks.append(block)
        except BaseException as exc:  # handed to the test
            error.append(exc)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    if not done.wait(HUNG_S):
        decoder.abort("the test gave up")
        done.wait(10)
        decoder.close()
        pytest.fail(f"ffmpeg's decoding hung: {sum(map(len, blocks)) / SR:.1f} s decoded")
    decoder.close()
    audio = np.concatenate(blocks) if blocks else np.zeros((0, 2), np.float32)
    return audio, error[0] if error else None


def test_a_long_damaged_stretch_does_not_block_ffmpeg(tmp_path: Path) -> None:
    tone = _mp3(tmp_path)
    garbage = np.random.default_rng(0).integers(0, 256, 8_000_000, dtype=np.uint8).tobytes()
    damaged = tmp_path / "damaged.mp3"
    damaged.write_bytes(tone + garbage + tone)
    # ffmpeg's own messages on this file are more than a pipe holds
    said = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(damaged), "-f", "null", "-"],
        capture_output=True,
        check=False,
    ).stderr
    assert len(said) > 2 * 65536, len(said)
    audio, error = _decode(FfmpegDecoder(shutil.which("ffmpeg") or "ffmpeg", damaged, SR, name="damaged"))
    assert error is None, error
    heard = np.flatnonzero(np.abs(audio[:, 0]) > 0.1)
    assert len(heard) / SR > 6.0, "both tones decoded (4 s each), before and after the damage"


def test_ffmpeg_failing_still_says_why(tmp_path: Path) -> None:
    """Its messages, now in a file, still give the failure's reason (the last line)."""
    bad = tmp_path / "bad.m4a"
    bad.write_bytes(b"not audio at all" * 100)
    audio, error = _decode(FfmpegDecoder(shutil.which("ffmpeg") or "ffmpeg", bad, SR, name="bad"))
    assert len(audio) == 0
    assert isinstance(error, DamagedDataError), error
    assert str(error).startswith("bad: ffmpeg failed (") and "Invalid data" in str(error), error
