"""A track taken from the queue as the audio output vanishes is put back, not lost.

Before the fix a lost device dropped both decks: the track heard was resumed later, but one already
taken from the queue and opened, its first chunk not out yet, was neither played nor put back.  That
happens whenever a command takes the next track just as the output goes: Play (say right after a
profile switch gave the new listener's queue), Next, a switch to a track that fits a new mood.  Now it
goes back to the head of the queue (or, opened at a saved position, back to where it resumes).
Real player on SDL's dummy driver; the device is lost by shutting pygame's mixer under the player, as
tests/player/test_player.py does, between the player's commands so the fault hits that command.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pygame
import pytest
from playerkit import Recorder, audio_back, end_events, ends, playing, started, tone, tones

from moodspeaker.player.engine import Player
from moodspeaker.service.events import StateChanged, TrackEnded

pytestmark = pytest.mark.timeout(180)


def lose_audio_during(player: Player, command: Callable[[], None]) -> None:
    """Run `command` on the player with the mixer shut just before it (same batch, no tick between)."""
    gate = threading.Event()

    def busy() -> None:
        gate.wait(60)

    player._post(busy)  # the player thread is busy for a moment...
    player._post(pygame.mixer.quit)  # ...the audio device vanishes under it...
    command()  # ...and the command it runs next takes a track from the queue
    gate.set()


def wait_lost_and_back(rec: Recorder) -> None:
    rec.wait(lambda e: isinstance(e, StateChanged) and e.key == "audio" and e.value == "lost")
    audio_back(rec)


def test_play_from_a_new_queue_as_the_device_goes(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """Stopped, a new queue arrives (a profile switch's), Play takes its first track: nothing lost."""
    c, d = tone(tmp_path, "c", 440, 0.6), tone(tmp_path, "d", 550, 0.6)
    player, rec = make_player()
    assert player.wait_idle(30)
    player.set_queue([c, d])
    lose_audio_during(player, player.play)
    wait_lost_and_back(rec)
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "d")
    assert started(rec) == ["c", "d"]


@pytest.mark.parametrize("fade_s", [0.0, 0.5])
def test_next_as_the_device_goes(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]], fade_s: float
) -> None:
    """Next cuts (or fades) the track playing and takes the next one from the queue as the output goes.
    Either way the Next stands: the skipped play has ended (announced once, as skipped) and the next
    one plays when the device is back.  Before the fix a faded Next was undone: the track being
    faded out was still the one heard, so it resumed with the device and the next one came after it."""
    # as a starts (on the player thread: a busy machine cannot delay it past a's end)
    _, rec = playing(
        make_player,
        tones(tmp_path, 2.0, 0.6, 0.6),
        then=lambda p: lose_audio_during(p, lambda: p.next(fade_s=fade_s)),
    )
    wait_lost_and_back(rec)
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "c")
    assert started(rec) == ["a", "b", "c"]
    assert ends(rec, "a") == [(True, False)]


def test_the_device_going_while_a_next_fades_the_skipped_track_out(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """Next went through (the next track is heard, the skipped one fading out under it) and then the
    output goes: the track Next started resumes, the skipped one has ended (announced, as skipped)."""

    def next_then_gone(player: Player) -> None:
        """Posted on the player thread as a starts, so both run in its next turn, together."""
        player.next(fade_s=30.0)  # the Next: b heard at once, a fading out over 30 s...
        player._post(pygame.mixer.quit)  # ...and the output goes before the fade got anywhere

    _, rec = playing(make_player, tones(tmp_path, 3.0, 0.6), then=next_then_gone)
    wait_lost_and_back(rec)
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    assert started(rec) == ["a", "b"]  # b resumed (the same play: no second start), a not
    assert ends(rec, "a") == [(True, False)]
    assert [e.completed for e in end_events(rec, "b")] == [True]  # b's one play, heard to its end


def test_a_switch_to_a_track_that_fits_a_new_mood_as_the_device_goes(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """The conductor's switch on a clash hands the player a track that is in no queue: it comes next."""
    x = tone(tmp_path, "x", 330, 0.6)
    _, rec = playing(
        make_player,
        tones(tmp_path, 2.0, 0.6),
        then=lambda p: lose_audio_during(p, lambda: p.switch_to(x, fade_s=0.0)),
    )
    wait_lost_and_back(rec)
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    assert started(rec) == ["a", "x", "b"]


def test_a_restored_track_opened_as_the_device_goes_resumes_where_it_was(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """After a restart the saved track is opened at its saved position: lost before its first chunk
    is out, it still resumes there, not from its start."""
    a = tone(tmp_path, "a", 440, 3.0)
    player, rec = make_player()
    player.load(a, 2.0, [])
    assert player.wait_idle(30)
    lose_audio_during(player, player.play)
    wait_lost_and_back(rec)
    ended = rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "a")
    assert started(rec) == ["a"]
    assert isinstance(ended, TrackEnded) and ended.completed and ended.played_s < 1.5, ended
