"""A replay without camera.replay_loop plays once: when it ends, the camera's state is "ended" and no
new replay is opened (the stage closed the ended source and opened a new one from the start on the
next capture, so replay_loop = false looped all the same).  Switching the camera off and on starts
it afresh.  Real parts: the real make_camera and ReplaySource over a folder of real image files."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
from servicekit import Script, ScriptPipeline

from moodspeaker.config.schema import CameraConfig, MoodConfig
from moodspeaker.mood.filter import MoodFilter
from moodspeaker.service.health import Health
from moodspeaker.service.inference import FrameSource, InferenceStage
from moodspeaker.service.watchdog import Heartbeat
from moodspeaker.vision.sources import ReplaySource, make_camera
from polling import until


def test_a_replay_without_looping_is_classified_once_and_stays_ended(tmp_path: Path) -> None:
    for n in range(2):
        assert cv2.imwrite(str(tmp_path / f"{n}.png"), np.full((48, 64, 3), 100, np.uint8))
    cfg = CameraConfig(type="replay", replay_path=str(tmp_path), replay_loop=False, interval_s=0.02)
    made: list[FrameSource] = []

    def camera() -> FrameSource:
        made.append(make_camera(cfg))
        return made[-1]

    ticks: list[int] = []

    def clock() -> float:  # the stage's clock, counting its loop's turns
        ticks.append(1)
        return time.monotonic()

    health = Health()
    stage = InferenceStage(
        camera,
        lambda: ScriptPipeline(Script("happy")),
        MoodFilter(MoodConfig()),
        interval_s=0.02,
        on_result=lambda *_: None,
        health=health,
        heartbeat=Heartbeat(),
        clock=clock,
    )
    stage.start()
    try:
        until(lambda: health.state_of("camera") == "ended", 30, "the replay ended")
        turns = len(ticks)
        until(lambda: len(ticks) > turns + 50, 30, "the stage running on after the end")
        assert len(made) == 1  # not opened again from the start
        assert isinstance(made[0], ReplaySource) and made[0].state == "closed"
        assert stage.frames == 2 and health.state_of("camera") == "ended"
        stage.set_enabled(False)
        stage.set_enabled(True)  # switched off and on: the replay starts afresh
        until(lambda: stage.frames == 4, 30, "the replay played again")
        until(lambda: health.state_of("camera") == "ended", 30, "the second replay ended")
        assert len(made) == 2
    finally:
        stage.stop(timeout=30)
