"""The data export gives the mood each track playing or queued was picked for.

The speaker notes the mood of every plan it applies (service.picked) and keeps the notes of the tracks
playing and queued in state.json (`picked_for`, with `picked_at`): mood readings tied to a time of
listening, taken back by the retention and delete-everything.  The export ("everything this speaker
keeps about its listeners") left them out.  Real parts: the running appliance (real player on SDL's
dummy driver, real recommender on SQLite); only the camera and classifier are scripted (a happy face).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service.control import ControlAPI

pytestmark = pytest.mark.timeout(120)


def test_the_export_gives_the_moods_the_tracks_were_picked_for(tmp_path: Path) -> None:
    start = time.time()
    app, bus = build(tmp_path, Script("happy"))
    app.start()
    try:
        wait_for(lambda: app.state()["now_playing"] is not None, what="autoplay on the happy face")
        playing = app.state()["now_playing"]["track_id"]
        export = ControlAPI(app, bus).export_data()
        json.dumps(export)  # JSON-ready
        assert export["picked_for"].get(playing) == "happy", export.get("picked_for")
        assert set(export["picked_for"].values()) == {"happy"}
        assert all(start <= at <= time.time() for at in export["picked_at"].values())
    finally:
        app.stop()


def test_the_export_gives_the_notes_kept_of_tracks_no_longer_held(tmp_path: Path) -> None:
    """The conductor keeps the notes of the last 200 tracks picked (and when each explanation was
    queued) until the retention or "delete everything" takes them; the export gave only those of the
    tracks playing and queued, which state.json saves."""
    script = Script("happy")
    app, bus = build(tmp_path, script)
    app.start()
    try:
        wait_for(lambda: app.state()["now_playing"] is not None, what="autoplay on the happy face")
        state = app.state()
        happy = {"happy1", "happy2"} & {
            state["now_playing"]["track_id"],
            *(q["track_id"] for q in state["queue"]),
        }
        assert happy, state
        script.mood = "sad"  # the happy picks make way for sad ones

        def held() -> set[str]:
            state = app.state()
            playing = state["now_playing"]["track_id"] if state["now_playing"] else None
            return {playing, *(q["track_id"] for q in state["queue"])}

        wait_for(lambda: not {"happy1", "happy2"} & held(), what="the happy picks no longer held")
        export = ControlAPI(app, bus).export_data()
        assert not {"happy1", "happy2"} & set(export["picked_for"])  # state.json's: the held ones
        notes = {n["track_id"]: n for n in export["picked_notes"]["picks"]}
        assert happy <= set(notes), notes
        assert all(notes[t]["mood"] == "happy" for t in happy), notes
        made = export["picked_notes"]["explanations"]
        assert any(e["track_id"] in happy and "you look happy" in e["reason"] for e in made), made
        json.dumps(export)
    finally:
        app.stop()
