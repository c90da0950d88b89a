"""The vision configured for the Edge TPU, for the tests of its faults (tests/service, tests/stress).

`tpu_config`: classifier.type = edgetpu with a model folder naming an Edge TPU model (a copy of the
CPU one: libedgetpu's delegate is what the tests fake, at its boundary) and a replayed photo of a face
as the camera.  `tpu_appliance`: the real appliance built from such a config, not started.  `Coral`
(`fake_coral`): libedgetpu's `load_delegate` faked at its boundary, whose load can hang until the test
lets it go; `started` and `tick_for`: the appliance's watchdog ticked by the test, not its thread.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from moodspeaker.config import Config, with_changes
from moodspeaker.demo.faces import FACES_DIR
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.components import vision_factories
from moodspeaker.service.events import EventBus
from moodspeaker.service.watchdog import Watchdog
from moodspeaker.vision import runtime
from moodspeaker.vision.expression import default_model_json
from polling import until


def tpu_config(tmp_path: Path, changes: Mapping[str, object] | None = None) -> Config:
    """classifier.type = edgetpu (models in tmp_path/models), a looping replayed face as the camera
    every 0.1 s, data in tmp_path/data; `changes` (dotted keys) go over these."""
    shipped = default_model_json()
    meta = json.loads(shipped.read_text())
    models = tmp_path / "models"
    models.mkdir()
    cpu = shipped.parent / meta["cpu_model"]
    shutil.copy(cpu, models / meta["cpu_model"])
    shutil.copy(cpu, models / "expression_int8_edgetpu.tflite")  # stands in for the compiled model
    meta["edgetpu_model"] = "expression_int8_edgetpu.tflite"
    (models / "expression.json").write_text(json.dumps(meta))
    settings: dict[str, object] = {
        "device.data_dir": str(tmp_path / "data"),
        "classifier.type": "edgetpu",
        "classifier.model": str(models / "expression.json"),
        "camera.type": "replay",
        "camera.replay_path": str(FACES_DIR / "astronaut.jpg"),
        "camera.replay_loop": True,
        "camera.interval_s": 0.1,
    }
    settings.update(changes or {})
    return with_changes(Config(), settings)


def tpu_appliance(tmp_path: Path, cfg: Config) -> Appliance:
    """The real appliance with the vision parts built from `cfg` (vision_factories) and an empty
    catalogue; not started.  The pipeline built by the start-up probe is taken, so the stage builds its
    own (as after any restart)."""
    make_source, make_pipeline, classes, states = vision_factories(cfg)
    make_pipeline()  # the probe's pipeline, the one the service started with
    recommender = Recommender.from_config(cfg, Catalogue([]))
    parts = Parts(make_source, make_pipeline, recommender, classes, states=states)
    return Appliance(cfg, EventBus(), parts, tmp_path / "data")


class Coral:
    """libedgetpu's `load_delegate` at its boundary: no stick, or (`wedged`) a stick whose load never
    returns until the test lets it go (then it is gone: ValueError)."""

    def __init__(self) -> None:
        self.wedged = False
        self.hung = 0  # loads that went into the hang
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self) -> object:
        with self._lock:
            wedged = self.wedged
            self.hung += wedged
        if wedged:
            self.release.wait(120)
        raise ValueError("Failed to load delegate from libedgetpu.so.1")

    def hung_loads(self) -> int:
        with self._lock:
            return self.hung

    def wait_hung(self, loads: int) -> None:
        """Until `loads` loads in all have gone into the hang (a thread of the stage hangs in each)."""
        until(lambda: self.hung_loads() == loads, 30.0, f"load #{loads} of the delegate hung")


def fake_coral(monkeypatch: pytest.MonkeyPatch) -> Coral:
    """A Coral (no stick yet) in place of libedgetpu's `load_delegate` (vision.runtime._delegate)."""
    coral = Coral()
    monkeypatch.setattr(runtime, "_delegate", coral)
    return coral


def started(app: Appliance) -> list[float]:
    """Start `app` with its watchdog's thread stopped (the test ticks it); the ticks' clock."""
    app.start()
    app.watchdog.stop()
    return [time.monotonic() + 3600.0]


def tick_for(watchdog: Watchdog, now: list[float], seconds: float) -> bool:
    """Tick the watchdog half a second at a time for `seconds` of its time; whether it restarted."""
    for _ in range(int(seconds / 0.5)):
        now[0] += 0.5
        if watchdog.check(now[0]):
            return True
    return False
