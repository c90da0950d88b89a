"""A volume change ramps from the level heard to the new one: it moves the level on no one sample.

The listener's volume is in the samples (`ChunkFeeder.set_volume`); rewritten at the new gain from
the first sample SDL had not mixed, a mute or a big move stepped the whole change on one sample (a
click), and a slider drag stepped at every change.  It now ramps over `VOLUME_RAMP` frames (~12 ms)
past what SDL may have mixed (`MIX_SLACK` past its buffer, as a fade-out).  The bytes are what SDL's
disk driver wrote, the track a constant level, so a step in the level is a step between two samples:
a tenth of the change at most, where it was the whole of it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from diskkit import speaker, steady, to_disk, written
from playerkit import Recorder, item

from moodspeaker.player.engine import Player
from moodspeaker.player.volume import output_gain
from moodspeaker.service.events import TrackStarted

LEVEL = 0.75  # the track's constant level


@pytest.mark.parametrize(
    ("before", "after"), [(1.0, 0.0), (0.0, 1.0), (1.0, 0.3)], ids=["mute", "unmute", "down"]
)
def test_a_volume_change_moves_on_no_step(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_player: Callable[..., tuple[Player, Recorder]],
    before: float,
    after: float,
) -> None:
    out = to_disk(tmp_path, monkeypatch)
    track = steady(tmp_path / "steady.wav", LEVEL, 10.0)
    player, rec = make_player(volume=before, target_lufs=-16.0)
    player.set_queue([item(track, "a")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackStarted) and e.track_id == "a")
    while player.status().position_s < 1.0:
        time.sleep(0.01)
    mark = written(out) - 8192  # (the driver writes through a buffer: the file runs behind it)
    player.set_volume(after)
    player.wait_idle()
    while written(out) < mark + 44100:
        time.sleep(0.01)
    player.close()
    x = speaker(out, mark)[:44100]
    assert abs(x[0] - output_gain(before) * LEVEL) < 0.01 * LEVEL, "the old volume is heard first"
    change = abs(output_gain(after) - output_gain(before)) * LEVEL
    assert abs(x[-1] - output_gain(after) * LEVEL) < 0.01 * LEVEL, "the new volume is reached"
    step = np.abs(np.diff(x))
    at = int(np.argmax(step))
    assert step[at] < 0.1 * change, (
        f"the volume moved on a step of {step[at] / change:.2f} of the change at {at}"
    )
