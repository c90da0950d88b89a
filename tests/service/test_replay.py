"""The `replay` command on the real appliance (real player on SDL's dummy driver, real recommender on
SQLite): it plays the current track again from the start, or the previous one when the current one
has only just begun, and the recommender receives `replayed` for the replayed track exactly once."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service import playback
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import CommandError, ControlAPI
from moodspeaker.service.events import CommandRejected, Event, TrackEnded

pytestmark = pytest.mark.timeout(120)


def rows(app: Appliance, kind: str | None = None) -> list[tuple[str, str]]:
    with sqlite3.connect(app.config.device.data_dir + "/recommend.sqlite") as db:
        found = db.execute("SELECT kind, track_id FROM feedback ORDER BY id").fetchall()
    return [r for r in found if kind is None or r[0] == kind]


def recorded(app: Appliance) -> list[Event]:
    """The appliance's events from now on (its own handlers, subscribed first, have run for each)."""
    events: list[Event] = []
    app.bus.subscribe(events.append)
    return events


def play_over(app: Appliance, events: list[Event], track_id: str, what: str) -> None:
    """Wait until the end of a play of `track_id` was announced and any feedback its end gives has
    been written: from then on a row it should not have given would be in the database."""
    wait_for(lambda: any(isinstance(e, TrackEnded) and e.track_id == track_id for e in events), what=what)
    wait_for(lambda: not app._feedback_pending(), what="the feedback written")


def now_playing(app: Appliance) -> Any:
    """The state's now_playing: a dict, or None when nothing plays."""
    return app.state()["now_playing"]


@contextmanager
def playing_when_happy(tmp_path: Path, **kwargs: Any) -> Iterator[tuple[Appliance, ControlAPI]]:
    """The real appliance started on a happy face, given once it plays (autoplay), so no mood flip
    switches tracks during the test; stopped when the test is done.  (Not with a "play" command as
    well: pressed while autoplay's first plan is still on its way to the player, it would queue that
    plan a second time.)  `kwargs` go to servicekit.build (track_s, settings)."""
    app, bus = build(tmp_path, Script("happy"), **kwargs)
    api = ControlAPI(app, bus)
    app.start()
    try:
        wait_for(lambda: app.state()["mood"] == "happy", what="the happy mood")
        wait_for(lambda: now_playing(app) is not None, what="a track")
        yield app, api
    finally:
        app.stop()


def test_replay_late_in_a_track_plays_it_again_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(playback, "REPLAY_PREVIOUS_S", 0.5)  # so the test need not wait 4 s
    with playing_when_happy(tmp_path) as (app, api):
        wait_for(lambda: (now_playing(app) or {}).get("position_s", 0) > 1.5, what="1.5 s into a track")
        track = now_playing(app)["track_id"]
        queued = [q["track_id"] for q in app.state()["queue"]]
        events = recorded(app)
        state = api.execute("replay")
        assert state["now_playing"]["track_id"] == track
        assert state["now_playing"]["position_s"] < 1.0 and state["playing"]
        assert [q["track_id"] for q in state["queue"]] == queued  # nothing else moved
        assert rows(app, "replayed") == [("replayed", track)]  # written before the command returned
        # the interrupted first play ends: neither a skip nor a completed play
        play_over(app, events, track, "the end of the interrupted first play")
        assert rows(app) == [("replayed", track)]
    assert rows(app, "replayed") == [("replayed", track)]  # exactly once, shutdown included


def test_replay_just_after_a_change_goes_back_to_the_track_that_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "just after": within 15 s (4 s) of the 20 s track's start, however late a busy machine lets the
    # test thread press Replay after it saw the change
    monkeypatch.setattr(playback, "REPLAY_PREVIOUS_S", 15.0)
    with playing_when_happy(tmp_path) as (app, api):
        wait_for(lambda: now_playing(app) is not None, what="a track")
        first = now_playing(app)["track_id"]
        # pressed as soon as the status shows `first`, perhaps before its start reached the service's
        # handlers: its skip is recorded once all the same (test_skip_before_start_announced)
        api.execute("next")
        wait_for(lambda: (now_playing(app) or {}).get("track_id") not in {None, first}, what="the next track")
        second = now_playing(app)["track_id"]
        events = recorded(app)
        state = api.execute("replay")  # within the first seconds of `second`: the listener wants `first`
        assert state["now_playing"]["track_id"] == first and state["now_playing"]["position_s"] < 1.0
        assert state["queue"][0]["track_id"] == second  # the interrupted track comes next again
        wait_for(lambda: len(rows(app)) >= 2, what="the skip of the first play to be written")
        # the interrupted `second` fades out: it is not counted a skip
        play_over(app, events, second, "the end of the interrupted second track")
        assert sorted(rows(app)) == [("replayed", first), ("skip", first)]
    assert rows(app, "replayed") == [("replayed", first)]


def test_replay_while_paused_plays_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(playback, "REPLAY_PREVIOUS_S", 0.2)
    with playing_when_happy(tmp_path) as (app, api):
        wait_for(lambda: (now_playing(app) or {}).get("position_s", 0) > 0.6, what="0.6 s into a track")
        track = now_playing(app)["track_id"]
        api.execute("pause")
        wait_for(lambda: app.state()["player"] == "paused", what="paused")
        state = api.execute("replay")
        assert state["playing"] and state["now_playing"]["track_id"] == track
        assert state["now_playing"]["position_s"] < 0.6
        assert rows(app, "replayed") == [("replayed", track)]


def test_replay_with_nothing_played_is_refused_and_records_nothing(tmp_path: Path) -> None:
    app, bus = build(tmp_path, Script(None), **{"player.autoplay": False})
    events: list[Event] = []
    bus.subscribe(events.append)
    api = ControlAPI(app, bus)
    app.start()
    try:
        with pytest.raises(CommandError, match=r"^replay: nothing has been played yet$"):
            api.execute("replay")
        assert any(isinstance(e, CommandRejected) and e.command == "replay" for e in events)
        assert rows(app) == []
    finally:
        app.stop()


def test_replay_during_a_crossfade_goes_back_to_the_track_fading_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the Replay is pressed by the test thread after it saw the crossfade: 10 s tracks and a 30 s
    # "just after" leave a busy machine 9 s for that, where 3 s tracks and 4 s left 2 s (then the
    # second track had ended too)
    monkeypatch.setattr(playback, "REPLAY_PREVIOUS_S", 30.0)
    with playing_when_happy(tmp_path, track_s=10.0, **{"player.crossfade_s": 1.0}) as (app, api):
        wait_for(lambda: now_playing(app) is not None, what="a track")
        first = now_playing(app)["track_id"]
        # near its end the next track fades in over it and becomes the current one
        wait_for(lambda: (now_playing(app) or {}).get("track_id") not in {None, first}, what="the crossfade")
        second = now_playing(app)["track_id"]
        state = api.execute("replay")
        assert state["now_playing"]["track_id"] == first and state["now_playing"]["position_s"] < 1.0
        assert state["queue"][0]["track_id"] == second
        assert rows(app, "replayed") == [("replayed", first)]
    assert not any(kind == "skip" and tid == second for kind, tid in rows(app))


def test_replay_when_the_player_does_not_answer_is_refused_and_never_happens_later(tmp_path: Path) -> None:
    with playing_when_happy(tmp_path) as (app, api):
        app.player.close()  # the player thread is gone (the watchdog would have systemd restart us)
        with pytest.raises(CommandError, match=r"^replay: the player did not answer within 5 s$"):
            api.execute("replay")
        assert rows(app, "replayed") == []
