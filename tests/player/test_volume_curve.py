"""The listener's volume maps to amplitude on a perceptual (cubic) curve, not a straight line.

Taken straight as the channels' amplitude, the top half of the slider spanned 6 dB and half volume
sounded nearly as loud as full.  The status keeps the listener's value.  The player test's bytes are
what SDL's disk driver wrote, the track a constant level."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from diskkit import heard_next, steady, to_disk
from playerkit import SR, Recorder, item

from moodspeaker.player.engine import Player
from moodspeaker.player.volume import QUIETEST, channel_gain

LEVEL = 0.4  # the track's constant level


def test_the_curve_runs_from_silence_to_full_and_rises_all_the_way() -> None:
    assert channel_gain(0.0) == 0.0
    assert channel_gain(1.0) == 1.0
    steps = [channel_gain(v / 100) for v in range(101)]
    assert np.all(np.diff(steps) >= 0), "the gain never falls as the volume rises"
    assert all(g >= QUIETEST for g in steps[1:]), "any volume above 0 is heard"
    assert channel_gain(0.5) < 0.2, "half volume is well below half the amplitude"
    assert 20 * np.log10(channel_gain(0.5)) == pytest.approx(-18.06, abs=0.1)
    assert channel_gain(-0.5) == 0.0 and channel_gain(1.5) == 1.0


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
    assert level == pytest.approx(channel_gain(0.5) * LEVEL, rel=0.05)
