"""LiveCamera and a capture that never returns (a wedged driver: picamera2 #794, #1004): close() from
another thread neither waits for it nor releases the device under it, and no frame comes after it.
The Pi camera's own timeout is in test_sources; the running service's side in
tests/service/test_camera_hung.py."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from moodspeaker.vision.sources import LiveCamera


def state_of(source: LiveCamera) -> str:
    """The camera's state read through a call, so a check before read() or close() does not stay
    narrowed for mypy (they change it)."""
    return source.state


class HungCamera(LiveCamera):
    """A live camera whose capture blocks until `release` is set (a wedged driver)."""

    name = "test camera"

    def __init__(self) -> None:
        super().__init__()
        self.hang, self.capturing, self.release = threading.Event(), threading.Event(), threading.Event()
        self.released = 0

    def _open(self) -> Any:
        return object()

    def _grab(self, handle: Any) -> Any:
        if self.hang.is_set():
            self.capturing.set()
            self.release.wait(60)
        return np.zeros((48, 64, 3), np.uint8)

    def _release(self, handle: Any) -> None:
        self.released += 1


def test_close_does_not_wait_for_a_hung_capture_and_no_frame_comes_after_it() -> None:
    """The privacy switch closes the camera from another thread: not waiting for a capture that never
    returns, and not releasing the device under it (its reader does when it returns, handing out
    nothing); another read meanwhile says the camera is busy instead of waiting too."""
    cam = HungCamera()
    assert cam.read() is not None
    cam.hang.set()
    frames: list[object] = []
    reader = threading.Thread(target=lambda: frames.append(cam.read()))
    reader.start()
    try:
        assert cam.capturing.wait(60)
        assert cam.read() is None  # at once: not waiting behind the hung capture
        assert state_of(cam) == "retrying" and "has not returned" in cam.last_error
        closer = threading.Thread(target=cam.close)
        closer.start()
        closer.join(60)
        assert not closer.is_alive(), "close() waited for a capture that never returns"
        assert state_of(cam) == "closed" and cam.released == 0  # not released under the capture
        assert cam.read() is None and state_of(cam) == "closed"
    finally:
        cam.release.set()
        reader.join(60)
    assert frames == [None]  # the capture that close() came during hands out nothing
    assert cam.released == 1 and state_of(cam) == "closed"


def test_close_during_a_capture_releases_the_device_once_it_returns() -> None:
    cam = HungCamera()
    cam.hang.set()
    frames: list[object] = []
    reader = threading.Thread(target=lambda: frames.append(cam.read()))
    reader.start()
    assert cam.capturing.wait(60)
    closer = threading.Thread(target=cam.close)
    closer.start()
    cam.release.set()  # the capture returns (before or after close() stops waiting for it)
    closer.join(60)
    reader.join(60)
    assert frames == [None] and cam.released == 1 and state_of(cam) == "closed"
