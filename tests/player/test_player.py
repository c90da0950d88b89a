"""The player on real pygame (dummy driver): order, transport, failures, lost audio device."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pygame
import pytest
from playerkit import Recorder, audio_back, item, write_tone

from moodspeaker.config.schema import PlayerConfig
from moodspeaker.player.deck import Play
from moodspeaker.player.engine import Player, PlayerStatus
from moodspeaker.service.events import ErrorReported, EventBus, StateChanged, TrackEnded, TrackStarted
from polling import until


def test_plays_queue_in_order_and_reports_completion(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    a = write_tone(tmp_path / "a.wav", 440, 0.6)
    b = write_tone(tmp_path / "b.flac", 660, 0.6, sr=48000)  # resampled to the mixer rate
    player, rec = make_player()
    player.set_queue([item(a, "a", reason="fits happy"), item(b, "b")])
    player.play()
    ended_b = rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    started = [e.track_id for e in rec.of("track_started") if isinstance(e, TrackStarted)]
    assert started == ["a", "b"]
    first = rec.of("track_started")[0]
    assert isinstance(first, TrackStarted) and first.reason == "fits happy"
    ended = [e for e in rec.of("track_ended") if isinstance(e, TrackEnded)]
    assert [e.completed for e in ended] == [True, True]
    assert isinstance(ended_b, TrackEnded) and 0.4 < ended_b.played_s < 0.9
    rec.wait(lambda e: isinstance(e, StateChanged) and e.value is False)  # queue ran out: stopped
    assert player.status().state == "stopped"


def test_pause_resume_next_and_volume(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    a = write_tone(tmp_path / "a.wav", 440, 5.0)
    b = write_tone(tmp_path / "b.wav", 550, 5.0)
    player, rec = make_player(crossfade_s=0.5)
    player.set_queue([item(a, "a"), item(b, "b")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackStarted))
    time.sleep(0.6)
    player.pause()
    assert player.wait_idle(30)
    time.sleep(0.1)
    paused_at = player.status().position_s
    time.sleep(0.5)
    assert player.status().state == "paused"
    assert abs(player.status().position_s - paused_at) < 0.05  # time does not run while paused
    player.set_volume(0.25)
    player.play()
    player.next()
    rec.wait(lambda e: isinstance(e, TrackStarted) and e.track_id == "b")
    ended_a = rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "a")
    assert isinstance(ended_a, TrackEnded) and ended_a.skipped and not ended_a.completed
    status = player.status()
    assert status.volume == 0.25 and status.current is not None and status.current.track.id == "b"
    player.stop()
    assert player.wait_idle(30)
    time.sleep(0.05)
    assert player.status().state == "stopped"


def test_track_failing_mid_play_is_skipped_recorded_and_play_continues(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    bad = write_tone(tmp_path / "bad.flac", 440, 4.0)
    data = bytearray(bad.read_bytes())
    n, tail = len(data), len(data) - len(data) // 2
    # damaged from the middle to the end: a stretch damaged in the middle is played past (carryon)
    data[n // 2 :] = bytes(range(256)) * (tail // 256) + bytes(tail % 256)
    bad.write_bytes(bytes(data))
    good = write_tone(tmp_path / "good.wav", 660, 0.5)
    missing = tmp_path / "gone.wav"
    player, rec = make_player()
    player.set_queue([item(bad, "bad"), item(missing, "gone"), item(good, "good")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "good")
    errors = [e for e in rec.of("error") if isinstance(e, ErrorReported) and e.component == "player"]
    assert any("bad" in e.message and "decod" in e.message for e in errors)
    assert any("gone" in e.message and "no such file" in e.message for e in errors)
    failures = {f["track_id"] for f in player.status().failures}
    assert failures == {"bad", "gone"}
    bad_end = rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "bad")
    assert isinstance(bad_end, TrackEnded) and not bad_end.completed and bad_end.played_s > 0.5


def test_missing_audio_device_is_reported_and_commands_still_work(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    a = write_tone(tmp_path / "a.wav", 440, 0.5)
    player, rec = make_player(audio_device="no-such-device")
    rec.wait(lambda e: isinstance(e, ErrorReported) and e.component == "audio")
    player.set_queue([item(a, "a")])
    player.set_volume(0.3)
    player.play()
    assert player.wait_idle(30)
    status = player.status()
    assert status.audio == "lost" and "no-such-device" in status.audio_error
    assert [i.track.id for i in status.queue] == ["a"] and status.volume == 0.3
    assert rec.of("track_started") == []


def test_audio_output_vanishing_mid_play_resumes_where_it_was(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    a = write_tone(tmp_path / "a.wav", 440, 6.0)
    player, rec = make_player()
    player.set_queue([item(a, "a")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackStarted))
    # a second heard (by the player's own count: on a loaded machine a wall-clock second may not be)
    until(lambda: player.status().position_s >= 1.0, what="1 s into the track", detail=player.status)
    player._post(pygame.mixer.quit)  # the mixer disappears under the player, as with a lost device
    rec.wait(lambda e: isinstance(e, StateChanged) and e.key == "audio" and e.value == "lost")
    audio_back(rec)
    assert player.wait_idle(30)
    status = player.status()
    assert status.state == "playing" and status.current is not None and status.current.track.id == "a"
    assert status.position_s >= 0.9  # resumed near where it was, not from the start
    assert len(rec.of("track_started")) == 1  # the same play continues: no second start


class StatusSpy(Player):
    """Keeps every status the player thread publishes (what state() and the page can ever read)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.published: list[PlayerStatus] = []

    def _publish_status(self) -> None:
        super()._publish_status()
        self.published.append(self.status())


def test_a_track_queued_as_the_last_one_ends_never_shows_playing_without_a_track(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refill that lands after the last queued track finished decoding but before it finished
    playing: the next track starts at once and every published status names what plays."""
    bus = EventBus()
    rec = Recorder(bus)
    player = StatusSpy(PlayerConfig(crossfade_s=0.0), bus.publish)
    first = item(write_tone(tmp_path / "a.wav", 440, 0.5), "a")
    second = item(write_tone(tmp_path / "b.wav", 550, 0.5), "b")
    ended = player._history.ended

    def refill_just_in_time(play: Play) -> None:
        """As a's end is recorded: on the player thread, inside its tick (its TrackEnded is sent only
        with the status after the tick, too late for this moment)."""
        ended(play)
        if play.item.track.id == "a":
            player._queue.extend([second])

    monkeypatch.setattr(player._history, "ended", refill_just_in_time)
    player.start()
    try:
        player.set_queue([first])
        player.play()
        rec.wait(lambda e: isinstance(e, TrackStarted) and e.track_id == "b")
        assert player.wait_idle(30)
        gaps = [s for s in player.published if s.state == "playing" and s.current is None]
        assert gaps == []
    finally:
        player.close()
