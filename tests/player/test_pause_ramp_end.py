"""A pause whose ramp down outlives the last track (the decks run out while it ramps) does not leave
the player silent or unable to pause.

Play on a new track after such a pause opened it without ending the pause's ramp: Play within the
ramp, the ramp went on down to nothing with the state "playing" (silent); Play after it, pygame's
mixer stayed marked paused at no gain, so the next Pause ramped from nothing to nothing, never paused
pygame and the track played on while "paused".  The ramp is made long (`declick.DECLICK_S`) so the
track runs out within it whatever the machine's speed; the bytes are what SDL's disk driver wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from diskkit import heard_next, steady, to_disk
from playerkit import SR, Recorder, item

from moodspeaker.player import declick
from moodspeaker.player.engine import Player
from polling import until

LEVEL = 0.4  # the tracks' constant level
RAMP_S = 3.0  # the pause's ramp: longer than what is left of the short track


def _wait(what: Callable[[], bool], message: str) -> None:
    until(what, what=message)


def _pause_past_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Callable[..., tuple[Player, Recorder]]
) -> tuple[Player, Path]:
    """A player paused on a short track (one chunk: `deck.CHUNK_S`, all in pygame's mixer once it
    plays), the long track queued; returns once the decks ran out, with the pause's ramp going down."""
    out = to_disk(tmp_path, monkeypatch)
    monkeypatch.setattr(declick, "DECLICK_S", RAMP_S)
    short, long = steady(tmp_path / "short.wav", LEVEL, 0.3), steady(tmp_path / "long.wav", LEVEL, 20.0)
    player, _rec = make(volume=1.0, target_lufs=-16.0)
    player.set_queue([item(short, "short")])
    player.play()
    _wait(lambda: player.status().position_s > 0, "the short track did not play")
    player.pause()
    player.set_queue([item(long, "long")])
    _wait(lambda: not any(d.plays() for d in player._mixer.decks), "the short track did not run out")
    return player, out


def test_play_within_the_ramp_is_heard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    player, out = _pause_past_the_end(tmp_path, monkeypatch, make_player)
    assert player._ramp.moving, "the case needs Play within the pause's ramp"
    player.play()
    _wait(lambda: player.status().state == "playing", "Play did not play")
    _wait(lambda: not player._ramp.moving, "a ramp never ended")
    _wait(lambda: player.status().position_s >= 0.3, "the long track did not play")
    assert player.status().state == "playing"
    level = float(np.abs(heard_next(out, SR // 2)).mean())
    assert level > 0.9 * LEVEL, f"'playing' the long track, the speaker heard a level of {level:.2f}"


def test_pause_after_the_ramp_ran_out_pauses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    player, out = _pause_past_the_end(tmp_path, monkeypatch, make_player)
    _wait(lambda: not player._ramp.moving, "the pause's ramp never ended")
    player.play()
    _wait(lambda: player.status().position_s >= 0.5, "the long track did not play")
    level = float(np.abs(heard_next(out, SR // 4)).mean())
    assert level > 0.9 * LEVEL, f"'playing' the long track, the speaker heard a level of {level:.2f}"
    player.pause()
    _wait(lambda: player.status().state == "paused", "Pause did not pause")
    _wait(lambda: not player._ramp.moving, "the second pause's ramp never ended")
    after = heard_next(out, SR // 2)
    loud = float(np.abs(after).max())
    assert loud < 1e-3, f"paused after its ramp, the speaker still heard a level of {loud:.2f}"
    assert player.status().state == "paused"
