"""What was restored after a power cut comes back as it was: a paused track paused, at its position.

Why: a speaker paused when the power went came back "stopped", its track waiting to resume, and
stopped is what autoplay starts: the first mood the camera read (or the first refill) started the
music the listener had paused.  A music player resumes paused after a restart (moOde, Volumio): the
track is the current one, shown paused at its position, Like and Dislike act on it, Play resumes it
there, and nothing else starts it.  And a restored track that a mood switch cut before it was heard
(the camera read a mood that clashes with it as the restore was applied) went back to the queue from
its start: it keeps the position it was restored at, in the queue, in state.json and when it plays.

The player thread is held on a gate posted before the appliance starts, so the mood is read while the
restore waits behind it (tests/service/restorekit).  Real player on SDL's dummy driver, real
recommender on SQLite, commands through the ControlAPI (what the page and MQTT call); only the
camera is scripted.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from restorekit import a_happy_track_plays_first, feedback, gated, held_back, playing_now, saved
from servicekit import Script

from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, MoodChanged, MoodObserved, TrackStarted
from polling import until

pytestmark = pytest.mark.timeout(300)


def camera_read(app: Appliance, mood: str) -> threading.Event:
    """Set once the service has reacted to the camera reading `mood`: the reading after the one that
    changed the mood is published once the inference thread is done with that one (the conductor's
    plan and whatever it asked of the player are posted by then)."""
    changed, reacted = threading.Event(), threading.Event()

    def on_event(event: Event) -> None:
        if isinstance(event, MoodChanged) and event.mood == mood:
            changed.set()
        elif isinstance(event, MoodObserved) and changed.is_set():
            reacted.set()

    app.bus.subscribe(on_event)
    return reacted


def test_a_speaker_paused_at_the_power_cut_comes_back_paused_on_its_track(tmp_path: Path) -> None:
    with gated(tmp_path, Script("happy"), playing=False) as (app, gate, events):
        reacted = camera_read(app, "happy")
        assert reacted.wait(120), "the camera's happy never came, or the service never reacted to it"
        held_back(app)
        gate.open()
        assert app.player.wait_idle(60), "the player never ran the restore"
        state = app.state()
        now = state["now_playing"] or {}
        shown = (state["player"], state["playing"], now.get("track_id"), now.get("position_s"))
        assert shown == ("paused", False, "calm", 12.0), f"not back paused on its track: {shown}"
        assert not [e for e in events if isinstance(e, TrackStarted)], "a mood read started the paused music"
        api = ControlAPI(app, app.bus)
        api.execute("like")
        assert feedback(app, "like") == ["calm"], "the like was not about the paused track"
        api.execute("play")
        until(lambda: app.player.status().state == "playing", 60, "Play to resume")
        assert playing_now(app) == "calm" and app.player.status().position_s >= 12.0, app.player.status()


def test_a_restored_track_a_switch_cut_before_it_was_heard_keeps_its_position(tmp_path: Path) -> None:
    with gated(tmp_path, Script(None)) as (app, gate, events):
        api = ControlAPI(app, app.bus)
        api.execute("correct_mood", {"mood": "happy"})  # clashes with the restored calm: a switch
        held_back(app)
        gate.open()
        a_happy_track_plays_first(events)
        head = app.player.status().queue[0]
        assert (head.track.id, head.start_s) == ("calm", 12.0), head

        def saved_head() -> tuple[str, float]:
            first = saved(tmp_path)["queue"][0]
            return first["track"]["id"], first.get("start_s", 0.0)

        until(lambda: saved_head() == ("calm", 12.0), 60, "calm's position saved", detail=saved_head)
        api.execute("next")
        until(lambda: playing_now(app) == "calm", 60, "calm to play", detail=lambda: playing_now(app))
        assert app.player.status().position_s >= 12.0, app.player.status()
