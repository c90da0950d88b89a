"""A skip (the `next` command) is feedback the listener gave: it is on disk when the command returns,
so a kill -9 right after the page's answer cannot lose it, and it is recorded once, not again when
the player reports the skipped track's end."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from servicekit import Script, build, wait_for

from moodspeaker.service.app import Appliance


def skips(app: Appliance) -> list[str]:
    with sqlite3.connect(app.config.device.data_dir + "/recommend.sqlite") as db:
        return [r[0] for r in db.execute("SELECT track_id FROM feedback WHERE kind = 'skip' ORDER BY id")]


def test_a_skip_is_written_before_the_command_returns_and_only_once(tmp_path: Path) -> None:
    app, _bus = build(tmp_path, Script("happy"))
    app.start()
    try:
        app.play()
        wait_for(lambda: app.state()["playing"] and app.state()["now_playing"] is not None, what="a track")
        skipped = app.state()["now_playing"]["track_id"]
        app.next_track()
        assert skips(app) == [skipped]  # at once: not left to the background feedback writer
        wait_for(lambda: (app.state()["now_playing"] or {}).get("track_id") not in {None, skipped},
                 what="the next track")  # fmt: skip
        app.player.wait_idle()
        app.stop()  # drains the feedback queue: a second skip row would be written by now
        assert skips(app) == [skipped]
    finally:
        app.stop()
