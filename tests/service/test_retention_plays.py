"""Retention, "delete everything" and the data export reach the records of what was played, and when.

Why: besides the feedback, the running service keeps three records that tie a time to a track played:
every track start (`started_tracks`, the last 500), each time a mood changed the music and to which
track (the conductor's flips), and the player's play history (the tracks started last, which a replay
goes back to, and the tracks skipped as unplayable, which health shows).  The starts and the player's
history were cut by neither `privacy.retention_days` nor "delete everything", and the export
("everything this speaker keeps about its listeners") gave none of the three.  Real player on SDL's
dummy driver, real recommender on SQLite; only the camera is scripted (service.plays).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, build, running, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[Appliance, ControlAPI]]:
    with running(tmp_path, Script("happy")) as (app, control, _events):
        yield app, control


def _history(control: ControlAPI) -> list[dict[str, Any]]:
    return list(control.export_data()["play_history"]["started"])


def test_the_export_gives_every_record_of_the_plays(started: tuple[Appliance, ControlAPI]) -> None:
    app, control = started
    wait_for(lambda: app.started_tracks and app.conductor.flips, what="the autoplay on the happy face")
    playing = app.started_tracks[-1][1]
    export = control.export_data()
    json.dumps(export)  # JSON-ready
    assert playing in [s["track_id"] for s in export["tracks_started"]], export.get("tracks_started")
    flip = app.conductor.flips[-1][1]
    assert flip in [m["track_id"] for m in export["mood_changes"]], export.get("mood_changes")
    heard = export["play_history"]["started"]
    assert heard and heard[-1]["track_id"] == playing and heard[-1]["title"], heard
    assert export["play_history"]["failed"] == []
    for entry in (*export["tracks_started"], *heard):  # dated by the wall clock, not the monotonic one
        assert abs(time.time() - entry["started_at"]) < 3600, entry


def test_plays_older_than_the_cut_off_go_and_delete_everything_takes_the_rest(
    started: tuple[Appliance, ControlAPI],
) -> None:
    app, control = started
    wait_for(lambda: app.started_tracks and _history(control), what="the first track heard")
    first = list(app.started_tracks)
    # a little past it: the cut-off is a wall-clock time, the starts are timed on the monotonic clock
    wait_for(lambda: time.monotonic() > first[-1][0] + 0.1, what="the clock past the first start")
    cut, since = time.time(), time.monotonic()

    control.execute("next", {})  # a track started after the cut-off
    wait_for(lambda: any(at >= since for at, _ in app.started_tracks), what="the next track")
    wait_for(lambda: any(h["started_at"] >= cut for h in _history(control)), what="it in the history")
    newer = [s for s in app.started_tracks if s[0] >= since]

    assert control.delete_data(before=cut)  # the privacy retention

    kept = list(app.started_tracks)
    assert all(s not in kept for s in first), kept
    assert all(s in kept for s in newer), "starts after the cut-off must stay"
    history = _history(control)
    assert history and all(h["started_at"] >= cut for h in history), history
    exported = control.export_data()["tracks_started"]
    assert exported and all(s["started_at"] >= cut for s in exported), exported

    control.execute("pause", {})  # nothing starts while the rest is deleted
    assert control.delete_data()  # delete everything
    assert list(app.started_tracks) == []
    export = control.export_data()
    assert (export["tracks_started"], export["mood_changes"], export["play_history"]["started"]) == (
        [],
        [],
        [],
    )
    # the track playing can still be played again: only going back before it is lost
    assert control.execute("replay", {})["now_playing"]["track_id"] == newer[-1][1]


def test_tracks_skipped_as_unplayable_go_by_the_cut_off_and_with_delete_everything(tmp_path: Path) -> None:
    app, bus = build(tmp_path, Script("happy"))
    for name in ("happy1.ogg", "happy2.ogg"):  # the picks for a happy face cannot be opened
        (tmp_path / name).unlink()
    control = ControlAPI(app, bus)
    app.start()
    try:

        def failed() -> list[dict[str, Any]]:
            return list(control.state()["health"]["failed_tracks"])

        wait_for(failed, what="a pick skipped as unplayable")
        wait_for(lambda: time.time() > max(f["ts"] for f in failed()), what="the clock past it")
        cut = time.time()
        older = [f for f in failed() if f["ts"] < cut]
        assert older and control.export_data()["play_history"]["failed"]

        assert control.delete_data(before=cut)  # the privacy retention
        assert app.player.wait_idle(30)  # the player shows it once it publishes again
        assert all(f not in failed() for f in older), failed()
        assert all(f["ts"] >= cut for f in control.export_data()["play_history"]["failed"])

        deleted_at = time.time()
        assert control.delete_data()  # delete everything
        assert app.player.wait_idle(30)
        assert all(f["ts"] >= deleted_at for f in failed()), failed()
    finally:
        app.stop()
