"""A Next whose track ends on its own before the player runs it skips nothing else.

The command reads the status (track a playing), records the skip of a, and posts the Next to the
player thread.  Should a end on its own in between (its last moments were playing) and b start, the
Next used to skip b: a track the listener never chose to skip, cut at its first moment, and its
skip recorded too (two skips for one press).  Now the Next names the track it was pressed on
(`Player.next`'s `on`) and the player drops it once that track is no longer the one shown.

Real appliance and player; the window is held open deterministically: the player thread is held
while the command reads the status, and the Next is posted only once a has ended and b started.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from servicekit import HeldPlayer, Script, build, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.events import Event, TrackEnded, TrackStarted

pytestmark = pytest.mark.timeout(120)


def skips(app: Appliance) -> list[str]:
    with sqlite3.connect(app.config.device.data_dir + "/recommend.sqlite") as db:
        rows = db.execute("SELECT track_id FROM feedback WHERE kind = 'skip' ORDER BY id").fetchall()
        return [r[0] for r in rows]


def test_a_next_after_its_track_ended_does_not_skip_the_next_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, bus = build(tmp_path, Script("happy"), track_s=2.0)
    events: list[Event] = []
    bus.subscribe(events.append)
    player = app.player
    next_ = player.next
    app.start()
    try:
        wait_for(
            lambda: (status := player.status()).current is not None and bool(status.queue),
            what="a track playing, another queued",
        )
        held = HeldPlayer(app)  # the status stays as the command will read it: a playing
        status = player.status()
        assert status.current is not None
        a = status.current.track.id

        def moved_on() -> bool:
            ended = any(isinstance(e, TrackEnded) and e.track_id == a and e.completed for e in events)
            return ended and any(isinstance(e, TrackStarted) and e.track_id != a for e in events)

        def next_late(**kwargs: Any) -> None:
            """The command has read the status and recorded a's skip; a ends on its own first."""
            held.release()
            wait_for(moved_on, what=f"{a} ended on its own and the next track started")
            next_(**kwargs)

        monkeypatch.setattr(player, "next", next_late)
        app.next_track()
        b = next(e.track_id for e in events if isinstance(e, TrackStarted) and e.track_id != a)
        wait_for(
            lambda: any(isinstance(e, TrackEnded) and e.track_id == b for e in events),
            what=f"the end of {b}",
        )
        ends = [(e.completed, e.skipped) for e in events if isinstance(e, TrackEnded) and e.track_id == b]
        assert ends == [(True, False)]  # b played whole: the Next was for a
        wait_for(lambda: not app._feedback_pending(), what="the feedback written")
        assert skips(app) == [a]  # one skip, of the track the listener pressed Next on
        assert app._recorded_skips.pending() == []
    finally:
        app.stop()
