"""No save forgets what was restored while the player has not applied it yet.

Why: at start the service posts the saved queue, track and position to the player thread, and
its saves (the housekeeping's every second, the retention's first run, a command's) read what to save
from the player's status.  On a starved machine the player may not have run the restore before the
first save: state.json was then written with an empty queue and no track, and a power cut in that
moment lost the listener's queue for good.  Here the player thread is held on a gate (a command posted
before the service starts, so the restore waits behind it) while the housekeeping ticks and the
retention runs; state.json must still hold what was restored, and once the gate opens it follows the
player again.  Real player on SDL's dummy driver, real recommender on SQLite; only the camera is
scripted (no face: nothing is planned on top of the restored queue).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from restorekit import REASONS, TRACK_S, PlayerGate, saved, write_state
from servicekit import Script, build, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.events import Event, HealthReport, StateChanged

pytestmark = pytest.mark.timeout(300)


class Signals:
    """What the service announces: the housekeeping's health reports (sent after its save, in the same
    tick) and the retention's runs (StateChanged data_expired, after its save)."""

    def __init__(self, app: Appliance) -> None:
        self.health_reports = 0
        self.retention_runs = 0
        app.bus.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, HealthReport):
            self.health_reports += 1
        elif isinstance(event, StateChanged) and event.key == "data_expired":
            self.retention_runs += 1


def _ids(body: dict[str, Any]) -> tuple[str | None, list[str]]:
    current = body["current"]["track"]["id"] if body["current"] else None
    return current, [i["track"]["id"] for i in body["queue"]]


def _follows_player(app: Appliance, tmp_path: Path) -> bool:
    status = app.player.status()
    body = saved(tmp_path)
    shown = (status.current.track.id if status.current else None, [i.track.id for i in status.queue])
    return _ids(body) == shown and body["volume"] == status.volume


def test_saves_keep_the_restored_queue_until_the_player_applied_it(tmp_path: Path) -> None:
    write_state(tmp_path)
    app, _bus = build(tmp_path, Script(None), track_s=TRACK_S)
    gate = PlayerGate(app)
    signals = Signals(app)
    app.start()
    try:
        try:
            wait_for(gate.holding.is_set, what="the player thread to be held before the restore")
            # The housekeeping publishes its first health report in the tick it saved in, after the save.
            wait_for(lambda: signals.health_reports >= 1, timeout=120.0, what="a housekeeping save")
            wait_for(lambda: signals.retention_runs >= 1, timeout=120.0, what="the retention's first run")
            status = app.player.status()
            assert status.current is None and not status.queue, "the gate must hold the restore back"
            body = saved(tmp_path)
            assert _ids(body) == ("calm", ["happy2", "sad1"]), body
            assert body["position_s"] == 10.0 and body["playing"] is True, body
            assert body["volume"] == app.config.player.volume, body  # the start volume, not the saved 0.4
            assert body["picked_for"] == {"calm": "neutral", "happy2": "happy", "sad1": "sad"}, body
        finally:
            gate.open()
        wait_for(lambda: app.player.status().current is not None, what="the restored track to resume")
        wait_for(lambda: _follows_player(app, tmp_path), what="state.json to follow the player")
        assert _ids(saved(tmp_path))[0] == "calm"
    finally:
        app.stop()


def test_delete_everything_before_the_player_applied_the_restore_takes_back_its_explanations(
    tmp_path: Path,
) -> None:
    write_state(tmp_path)
    app, _bus = build(tmp_path, Script(None), track_s=TRACK_S)
    gate = PlayerGate(app)
    app.start()
    try:
        try:
            wait_for(gate.holding.is_set, what="the player thread to be held before the restore")
            app.delete_data()  # as the page's "delete everything" does; it saves at once
            assert app.player.status().current is None, "the gate must hold the restore back"
            body = saved(tmp_path)
            assert _ids(body) == ("calm", ["happy2", "sad1"]), body  # the music carries on
            assert not any(r in json.dumps(body) for r in REASONS), body
        finally:
            gate.open()
        wait_for(lambda: app.player.status().current is not None, what="the restored track to resume")
        state = app.state()
        shown = [state["now_playing"], *state["queue"]]
        assert [i["track_id"] for i in shown] == ["calm", "happy2", "sad1"], shown
        assert all(i["reason"] not in REASONS for i in shown), shown
        wait_for(lambda: _follows_player(app, tmp_path), what="state.json to follow the player")
        assert not any(r in json.dumps(saved(tmp_path)) for r in REASONS)
    finally:
        app.stop()
