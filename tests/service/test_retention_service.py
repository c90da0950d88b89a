"""The service enforces privacy.retention_days itself: at start and then hourly, page or no page.

Why: the retention deletes the feedback, the pick explanations and the moods the tracks were picked for
once older than its cut-off, but it ran only from the web page (at its start and hourly), so a speaker
without the page (`moodspeaker run --no-web`, `web.enabled = false`, a Home-Assistant-only install)
deleted nothing.  Here the appliance runs without any page or ControlAPI call; the old data is written
with old times (feedback in the recommender's database, a state.json whose picks were made 40 days
ago) and the tests wait for the service's own `data_expired` signal.  Real player on SDL's dummy
driver, real recommender on SQLite; only the camera is scripted.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, build, make_tracks, wait_for

from moodspeaker.config import with_changes
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.app import Appliance
from moodspeaker.service.events import Event, EventBus, StateChanged
from moodspeaker.service.state import Snapshot, to_json

pytestmark = pytest.mark.timeout(300)

DAY_S = 86400.0
OLD_REASON = "you look happy (90% sure)"  # what the restored picks were explained with, 40 days ago


class Runs:
    """Counts the retention runs the service announces (StateChanged "data_expired")."""

    def __init__(self, bus: EventBus) -> None:
        self.count = 0
        self._lock = threading.Lock()
        bus.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, StateChanged) and event.key == "data_expired":
            with self._lock:
                self.count += 1

    def wait(self, n: int, what: str) -> None:
        wait_for(lambda: self.count >= n, timeout=120.0, what=what)


def _liked(app: Appliance) -> list[str]:
    events = app.export_data()["profiles"]["default"]["feedback"]
    return sorted(e["track_id"] for e in events if e["kind"] == "like")


def _write_old_state(tmp_path: Path, made_at: float) -> None:
    """A state.json as a speaker saves it, playing happy1 with happy2 queued, both picked (and
    explained) for a happy face at `made_at`."""
    library = {t.id: t for t in make_tracks(tmp_path)}  # the files build() writes again, the same
    snap = Snapshot(
        current=QueueItem(library["happy1"], OLD_REASON),
        queue=(QueueItem(library["happy2"], OLD_REASON),),
        playing=True,
        picked_for={"happy1": "happy", "happy2": "happy"},
        picked_at={"happy1": made_at, "happy2": made_at},
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "state.json").write_text(to_json(snap))


def test_the_service_deletes_old_data_by_itself_without_the_page(tmp_path: Path) -> None:
    now = time.time()
    _write_old_state(tmp_path, now - 40 * DAY_S)
    app, bus = build(tmp_path, Script(None))  # no face: nothing is ever picked for "happy" anew
    recommender = app.parts.recommender
    recommender.feedback("default", "sad1", "like", None, now - 40 * DAY_S)
    recommender.feedback("default", "calm", "like", None, now - 60)
    runs = Runs(bus)
    app.start()  # the appliance alone: no page, no ControlAPI, nobody calls delete_data
    try:
        runs.wait(1, "the service's retention run at start")
        assert _liked(app) == ["calm"], "feedback older than 30 days must be gone, newer kept"
        assert all(app.conductor.picked_for(t) != "happy" for t in ("happy1", "happy2"))
        state = app.state()
        assert state["now_playing"] and state["now_playing"]["reason"] != OLD_REASON
        assert all(q["reason"] != OLD_REASON for q in state["queue"])
        assert all(r["reason"] != OLD_REASON for r in state["health"]["reasons"])
        saved = json.loads((tmp_path / "data" / "state.json").read_text())
        assert OLD_REASON not in json.dumps(saved), saved  # saved at once: a power cut keeps nothing
        assert "happy" not in saved["picked_for"].values(), saved["picked_for"]
    finally:
        app.stop()


def test_a_shorter_period_applies_at_once_and_a_stop_ends_the_loop(tmp_path: Path) -> None:
    now = time.time()
    app, bus = build(tmp_path, Script(None))
    app.parts.recommender.feedback("default", "sad1", "like", None, now - 10 * DAY_S)
    runs = Runs(bus)
    app.start()
    try:
        runs.wait(1, "the retention run at start")
        assert _liked(app) == ["sad1"]  # 10 days old: kept for 30
        settings: dict[str, Any] = {"privacy.retention_days": 7}
        app.apply_config(with_changes(app.config, settings))  # as the page or the config file does
        runs.wait(2, "a retention run for the new period, long before the hour")
        assert _liked(app) == []
    finally:
        app.stop()
    # The loop waits for its next hour on an Event: the stop ends it, rather than leaving it behind.
    assert not app.retention.alive
