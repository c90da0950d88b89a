"""Play after Stop, and Play on a track restored after a restart, ramp in rather than start on a step.

Both open the track where it was (mid-track, at its level) with no fade-in: the speaker heard a step
from silence to that level (a click), where a resume after Pause ramps up (`declick.VolumeRamp`).
The bytes are what SDL's disk driver wrote; the track is a constant level, so a start on a step shows
as one step of that size."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from diskkit import heard_next, steady, to_disk, written
from playerkit import SR, Recorder, item

from moodspeaker.player.engine import Player
from polling import until

LEVEL = 0.4  # the track's constant level: a start on a step shows as a step this size


def _wait(what: Callable[[], bool], message: str) -> None:
    until(what, what=message)


def _stopped_mid_track(player: Player, track: Path, out: Path) -> None:
    """`track` played for a while, then stopped (its ramp down and some silence written)."""
    player.set_queue([item(track, "a")])
    player.play()
    _wait(lambda: player.status().position_s >= 1.0, "the track did not play")
    player.stop()
    _wait(lambda: player.status().state == "stopped", "Stop did not stop")
    heard_next(out, SR // 2)


def _restored_mid_track(player: Player, track: Path, out: Path) -> None:
    """`track` restored after a restart at 2 s (`Player.load`), not playing yet."""
    player.load(item(track, "a"), 2.0, [])
    assert player.wait_idle(10.0)
    heard_next(out, SR // 4)  # the open output writes silence meanwhile


@pytest.mark.parametrize(
    "before",
    [pytest.param(_stopped_mid_track, id="after-stop"), pytest.param(_restored_mid_track, id="restored")],
)
def test_play_mid_track_ramps_in(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_player: Callable[..., tuple[Player, Recorder]],
    before: Callable[[Player, Path, Path], None],
) -> None:
    out = to_disk(tmp_path, monkeypatch)
    track = steady(tmp_path / "steady.wav", LEVEL, 10.0)
    player, _rec = make_player(volume=1.0, target_lufs=-16.0)
    _wait(lambda: written(out) > 0, "the output did not open")
    before(player, track, out)
    assert player.status().state == "stopped"
    mark = written(out) - 64  # SDL writes whole buffers: Play is heard from the next one at the soonest
    player.play()
    _wait(lambda: player.status().state == "playing", "Play did not play")
    x = heard_next(out, 2 * SR, start=mark)  # from before the Play: silence, then the track coming in
    assert np.abs(x[:64]).max() < 1e-3, "silent before Play"
    loud = np.flatnonzero(np.abs(x) > 0.9 * LEVEL)
    assert len(loud), "the track played at its level after Play"
    steps = np.abs(np.diff(x[: loud[0] + 1]))
    at = int(np.argmax(steps))
    assert steps[at] < LEVEL / 3, f"Play came in on a step of {steps[at]:.2f} (a click) at frame {at}"
