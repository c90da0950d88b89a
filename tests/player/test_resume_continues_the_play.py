"""A track resumed when a lost audio device comes back continues the same play.

The device went while a played; a resumes where it was heard once the device is back.  That is one
play of a, heard in two parts: it is announced as started once, and its end (completed, skipped by a
Next...) is announced once with the time heard in both parts, which is what the `completed` feedback
and its listened time are recorded from.  Before the fix the resume was announced as a new play: a
second "started", the first part's end never announced, and the end counting only the seconds heard
after the resume.

Real player on SDL's dummy driver; the device is unplugged and plugged back as in
tests/player/test_next_while_lost.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playerkit import Recorder, audio_back, end_events, playing, started, tones
from test_next_while_lost import plug_back, unplug

from moodspeaker.player.engine import Player
from moodspeaker.service.events import TrackEnded
from polling import until

pytestmark = pytest.mark.timeout(180)

A_S = 3.0  # how long a lasts


def lost_past(player: Player, rec: Recorder, position_s: float) -> float:
    """Unplug the device once the track playing is heard past `position_s`; where it was heard."""
    until(lambda: player.status().position_s >= position_s, 60, f"playback past {position_s} s")
    unplug(player, rec)
    status = player.status()
    assert status.waiting_for_audio and status.current is not None
    return status.position_s  # where it resumes


def test_a_resumed_track_is_one_play_heard_to_its_end(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    player, rec = playing(make_player, tones(tmp_path, A_S, 0.6))
    heard = lost_past(player, rec, 1.0)
    assert end_events(rec, "a") == []  # interrupted, not over
    plug_back(player)
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    assert started(rec) == ["a", "b"]  # a's resume is no new start
    [ended] = end_events(rec, "a")
    assert ended.completed and not ended.skipped
    # both parts: before the loss (`heard` s) and after the resume (the rest); not the rest only
    assert ended.played_s == pytest.approx(A_S, abs=0.25), (ended, heard)


def test_a_next_on_a_resumed_track_skips_the_one_play(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    player, rec = playing(make_player, tones(tmp_path, 4.0, 0.6))
    heard = lost_past(player, rec, 1.0)
    plug_back(player)
    audio_back(rec)
    until(lambda: player.status().position_s >= heard + 0.5, 60, "playback past the resume")
    player.next(fade_s=0.0)
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    assert started(rec) == ["a", "b"]
    [ended] = end_events(rec, "a")
    assert ended.skipped and not ended.completed
    assert ended.played_s >= heard + 0.5, (ended, heard)  # the part before the loss counts too


def test_a_track_that_cannot_resume_ends_its_play_once(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """a's file is gone by the time the device is back (a disk unplugged with the speaker's USB sound
    card, say): a is reported as failed, its play ends (cut: neither completed nor skipped) with the
    time heard before the loss, and b plays.  Before the fix that end was never announced."""
    player, rec = playing(make_player, tones(tmp_path, A_S, 0.6))
    heard = lost_past(player, rec, 1.0)
    (tmp_path / "a.wav").unlink()
    plug_back(player)
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    assert started(rec) == ["a", "b"]
    [ended] = end_events(rec, "a")
    assert not ended.completed and not ended.skipped
    assert ended.played_s == pytest.approx(heard, abs=0.05), (ended, heard)
    assert [f["track_id"] for f in player.status().failures] == ["a"]
