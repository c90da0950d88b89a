"""A camera wedged for good still ends in the process's restart after the privacy switch is turned off
and on (helper 154's finding).

The stage knew the device was held only through the camera object's `capture_pending`.  Switching off
closed that object; switching on built a new one, which could not open the device ("Camera in use": the
hung capture still holds it) and had no capture pending of its own, so its reads gave None, "retrying",
and the step ended: the thread was never stuck again, the restarts stayed at one and the liveness
problem never came.  Now the closed object is kept while its capture has not returned, and the device
counts as held meanwhile.  The cameras are the vision helper's real LiveCamera; only their device
steps stand in for the driver, one device shared by every camera object built.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from servicekit import camera_appliance, wait_for

from moodspeaker.service.app import STUCK_RESTARTS_LIMIT
from moodspeaker.vision.sources import LiveCamera


class Device:
    """The one camera device: a capture on it can hang, and holds it until the test lets it go."""

    def __init__(self) -> None:
        self.hang, self.release, self.busy = threading.Event(), threading.Event(), threading.Event()


def camera_on(device: Device) -> type[LiveCamera]:
    class DeviceCamera(LiveCamera):
        name = "Raspberry Pi camera"

        def _open(self) -> Any:
            if device.busy.is_set() and not device.release.is_set():
                raise RuntimeError("Camera in use")
            return object()

        def _grab(self, handle: Any) -> Any:
            if device.hang.is_set():
                device.busy.set()
                device.release.wait(120)  # a capture that never returns (until the test ends)
            return np.zeros((48, 64, 3), np.uint8)

        def _release(self, handle: Any) -> None:
            pass

    return DeviceCamera


def test_a_wedged_camera_still_ends_in_a_process_restart_after_the_switch_goes_off_and_on(
    tmp_path: Path,
) -> None:
    device = Device()
    app = camera_appliance(tmp_path, camera_on(device), **{"mood.no_face_timeout_s": 1.0})
    app.start()
    try:
        wait_for(lambda: app._current_mood().mood == "happy", what="the mood read as happy")
        device.hang.set()
        wait_for(lambda: app.watchdog.restarts >= 1, what="the watchdog restarting the stuck capture")
        app.set_camera(False)
        app.set_camera(True)  # a new camera object, which cannot open the device the hung capture holds
        wait_for(
            lambda: "still stuck" in app.liveness_problem(),
            what=f"{STUCK_RESTARTS_LIMIT} watchdog restarts in a row without a frame (liveness problem)",
        )
        assert app.watchdog.restarts >= STUCK_RESTARTS_LIMIT

        device.hang.clear()
        device.release.set()  # the capture returns at last: the device opens again, frames come
        wait_for(lambda: app.liveness_problem() == "", what="the count reset by a frame read")
        wait_for(lambda: app._current_mood().mood == "happy", what="the mood read again")
    finally:
        device.release.set()
        app.stop()
