"""A player thread its watcher cannot free is reported, stops the systemd pings, and is not resumed.

Why: the player thread decodes every chunk itself; a decode call that never returns silenced the
speaker for good while the page, MQTT and systemd all saw a healthy service.  The player's watcher
(player.hang) kills a hung ffmpeg; when even that does not free the thread, only restarting the
service brings music back: health shows the player `stuck` (with an incident per hang and a
`player_hangs` counter, which the page and the MQTT stats carry), the liveness check stops the
systemd pings, and the state saved for the restart leaves the hung track out.  The hang is real (an
`ffmpeg` on PATH that never writes, whose helper holds its output open); the test ticks the watcher
itself: no timed assertions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from servicekit import Script, running

from hungkit import HANGS_FOR_GOOD, HungFfmpeg, give_up, hang_the_player, hostile_item
from moodspeaker.service.events import ErrorReported
from polling import until


def test_a_player_stuck_for_good_is_reported_and_restarted_without_its_track(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ffmpeg = HungFfmpeg(tmp_path / "bin", monkeypatch, HANGS_FOR_GOOD)
    hung = hostile_item(tmp_path)
    with running(tmp_path, Script("happy"), **{"web.enabled": False}) as (app, _control, events):
        try:
            hang_the_player(app.player, hung, ffmpeg)
            assert app.liveness_problem() == ""
            tripped = give_up(app.player.watch)  # a kill, then giving up
            assert tripped == 2
            assert app.liveness_problem().startswith("the player thread is stuck on X - Hostile")
            health = app.health_snapshot()
            assert health["components"]["player"]["state"] == "stuck"
            assert health["counters"]["player_hangs"] == 2
            incidents = [i["message"] for i in health["incidents"] if i["component"] == "player"]
            assert len(incidents) == 2 and "stopped the decoder on X - Hostile" in incidents[0]
            assert "hostile" in [f["track_id"] for f in health["failed_tracks"]]
            said = [e.message for e in events if isinstance(e, ErrorReported) and e.component == "player"]
            assert any(m.startswith("skipped Hostile: the player hung on it") for m in said)
            assert app._save()  # the save the restart will resume from
            saved, _notice = app.store.load()
            kept = [i.track.id for i in (saved.current, *saved.queue) if i is not None]
            assert "hostile" not in kept, "the restarted service would play the hung track again"
            assert saved.playing  # and it plays on
            ffmpeg.kill_all()  # the read ends after all: the thread is back and plays on
            until(lambda: app.liveness_problem() == "", what="the player to count as healthy again")
            health = app.health_snapshot()
            assert health["counters"]["player_hangs"] == 2
            assert health["incidents"][-1]["message"].startswith("the player thread is back after all")
            assert health["components"]["player"] == {
                **health["components"]["player"],
                "state": "ok",
                "detail": "recovered from 2 hangs",
            }
        finally:
            ffmpeg.kill_all()
