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

import time
from pathlib import Path
from typing import Any

import pytest
from servicekit import failing_stage, wait_for

from moodspeaker.service.app import STUCK_RESTARTS_LIMIT, Appliance
from moodspeaker.service.inference import Pipeline
from moodspeaker.service.watchdog import Watchdog
from moodspeaker.vision.runtime import ModelError
from tpukit import fake_coral, started, tick_for, tpu_config
from tpukit import tpu_appliance as kit_appliance


def tpu_appliance(tmp_path: Path) -> Appliance:
    """The real appliance with classifier.type = edgetpu and a replayed photo of a face as the camera
    (tpukit); not started, the start-up probe's pipeline taken."""
    # far longer than any real build here: only the test's ticks can find a step stuck
    return kit_appliance(tmp_path, tpu_config(tmp_path, {"classifier.stuck_timeout_s": 60.0}))


def trip(watchdog: Watchdog, now: list[float]) -> bool:
    """Tick the watchdog half a second at a time from `now[0]` (an hour ahead of the stage's clock)
    until it restarts the stage, up to 200 s of its time; whether it did.  The first tick, an hour
    after its thread's last, is taken for a starved process: the trip comes one timeout later."""
    return tick_for(watchdog, now, 200.0)


@pytest.mark.timeout(180)
def test_a_build_hung_on_the_edge_tpu_is_restarted_reported_and_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    coral = fake_coral(monkeypatch)
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
    coral = fake_coral(monkeypatch)
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

    stage, health, heartbeat, watchdog = failing_stage(make_pipeline)
    stage.start()
    try:
        wait_for(lambda: health.state_of("vision") == "error", what="the failed build reported")
        assert "model file not found" in health.snapshot()["components"]["vision"]["detail"]
        assert not watchdog.check(time.monotonic() + 3600.0)  # an hour on: still not stuck
        assert watchdog.restarts == 0 and heartbeat.generation == 0 and builds == [1]
    finally:
        stage.stop(timeout=30)
