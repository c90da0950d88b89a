"""Device faults with real parts: a camera that fails and comes back (the real Picamera2Camera over a
faked picamera2 module, the Pi-only boundary), an Edge TPU delegate that fails at load or dies mid-run
(the real classifier and appliance; only the TPU interpreter's boundary is faked).

Bounded: generous timeouts; nothing asserts a duration.
"""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from stresskit import ScriptedFace, appliance, wait_for

from moodspeaker.config import Config
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.vision.sources import Picamera2Camera
from tpukit import tpu_config

# --- camera failing and returning -----------------------------------------------------------------


class FlakyPicamera2:
    """Stands in for picamera2.Picamera2 only (the Pi-only boundary): can be unplugged and replugged."""

    unplugged = False
    opens = 0
    instances: ClassVar[list[FlakyPicamera2]] = []

    def __init__(self) -> None:
        FlakyPicamera2.opens += 1
        if FlakyPicamera2.unplugged:
            raise RuntimeError("Camera __init__ sequence did not complete")
        self.size = (64, 48)

    def create_video_configuration(self, main: dict[str, Any]) -> dict[str, Any]:
        return {"main": dict(main)}

    def configure(self, config: dict[str, Any]) -> None:
        self.size = config["main"]["size"]

    def start(self) -> None:
        pass

    def capture_array(self, stream: str = "main") -> np.ndarray:
        if FlakyPicamera2.unplugged:
            raise RuntimeError("Device or resource busy")
        w, h = self.size
        return np.full((h, w, 3), 90, np.uint8)

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def flaky_camera(monkeypatch: pytest.MonkeyPatch) -> type[FlakyPicamera2]:
    module = types.ModuleType("picamera2")
    module.Picamera2 = FlakyPicamera2  # type: ignore[attr-defined]
    FlakyPicamera2.unplugged, FlakyPicamera2.opens = False, 0
    monkeypatch.setitem(sys.modules, "picamera2", module)
    return FlakyPicamera2


def _camera_rig(tmp_path: Path) -> tuple[Any, ScriptedFace]:
    face = ScriptedFace("happy")
    app, _bus, _cfg = appliance(tmp_path, face, **{"camera.interval_s": 0.1})
    # the real Pi camera class over the faked picamera2 module; the scripted stage reads its frames
    app.stage._make_source = lambda: Picamera2Camera(64, 48)
    return app, face


@pytest.mark.timeout(120)
def test_camera_unplugged_and_back_the_service_carries_on(
    tmp_path: Path, flaky_camera: type[FlakyPicamera2]
) -> None:
    app, _face = _camera_rig(tmp_path)
    app.start()
    try:
        wait_for(lambda: app.stage.frames > 5, 30, "frames from the camera")
        flaky_camera.unplugged = True
        # an unplugged camera must not look healthy (noticed at its next capture, however busy the CPU)
        wait_for(lambda: app.health.state_of("camera") != "ok", 60, "the unplugged camera reported")
        frames = app.stage.frames
        flaky_camera.unplugged = False
        wait_for(lambda: app.stage.frames > frames + 5, 60, "frames again after the camera came back")
        wait_for(lambda: app.health.state_of("camera") == "ok", 30, "the camera reported ok again")
        assert app.state()["mood"] == "happy"
    finally:
        app.stop()


@pytest.mark.timeout(120)
def test_unplugged_camera_is_retried_with_back_off_and_reported_as_retrying(
    tmp_path: Path, flaky_camera: type[FlakyPicamera2]
) -> None:
    """The camera's own back-off applies (the service keeps the retrying camera instead of building a
    new one each interval), and health says 'retrying', not 'ended'."""
    app, _face = _camera_rig(tmp_path)
    app.start()
    try:
        wait_for(lambda: app.stage.frames > 5, 30, "frames from the camera")
        flaky_camera.unplugged = True
        opens = flaky_camera.opens
        time.sleep(4.0)  # back-off 0.5 + 1 + 2 s: at most ~4 attempts, not one per 0.1 s interval
        attempts = flaky_camera.opens - opens  # (a busy CPU only makes fewer)
        # the state once it is retrying (a busy CPU may not have got that far in those 4 s)
        wait_for(lambda: flaky_camera.opens - opens >= 2, 60, "the camera retried")
        wait_for(lambda: app.health.state_of("camera") != "ok", 60, "the unplugged camera reported")
        state = app.health.state_of("camera")
    finally:
        app.stop()
    problems = []
    if state == "ended":
        problems.append("a live camera that is retrying is reported as 'ended'")
    if attempts > 8:
        problems.append(f"{attempts} reopen attempts in 4 s while unplugged")
    assert not problems, "; ".join(problems)


