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

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from restorekit import TRACK_S, PlayerGate, write_state
from servicekit import Script, build, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, MoodChanged, MoodObserved, TrackStarted
from polling import until

pytestmark = pytest.mark.timeout(300)

HAPPY = {"happy1", "happy2"}  # far from calm (0.3, -0.6): the best pick for happy clashes with it


@contextmanager
def gated(
    tmp_path: Path, script: Script, *, playing: bool = True
) -> Iterator[tuple[Appliance, PlayerGate, list[Event]]]:
    """The appliance started on a restored state.json (calm at 12 s, happy2 and sad1 queued), its
    player thread held before the restore until the gate opens (at the latest on the way out), and
    the events it publishes."""
    write_state(tmp_path, playing=playing)
    app, bus = build(tmp_path, script, track_s=TRACK_S)
    events: list[Event] = []
    bus.subscribe(events.append)
    gate = PlayerGate(app)
    app.start()
    try:
        try:
            wait_for(gate.holding.is_set, what="the player thread to be held before the restore")
            yield app, gate, events
        finally:
            gate.open()
    finally:
        app.stop()


def held_back(app: Appliance) -> None:
    """The gate still holds the restore back (else the test proves nothing)."""
    status = app.player.status()
    assert status.current is None and not status.queue, "the gate must hold the restore back"


def feedback(app: Appliance, kind: str) -> list[str]:
    """The tracks given `kind` feedback, as on disk now."""
    with sqlite3.connect(Path(app.config.device.data_dir) / "recommend.sqlite") as db:
        rows = db.execute("SELECT track_id FROM feedback WHERE kind = ? ORDER BY id", (kind,))
        return [r[0] for r in rows]


def playing_now(app: Appliance) -> str | None:
    current = app.player.status().current
    return None if current is None else current.track.id


def a_happy_track_plays_first(events: list[Event]) -> None:
    """The clash with the restored calm was checked: a happy track is the first to start.  The player
    runs the restore and the switch in one go once the gate opens, so calm is cut before its first
    chunk is out (it goes back to the queue, not heard); without the check calm starts, and plays on."""

    def first() -> str | None:
        return next((e.track_id for e in events if isinstance(e, TrackStarted)), None)

    started = until(first, 60, "a track to start")
    assert started in HAPPY, f"the restored calm played on (the clash was not checked): {started}"


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
