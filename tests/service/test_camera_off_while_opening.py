"""A camera that fails to open as the privacy switch turns it off stays "off", not "error".

The capture opens the camera under the stage's lock; the switch waits for that lock, then closes
the camera and sets its state to "off".  The failure's "error" was set after the lock was let go,
over the switch's "off": the page and MQTT showed a camera error while the camera was switched off.
The camera here blocks in its opening until the test lets it fail; the real Health holds the
failure's count until the switch has landed, so the switch comes between the failed opening and
what the capture makes of it, every time.
"""

from __future__ import annotations

import threading

from moodspeaker.config.schema import MoodConfig
from moodspeaker.mood.filter import MoodFilter
from moodspeaker.service.health import Health
from moodspeaker.service.inference import FrameSource, InferenceStage, Pipeline
from moodspeaker.service.watchdog import Heartbeat
from polling import until

CLASSES = ("neutral", "happy", "surprise", "sad", "angry", "disgust", "fear", "contempt")


class SwitchFirstHealth(Health):
    """The real Health; counting a failed capture waits until the camera is switched off."""

    def count(self, name: str, n: int = 1) -> None:
        super().count(name, n)
        if name == "inference_errors":
            until(lambda: self.state_of("camera") == "off", 120, "the camera switched off")


def test_a_camera_failing_to_open_as_it_is_switched_off_stays_off() -> None:
    opening, fail = threading.Event(), threading.Event()

    def camera() -> FrameSource:
        opening.set()
        fail.wait(120)
        raise OSError("the camera is busy")

    def pipeline() -> Pipeline:
        raise AssertionError("no frame is ever read")

    health = SwitchFirstHealth()
    stage = InferenceStage(
        camera,
        pipeline,
        MoodFilter(MoodConfig(), CLASSES),
        interval_s=0.05,
        on_result=lambda *_: None,
        health=health,
        heartbeat=Heartbeat(),
    )
    stage.start()
    try:
        assert opening.wait(120), "the capture never opened the camera"
        switch = threading.Thread(target=stage.set_enabled, args=(False,))
        switch.start()  # waits for the lock the opening holds
        fail.set()
        switch.join(120)
        assert not switch.is_alive()
    finally:
        fail.set()
        stage.stop(timeout=120)  # the capture thread is done with the failure
    assert stage._thread is not None and not stage._thread.is_alive()
    assert health.snapshot()["counters"]["inference_errors"] == 1
    assert health.state_of("camera") == "off", health.snapshot()["components"]
