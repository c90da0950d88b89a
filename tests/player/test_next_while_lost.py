"""A Next pressed while the audio device is gone skips the track the listener was hearing.

The device went while track a played: the player is "stopped" (audio lost), a is what the status
shows, and it resumes where it was when the device is back.  A Next pressed then skips a, as it
would while playing: a's end is announced once, as skipped (the service records the skip from the
status, `waiting_for_audio`, and that end must go with it), and b plays when the device is back, not
a.  Before the fix the Next only called off a's resumption: a's end was never announced.

Real player on SDL's dummy driver.  The device is "unplugged" the way it happens on the speaker: the
configured output disappears (the player's device name points at no device, so every reopening
fails) and pygame's mixer is shut under the player; it is plugged back by naming the default again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pygame
import pytest
from playerkit import Recorder, audio_back, ends, playing, started, tones

from moodspeaker.player.engine import Player
from moodspeaker.service.events import StateChanged, TrackEnded

pytestmark = pytest.mark.timeout(180)


def pull_out(player: Player) -> None:
    """Post the output's going (it stays gone, every retry fails, until `plug_back`); any thread."""
    gone = lambda: setattr(player, "_cfg", dataclasses.replace(player._cfg, audio_device="no-such-device"))  # noqa: E731
    player._post(gone)
    player._post(pygame.mixer.quit)


def lost(player: Player, rec: Recorder) -> None:
    """Until the loss is announced and the status after it published."""
    rec.wait(lambda e: isinstance(e, StateChanged) and e.key == "audio" and e.value == "lost")
    assert player.wait_idle(30)


def unplug(player: Player, rec: Recorder) -> None:
    """The output goes and stays gone (every retry fails) until `plug_back`."""
    pull_out(player)
    lost(player, rec)


def plug_back(player: Player) -> None:
    player._post(lambda: setattr(player, "_cfg", dataclasses.replace(player._cfg, audio_device="")))


def playing_a_then_lost(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> tuple[Player, Recorder]:
    # as a starts, on the player thread (sent from here, a busy machine could delay it past a's end)
    player, rec = playing(make_player, tones(tmp_path, 4.0, 0.6, 0.6), then=pull_out)
    lost(player, rec)
    return player, rec


@pytest.mark.parametrize("fade_s", [0.0, 0.5])
def test_next_while_the_device_is_gone_skips_the_track_shown(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]], fade_s: float
) -> None:
    player, rec = playing_a_then_lost(tmp_path, make_player)
    status = player.status()
    assert status.state == "stopped" and status.audio == "lost"
    assert status.current is not None and status.current.track.id == "a"  # what the page shows
    assert ends(rec, "a") == []  # interrupted, not over: it would resume with the device
    player.next(fade_s=fade_s)
    assert player.wait_idle(30)
    assert ends(rec, "a") == [(True, False)]  # the Next ended it, skipped, with the device still gone
    assert status.waiting_for_audio  # a Next then is a skip (the service records it from this)
    assert player.status().audio == "lost"
    plug_back(player)
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "c")
    assert started(rec) == ["a", "b", "c"]  # b when the device is back: a is not resumed
    assert ends(rec, "a") == [(True, False)]  # announced once


def test_stop_while_the_device_is_gone_ends_the_play_as_stopped(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """Stop while the device is gone ends a's play (cut: neither skipped nor completed), as Stop does
    while playing; Play once the device is back starts a again where it was, as a new play."""
    player, rec = playing_a_then_lost(tmp_path, make_player)
    player.stop()
    assert player.wait_idle(30)
    assert ends(rec, "a") == [(False, False)]
    status = player.status()
    assert not status.waiting_for_audio  # the listener stopped the music: a Next is no skip now
    assert status.current is not None and status.current.track.id == "a"  # where Play resumes
    plug_back(player)
    audio_back(rec)
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    assert started(rec)[:3] == ["a", "a", "b"]
    assert ends(rec, "a") == [(False, False), (False, True)]


def test_next_after_pause_and_a_lost_device_is_no_skip(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """Paused, then the device goes: Next moves on (a cut, as a Next while paused is), not a skip."""

    def pause_then_pull_out(player: Player) -> None:  # as a starts, on the player thread
        player.pause()
        pull_out(player)

    player, rec = playing(make_player, tones(tmp_path, 4.0, 0.6), then=pause_then_pull_out)
    lost(player, rec)
    assert not player.status().waiting_for_audio
    player.next()
    assert player.wait_idle(30)
    assert ends(rec, "a") == [(False, False)]
    plug_back(player)
    audio_back(rec)
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    assert started(rec) == ["a", "b"]
