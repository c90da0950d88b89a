"""A live camera that drops out is kept while it retries with its own back-off, and comes back.

The camera is the vision helper's real LiveCamera (open lazily, reopen with back-off); only its three
device steps stand in for the USB device, which the test unplugs and plugs back in.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from servicekit import camera_appliance, wait_for

from moodspeaker.vision.sources import CameraError, LiveCamera


class UsbCamera(LiveCamera):
    name = "webcam test"

    def __init__(self, plugged: threading.Event) -> None:
        super().__init__()
        self.plugged = plugged
        self.opens = 0

    def _open(self) -> Any:
        self.opens += 1
        if not self.plugged.is_set():
            raise CameraError("no such device")
        return object()

    def _grab(self, handle: Any) -> Any:
        if not self.plugged.is_set():
            raise CameraError("device disconnected")
        return np.zeros((48, 64, 3), np.uint8)

    def _release(self, handle: Any) -> None:
        pass


def test_a_camera_that_drops_out_is_kept_retrying_and_comes_back(tmp_path: Path) -> None:
    plugged = threading.Event()
    plugged.set()
    cameras: list[UsbCamera] = []

    def make_source() -> UsbCamera:
        cameras.append(UsbCamera(plugged))
        return cameras[-1]

    app = camera_appliance(tmp_path, make_source)
    app.start()
    try:
        wait_for(lambda: app.stage.frames > 0, what="a first frame")
        plugged.clear()  # the cable comes loose

        def camera() -> dict[str, Any]:
            component: dict[str, Any] = app.health_snapshot()["components"]["camera"]
            return component

        wait_for(lambda: camera()["state"] == "retrying", what="the camera retrying")
        assert "device disconnected" in camera()["detail"]
        wait_for(lambda: cameras[0].failures >= 3, what="several back-off rounds")
        assert len(cameras) == 1  # the same camera, keeping its back-off: not a new one per interval
        assert camera()["detail"] == cameras[0].last_error  # why, in its words
        frames = app.stage.frames
        plugged.set()  # plugged back in
        wait_for(lambda: app.stage.frames > frames, what="frames again")
        wait_for(lambda: camera()["state"] == "ok", what="the camera ok again")
        assert len(cameras) == 1
    finally:
        app.stop()


def test_the_mood_fades_to_unknown_while_the_camera_is_unplugged(tmp_path: Path) -> None:
    """A camera that cannot deliver sees no face: after mood.no_face_timeout_s the mood is unknown,
    as when the listener walks away (it stayed at its last value for as long as the camera was gone)."""
    plugged = threading.Event()
    plugged.set()
    app = camera_appliance(tmp_path, lambda: UsbCamera(plugged), **{"mood.no_face_timeout_s": 1.0})
    app.start()
    try:
        wait_for(lambda: app._current_mood().mood == "happy", what="the mood read as happy")
        plugged.clear()  # the cable comes loose
        wait_for(lambda: app._current_mood().mood == "unknown", what="the mood fading to unknown")
        mood = app._current_mood()
        assert not mood.face and mood.confidence == 0.0
        assert app.health_snapshot()["components"]["camera"]["state"] == "retrying"
    finally:
        app.stop()
