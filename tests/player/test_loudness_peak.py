"""A loudness boost stops where the track's peak would reach the limiter's knee (as ReplayGain players'
clipping prevention caps a gain with the track's peak).  Before, a quiet track with loud peaks was
boosted by up to 12 dB into the tanh limiter, which bent every peak above 0.9: a 1 kHz tone peaking at
-1 dBFS in a -30 LUFS track came out with 34 % THD (the reviewer's lim.py).  A track whose peak is
not known (analysed before the index kept it, a server that does not say it) is boosted as before."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from playerkit import SR, Recorder

from moodspeaker.library.analysis import analyse_file
from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags, track_id
from moodspeaker.library.track import Track
from moodspeaker.player.engine import Player
from moodspeaker.player.loudness import LIMIT_KNEE, MAX_BOOST_DB, apply_gain, db_to_linear, gain_db
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import TrackEnded

TARGET = -16.0


def _quiet(peak: float | None = None) -> Track:
    return Track(id="q", location="", title="q", artist="", loudness_lufs=-30.0, peak=peak)


def _thd(y: np.ndarray) -> float:
    """Total harmonic distortion of one second of a 1 kHz tone at SR (harmonics 2 to 9)."""
    s = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.sqrt(sum(s[1000 * k] ** 2 for k in range(2, 10))) / s[1000])


@pytest.mark.parametrize("peak_db", [-1.0, -6.0, -12.0])
def test_a_boost_keeps_the_peak_under_the_knee(peak_db: float) -> None:
    t = np.arange(SR) / SR
    x = (10 ** (peak_db / 20) * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    gain = gain_db(_quiet(peak=10 ** (peak_db / 20)), TARGET)
    y = apply_gain(np.stack([x, x], 1), db_to_linear(gain))[:, 0]
    assert np.abs(y).max() <= LIMIT_KNEE, "the boosted peak stays under the limiter's knee"
    assert _thd(y) < 0.001, f"{peak_db} dBFS peak boosted by {gain:+.1f} dB: THD {100 * _thd(y):.1f} %"
    assert gain == pytest.approx(min(MAX_BOOST_DB, max(0.0, -peak_db - 0.92 - 0.5)), abs=0.01)


def test_without_a_known_peak_the_boost_is_as_before() -> None:
    assert gain_db(_quiet(), TARGET) == MAX_BOOST_DB
    assert gain_db(_quiet(peak=float("nan")), TARGET) == MAX_BOOST_DB


def test_the_peak_caps_boosts_only() -> None:
    """A loud track peaking at full scale is cut for its loudness as before, never more for its peak;
    one already at the target is not turned down."""
    loud = Track(id="l", location="", title="l", artist="", loudness_lufs=-10.0, peak=1.0)
    assert gain_db(loud, TARGET) == -6.0
    level = Track(id="l", location="", title="l", artist="", loudness_lufs=TARGET, peak=1.0)
    assert gain_db(level, TARGET) == 0.0
    tagged = Track(id="r", location="", title="r", artist="", replaygain_db=10.0, peak=0.5)
    assert gain_db(tagged, TARGET) == pytest.approx(20 * np.log10(LIMIT_KNEE / 0.5) - 0.5)


def _spiky(path: Path) -> Path:
    """Eight seconds of a quiet 1 kHz tone (-34 dBFS) with a 1 ms burst of it at -1 dBFS every 0.8 s:
    quiet as a whole (the bursts hold little energy), loud at its peaks."""
    t = np.arange(8 * SR) / SR
    amp = np.full(len(t), 0.02)
    for start in np.arange(0.1, 8.0, 0.8):
        amp[int(start * SR) : int((start + 0.001) * SR)] = 0.89
    x = (amp * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    sf.write(str(path), np.stack([x, x], 1), SR, subtype="FLOAT")
    return path


def test_a_quiet_spiky_track_plays_undistorted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """The whole way: the real analysis, the real index, the real player on SDL's disk driver.  The
    bursts come out as much louder than the tone as they went in: no limiting (before: boosted by
    12 dB, the bursts were squashed into the limiter: 13 times the tone's level, not 45)."""
    path = _spiky(tmp_path / "spiky.wav")
    analysis = analyse_file(path)
    assert analysis.features["loudness_lufs"] < TARGET - MAX_BOOST_DB + 3, "a track the player boosts"
    values = {c: 0.0 for c in FEATURE_COLUMNS} | {"loudness_lufs": analysis.features["loudness_lufs"]}
    with LibraryIndex(tmp_path / "library.db") as index:
        with index.batch() as b:
            b.upsert_file(str(path), 1, 1, "h", Tags("spiky", "tone", "", 8.0))
            b.set_analysed(str(path), analysis.features, values)
        track = index.get(track_id(str(path)))
    assert track is not None and track.peak == pytest.approx(0.89, abs=0.01)
    out = tmp_path / "speaker.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(out))
    player, rec = make_player(crossfade_s=0.0, target_lufs=TARGET)
    player.set_queue([QueueItem(track, "test")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == track.id)
    player.close()
    heard = np.fromfile(out, dtype=np.int16).reshape(-1, 2)[:, 0].astype(np.float32) / 32767.0
    sounding = np.abs(heard[np.abs(heard) > 1e-4])
    tone, burst = np.percentile(sounding, 90), sounding.max()
    assert burst / tone == pytest.approx(0.89 / 0.02, rel=0.1), (
        f"the bursts {burst / tone:.1f} times the tone's level: squashed by the limiter"
    )
