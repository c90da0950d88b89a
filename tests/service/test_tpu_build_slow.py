"""Building the vision pipeline has its own limit (inference.BUILD_TIMEOUT_S), not the watchdog's
`classifier.stuck_timeout_s` (5 s, sized for one capture or classification).

Every build after a restart loads the Edge TPU delegate again; a healthy USB Coral that re-enumerated
uploads its firmware then, which takes seconds.  Watched with the 5-second timeout, such a build was
taken for hung and restarted, loading the delegate again, and restarts in a row end in systemd's
restart of the process.  Here the appliance and its vision are the real ones (tpukit's
Coral: libedgetpu's `load_delegate` faked at its boundary, whose load blocks until the test lets it
go), with the default stuck_timeout_s; the watchdog's thread is stopped and the test ticks it
(Watchdog.check) at the times it chooses, so no timing decides the outcome.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from servicekit import wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.inference import BUILD_TIMEOUT_S
from tpukit import fake_coral, started, tick_for, tpu_appliance, tpu_config


def appliance(tmp_path: Path) -> Appliance:
    """test_tpu_build_hung's appliance (tpukit: classifier.type = edgetpu, a replayed face as the
    camera, the start-up probe's pipeline taken) with the default classifier.stuck_timeout_s."""
    app = tpu_appliance(tmp_path, tpu_config(tmp_path))
    assert app.config.classifier.stuck_timeout_s < BUILD_TIMEOUT_S
    return app


@pytest.mark.timeout(180)
def test_a_slow_build_under_its_limit_is_not_restarted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    coral = fake_coral(monkeypatch)
    app = appliance(tmp_path)
    coral.wedged = True  # the delegate's load takes its time: until the test lets it go
    now = started(app)
    try:
        coral.wait_hung(1)
        timeout = app.config.classifier.stuck_timeout_s
        assert not app.watchdog.check(now[0])  # the first tick, an hour on: taken for a starved process
        # six times the stuck timeout, well under the build's own limit
        assert not tick_for(app.watchdog, now, 6 * timeout), "a slow build was taken for hung"
        assert app.watchdog.stuck_for(now[0]) == 0.0  # the liveness check sees nothing stuck either
        coral.wedged = False
        coral.release.set()  # the load ends (no stick after all: the CPU model runs)
        wait_for(lambda: app.stage.frames >= 2, 90, "classifications from the slowly built pipeline")
        assert app.watchdog.restarts == 0 and app.health_snapshot()["inference_restarts"] == 0
        assert app.liveness_problem() == ""
    finally:
        coral.release.set()
        app.stop()


@pytest.mark.timeout(180)
def test_a_build_past_its_limit_is_still_restarted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    coral = fake_coral(monkeypatch)
    app = appliance(tmp_path)
    coral.wedged = True  # wedged: the load never returns
    now = started(app)
    try:
        coral.wait_hung(1)
        assert not app.watchdog.check(now[0])  # the first tick, an hour on: taken for a starved process
        assert not tick_for(app.watchdog, now, BUILD_TIMEOUT_S - 1.0)
        assert tick_for(app.watchdog, now, 2.0), "a build hung past its limit was not restarted"
        messages = [e["message"] for e in app.health_snapshot()["incidents"] if e["component"] == "watchdog"]
        assert len(messages) == 1 and "building the vision pipeline" in messages[0], messages
        assert f"stuck for {BUILD_TIMEOUT_S + 0.5:.1f} s" in messages[0], messages
    finally:
        coral.release.set()
        app.stop()
