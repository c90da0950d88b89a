"""A transport command (next, dislike, play, pause, replay) answers with what is in effect after it.

Why: the page (POST /api/command) and MQTT show the answer of `ControlAPI.execute` as the result of
the command.  `next` used to answer at once, before the player thread had moved on, so the answer
showed the skipped track as `now_playing` with nothing `pending`: the page said "Done" and showed the
track just skipped.  Now such a command waits for the player (up to `PLAYER_WAIT_S`) like set_volume;
a player too busy to apply it within that wait leaves the track in effect in the answer and names the
one it moves to under `pending`.  Real appliance: player on SDL's dummy driver, real recommender.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servicekit import HeldPlayer, Script, build, wait_for

from moodspeaker.service import core
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def playing(tmp_path: Path) -> Iterator[tuple[Appliance, ControlAPI]]:
    """The appliance playing (autoplay on a happy face, the queue planned), stopped after the test."""
    app, bus = build(tmp_path, Script("happy"))
    app.start()
    try:
        wait_for(lambda: app.state()["now_playing"] is not None, what="a track")
        wait_for(lambda: app.state()["queue"], what="a queue")
        yield app, ControlAPI(app, bus)
    finally:
        app.stop()


def _id(entry: Any) -> Any:
    return entry["track_id"] if entry else None


def test_next_answers_with_the_track_that_now_plays(playing: tuple[Appliance, ControlAPI]) -> None:
    app, control = playing
    before = app.state()
    answer = control.execute("next", {})
    assert _id(answer["now_playing"]) == _id(before["queue"][0])  # not the track just skipped
    assert answer["pending"] == {}


def test_dislike_answers_with_the_track_that_now_plays(playing: tuple[Appliance, ControlAPI]) -> None:
    app, control = playing
    before = app.state()
    answer = control.execute("dislike", {})
    assert _id(answer["now_playing"]) == _id(before["queue"][0])
    assert answer["pending"] == {}


def test_next_on_a_busy_player_names_the_next_track_pending(
    playing: tuple[Appliance, ControlAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, control = playing
    monkeypatch.setattr(core, "PLAYER_WAIT_S", 0.05)  # the player is held however long the wait is
    before = app.state()
    held = HeldPlayer(app)
    try:
        answer = control.execute("next", {})
        assert _id(answer["now_playing"]) == _id(before["now_playing"])  # still what is heard ...
        pending = answer["pending"]["now_playing"]
        assert _id(pending) == _id(before["queue"][0])  # ... and the track it moves to is under way
        assert pending["title"] == before["queue"][0]["title"]
        assert control.state()["pending"] == answer["pending"]
    finally:
        held.release()
    wait_for(lambda: control.state()["pending"] == {}, what="the next track applied")
    assert _id(control.state()["now_playing"]) == _id(before["queue"][0])


def test_pause_and_play_answer_with_the_player_state(playing: tuple[Appliance, ControlAPI]) -> None:
    _app, control = playing
    answer = control.execute("pause", {})
    assert (answer["playing"], answer["player"], answer["pending"]) == (False, "paused", {})
    answer = control.execute("play", {})
    assert (answer["playing"], answer["player"], answer["pending"]) == (True, "playing", {})


def test_play_on_a_busy_player_is_answered_pending(
    playing: tuple[Appliance, ControlAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    _app, control = playing
    control.execute("pause", {})
    monkeypatch.setattr(core, "PLAYER_WAIT_S", 0.05)
    held = HeldPlayer(_app)
    try:
        answer = control.execute("play", {})
        assert (answer["playing"], answer["pending"]) == (False, {"playing": True})
    finally:
        held.release()
    wait_for(lambda: control.state()["pending"] == {}, what="play applied")
    assert control.state()["playing"] is True


def test_replay_answers_with_the_replayed_track(playing: tuple[Appliance, ControlAPI]) -> None:
    app, control = playing
    track = _id(app.state()["now_playing"])
    answer = control.execute("replay", {})
    assert answer["playing"] is True and answer["pending"] == {}
    assert _id(answer["now_playing"]) == track  # the first track: nothing before it to go back to
