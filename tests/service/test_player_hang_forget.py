"""A "delete everything" forgets the track a player thread stuck for good hung on, at once.

Why: the hung track is recorded as a failed play (player.history), and what was played is the
listeners' data that the deletion deletes.  But the player thread publishes its status only when it
runs, and one stuck for good (player.hang) never runs again until the service restarts: health's
failed tracks kept listing the hung track after the deletion, and the player's `stuck` detail (and
the liveness reason) kept naming it.  The deletion now takes the entry out of the published status
and the track's name out of the watcher's words, while the player still counts as stuck.  The hang is
real (hungkit's `ffmpeg` whose helper holds its output open); the test ticks the watcher itself.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from servicekit import Script, running

from hungkit import HANGS_FOR_GOOD, HungFfmpeg, not_audio
from moodspeaker.library.track import Track
from moodspeaker.player.queue import QueueItem
from polling import until


def test_delete_everything_forgets_the_track_a_stuck_player_hung_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ffmpeg = HungFfmpeg(tmp_path / "bin", monkeypatch, HANGS_FOR_GOOD)
    hostile = Track(
        id="hostile", location=str(not_audio(tmp_path / "hostile.m4a")), title="Hostile", artist="X"
    )
    hung = QueueItem(hostile, "test")
    with running(tmp_path, Script("happy"), **{"web.enabled": False}) as (app, control, _events):
        watch = app.player.watch
        watch.stop()  # the test ticks it
        try:
            status = app.player.status
            until(lambda: status().state == "playing" and status().current, what="the music to play")
            app.player.switch_to(hung)
            until(
                lambda: (
                    (call := watch.doing()) is not None and call.item is hung and call.decoder is not None
                ),
                what="the player thread to read the hung decoder",
            )
            until(lambda: ffmpeg.started(2), what="the fake ffmpeg's helper to leave its group")
            now, tripped = time.monotonic(), 0
            for _ in range(400):  # a kill, then giving up
                now += 0.5
                tripped += watch.watchdog.check(now)
                if tripped == 2:
                    break
            assert tripped == 2 and watch.doing() is not None, "the thread must still be stuck"
            health = app.health_snapshot()
            assert "hostile" in [f["track_id"] for f in health["failed_tracks"]]  # the guard
            assert "Hostile" in health["components"]["player"]["detail"]

            assert control.delete_data(None)

            assert watch.doing() is not None, "the thread must still be stuck for this to mean anything"
            health = app.health_snapshot()
            assert health["failed_tracks"] == [], "the deleted play is still listed"
            assert list(app.player.status().failures) == []
            player = health["components"]["player"]
            assert player["state"] == "stuck"  # it still needs the restart
            assert "Hostile" not in player["detail"], player["detail"]
            assert player["detail"].startswith("the player thread is stuck (")
            problem = app.liveness_problem()
            assert problem.startswith("the player thread is stuck") and "Hostile" not in problem
        finally:
            ffmpeg.kill_all()
