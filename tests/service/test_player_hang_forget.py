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

from pathlib import Path

import pytest
from servicekit import Script, running

from hungkit import HANGS_FOR_GOOD, HungFfmpeg, give_up, hang_the_player, hostile_item


def test_delete_everything_forgets_the_track_a_stuck_player_hung_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ffmpeg = HungFfmpeg(tmp_path / "bin", monkeypatch, HANGS_FOR_GOOD)
    hung = hostile_item(tmp_path)
    with running(tmp_path, Script("happy"), **{"web.enabled": False}) as (app, control, _events):
        watch = app.player.watch
        try:
            hang_the_player(app.player, hung, ffmpeg)
            tripped = give_up(watch)  # a kill, then giving up
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
