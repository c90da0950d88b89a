"""The live cameras: the Raspberry Pi camera (picamera2) and a V4L2/OpenCV webcam, with the frame
sources' shared pieces (the frame type, their states, CameraError, the back-off).  vision.sources
describes the contract and picks the source `camera.type` names."""

from __future__ import annotations

import importlib
import inspect
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

from moodspeaker.vision.wipe import wipe

log = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]
State = Literal["starting", "ok", "retrying", "ended", "closed"]
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
CAPTURE_TIMEOUT_S = 3.0  # picamera2: a frame not there by then is a failed capture (it may never come)
CLOSE_WAIT_S = 1.0  # close() waits this long for a capture under way before leaving it to its reader


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
        # close() may come from another thread (the privacy switch) while read() is capturing, and a
        # capture may never return (picamera2 #794/#1004; a wedged driver): this guards only the two
        # flags below, never a capture, so neither close() nor another read() waits on a hung one.
        self._flags = threading.Condition()
        self._closed = False
        self._capturing = False  # a read() is opening or grabbing; the handle is its alone meanwhile

    @property
    def capture_pending(self) -> bool:
        """A capture is under way.  Asked by a reader whose read() just gave None, True means an
        earlier capture (another reader's, abandoned as hung) has not returned and holds the device:
        no read can capture until it does."""
        with self._flags:
            return self._capturing

    # -- the three device-specific steps --
    def _open(self) -> Any:
        raise NotImplementedError

    def _grab(self, handle: Any) -> Any:
        raise NotImplementedError

    def _release(self, handle: Any) -> None:
        raise NotImplementedError

    def read(self) -> Frame | None:
        """A frame, or None (see `state`).  While an earlier capture has not returned (hung), None
        and "retrying" at once: the device is busy with it.  A capture that close() came during gives
        None, and its reader releases the device when the capture returns."""
        with self._flags:
            if self._closed:
                return None
            if self._capturing:
                self._still_capturing()
                return None
            self._capturing = True
        frame: Frame | None = None
        try:
            frame = self._read()
        finally:
            frame = self._end_capture(frame)
        return frame

    def _end_capture(self, frame: Frame | None) -> Frame | None:
        with self._flags:
            closed = self._closed
            if not closed:
                self._capturing = False
                self._flags.notify_all()
                return frame
        # closed meanwhile (the privacy switch): this frame is not handed out; the device is let go
        wipe(frame)
        del frame
        self._drop_handle()
        with self._flags:
            self.state, self._capturing = "closed", False
            self._flags.notify_all()
        return None

    def _still_capturing(self) -> None:
        message = f"{self.name} is not answering: an earlier capture has not returned"
        if message != self.last_error:
            log.warning("%s; it is released when it does", message)
        self.state, self.last_error = "retrying", message

    def _read(self) -> Frame | None:
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
        """Release the device: at once when no capture is under way; else when the capture returns
        (waited for up to CLOSE_WAIT_S; a hung one is left to its reader, which releases the device
        when it returns).  No frame is handed out after close() either way."""
        with self._flags:
            self._closed = True
            if self._capturing and not self._flags.wait_for(lambda: not self._capturing, CLOSE_WAIT_S):
                log.warning(
                    "closing %s: a capture has not returned within %.0f s; the device is released "
                    "when it does",
                    self.name,
                    CLOSE_WAIT_S,
                )
                self.state = "closed"
                return
        self._drop_handle()  # no capture under way, and none can start: the handle is ours
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
        if not _waits_with_timeout(handle):  # picamera2 before wait(job, timeout) (December 2023)
            return handle.capture_array("main")
        # capture_array("main") alone can block for ever (picamera2 #794, #1004): ask for the frame
        # without waiting, then wait for it with a timeout (TimeoutError: a failed capture, retried)
        job = handle.capture_array("main", wait=False)
        try:
            return handle.wait(job, timeout=CAPTURE_TIMEOUT_S)
        except TimeoutError as exc:
            raise CameraError(f"no frame within {CAPTURE_TIMEOUT_S:g} s") from exc

    def _release(self, handle: Any) -> None:
        try:
            handle.stop()
        finally:
            handle.close()


def _waits_with_timeout(handle: Any) -> bool:
    """True when this picamera2 has `wait(job, timeout=...)` (picamera2 pull request #889)."""
    wait = getattr(handle, "wait", None)
    if not callable(wait):
        return False
    try:
        return "timeout" in inspect.signature(wait).parameters
    except (TypeError, ValueError):  # no signature to read (a C function): assume the old one
        return False
