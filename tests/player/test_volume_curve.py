"""The listener's volume maps to amplitude on a perceptual (cubic) curve, not a straight line.

Taken straight as the channels' amplitude, the top half of the slider spanned 6 dB and half volume
sounded nearly as loud as full.  The status keeps the listener's value.  The player tests' bytes are
what SDL's disk driver wrote, the track a constant level.

The curve is played as it is all the way down: set as SDL_mixer's channel volume (an integer 0..128)
every volume under 25 % played at 1/128 (-42 dB) and the steps above it were 3-6 dB apart."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from diskkit import heard_next, speaker, steady, to_disk, written
from playerkit import SR, Recorder, item

from moodspeaker.config.schema import PlayerConfig
from moodspeaker.player.engine import Player
from moodspeaker.player.volume import QUIETEST, output_gain
from moodspeaker.service.events import TrackEnded, TrackStarted

LEVEL = 0.4  # the track's constant level


def test_the_curve_runs_from_silence_to_full_and_rises_all_the_way() -> None:
    assert output_gain(0.0) == 0.0
    assert output_gain(1.0) == 1.0
    steps = [output_gain(v / 100) for v in range(101)]
    assert np.all(np.diff(steps) >= 0), "the gain never falls as the volume rises"
    assert all(g >= QUIETEST for g in steps[1:]), "any volume above 0 is heard"
    assert output_gain(0.5) < 0.2, "half volume is well below half the amplitude"
    assert 20 * np.log10(output_gain(0.5)) == pytest.approx(-18.06, abs=0.1)
    assert output_gain(-0.5) == 0.0 and output_gain(1.5) == 1.0


def test_the_start_volume_plays_a_few_db_down() -> None:
    """`player.volume`'s default starts the speaker about 4 dB under full (0.85): the linear volume's
    0.6 played at -4.4 dB, and on the cubic curve 0.6 is -13 dB, too quiet for a first start."""
    assert 20 * np.log10(output_gain(PlayerConfig().volume)) == pytest.approx(-4.2, abs=0.5)


def test_half_volume_plays_well_below_half_the_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    out = to_disk(tmp_path, monkeypatch)
    track = steady(tmp_path / "steady.wav", LEVEL, 10.0)
    player, _rec = make_player(volume=0.5, target_lufs=-16.0)
    player.set_queue([item(track, "a")])
    player.play()
    while player.status().position_s < 0.5:
        time.sleep(0.01)
    level = float(np.median(np.abs(heard_next(out, SR // 2))))
    assert player.status().volume == 0.5, "the status keeps the listener's volume"
    assert 0.0 < level < 0.5 * (0.5 * LEVEL), f"half volume played at {level / LEVEL:.2f} of the level"
    assert level == pytest.approx(output_gain(0.5) * LEVEL, rel=0.05)


#: The slider's points checked, loud to quiet; 5 % is the page slider's lowest step (-78 dB).
POINTS = (1.0, 0.8, 0.5, 0.3, 0.2, 0.1, 0.05)
LOUD = 0.75  # a level whose quietest point (3.07 steps of 16 bits) rounds within 0.2 dB


def test_every_volume_plays_on_the_curve_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """Each point plays within 1 dB of its cube, every step quieter than the one before, from the
    output SDL mixes after the change (8192 frames on: 0.19 s, less than the 0.4-0.8 s of chunks the
    mixer holds, which play at the new volume too)."""
    out = to_disk(tmp_path, monkeypatch)
    track = steady(tmp_path / "steady.wav", LOUD, 60.0)
    player, _rec = make_player(volume=1.0, target_lufs=-16.0)
    player.set_queue([item(track, "a")])
    player.play()
    while player.status().position_s < 0.5:
        time.sleep(0.01)
    heard = []
    for volume in POINTS:
        player.set_volume(volume)
        assert player.wait_idle(10.0)
        level = float(np.median(np.abs(heard_next(out, SR // 4, start=written(out) + 8192))))
        heard.append(level)
        off_db = 20 * np.log10(max(level, 1e-9) / (volume**3 * LOUD))
        assert abs(off_db) < 1.0, f"volume {volume} played {off_db:+.1f} dB off its curve ({level:.2e})"
    assert np.all(np.diff(heard) < 0), f"not each step quieter: {heard}"


def test_a_volume_change_mid_crossfade_keeps_the_fades(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """The chunks rewritten at the new volume keep the fades decoded into them (`Chunk.pre` holds the
    envelope): two tracks at one constant level crossfading over 2 s, the volume halved as the second
    one starts; from the change on (the two decks' ramps, 0.2 s, between the two volumes), the level
    summed is the new volume's, and the first track fades to silence under it."""
    out = to_disk(tmp_path, monkeypatch)
    a = steady(tmp_path / "a.wav", LOUD, 3.0)
    b = steady(tmp_path / "b.wav", LOUD, 4.0)
    player, rec = make_player(volume=1.0, target_lufs=-16.0, crossfade_s=2.0)
    rec.on(lambda e: isinstance(e, TrackStarted) and e.track_id == "b", lambda: player.set_volume(0.5))
    player.set_queue([item(a, "a"), item(b, "b")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    player.close()
    x = speaker(out)
    changed = np.flatnonzero(x > 0.5 * LOUD)[-1]  # the last sample at full volume
    ended = np.flatnonzero(x > 0.5 * output_gain(0.5) * LOUD)[-1]  # the second track's end
    # Each deck ramps (VOLUME_RAMP) from where its own channel is reckoned to be: up to ~0.1 s apart,
    # the level summed between the old volume's and the new one's meanwhile.
    ramps = x[changed + 1 : changed + SR // 5] / (output_gain(0.5) * LOUD)
    assert ramps.min() > 0.9 and ramps.max() < 1.0 / output_gain(0.5), (ramps.min(), ramps.max())
    after = x[changed + SR // 5 : ended - 64] / (output_gain(0.5) * LOUD)
    assert len(after) > 3 * SR, "the crossfade and the track after it played at the new volume"
    assert after.min() > 0.9 and after.max() < 1.1, (after.min(), after.max())
