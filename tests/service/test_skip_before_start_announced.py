"""A Next pressed on a track the status shows before its start has reached the service's handlers
records one skip, not two.

The player publishes its status, then announces what the status shows (TrackStarted...), on its own
thread.  A Next read between the two saw the track playing and recorded its skip, but its mark
(`service.skips.RecordedSkips`) was dropped: the track was not known to be sounding yet.  The play's
end, announced as skipped, was then recorded a second time (a CI run on a loaded machine: two skips
of the first track in tests/service/test_replay).  Now the mark is set on the player thread just
before the Next runs there, after every event the status it read shows was handled.

Real appliance and player; the window is held open deterministically: the player thread is kept
in the service's handling of the first TrackStarted until the Next has been posted.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, TrackEnded

pytestmark = pytest.mark.timeout(120)


def rows(app: Appliance) -> list[tuple[str, str]]:
    with sqlite3.connect(app.config.device.data_dir + "/recommend.sqlite") as db:
        return db.execute("SELECT kind, track_id FROM feedback ORDER BY id").fetchall()


def test_next_before_the_start_is_handled_records_one_skip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, bus = build(tmp_path, Script("happy"))
    api = ControlAPI(app, bus)
    events: list[Event] = []
    bus.subscribe(events.append)
    held, pressed = threading.Event(), threading.Event()
    skips, player = app._recorded_skips, app.player
    started, next_ = skips.started, player.next

    def start_held(track_id: str) -> None:
        """The first start waits (on the player thread, its status published) for the Next."""
        if not held.is_set():
            held.set()
            pressed.wait(60)
        started(track_id)

    def next_pressed(**kwargs: Any) -> None:
        pressed.set()  # the command has recorded the skip and marked what it marks by now
        next_(**kwargs)

    monkeypatch.setattr(skips, "started", start_held)
    monkeypatch.setattr(player, "next", next_pressed)
    app.start()
    try:
        wait_for(held.is_set, what="the first start announced")
        current = player.status().current
        assert current is not None  # shown before its start was handled
        first = current.track.id
        api.execute("next")
        wait_for(
            lambda: any(isinstance(e, TrackEnded) and e.track_id == first for e in events),
            what="the end of the skipped play",
        )
        wait_for(lambda: not app._feedback_pending(), what="the feedback written")
        assert [r for r in rows(app) if r[0] == "skip"] == [("skip", first)]
        assert skips.pending() == []  # the mark went with the play's end
    finally:
        app.stop()
