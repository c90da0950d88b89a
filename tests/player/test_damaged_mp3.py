"""An MP3 with a damaged stretch in the middle (garbage bytes over part of it) plays on past the
damage: libmpg123 gave up resyncing ("Giving up resync after 1024 bytes"), libsndfile's read failed,
and the player skipped the rest of the track ("decoding failed") where ffmpeg, mpg123 and MPD play on.

Real files: a tone encoded by ffmpeg (libmp3lame), a stretch of it overwritten with seeded random
bytes, decoded by the real decoders; the player's test plays it on SDL's disk driver and reads the
bytes it wrote."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from playerkit import SR, Recorder, encode, item, write_tone

from moodspeaker.player.decode import DecodeError, open_decoder
from moodspeaker.player.engine import Player
from moodspeaker.service.events import TrackEnded

needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg is needed to encode the MP3 and to read past the damage"
)

TONE_S = 12.0
AFTER_S = 2.5  # at least this much of the tone is heard after the damage (about 3.7 s are left)
AMP = 0.5
BLOCK = int(0.4 * SR)  # what the player reads at a time (deck.CHUNK_S)


def _mp3(tmp_path: Path) -> Path:
    wav = write_tone(tmp_path / "tone.wav", 440, TONE_S, amp=AMP)
    return encode(wav, tmp_path / "tone.mp3", "libmp3lame", "128k")


def _fails_mid_read(path: Path) -> float | None:
    """Where libsndfile's read of `path` fails (seconds decoded before), None when it reads to the end."""
    got = 0
    with sf.SoundFile(str(path)) as f:
        try:
            while len(block := f.read(BLOCK, dtype="float32", always_2d=True)):
                got += len(block)
        except Exception:
            return got / SR
    return None


def _damage(mp3: Path, out: Path, size: int, *, also: Callable[[Path], bool] = lambda p: True) -> float:
    """`out`: `mp3` with `size` random bytes over its middle, of seeds tried in turn the first whose
    damage makes libsndfile's read fail half-way (and that `also` accepts); where it fails."""
    data = mp3.read_bytes()
    at = len(data) // 2
    for seed in range(20):
        garbage = np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()
        out.write_bytes(data[:at] + garbage + data[at + size :])
        failed_at = _fails_mid_read(out)
        if failed_at is not None and failed_at > 1.0 and also(out):
            return failed_at
    pytest.fail(f"no garbage of {size} bytes made libsndfile fail half-way through {mp3}")


def _decode_all(path: Path) -> np.ndarray:
    decoder = open_decoder(path, SR, name="damaged")
    blocks = []
    try:
        while len(block := decoder.read(BLOCK)):
            blocks.append(block)
    finally:
        decoder.close()
    return np.concatenate(blocks)


def _no_click(x: np.ndarray, level: float) -> None:
    """The tone's largest step between samples is 2 pi 440/44100 of its level (0.06); a cut is a step.
    Up to 50 ms before its end: the tone itself stops on a step there."""
    heard = np.flatnonzero(np.abs(x[:, 0]) > 0.05 * level)
    step = float(np.abs(np.diff(x[: heard[-1] - int(0.05 * SR), 0])).max())
    assert step < level / 5, f"a step of {step:.3f} (level {level:.2f}) in the audio: a click"


def _played_on(x: np.ndarray, failed_at: float, level: float) -> None:
    heard = np.flatnonzero(np.abs(x[:, 0]) > 0.05 * level)
    end = heard[-1] / SR
    assert end > failed_at + AFTER_S, f"the audio stops at {end:.1f} s (damage at {failed_at:.1f} s)"
    assert np.abs(x[heard[-1] - SR : heard[-1]]).max() > 0.8 * level, "the tone at its level after the damage"


@needs_ffmpeg
def test_the_decoder_plays_on_past_the_damage(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    mp3 = _mp3(tmp_path)
    damaged = tmp_path / "damaged.mp3"
    failed_at = _damage(mp3, damaged, 20000)  # 1.25 s of a 128 kbit/s stream
    with caplog.at_level(logging.WARNING, logger="moodspeaker.player"):
        x = _decode_all(damaged)
    _played_on(x, failed_at, AMP)
    _no_click(x, AMP)
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(said) == 1 and str(damaged) in said[0] and "skipped to" in said[0], said


@needs_ffmpeg
def test_without_ffmpeg_libsndfile_seeks_past_small_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    mp3 = _mp3(tmp_path)  # ffmpeg makes the file; the decoder then runs without it
    damaged = tmp_path / "damaged.mp3"

    def seekable_past(path: Path) -> bool:  # libmpg123 seeks past a short damage (not past a long one)
        fails = _fails_mid_read(path) or 0.0
        with sf.SoundFile(str(path)) as f:
            try:
                f.seek(int((fails + 1.0) * SR))
                return len(f.read(BLOCK)) == BLOCK
            except Exception:
                return False

    failed_at = _damage(mp3, damaged, 2000, also=seekable_past)
    monkeypatch.setenv("PATH", str(tmp_path / "no-ffmpeg-here"))
    with caplog.at_level(logging.WARNING, logger="moodspeaker.player"):
        x = _decode_all(damaged)
    _played_on(x, failed_at, AMP)
    _no_click(x, AMP)
    assert any("skipped to" in r.getMessage() for r in caplog.records), caplog.text


@needs_ffmpeg
def test_damage_that_cannot_be_passed_still_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ffmpeg, libmpg123 cannot seek past a long damage: the track ends there, as before, with
    the read's error (after its ramp down)."""
    mp3 = _mp3(tmp_path)
    damaged = tmp_path / "damaged.mp3"
    _damage(mp3, damaged, 60000)
    monkeypatch.setenv("PATH", str(tmp_path / "no-ffmpeg-here"))
    with pytest.raises(DecodeError, match="damaged: decoding failed"):
        _decode_all(damaged)


@needs_ffmpeg
def test_the_player_plays_a_damaged_mp3_to_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    out = tmp_path / "speaker.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(out))
    mp3 = _mp3(tmp_path)
    damaged = tmp_path / "damaged.mp3"
    failed_at = _damage(mp3, damaged, 20000)
    player, rec = make_player(crossfade_s=0.0)
    player.set_queue([item(damaged, "damaged")])
    player.play()
    ended = rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "damaged")
    failures = player.status().failures
    player.close()
    assert not failures, failures
    assert isinstance(ended, TrackEnded) and ended.completed
    x = np.fromfile(out, dtype=np.int16).reshape(-1, 2).astype(np.float32) / 32767.0
    heard = np.flatnonzero(np.abs(x[:, 0]) > 1e-2)
    x = x[heard[0] :]  # from the tone's start
    level = float(np.abs(x[:SR]).max())
    _played_on(x, failed_at, level)
    _no_click(x, level)


@needs_ffmpeg
def test_damage_to_the_end_fails_as_before(tmp_path: Path) -> None:
    """Garbage from the middle to the end: nothing to carry on to (ffmpeg finds no audio past it
    either), the track ends there with libsndfile's error, as before the carry-on."""
    data = _mp3(tmp_path).read_bytes()
    damaged = tmp_path / "damaged.mp3"
    half = len(data) // 2
    garbage = np.random.default_rng(0).integers(0, 256, len(data) - half, np.uint8).tobytes()
    damaged.write_bytes(data[:half] + garbage)
    assert _fails_mid_read(damaged), "libsndfile's read fails half-way"
    with pytest.raises(DecodeError, match="damaged: decoding failed"):
        _decode_all(damaged)
