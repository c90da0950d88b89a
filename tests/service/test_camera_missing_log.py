"""No camera is an ordinary state (a Pi before its camera is plugged in, a desk machine): the service
logs the reason in one line, not an ERROR traceback, and only when the camera's state changes; an
unexpected failure keeps its traceback.

The camera factory is the real one (vision.sources.make_camera) with nothing to open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from servicekit import Script, ScriptPipeline, config, make_tracks, wait_for

from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.events import EventBus
from moodspeaker.vision.sources import FrameSource, make_camera, picamera2_available

LOGGER = "moodspeaker.service.inference"


def _errors(app: Appliance) -> int:
    return int(app.health_snapshot()["counters"].get("inference_errors", 0))


def _run_until_retried(tmp_path: Path, make_source: Callable[[], FrameSource]) -> None:
    cfg = config(tmp_path / "data")
    parts = Parts(
        make_source=make_source,
        make_pipeline=lambda: ScriptPipeline(Script("happy")),
        recommender=Recommender.from_config(cfg, Catalogue(make_tracks(tmp_path, 5.0))),
    )
    app = Appliance(cfg, EventBus(), parts, tmp_path / "data")
    app.start()
    try:
        wait_for(lambda: _errors(app) >= 3, what="three tries to open the camera")
    finally:
        app.stop()


def test_no_camera_found_is_one_line_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    if picamera2_available():
        pytest.skip("picamera2 is importable here: camera.type auto would pick it")
    cam = config(
        tmp_path / "data", **{"camera.type": "auto", "camera.device": str(tmp_path / "video9")}
    ).camera

    def make_source() -> FrameSource:
        return make_camera(cam)

    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        _run_until_retried(tmp_path, make_source)
    mine = [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]
    assert len(mine) == 1, [r.getMessage() for r in mine]  # once, not on every retry
    record = mine[0]
    assert record.exc_info is None and "\n" not in record.getMessage()
    assert "no camera found" in record.getMessage() and "camera.replay_path is empty" in record.getMessage()


def test_an_unexpected_failure_keeps_its_traceback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def make_source() -> FrameSource:
        raise ZeroDivisionError("a bug in a camera driver")

    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        _run_until_retried(tmp_path, make_source)
    mine = [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.ERROR]
    assert len(mine) == 1 and mine[0].exc_info is not None
