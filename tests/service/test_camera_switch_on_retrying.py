"""Switching the camera on while it is on already and retrying leaves its state "retrying".

The privacy switch sent again (the page's or MQTT's switch set to on while the camera is on) set the
camera's state to "ok" whatever the camera did: a camera that had dropped out and was retrying with
back-off showed "ok" until its next read said otherwise, and "error" (no camera at all) likewise.
Now the state changes with the switch only.

The camera is the vision helper's real LiveCamera (open lazily, reopen with back-off); only its
device steps stand in for the USB device, which the test unplugs.  Its reads are held while the
switch is pressed, so no read can set the state back in between: the state seen is the switch's.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from servicekit import Script, ScriptPipeline, config, make_tracks, wait_for

from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from moodspeaker.vision.sources import CameraError, Frame, LiveCamera


class UnpluggedCamera(LiveCamera):
    """A USB camera whose cable came loose after its first frame; `hold` keeps its reads waiting."""

    name = "webcam test"

    def __init__(self) -> None:
        super().__init__()
        self.grabs = 0
        self.hold, self.reading, self.release = threading.Event(), threading.Event(), threading.Event()

    def read(self) -> Frame | None:
        if self.hold.is_set():
            self.reading.set()
            self.release.wait(60)
        return super().read()

    def _open(self) -> Any:
        if self.grabs:
            raise CameraError("no such device")
        return object()

    def _grab(self, handle: Any) -> Any:
        self.grabs += 1
        if self.grabs > 1:
            raise CameraError("device disconnected")
        return np.zeros((48, 64, 3), np.uint8)

    def _release(self, handle: Any) -> None:
        pass


def test_switching_on_a_retrying_camera_keeps_it_retrying(tmp_path: Path) -> None:
    camera = UnpluggedCamera()
    cfg = config(tmp_path / "data")
    parts = Parts(
        make_source=lambda: camera,
        make_pipeline=lambda: ScriptPipeline(Script("happy")),
        recommender=Recommender.from_config(cfg, Catalogue(make_tracks(tmp_path))),
    )
    bus = EventBus()
    app = Appliance(cfg, bus, parts, tmp_path / "data")
    control = ControlAPI(app, bus)

    def state() -> tuple[str, str]:
        component: dict[str, Any] = app.health_snapshot()["components"]["camera"]
        return component["state"], component["detail"]

    app.start()
    try:
        wait_for(lambda: state()[0] == "retrying", what="the camera retrying")
        camera.hold.set()
        wait_for(camera.reading.is_set, what="a read held")  # no read sets the state meanwhile
        retrying = state()
        assert retrying[0] == "retrying"
        assert control.execute("set_camera", {"enabled": True})["camera"] is True
        assert state() == retrying  # not "ok": the camera is still away
    finally:
        camera.release.set()
        app.stop()
