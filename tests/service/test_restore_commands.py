"""Commands and moods that come before the player has applied the restore act on what was restored.

Why: at start the saved track, queue and playing state are posted to the player thread, and on a
starved machine the player may run them late.  Until then its status shows nothing, and whatever read
it acted on nothing: Play planned a queue of its own over the restored one (the listener's queue,
kept across the restart, was gone), a mood read by the camera (or corrected from the page or MQTT)
found no track to check the clash with and left a clashing restored track playing, a Next skipped
the restored track without the skip being recorded as feedback, and a Like was refused ("nothing is
playing") while the page showed the track a moment later.  Now a command waits for the restore,
bounded (`service.restored.RESTORE_WAIT_S`), and the snapshot restored stands in for the status
after that; the conductor takes it at once (`Conductor(status=...)`).

The player thread is held on a gate posted before the appliance starts, so the restore waits behind
it for as long as the test says (tests/service/restorekit).  Real player on SDL's dummy driver, real
recommender on SQLite, commands through the ControlAPI (what the page and MQTT call); only the
camera is scripted.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from restorekit import a_happy_track_plays_first, feedback, gated, held_back, playing_now
from servicekit import Script

from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, MoodChanged, MoodObserved
from polling import until

pytestmark = pytest.mark.timeout(300)


def test_play_before_the_restore_is_applied_plays_the_restored_queue(tmp_path: Path) -> None:
    """Paused at the power cut: Play after the restart resumes the listener's track and queue."""
    with gated(tmp_path, Script(None), playing=False) as (app, gate, _events):
        ControlAPI(app, app.bus).execute("play")
        held_back(app)
        gate.open()
        assert app.player.wait_idle(60), "the player never ran the restore and Play"
        status = app.player.status()
        shown = (playing_now(app), [i.track.id for i in status.queue], status.state)
        assert shown == ("calm", ["happy2", "sad1"], "playing"), f"Play planned over the restored: {shown}"


def test_a_mood_read_before_the_restore_is_applied_cuts_a_clashing_restored_track(tmp_path: Path) -> None:
    changed, reacted = threading.Event(), threading.Event()

    def on_event(event: Event) -> None:
        if isinstance(event, MoodChanged) and event.mood == "happy":
            changed.set()
        elif isinstance(event, MoodObserved) and changed.is_set():
            reacted.set()  # the next capture's: the inference thread reacted to happy before it

    with gated(tmp_path, Script("happy")) as (app, gate, events):
        app.bus.subscribe(on_event)
        assert reacted.wait(120), "the camera's happy never came, or the service never reacted to it"
        held_back(app)
        gate.open()
        a_happy_track_plays_first(events)


def test_a_mood_corrected_before_the_restore_is_applied_is_about_the_restored_track(tmp_path: Path) -> None:
    with gated(tmp_path, Script(None)) as (app, gate, events):
        ControlAPI(app, app.bus).execute("correct_mood", {"mood": "happy"})
        held_back(app)
        assert feedback(app, "wrong_mood") == ["calm"], "the correction was not about the track playing"
        gate.open()
        a_happy_track_plays_first(events)


def test_a_next_before_the_restore_is_applied_skips_the_restored_track_and_records_it(tmp_path: Path) -> None:
    with gated(tmp_path, Script(None)) as (app, gate, _events):
        answer = ControlAPI(app, app.bus).execute("next")
        held_back(app)
        assert feedback(app, "skip") == ["calm"], "the skip of the restored track was not recorded"
        assert (answer["pending"].get("now_playing") or {}).get("track_id") == "happy2", answer["pending"]
        gate.open()
        until(lambda: playing_now(app) == "happy2", 60, "happy2", detail=lambda: playing_now(app))
        app.stop()  # drains the feedback queue: a second skip row (the player's TrackEnded) is written by now
        assert feedback(app, "skip") == ["calm"], "the skip was recorded twice"


def test_a_like_before_the_restore_is_applied_likes_the_restored_track(tmp_path: Path) -> None:
    with gated(tmp_path, Script(None)) as (app, _gate, _events):
        ControlAPI(app, app.bus).execute("like")  # was refused: "like: nothing is playing"
        held_back(app)
        assert feedback(app, "like") == ["calm"]