# --- the Edge TPU delegate failing at load ------------------------------------------------------


def _tpu_config(tmp_path: Path) -> Config:
    """classifier.type = edgetpu with a model folder naming an Edge TPU model (tpukit), a frame every
    0.2 s."""
    return tpu_config(tmp_path, {"camera.interval_s": 0.2})


def _run_appliance(cfg: Config, tmp_path: Path, frames: int) -> dict[str, Any]:
    """The service's vision parts from config, in a real appliance, until `frames` captures; its health."""
    from moodspeaker.service.app import Appliance, Parts  # noqa: PLC0415
    from moodspeaker.service.components import vision_factories  # noqa: PLC0415
    from moodspeaker.service.events import EventBus  # noqa: PLC0415

    make_source, make_pipeline, classes, states = vision_factories(cfg)
    parts = Parts(
        make_source, make_pipeline, Recommender.from_config(cfg, Catalogue([])), classes, states=states
    )
    app = Appliance(cfg, EventBus(), parts, tmp_path / "data")
    app.start()
    try:
        wait_for(lambda: app.stage.frames >= frames and app.state()["face"] is True, 90, "classifications")
        health: dict[str, Any] = app.health_snapshot()["components"]
    finally:
        app.stop()
    return health


@pytest.mark.timeout(180)
def test_tpu_delegate_failing_at_load_falls_back_to_cpu_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moodspeaker.vision import runtime  # noqa: PLC0415

    def broken_delegate() -> object:  # what load_delegate raises when the USB stick is absent or wedged
        raise ValueError("Failed to load delegate from libedgetpu.so.1")

    monkeypatch.setattr(runtime, "_delegate", broken_delegate)
    health = _run_appliance(_tpu_config(tmp_path), tmp_path, 3)
    assert health["tpu"]["state"] == "fallback" and "libedgetpu" in health["tpu"]["detail"], health


@pytest.mark.timeout(180)
def test_tpu_dying_mid_run_is_reported_in_the_service_health(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moodspeaker.vision import expression  # noqa: PLC0415
    from moodspeaker.vision.runtime import make_interpreter  # noqa: PLC0415

    real = make_interpreter  # what the expression module calls (imported there from vision.runtime)

    def tpu_that_dies(model: Any, *, edgetpu: bool, threads: int, cpu_fallback: Any = None) -> Any:
        if not edgetpu:
            return real(model, edgetpu=False, threads=threads)
        interpreter, _, _ = real(cpu_fallback or model, edgetpu=False, threads=threads)
        return DyingTpu(interpreter, 5), "edgetpu", None  # "loads" on the TPU, dies after 5 faces

    monkeypatch.setattr(expression, "make_interpreter", tpu_that_dies)
    health = _run_appliance(_tpu_config(tmp_path), tmp_path, 12)
    assert health["tpu"]["state"] == "fallback" and "failed while running" in health["tpu"]["detail"], health


class DyingTpu:
    """The Edge TPU's interpreter at its boundary: works, then the stick is pulled (invoke raises)."""

    def __init__(self, real: Any, calls_before_failure: int) -> None:
        self.real, self.left = real, calls_before_failure

    def invoke(self) -> None:
        if self.left <= 0:
            raise RuntimeError("Edge TPU: USB transfer error (device gone)")
        self.left -= 1
        self.real.invoke()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_tpu_failing_mid_run_switches_the_classifier_to_the_cpu() -> None:
    from moodspeaker.vision.expression import (  # noqa: PLC0415
        TFLiteExpressionClassifier,
        default_model_json,
        load_model_info,
    )

    clf = TFLiteExpressionClassifier(load_model_info(default_model_json()))
    face = np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)
    expected = clf.classify(face)
    clf._interpreter = DyingTpu(clf._interpreter, 3)  # as if it had loaded on the TPU
    clf.backend = "edgetpu"
    for _ in range(6):  # three on the "TPU", then it dies: every call still answers
        probs = clf.classify(face)
        assert np.allclose(probs, expected, atol=1e-5)
    assert clf.backend == "cpu"
    assert clf.fallback_reason is not None and "failed while running" in clf.fallback_reason
    with pytest.raises(ValueError, match="empty face crop"):  # a bad crop is not a TPU failure
        clf.classify(np.zeros((0, 0), np.uint8))
