"""Frame sources: picamera2 faked at its module boundary, a real (absent) V4L2 device, real replay files."""

from __future__ import annotations

import logging
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np
import pytest

from moodspeaker.config.schema import CameraConfig
from moodspeaker.vision import sources
from moodspeaker.vision.sources import (
    CameraError,
    LiveCamera,
    Picamera2Camera,
    ReplaySource,
    V4L2Camera,
    backoff_delay,
    make_camera,
)


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class FakePicamera2:
    """Stands in for picamera2.Picamera2 only: hands back arrays like libcamera would."""

    instances: ClassVar[list[FakePicamera2]] = []
    fail_open = False
    fail_capture = False
    frame_never_comes = False  # the capture hangs (picamera2 #794): wait() times out
    channels = 3

    def __init__(self) -> None:
        if FakePicamera2.fail_open:
            raise RuntimeError("Camera __init__ sequence did not complete")
        self.config: dict[str, Any] | None = None
        self.started = False
        self.closed = False
        self.frames = 0
        self.timeouts: list[float | None] = []
        FakePicamera2.instances.append(self)

    def create_video_configuration(self, main: dict[str, Any]) -> dict[str, Any]:
        return {"main": dict(main)}

    def configure(self, config: dict[str, Any]) -> None:
        self.config = config

    def start(self) -> None:
        self.started = True

    def capture_array(self, stream: str = "main", wait: bool | None = None) -> Any:
        if wait is False:  # a job, its frame handed out by wait()
            return lambda: self.capture_array(stream)
        assert stream == "main" and self.started and self.config is not None
        if FakePicamera2.fail_capture:
            raise RuntimeError("Device or resource busy")
        w, h = self.config["main"]["size"]
        self.frames += 1
        arr = np.zeros((h, w, FakePicamera2.channels), np.uint8)
        arr[..., 0] = 10  # B in libcamera's "RGB888"
        arr[..., 2] = 30  # R
        return arr

    def wait(self, job: Callable[[], np.ndarray], timeout: float | None = None) -> np.ndarray:
        """picamera2's wait(job, timeout): TimeoutError when the frame is not there in time."""
        self.timeouts.append(timeout)
        if FakePicamera2.frame_never_comes:
            raise TimeoutError()
        return job()

    @staticmethod
    def global_camera_info() -> list[dict[str, Any]]:
        return [{"Model": "imx708"}]  # libcamera sees a camera on the CSI connector

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_picamera2(monkeypatch: pytest.MonkeyPatch) -> type[FakePicamera2]:
    module = types.ModuleType("picamera2")
    module.Picamera2 = FakePicamera2  # type: ignore[attr-defined]
    FakePicamera2.instances = []
    FakePicamera2.fail_open = False
    FakePicamera2.fail_capture = False
    FakePicamera2.frame_never_comes = False
    FakePicamera2.channels = 3
    monkeypatch.setitem(sys.modules, "picamera2", module)
    return FakePicamera2


def state_of(source: LiveCamera | ReplaySource) -> str:
    """The source's state read through a call, so a check before read() does not stay narrowed for mypy
    (read() changes it)."""
    return source.state


