"""Pause and Play (resume) ramp the sound down and up, not on a step (a click), and the position
stays with the audio.

pygame's mixer paused and resumed on whatever sample it had reached: the speaker heard a step from
the level there to silence and back.  Now the deck channels' volume ramps down before the pause and
up after the resume (`declick.VolumeRamp`), over the de-click's 0.2 s.  The bytes are what SDL's disk
driver wrote; the track is a constant level, so a pause or a resume on a step shows as a step of that
size whatever the moment it lands.  The position holds while paused and goes on from there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from diskkit import heard_next, speaker, steady, to_disk
from playerkit import SR, Recorder, item

from moodspeaker.player.engine import Player

LEVEL = 0.4  # the track's constant level: a pause on a step shows as a step this size
PAUSES = 3


def _play_until(player: Player, position_s: float) -> None:
    while player.status().position_s < position_s:
        time.sleep(0.01)


def test_pause_and_resume_ramp_and_keep_the_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    out = to_disk(tmp_path, monkeypatch)
    track = steady(tmp_path / "steady.wav", LEVEL, 10.0)
    player, _rec = make_player(volume=1.0, target_lufs=-16.0)
    player.set_queue([item(track, "a")])
    player.play()
    for _ in range(PAUSES):
        _play_until(player, player.status().position_s + 0.6)
        player.pause()
        heard_next(out, SR)  # the ramp down (0.2 s), then silence
        paused_at = player.status()
        assert paused_at.state == "paused"
        heard_next(out, SR // 4)
        assert player.status().position_s == paused_at.position_s, "the position held while paused"
        player.play()
        while (resumed := player.status()).state != "playing":
            time.sleep(0.01)
        assert resumed.position_s >= paused_at.position_s - 0.01, "the position went on from the pause"
    _play_until(player, player.status().position_s + 0.6)
    player.stop()  # ramps down too (test_stop_ramp)
    while player.status().state != "stopped":
        time.sleep(0.01)
    heard_next(out, SR // 2)
    player.close()

    x = speaker(out)
    first = int(np.flatnonzero(np.abs(x) > 1e-3)[0])
    assert np.abs(x[first + 50 : first + 2000]).min() > 0.9 * LEVEL, "the track played at its level"
    steps = np.abs(np.diff(x[first + 50 :]))  # after the track's own start from silence
    at = int(np.argmax(steps))
    step = float(steps[at])
    assert step < LEVEL / 3, f"a step of {step:.2f} at {(first + 50 + at) / SR:.2f} s: a click"
