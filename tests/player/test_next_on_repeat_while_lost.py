"""A Next pressed while the audio device is gone, on a track on repeat, moves on from that track.

A one-track library repeats without a gap: the planner queues the only track allowed again, marked
`again`, while it plays.  The device went while x played: x is shown (the play the lost device
interrupted, resuming with the device) and its repeat is queued.  A Next then skips x as it would
while playing: x's end is announced once, as skipped, and its queued repeat is dropped, so x does
not play again when the device comes back (the player stops: nothing is left to play).

Real player on SDL's dummy driver; the device is unplugged and plugged back as in
tests/player/test_next_while_lost.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from playerkit import Recorder, audio_back, ends, playing, started, tone
from test_next_while_lost import plug_back, unplug

from moodspeaker.player.engine import Player

pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize("fade_s", [0.0, 0.5])
def test_a_next_while_the_device_is_gone_drops_the_repeat_of_the_track_shown(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]], fade_s: float
) -> None:
    x = tone(tmp_path, "x", 440, 4.0)
    # the only track: queued again as it plays
    player, rec = playing(make_player, [x], then=lambda p: p.set_queue([dataclasses.replace(x, again=True)]))
    assert player.wait_idle(30)
    unplug(player, rec)
    status = player.status()
    assert status.waiting_for_audio and status.current is not None and status.current.track.id == "x"
    assert [(i.track.id, i.again) for i in status.queue] == [("x", True)]
    player.next(fade_s=fade_s)
    assert player.wait_idle(30)
    assert ends(rec, "x") == [(True, False)]  # skipped, announced once
    assert player.status().queue == ()  # its repeat went with it
    plug_back(player)
    audio_back(rec)
    assert player.wait_idle(30)
    assert player.wait_idle(30)  # a tick after the device came back: what it started is announced by now
    status = player.status()
    assert status.state == "stopped" and status.current is None, status
    assert started(rec) == ["x"]
    assert ends(rec, "x") == [(True, False)]
