"""Frame sources: the Raspberry Pi camera (picamera2), a V4L2/OpenCV webcam, and a replay source.

Every source hands out BGR uint8 frames from `read()` and keeps nothing: a frame lives only until the
caller drops it, and no source writes one to disk or sends one anywhere.

`read()` returns None when there is no frame *now*; `state` says why:
- "ok": the last read gave a frame;
- "retrying": a live camera failed or vanished; it is reopened with exponential back-off
  (0.5 s doubling up to 30 s) on later reads, so a loose cable never crashes the speaker;
- "ended": a replay without looping has no more frames (it never will again);
- "closed": close() was called.
`last_error` holds the latest problem in words (also logged once per change).
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from moodspeaker.config.schema import CameraConfig
from moodspeaker.vision.cameras import (
    BACKOFF_FIRST_S,
    BACKOFF_MAX_S,
    CAPTURE_TIMEOUT_S,
    CameraError,
    Frame,
    FrameSource,
    LiveCamera,
    Picamera2Camera,
    State,
    V4L2Camera,
    as_bgr,
    backoff_delay,
    v4l2_target,
)

__all__ = [
    "BACKOFF_FIRST_S",
    "BACKOFF_MAX_S",
    "CAPTURE_TIMEOUT_S",
    "CameraError",
    "Frame",
    "FrameSource",
    "LiveCamera",
    "Picamera2Camera",
    "ReplaySource",
    "State",
    "V4L2Camera",
    "backoff_delay",
    "make_camera",
    "picamera2_available",
    "picamera2_cameras",
]

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm"})


class ReplaySource:
    """A video file or a folder of images, for development, tests and demos.

    Folder: one image per read, in name order; unreadable, empty or corrupt files are skipped with a
    logged reason (and counted in `skipped`).  Video: each read advances `interval_s` of video time
    (every frame when 0).  At the end: start again when `loop`, else state "ended" and None.
    `current_name` is the file name of the last image handed out (folders only).
    """

    def __init__(self, path: str | Path, *, loop: bool = False, interval_s: float = 0.0) -> None:
        self.path = Path(path).expanduser()
        if not self.path.exists():
            raise CameraError(f"replay source not found: {self.path}")
        self.loop = loop
        self.interval_s = interval_s
        #: a folder or a single image (else a video file)
        self._images = self.path.is_dir() or self.path.suffix.lower() in IMAGE_SUFFIXES
        self.state: State = "starting"
        self.last_error = ""
        self.skipped = 0
        self.current_name = ""
        self._files: list[Path] | None = None
        self._index = 0
        self._cap: Any = None
        self._video_frame = 0
        self._loop_offset_s = 0.0
        #: video time (seconds, growing across loops) of the last frame handed out; None for images
        self.position_s: float | None = None
        self._lock = threading.Lock()

    # -- folders --
    def _list(self) -> list[Path]:
        if self.path.suffix.lower() in IMAGE_SUFFIXES:  # a single image
            return [self.path]
        try:
            names = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        except OSError as exc:
            self.last_error = f"cannot list {self.path}: {exc}"
            log.warning("%s", self.last_error)
            return []
        return [p for p in names if p.is_file()]

    def _read_image(self) -> Frame | None:
        for _ in range(2):  # at most one wrap-around per read
            if self._files is None:
                self._files = self._list()
                self._index = 0
            while self._index < len(self._files):
                path = self._files[self._index]
                self._index += 1
                frame = self._decode(path)
                if frame is not None:
                    self.current_name = path.name
                    return frame
            if not self.loop:
                break
            self._files = None
        return None

    def _decode(self, path: Path) -> Frame | None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._skip(path, f"unreadable ({exc.strerror or exc})")
            return None
        if not data:
            self._skip(path, "empty file")
            return None
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        del data
        if image is None or image.size == 0:
            self._skip(path, "not a decodable image (corrupt or unsupported)")
            return None
        return as_bgr(image)

    def _skip(self, path: Path, reason: str) -> None:
        self.skipped += 1
        self.last_error = f"skipped {path}: {reason}"
        log.warning("%s", self.last_error)

    # -- videos --
    def _read_video(self) -> Frame | None:
        for attempt in range(2):
            if self._cap is None:
                self._cap = cv2.VideoCapture(str(self.path))
                self._video_frame = 0
                if not self._cap.isOpened():
                    self._cap.release()
                    self._cap = None
                    self.last_error = f"{self.path}: not a readable video or image folder"
                    log.warning("%s", self.last_error)
                    return None
            fps = self._cap.get(cv2.CAP_PROP_FPS) or 0.0
            step = max(1, round(fps * self.interval_s)) if fps > 0 and self.interval_s > 0 else 1
            if self._video_frame > 0:
                for _ in range(step - 1):  # skip to the next capture time without decoding
                    if not self._cap.grab():
                        break
            ok, frame = self._cap.read()
            if ok and (image := as_bgr(frame)) is not None:
                if fps > 0:
                    self.position_s = self._loop_offset_s + self._video_frame / fps
                self._video_frame += step
                return image
            self._cap.release()
            self._cap = None
            if fps > 0 and self.position_s is not None:
                self._loop_offset_s = self.position_s + max(step, 1) / fps
            if not self.loop or attempt:
                break
        return None

    def read(self) -> Frame | None:
        with self._lock:
            return self._read()

    def _read(self) -> Frame | None:
        if self.state in ("ended", "closed"):
            return None
        frame = self._read_image() if self._images else self._read_video()
        if frame is None:
            if self.state != "closed":
                self.state = "ended"
                log.info("replay %s ended (%d file(s) skipped)", self.path, self.skipped)
            return None
        self.state = "ok"
        return frame

    def close(self) -> None:
        with self._lock:
            if self._cap is not None:
                self._cap.release()
                self._cap = None
            self.state = "closed"


def picamera2_cameras() -> tuple[int, str]:
    """How many cameras libcamera sees through picamera2, and why none when none (as the doctor's
    camera check asks it: system.hardware_checks).  Provisioning installs picamera2 on every Pi, so
    that it imports says nothing about a camera on the CSI connector."""
    try:
        module = importlib.import_module("picamera2")
    except Exception:  # ImportError, or libcamera failing at import time on a non-Pi
        return 0, "picamera2 is not available"
    try:
        info = module.Picamera2.global_camera_info()
    except Exception as exc:  # libcamera raises many kinds; any of them means "no usable camera"
        return 0, f"picamera2 failed: {exc}"
    return len(info), "libcamera sees no Raspberry Pi camera"


def picamera2_available() -> bool:
    """True when picamera2 imports and libcamera sees a camera: what `camera.type = auto` picks."""
    return picamera2_cameras()[0] > 0


def _v4l2_present(device: str) -> bool:
    target = v4l2_target(device)
    path = Path(f"/dev/video{target}") if isinstance(target, int) else Path(target)
    return path.exists()


def make_camera(cfg: CameraConfig, *, clock: Callable[[], float] = time.monotonic) -> FrameSource:
    """The frame source `camera.type` names; `auto` takes the Raspberry Pi camera when libcamera sees
    one, else the V4L2 webcam when its device is there, else the replay path."""
    kind = cfg.type
    if kind == "auto":
        cameras, why_not = picamera2_cameras()
        if cameras:
            kind = "picamera2"
        elif _v4l2_present(cfg.device):
            kind = "v4l2"
        elif cfg.replay_path:
            kind = "replay"
        else:
            raise CameraError(
                f"no camera found: {why_not}, no webcam at {cfg.device!r}, and camera.replay_path is empty"
            )
        log.info("camera.type auto -> %s", kind)
    if kind == "picamera2":
        return Picamera2Camera(cfg.width, cfg.height, clock=clock)
    if kind == "v4l2":
        return V4L2Camera(cfg.device, cfg.width, cfg.height, clock=clock)
    if not cfg.replay_path:
        raise CameraError("camera.type is replay but camera.replay_path is empty")
    return ReplaySource(cfg.replay_path, loop=cfg.replay_loop, interval_s=cfg.interval_s)
