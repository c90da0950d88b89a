"""A like on a full disk is refused clearly: nothing is acknowledged that was not written.

The feedback database is made full the way SQLite itself reports a full disk (`max_page_count` pinned
to the file's current size gives the same SQLITE_FULL, "database or disk is full"); the stress suite
does it with a real 4 MB tmpfs behind the page (tests/stress/test_stress_faults.py, needs root).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.control import CommandError, ControlAPI
from moodspeaker.service.events import CommandRejected, ErrorReported, Event


def likes(app: Appliance) -> int:
    with sqlite3.connect(app.config.device.data_dir + "/recommend.sqlite") as db:
        return int(db.execute("SELECT count(*) FROM feedback WHERE kind = 'like'").fetchone()[0])


def test_a_like_on_a_full_disk_is_refused_reported_and_works_again_with_room(tmp_path: Path) -> None:
    app, bus = build(tmp_path, Script("happy"))
    events: list[Event] = []
    bus.subscribe(events.append)
    api = ControlAPI(app, bus)
    app.start()
    try:
        api.execute("play")
        wait_for(lambda: app.state()["now_playing"] is not None, what="a track playing")
        db = app.parts.recommender.store._db  # the recommender's own connection: its "disk" fills up
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        profile, track = app.conductor.profile, app.state()["now_playing"]["track_id"]
        for _ in range(100_000):  # fill what room is left in the file's pages (with skips)
            try:
                app.parts.recommender.feedback(profile, track, "skip", None, time.time())
            except sqlite3.OperationalError as exc:
                assert "full" in str(exc)
                break
        for command in ("like", "dislike"):
            playing = app.state()["now_playing"]["track_id"]
            with pytest.raises(CommandError, match=f"^{command} was not recorded: the disk is full$"):
                api.execute(command)
            assert app.state()["now_playing"]["track_id"] == playing  # a refused dislike skips nothing
        assert likes(app) == 0
        errors = [e for e in events if isinstance(e, ErrorReported)]
        assert [e.message for e in errors] == [
            "like was not recorded: the disk is full",
            "dislike was not recorded: the disk is full",
        ]
        assert any(isinstance(e, CommandRejected) and e.command == "like" for e in events)
        incidents = app.health_snapshot()["incidents"]
        assert any("like was not recorded" in i["message"] for i in incidents)
        db.execute("PRAGMA max_page_count = 1073741823")  # room again
        api.execute("like")
        assert likes(app) == 1  # written before acknowledged
    finally:
        app.stop()
