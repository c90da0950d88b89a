""" "play happy songs" told in the Tell box plays music for a happy mood without correcting the mood
the camera read: no mood-correction row is stored, none against the track playing; "I'm sad" still is
a correction.

Why: the Tell box sent music of a mood asked for as `correct_mood`, so "play happy songs" recorded a
"wrong_mood" row against the track playing and taught the listener's camera-correction mapping that
the sad face it read was happy.  It now sends `ask_mood`.  The page's app (Flask's test client) in
front of the real service (realkit: real player, real recommender on SQLite; the camera scripted to a
sad face).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from realkit import owned_page

pytestmark = pytest.mark.timeout(180)


def test_play_happy_songs_is_no_mood_correction(tmp_path: Path) -> None:
    with owned_page(tmp_path) as (service, page):
        service.camera.mood = "sad"
        state = service.appliance.state
        service.wait_for(lambda: state()["mood"] == "sad" and state()["now_playing"], what="music, sad face")
        service.control.execute("pause")
        service.wait_for(lambda: not state()["playing"], what="paused")

        def corrections() -> list[Any]:
            with sqlite3.connect(service.data_dir / "recommend.sqlite") as db:
                sql = "SELECT track_id, mood, corrected_mood FROM feedback WHERE kind='wrong_mood'"
                return db.execute(sql).fetchall()

        told = page.post_json("/api/tell", {"text": "play happy songs"}).get_json()
        assert told["ok"], told
        assert (state()["mood"], state()["playing"]) == ("happy", True), state()
        assert corrections() == []
        assert [d["command"] for d in told["done"]] == ["ask_mood", "play"], told
        with sqlite3.connect(service.data_dir / "recommend.sqlite") as db:
            kinds = [row[0] for row in db.execute("SELECT kind FROM feedback")]
        assert not {"wrong_mood", "skip", "dislike"} & set(kinds), kinds  # nothing against the track

        told = page.post_json("/api/tell", {"text": "I'm feeling sad"}).get_json()  # a feeling: a correction
        assert told["done"] == [{"command": "correct_mood", "args": {"mood": "sad"}}], told
        assert state()["mood"] == "sad"
        assert [corrected for _track, _mood, corrected in corrections()] == ["sad"]
