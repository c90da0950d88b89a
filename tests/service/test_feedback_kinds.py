"""Implicit feedback the appliance sends on its own: a track that cannot be opened is `missing`, and a
track played to the end is `completed` when someone is in view, `left_running` when nobody is."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from servicekit import Script, build, wait_for

from moodspeaker.service.app import Appliance


def kinds(app: Appliance) -> list[tuple[str, str]]:
    with sqlite3.connect(app.config.device.data_dir + "/recommend.sqlite") as db:
        return db.execute("SELECT kind, track_id FROM feedback ORDER BY id").fetchall()


def test_a_track_that_cannot_be_opened_is_reported_missing(tmp_path: Path) -> None:
    app, _bus = build(tmp_path, Script("happy"))
    for name in ("happy1.ogg", "happy2.ogg"):
        (tmp_path / name).unlink()  # gone from the disk since the library was scanned
    app.start()
    try:
        # both rows are written by the background feedback writer: wait for each, never race it
        wait_for(lambda: ("missing", "happy1") in kinds(app), what="happy1 reported missing")
        wait_for(lambda: ("missing", "happy2") in kinds(app), what="happy2 reported missing")
        wait_for(lambda: app.state()["now_playing"] is not None, what="something playable")
        assert app.state()["now_playing"]["track_id"] not in {"happy1", "happy2"}
    finally:
        app.stop()


def test_a_track_played_to_the_end_with_nobody_in_view_was_left_running(tmp_path: Path) -> None:
    script = Script(None)  # nobody in front of the camera
    app, _bus = build(tmp_path, script, track_s=1.0)
    app.start()
    try:
        app.play()
        wait_for(lambda: any(k == "left_running" for k, _ in kinds(app)), what="a track left running")
        assert not any(k == "completed" for k, _ in kinds(app))
        script.mood = "happy"  # someone sits down and listens
        wait_for(lambda: app.state()["face"], what="a face")
        wait_for(lambda: any(k == "completed" for k, _ in kinds(app)), what="a track listened to the end")
    finally:
        app.stop()
