"""Stop pressed while a track sounds ends it with a short ramp down, not on a step (a click).

Stop cut every channel at once, on whatever sample it had reached; now each channel that sounds
ramps down as a Next's cut does (`player.declick`).  The bytes are what SDL's disk driver wrote; the
track is a constant level, so a cut shows as one step of that size whatever the moment Stop lands.
A chunk that ends within the ramp plays out, and the next one's start follows ramped down.
SDL_mixer changes a channel's volume once per output buffer, so the ramp is a staircase of small
steps (about a ninth of the level each over its 0.2 s), not a smooth curve.
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

LEVEL = 0.4  # the track's constant level: a cut of it shows as a step this size


@pytest.mark.parametrize(
    "stop_at",
    [pytest.param(0.5, id="early-in-a-chunk"), pytest.param(0.7, id="near-a-chunk-end")],
)
def test_stop_while_playing_ramps_the_track_down(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_player: Callable[..., tuple[Player, Recorder]],
    stop_at: float,
) -> None:
    """Stop at `stop_at` s: the track's second chunk (0.4 s each) plays from 0.4 s to 0.8 s.  Near its
    end the chunk ends within the ramp: the channel's fade stopped there, and the silence queued for
    after the fade came at once (a step of the level the fade had reached)."""
    out = to_disk(tmp_path, monkeypatch)
    track = steady(tmp_path / "steady.wav", LEVEL, 4.0)
    player, _rec = make_player(volume=1.0, target_lufs=-16.0)
    player.set_queue([item(track, "a")])
    player.play()
    while player.status().position_s < stop_at:  # heard at its level for a while (of its 4 s)
        time.sleep(0.01)
    player.stop()
    while player.status().state != "stopped":
        time.sleep(0.01)
    heard_next(out, SR)  # a second more: the ramp (0.2 s) is in the file, then silence
    player.close()

    x = speaker(out)
    first = int(np.flatnonzero(np.abs(x) > 1e-3)[0])
    assert np.abs(x[first + 50 : first + 2000]).min() > 0.9 * LEVEL, "the track played at its level"
    last = int(np.flatnonzero(np.abs(x) > 1e-3)[-1])
    assert last < len(x) - SR // 2, "the track stopped well before the output's end"
    steps = np.abs(np.diff(x[first + 50 :]))  # after the track's own start from silence
    at = int(np.argmax(steps))
    step = float(steps[at])
    assert step < LEVEL / 3, f"a step of {step:.2f} at {(first + 50 + at) / SR:.2f} s as Stop cut it: a click"