def test_backoff_doubles_and_caps() -> None:
    assert [backoff_delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert backoff_delay(50) == 30.0


def test_picamera2_adapter_configures_and_returns_bgr(fake_picamera2: type[FakePicamera2]) -> None:
    cam = make_camera(CameraConfig(type="picamera2", width=320, height=240))
    assert isinstance(cam, Picamera2Camera)
    frame = cam.read()
    assert frame is not None and frame.shape == (240, 320, 3) and frame.dtype == np.uint8
    assert frame[0, 0].tolist() == [10, 0, 30]  # byte order kept: already BGR
    (instance,) = fake_picamera2.instances
    assert instance.config == {"main": {"size": (320, 240), "format": "RGB888"}}
    cam.close()
    assert instance.closed and not instance.started and cam.state == "closed"
    assert cam.read() is None


def test_picamera2_four_channel_frames_lose_padding(fake_picamera2: type[FakePicamera2]) -> None:
    fake_picamera2.channels = 4
    frame = Picamera2Camera(64, 48).read()
    assert frame is not None and frame.shape == (48, 64, 3)


def test_camera_that_vanishes_retries_with_backoff_and_recovers(
    fake_picamera2: type[FakePicamera2], caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    cam = Picamera2Camera(64, 48, clock=clock)
    assert cam.read() is not None and state_of(cam) == "ok"
    fake_picamera2.fail_capture = True
    with caplog.at_level(logging.WARNING):
        assert cam.read() is None
    assert state_of(cam) == "retrying" and "Device or resource busy" in cam.last_error
    assert "retrying in 0.5 s" in caplog.text
    assert fake_picamera2.instances[0].closed  # the broken handle was released
    fake_picamera2.fail_capture = False
    fake_picamera2.fail_open = True  # unplugged: it cannot even be opened
    opened = len(fake_picamera2.instances)
    assert cam.read() is None and len(fake_picamera2.instances) == opened  # still backing off: no attempt
    clock.t += 0.5
    assert cam.read() is None and cam.failures == 2 and "cannot open" in cam.last_error
    clock.t += 0.9
    assert cam.read() is None and cam.failures == 2  # the second delay is 1 s
    clock.t += 0.1
    fake_picamera2.fail_open = False  # plugged back in
    frame = cam.read()
    assert frame is not None and cam.state == "ok" and cam.failures == 0 and cam.last_error == ""


def test_picamera2_missing_is_a_reported_state_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)  # import fails like on a non-Pi machine
    cam = Picamera2Camera(64, 48, clock=Clock())
    assert cam.read() is None
    assert cam.state == "retrying" and "apt install python3-picamera2" in cam.last_error


def test_absent_webcam_is_retrying_with_the_device_named() -> None:
    cam = make_camera(CameraConfig(type="v4l2", device="/dev/video97"), clock=Clock())
    assert isinstance(cam, V4L2Camera)
    assert cam.read() is None
    assert cam.state == "retrying" and "/dev/video97" in cam.last_error
    cam.close()


def test_auto_prefers_picamera2_then_webcam_then_replay(
    fake_picamera2: type[FakePicamera2], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert isinstance(make_camera(CameraConfig(type="auto")), Picamera2Camera)
    monkeypatch.setitem(sys.modules, "picamera2", None)
    monkeypatch.setattr(sources, "_v4l2_present", lambda device: device == "0")
    assert isinstance(make_camera(CameraConfig(type="auto", device="0")), V4L2Camera)
    cfg = CameraConfig(type="auto", device="5", replay_path=str(tmp_path))
    assert isinstance(make_camera(cfg), ReplaySource)
    with pytest.raises(CameraError, match="no camera found"):
        make_camera(CameraConfig(type="auto", device="5"))


class NoCsiCamera:
    """picamera2 as Raspberry Pi OS installs it on a Pi with no camera on the CSI connector."""

    @staticmethod
    def global_camera_info() -> list[dict[str, Any]]:
        return []

    def __init__(self) -> None:
        raise IndexError("list index out of range")  # what Picamera2() does with no camera


class BrokenLibcamera:
    @staticmethod
    def global_camera_info() -> list[dict[str, Any]]:
        raise RuntimeError("libcamera: failed to start the camera manager")


@pytest.mark.parametrize("picamera2", [NoCsiCamera, BrokenLibcamera])
def test_auto_takes_the_webcam_when_picamera2_sees_no_camera(
    picamera2: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Provisioning installs picamera2 on every Pi: that it imports is no camera.  With no camera on
    the CSI connector and a USB webcam plugged in, auto must take the webcam (it took picamera2 and
    retried 'list index out of range' for ever, while the doctor said the webcam was fine)."""
    module = types.ModuleType("picamera2")
    module.Picamera2 = picamera2  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "picamera2", module)
    monkeypatch.setattr(sources, "_v4l2_present", lambda device: device == "0")
    assert not sources.picamera2_available()
    assert isinstance(make_camera(CameraConfig(type="auto", device="0")), V4L2Camera)
    with pytest.raises(CameraError, match=r"no camera found: (libcamera sees no|picamera2 failed)"):
        make_camera(CameraConfig(type="auto", device="5"))


def test_replay_needs_an_existing_path(tmp_path: Path) -> None:
    with pytest.raises(CameraError, match="replay_path is empty"):
        make_camera(CameraConfig(type="replay"))
    with pytest.raises(CameraError, match=r"replay source not found: .*nowhere"):
        make_camera(CameraConfig(type="replay", replay_path=str(tmp_path / "nowhere")))


def write_image(path: Path, value: int, shape: tuple[int, ...] = (40, 60, 3)) -> None:
    ok, data = cv2.imencode(path.suffix, np.full(shape, value, np.uint8))
    assert ok
    path.write_bytes(data.tobytes())


def test_folder_in_name_order_skipping_corrupt_and_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_image(tmp_path / "a.png", 10)
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    (tmp_path / "c.png").write_bytes(b"")
    write_image(tmp_path / "d.png", 40, (30, 30))  # grayscale -> BGR
    (tmp_path / "notes.txt").write_text("not an image")
    src = ReplaySource(tmp_path)
    with caplog.at_level(logging.WARNING):
        first = src.read()
        second = src.read()
    assert first is not None and int(first[0, 0, 0]) == 10 and state_of(src) == "ok"
    assert second is not None and second.shape == (30, 30, 3) and src.current_name == "d.png"
    assert src.skipped == 2
    assert "b.jpg: not a decodable image" in caplog.text and "c.png: empty file" in caplog.text
    assert src.read() is None and src.state == "ended"
    assert src.read() is None


def test_folder_loops_when_asked(tmp_path: Path) -> None:
    for i in range(2):
        write_image(tmp_path / f"{i}.png", 10 * (i + 1))
    src = make_camera(CameraConfig(type="replay", replay_path=str(tmp_path), replay_loop=True))
    values = [int(f[0, 0, 0]) for f in (src.read() for _ in range(5)) if f is not None]
    assert values == [10, 20, 10, 20, 10]


def test_images_vanishing_mid_run_are_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "faces"
    folder.mkdir()
    for i in range(3):
        write_image(folder / f"{i}.png", 10 * (i + 1))
    src = ReplaySource(folder, loop=True)
    assert src.read() is not None
    (folder / "1.png").unlink()
    frame = src.read()
    assert frame is not None and int(frame[0, 0, 0]) == 30 and "1.png: unreadable" in src.last_error
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    assert src.read() is None and src.state == "ended" and "cannot list" in src.last_error


def test_all_corrupt_folder_ends_instead_of_spinning(tmp_path: Path) -> None:
    (tmp_path / "x.jpg").write_bytes(b"junk")
    src = ReplaySource(tmp_path, loop=True)
    assert src.read() is None and src.state == "ended"


def test_single_image_file(tmp_path: Path) -> None:
    write_image(tmp_path / "one.jpg", 77)
    src = ReplaySource(tmp_path / "one.jpg")
    assert src.read() is not None and src.read() is None and src.state == "ended"


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (64, 48))
    assert writer.isOpened()
    for i in range(30):  # 3 s at 10 frames/s; frame i has brightness 8 * i
        writer.write(np.full((48, 64, 3), 8 * i, np.uint8))
    writer.release()
    return path


def test_video_that_ends_gives_none(video: Path) -> None:
    src = ReplaySource(video, interval_s=0.5)  # every 5th frame
    values = []
    while (frame := src.read()) is not None:
        values.append(int(frame[0, 0, 0]))
    assert len(values) == 6
    assert all(abs(v - 40 * i) <= 6 for i, v in enumerate(values))  # frames 0, 5, 10, ... (JPEG loss)
    assert src.state == "ended" and src.read() is None


def test_video_loops(video: Path) -> None:
    src = ReplaySource(video, loop=True, interval_s=1.0)
    frames = [f for f in (src.read() for _ in range(7)) if f is not None]
    assert len(frames) == 7  # a frame at every read
    assert abs(int(frames[3][0, 0, 0]) - int(frames[0][0, 0, 0])) <= 6


def test_unreadable_video_file_ends_with_reason(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 100)
    src = ReplaySource(bad)
    assert src.read() is None and src.state == "ended" and "not a readable video" in src.last_error


def test_a_picamera2_capture_that_never_comes_times_out_and_is_retried(
    fake_picamera2: type[FakePicamera2],
) -> None:
    """capture_array() can block for ever (picamera2 #794, #1004): the frame is asked for without
    waiting and waited for with a timeout; a timeout is a failed capture, retried with back-off."""
    clock = Clock()
    cam = Picamera2Camera(64, 48, clock=clock)
    assert cam.read() is not None
    (instance,) = fake_picamera2.instances
    assert instance.timeouts == [sources.CAPTURE_TIMEOUT_S]
    fake_picamera2.frame_never_comes = True
    assert cam.read() is None
    assert (
        state_of(cam) == "retrying" and f"no frame within {sources.CAPTURE_TIMEOUT_S:g} s" in cam.last_error
    )
    assert instance.closed  # the wedged handle was let go
    fake_picamera2.frame_never_comes = False
    clock.t += 0.5
    assert cam.read() is not None and state_of(cam) == "ok"


def test_video_position_follows_video_time_across_loops(video: Path) -> None:
    src = ReplaySource(video, loop=True, interval_s=0.5)
    positions = []
    for _ in range(8):
        assert src.read() is not None
        positions.append(src.position_s)
    assert positions == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5])
