"""The live cameras: the Raspberry Pi camera (picamera2) and a V4L2/OpenCV webcam, with the frame
sources' shared pieces (the frame type, their states, CameraError, the back-off).  vision.sources
describes the contract and picks the source `camera.type` names."""

from __future__ import annotations

import importlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]
State = Literal["starting", "ok", "retrying", "ended", "closed"]
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0


class CameraError(RuntimeError):
    """A frame source cannot be set up at all (bad path, nothing to capture from)."""


class FrameSource(Protocol):
    """One frame per read() (BGR uint8, H x W x 3), or None (see `state`); close() releases it."""

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


def backoff_delay(failures: int, first: float = BACKOFF_FIRST_S, cap: float = BACKOFF_MAX_S) -> float:
    """Seconds to wait after the n-th consecutive failure (1, 2, ...): first * 2^(n-1), capped."""
    return float(min(cap, first * 2.0 ** max(0, failures - 1)))


def as_bgr(frame: Any) -> Frame | None:
    """Normalise what a capture API returned to a BGR uint8 H x W x 3 array, or None if unusable."""
    if not isinstance(frame, np.ndarray) or frame.size == 0 or frame.dtype != np.uint8:
        return None
    if frame.ndim == 2:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return np.ascontiguousarray(frame[:, :, :3])
    if frame.ndim == 3 and frame.shape[2] == 3:
        return frame
    return None


class LiveCamera:
    """Shared retry logic of the live cameras: open lazily, reopen with back-off after failures."""

    name = "camera"

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.state: State = "starting"
        self.last_error = ""
        self.failures = 0
        self._retry_at = 0.0
        self._handle: Any = None
        # close() may come from another thread (the privacy switch) while read() is capturing
        self._lock = threading.Lock()

    # -- the three device-specific steps --
    def _open(self) -> Any:
        raise NotImplementedError

    def _grab(self, handle: Any) -> Any:
        raise NotImplementedError

    def _release(self, handle: Any) -> None:
        raise NotImplementedError

    def read(self) -> Frame | None:
        with self._lock:
            return self._read()

    def _read(self) -> Frame | None:
        if self.state == "closed":
            return None
        now = self._clock()
        if self._handle is None:
            if now < self._retry_at:
                return None
            try:
                self._handle = self._open()
            except Exception as exc:  # drivers raise anything; each one means "not now"
                self._fail(f"cannot open {self.name}: {exc}", now)
                return None
        try:
            frame = as_bgr(self._grab(self._handle))
            if frame is None:
                raise CameraError("no frame (empty or malformed image)")
        except Exception as exc:
            self._fail(f"{self.name} stopped delivering frames: {exc}", now)
            self._drop_handle()
            return None
        if self.state != "ok" and self.failures:
            log.info("%s is back after %d failed attempt(s)", self.name, self.failures)
        self.state, self.failures, self.last_error = "ok", 0, ""
        return frame

    def _fail(self, message: str, now: float) -> None:
        self.failures += 1
        delay = backoff_delay(self.failures)
        self._retry_at = now + delay
        if message != self.last_error:
            log.warning(
                "%s; retrying in %.1f s (then backing off up to %.0f s)", message, delay, BACKOFF_MAX_S
            )
        self.state, self.last_error = "retrying", message

    def _drop_handle(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            try:
                self._release(handle)
            except Exception as exc:
                log.debug("releasing %s failed: %s", self.name, exc)

    def close(self) -> None:
        with self._lock:
            self._drop_handle()
            self.state = "closed"


def v4l2_target(device: str) -> int | str:
    return int(device) if re.fullmatch(r"\d+", device.strip()) else device.strip()


class V4L2Camera(LiveCamera):
    """A USB webcam through OpenCV (V4L2 backend on Linux)."""

    def __init__(self, device: str = "0", width: int = 640, height: int = 480, **kw: Any) -> None:
        super().__init__(**kw)
        self._target = v4l2_target(device)
        self._size = (width, height)
        self.name = f"webcam {device}"

    def _open(self) -> Any:
        backend = cv2.CAP_V4L2 if os.name == "posix" and Path("/dev").is_dir() else cv2.CAP_ANY
        cap = cv2.VideoCapture(self._target, backend)
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"{self._target} could not be opened")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self._size[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self._size[1])
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not one queued seconds ago
        return cap

    def _grab(self, handle: Any) -> Any:
        ok, frame = handle.read()
        if not ok:
            raise CameraError("read failed")
        return frame

    def _release(self, handle: Any) -> None:
        handle.release()


class Picamera2Camera(LiveCamera):
    """The Raspberry Pi camera through picamera2 (imported only here, on first open).

    "RGB888" in libcamera's naming is B, G, R byte order in memory: exactly OpenCV's BGR.
    """

    def __init__(self, width: int = 640, height: int = 480, **kw: Any) -> None:
        super().__init__(**kw)
        self._size = (width, height)
        self.name = "Raspberry Pi camera"

    def _open(self) -> Any:
        try:
            module = importlib.import_module("picamera2")
        except ImportError as exc:
            raise CameraError(
                "picamera2 is not installed (Raspberry Pi OS: apt install python3-picamera2)"
            ) from exc
        cam = module.Picamera2()
        try:
            config = cam.create_video_configuration(main={"size": self._size, "format": "RGB888"})
            cam.configure(config)
            cam.start()
        except Exception:
            cam.close()
            raise
        return cam

    def _grab(self, handle: Any) -> Any:
        return handle.capture_array("main")

    def _release(self, handle: Any) -> None:
        try:
            handle.stop()
        finally:
            handle.close()
