"""Play pressed just as autoplay starts the first track: two plans reach the player (the command's and
the mood's), each made from a status read before either had started anything.  The track that plays
must not be queued a second time (else "next" would play it again, and a replay would find it twice
in the history)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, MoodChanged, MoodObserved

pytestmark = pytest.mark.timeout(120)


def test_play_pressed_as_the_first_mood_arrives_queues_the_playing_track_once(tmp_path: Path) -> None:
    app, bus = build(tmp_path, Script("happy"))
    api = ControlAPI(app, bus)
    pressed: list[bool] = []
    reacted = threading.Event()

    def press_play(event: Event) -> None:
        # runs on the inference thread right before the appliance reacts to the mood: a listener's
        # Play arriving at that very moment, deterministically
        if isinstance(event, MoodChanged) and not pressed:
            pressed.append(True)
            api.execute("play")
        elif isinstance(event, MoodObserved) and pressed:
            # the next capture's: the inference thread reacted to the mood (and posted its plan to
            # the player) before it took it
            reacted.set()

    bus.subscribe(press_play)
    app.start()
    try:
        wait_for(lambda: app.state()["now_playing"] is not None, what="a track")
        assert reacted.wait(60), "the inference thread never went on after reacting to the mood"
        assert app.player.wait_idle(30), "the player never ran both plans"
        state = app.state()
        playing = state["now_playing"]["track_id"]
        queued = [q["track_id"] for q in state["queue"]]
        assert pressed and playing not in queued and len(set(queued)) == len(queued), (playing, queued)
        api.execute("next")
        wait_for(lambda: (app.state()["now_playing"] or {}).get("track_id") != playing, 60, "another track")
    finally:
        app.stop()
