"""A strategy (or profile) change whose planning fails changes nothing and says why.

Before the fix `set_strategy` stored the new strategy, made it active and then replaced the queue
with the new plan, which was [] when planning failed (the error only logged): the queue went empty.
Now it plans first; a failure is a refusal naming the reason, reported in health, with the strategy
(active and stored), the queue and the playing track as they were.

Real failing storage, not a mock: the appliance plays from a real library index (SQLite, as the
service's own), which is turned to garbage on disk while it runs (test_profile_storage.corrupt).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from librarykit import library_index
from servicekit import Script, ScriptPipeline, ScriptSource, config, wait_for

from moodspeaker.config import Config
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.control import CommandError, ControlAPI
from moodspeaker.service.events import CommandRejected, ErrorReported, Event, EventBus
from sqlitefaults import corrupt

pytestmark = pytest.mark.timeout(120)

REASON = "the queue could not be planned: storage error (file is not a database)"


def start(tmp_path: Path) -> tuple[Appliance, ControlAPI, list[Event], Config]:
    cfg = config(tmp_path / "data", **{"recommend.profiles": ["default", "Kim"]})
    script = Script("happy")
    bus = EventBus()
    parts = Parts(
        make_source=lambda: ScriptSource(script),
        make_pipeline=lambda: ScriptPipeline(script),
        recommender=Recommender.from_config(cfg, library_index(tmp_path)),
    )
    app = Appliance(cfg, bus, parts, tmp_path / "data")
    events: list[Event] = []
    bus.subscribe(events.append)
    app.start()
    wait_for(lambda: app.state()["mood"] == "happy", what="the mood read (no flip re-plans later)")
    wait_for(lambda: app.state()["now_playing"] is not None, what="a track playing (autoplay)")
    wait_for(lambda: len(app.state()["queue"]) >= 2, what="a planned queue")
    return app, ControlAPI(app, bus), events, cfg


def stored_strategy(cfg: Config, profile: str) -> str | None:
    db = sqlite3.connect(Path(cfg.device.data_dir) / "recommend.sqlite")
    try:
        row = db.execute("SELECT strategy FROM profiles WHERE name=?", (profile,)).fetchone()
    finally:
        db.close()
    return None if row is None else row[0]


def test_a_strategy_change_that_cannot_be_planned_keeps_queue_track_and_strategy(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app, api, events, cfg = start(tmp_path)
    try:
        api.execute("set_strategy", {"strategy": "steady"})  # a working change, for contrast
        before = app.state()
        assert before["strategy"] == "steady" and stored_strategy(cfg, "default") == "steady"
        queue = [q["track_id"] for q in before["queue"]]
        playing = before["now_playing"]["track_id"]
        library = tmp_path / "library.sqlite"
        corrupt(library)
        refusals = {
            ("set_strategy", "strategy", "uplift"): f"strategy not changed to 'uplift': {REASON}",
            ("set_profile", "profile", "Kim"): f"profile not changed to 'Kim': {REASON}",
        }
        for (command, arg, value), message in refusals.items():
            with pytest.raises(CommandError) as refused:
                api.execute(command, {arg: value})
            assert str(refused.value) == message
        state = app.state()
        assert (state["profile"], state["strategy"]) == ("default", "steady")
        assert stored_strategy(cfg, "default") == "steady"  # nothing was written either
        assert [q["track_id"] for q in state["queue"]] == queue
        assert state["now_playing"]["track_id"] == playing
        recommender = state["health"]["components"]["recommender"]
        assert recommender["state"] == "error" and "file is not a database" in recommender["detail"]
        messages = list(refusals.values())
        assert [e.error for e in events if isinstance(e, CommandRejected)] == messages
        reported = [e.message for e in events if isinstance(e, ErrorReported)]
        assert all(m in reported for m in messages), reported
        incidents = [i["message"] for i in state["health"]["incidents"]]
        assert all(m in incidents for m in messages), incidents
        # the journal, which outlives "delete everything", has the refusal without the listener's name
        logged = [r.getMessage() for r in caplog.records]
        assert f"profile not changed to <listener>: {REASON}" in logged
        assert not [line for line in logged if "Kim" in line], logged
        position = app.player.status().position_s
        wait_for(lambda: app.player.status().position_s > position + 0.3, what="the music going on")
        assert app.liveness_problem() == ""
    finally:
        app.stop()
