"""A track paused when the audio output goes is still paused, where it was, when the output is back.

Why: the lost output left the player "stopped" with the paused track to resume, and stopped is what
the service's autoplay starts: the next mood the camera read started the music the listener had
paused, as soon as the output was back.  Paused, it stays the current track at its position until
Play, which continues the same play (announced as started once).  Real player on SDL's dummy driver;
the output is lost by shutting pygame's mixer under the player, as tests/player/test_player.py does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pygame
import pytest
from playerkit import Recorder, audio_back, playing, started, tones

from moodspeaker.player.engine import Player
from moodspeaker.service.events import StateChanged

pytestmark = pytest.mark.timeout(180)


def test_paused_as_the_output_goes_it_is_paused_at_its_position_when_it_is_back(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    player, rec = playing(make_player, tones(tmp_path, 30.0))
    player.pause()
    assert player.wait_idle(30)
    paused_at = player.status().position_s
    player._post(pygame.mixer.quit)  # the output vanishes while paused
    rec.wait(lambda e: isinstance(e, StateChanged) and e.key == "audio" and e.value == "lost")
    audio_back(rec)
    assert player.wait_idle(30)
    status = player.status()
    current = status.current.track.id if status.current else None
    assert (status.state, current, status.position_s) == ("paused", "a", paused_at), status
    player.play()
    assert player.wait_idle(30)
    status = player.status()
    assert status.state == "playing" and status.position_s >= paused_at, status
    assert started(rec) == ["a"], "the paused play was not continued"
