"""A camera capture that never returns (picamera2 #794/#1004, a wedged driver) neither freezes the
speaker nor traps the privacy switch or the shutdown.

The read ran outside the watchdog's heartbeat and held the camera's lock for the whole capture, and
close() waited for that lock: the mood froze, the watchdog saw nothing, and switching the camera off
(or stopping the service) never returned.  Now the read is watched like the vision step (the stage is
restarted; the new thread finds the camera busy, "retrying", and the mood fades), and close() does not
wait for a capture that does not return.  The camera is the vision helper's real LiveCamera; only its
device steps stand in for the driver, whose capture blocks until the test lets it go.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from servicekit import camera_appliance, wait_for

from moodspeaker.service.app import STUCK_RESTARTS_LIMIT
from moodspeaker.vision.sources import LiveCamera


class WedgedCamera(LiveCamera):
    name = "Raspberry Pi camera"

    def __init__(self) -> None:
        super().__init__()
        self.hang, self.release = threading.Event(), threading.Event()
        self.released = 0

    def _open(self) -> Any:
        return object()

    def _grab(self, handle: Any) -> Any:
        if self.hang.is_set():
            self.release.wait(120)  # a capture that never returns (until the test ends)
        return np.zeros((48, 64, 3), np.uint8)

    def _release(self, handle: Any) -> None:
        self.released += 1


def test_a_hung_capture_is_restarted_and_neither_the_switch_nor_stop_waits_for_it(tmp_path: Path) -> None:
    camera = WedgedCamera()
    app = camera_appliance(tmp_path, lambda: camera, **{"mood.no_face_timeout_s": 1.0})
    app.start()
    stopper: threading.Thread | None = None
    try:
        wait_for(lambda: app._current_mood().mood == "happy", what="the mood read as happy")
        camera.hang.set()

        def camera_state() -> str:
            state: str = app.health_snapshot()["components"]["camera"]["state"]
            return state

        wait_for(lambda: app.watchdog.restarts >= 1, what="the watchdog restarting the stuck capture")
        wait_for(lambda: camera_state() == "retrying", what="the camera reported busy")
        assert "has not returned" in app.health_snapshot()["components"]["camera"]["detail"]
        wait_for(lambda: app._current_mood().mood == "unknown", what="the mood fading to unknown")

        switch = threading.Thread(target=app.set_camera, args=(False,), daemon=True)
        switch.start()
        switch.join(30)
        assert not switch.is_alive(), "switching the camera off waited for the hung capture"
        assert not app.stage.enabled and camera_state() == "off"
        assert camera.read() is None and camera.state == "closed"
        assert camera.released == 0  # not released under the capture: its reader does that

        stopper = threading.Thread(target=app.stop, daemon=True)
        stopper.start()
        stopper.join(60)
        assert not stopper.is_alive(), "stopping waited for the hung capture"
    finally:
        camera.release.set()
        if stopper is None:
            app.stop()
    wait_for(lambda: camera.released == 1, what="the device released once the capture returned")


def test_a_camera_wedged_for_good_ends_in_a_process_restart(tmp_path: Path) -> None:
    """The design's last resort: inference restarted STUCK_RESTARTS_LIMIT times in a row without a
    frame read stops the systemd pings (liveness_problem), and systemd restarts the process, which frees
    a wedged camera driver as no new thread can.  After one restart the new thread found the camera
    held by the hung capture and read nothing, at once, every interval: no further restart, and its
    no-face readings (observation None) reset the count as if inference worked, so a wedged camera
    stayed wedged for ever.  Now that thread is stuck in the same capture (it cannot capture either)
    and only a frame read resets the count; a capture that returns in time recovers without one."""
    camera = WedgedCamera()
    app = camera_appliance(tmp_path, lambda: camera, **{"mood.no_face_timeout_s": 1.0})
    app.start()
    try:
        wait_for(lambda: app._current_mood().mood == "happy", what="the mood read as happy")
        assert app.liveness_problem() == ""
        camera.hang.set()
        wait_for(
            lambda: "still stuck" in app.liveness_problem(),
            what=f"{STUCK_RESTARTS_LIMIT} watchdog restarts in a row without a frame (liveness problem)",
        )
        assert app.watchdog.restarts >= STUCK_RESTARTS_LIMIT
        wait_for(lambda: app._current_mood().mood == "unknown", what="the mood faded meanwhile")

        camera.hang.clear()
        camera.release.set()  # the capture returns at last: frames again, inference works
        wait_for(lambda: app.liveness_problem() == "", what="the count reset by a frame read")
        wait_for(lambda: app._current_mood().mood == "happy", what="the mood read again")
    finally:
        camera.release.set()
        app.stop()
