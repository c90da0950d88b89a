"""A vision pipeline whose build hangs on the Edge TPU (a wedged USB Coral: `load_delegate` never
returns) is a stuck step: the watchdog restarts the stage, says so in health, and when it never
recovers the count of restarts in a row ends in systemd's restart of the process.

The build (make_pipeline: the detector, the classifier, the delegate's load) ran outside the
heartbeat: a build that hung froze the mood reading for ever, and the watchdog, health and the systemd
pings all saw a healthy, idle stage.  Here the appliance and its vision are the real ones, built from
the config (vision_factories, a replayed photo as the camera); only libedgetpu's `load_delegate` is
faked (vision.runtime._delegate): no stick (ValueError, what it raises then: the CPU model runs), or a
wedged one whose load blocks until the test ends.  The watchdog's thread is stopped and the test
ticks it (Watchdog.check) at times far past its timeout, so no timing decides the outcome.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from servicekit import CLASSES, Frames, wait_for

from moodspeaker.config import Config, with_changes
from moodspeaker.config.schema import MoodConfig
from moodspeaker.demo.faces import FACES_DIR
from moodspeaker.mood.filter import MoodFilter
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import STUCK_RESTARTS_LIMIT, Appliance, Parts
from moodspeaker.service.components import vision_factories
from moodspeaker.service.events import EventBus
from moodspeaker.service.health import Health
from moodspeaker.service.inference import InferenceStage, Pipeline
from moodspeaker.service.watchdog import Heartbeat, Watchdog
from moodspeaker.vision import runtime
from moodspeaker.vision.expression import default_model_json
from moodspeaker.vision.runtime import ModelError


class Coral:
    """libedgetpu's `load_delegate` at its boundary: no stick, or (`wedged`) a stick whose load never
    returns until the test lets it go (then it is gone: ValueError)."""

    def __init__(self) -> None:
        self.wedged = False
        self.hung = 0  # loads that went into the hang
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self) -> object:
        with self._lock:
            wedged = self.wedged
            self.hung += wedged
        if wedged:
            self.release.wait(120)
        raise ValueError("Failed to load delegate from libedgetpu.so.1")

    def hung_loads(self) -> int:
        with self._lock:
            return self.hung

    def wait_hung(self, loads: int) -> None:
        """Until `loads` loads in all have gone into the hang (a thread of the stage hangs in each)."""
        wait_for(lambda: self.hung_loads() == loads, what=f"load #{loads} of the delegate hung")


def tpu_appliance(tmp_path: Path) -> Appliance:
    """The real appliance with classifier.type = edgetpu (a model folder naming an Edge TPU model: a
    copy of the CPU one) and a replayed photo of a face as the camera; not started.  The pipeline
    built from the start-up probe is taken, so the stage builds its own (as after any restart)."""
    shipped = default_model_json()
    meta = json.loads(shipped.read_text())
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(shipped.parent / meta["cpu_model"], models / meta["cpu_model"])
    shutil.copy(shipped.parent / meta["cpu_model"], models / "expression_int8_edgetpu.tflite")
    meta["edgetpu_model"] = "expression_int8_edgetpu.tflite"
    (models / "expression.json").write_text(json.dumps(meta))
    cfg = with_changes(
        Config(),
        {
            "device.data_dir": str(tmp_path / "data"),
            "classifier.type": "edgetpu",
            "classifier.model": str(models / "expression.json"),
            # far longer than any real build here: only the test's ticks can find a step stuck
            "classifier.stuck_timeout_s": 60.0,
            "camera.type": "replay",
            "camera.replay_path": str(FACES_DIR / "astronaut.jpg"),
            "camera.replay_loop": True,
            "camera.interval_s": 0.1,
        },
    )
    make_source, make_pipeline, classes, states = vision_factories(cfg)
    make_pipeline()  # the probe's pipeline, the one the service started with
    recommender = Recommender.from_config(cfg, Catalogue([]))
    parts = Parts(make_source, make_pipeline, recommender, classes, states=states)
    return Appliance(cfg, EventBus(), parts, tmp_path / "data")


def trip(watchdog: Watchdog, now: list[float]) -> bool:
    """Tick the watchdog half a second at a time from `now[0]` (an hour ahead of the stage's clock)
    until it restarts the stage, up to 200 s of its time; whether it did.  The first tick, an hour
    after its thread's last, is taken for a starved process: the trip comes one timeout later."""
    for _ in range(400):
        now[0] += 0.5
        if watchdog.check(now[0]):
            return True
    return False


def started(app: Appliance) -> list[float]:
    """Start `app` with its watchdog's thread stopped (the test ticks it); the ticks' clock."""
    app.start()
    app.watchdog.stop()
    return [time.monotonic() + 3600.0]


@pytest.mark.timeout(180)
def test_a_build_hung_on_the_edge_tpu_is_restarted_reported_and_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    coral = Coral()
    monkeypatch.setattr(runtime, "_delegate", coral)
    app = tpu_appliance(tmp_path)  # no stick at start: the probe runs on the CPU
    coral.wedged = True  # plugged in, and wedged
    now = started(app)
    try:
        coral.wait_hung(1)  # the stage's build hangs in load_delegate
        assert app.stage.frames == 0
        coral.wedged = False  # from now on the stick is gone: a build falls back to the CPU
        assert trip(app.watchdog, now), "the watchdog did not notice the build hung on the Edge TPU"
        snap: dict[str, Any] = app.health_snapshot()
        assert snap["inference_restarts"] == 1
        messages = [e["message"] for e in snap["incidents"] if e["component"] == "watchdog"]
        assert len(messages) == 1 and "building the vision pipeline" in messages[0], messages
        assert "restarted it (restart #1)" in messages[0]
        wait_for(lambda: app.stage.frames >= 2, 90, "classifications from the pipeline built anew")
        assert app.health.state_of("vision") == "ok"
        assert app.health_snapshot()["components"]["tpu"]["state"] == "fallback"
        assert app.liveness_problem() == ""
    finally:
        coral.release.set()
        app.stop()


@pytest.mark.timeout(180)
def test_an_edge_tpu_that_hangs_every_build_ends_in_the_process_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a stuck inference does: restarts in a row without a classification stop the systemd pings
    (liveness_problem) after STUCK_RESTARTS_LIMIT, and systemd restarts the process, which alone resets
    a wedged USB Coral.  Each new thread's build hangs in turn (the stick never answers)."""
    coral = Coral()
    monkeypatch.setattr(runtime, "_delegate", coral)
    app = tpu_appliance(tmp_path)
    coral.wedged = True
    now = started(app)
    try:
        for restarts in range(1, STUCK_RESTARTS_LIMIT + 1):
            coral.wait_hung(restarts)
            assert app.liveness_problem() == ""  # not yet: a restart may recover it
            assert trip(app.watchdog, now), f"the watchdog did not notice hung build #{restarts}"
        assert app.liveness_problem() == f"inference is still stuck after {STUCK_RESTARTS_LIMIT} restarts"
        assert app.stage.frames == 0
    finally:
        coral.release.set()
        app.stop()


def test_a_build_that_raises_is_an_error_not_a_stuck_step(tmp_path: Path) -> None:
    """Now that the build is watched, one that raises (a model file gone: ModelError) must still end
    its step: reported as the vision's error and retried, never taken for a hang and restarted."""
    builds: list[int] = []

    def make_pipeline() -> Pipeline:
        builds.append(1)
        raise ModelError(f"model file not found: {tmp_path / 'expression_int8.tflite'}")

    health, heartbeat = Health(), Heartbeat()
    stage = InferenceStage(
        Frames,
        make_pipeline,
        MoodFilter(MoodConfig(), CLASSES),
        interval_s=60.0,  # the retry comes a minute later: the stage idles after the failure
        on_result=lambda *_: None,
        health=health,
        heartbeat=heartbeat,
    )
    watchdog = Watchdog(heartbeat, stage.restart, timeout_s=0.5)  # not started: the test ticks it
    stage.start()
    try:
        wait_for(lambda: health.state_of("vision") == "error", what="the failed build reported")
        assert "model file not found" in health.snapshot()["components"]["vision"]["detail"]
        assert not watchdog.check(time.monotonic() + 3600.0)  # an hour on: still not stuck
        assert watchdog.restarts == 0 and heartbeat.generation == 0 and builds == [1]
    finally:
        stage.stop(timeout=30)
