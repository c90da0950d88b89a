"""The vision configured for the Edge TPU, for the tests of its faults (tests/service, tests/stress).

`tpu_config`: classifier.type = edgetpu with a model folder naming an Edge TPU model (a copy of the
CPU one: libedgetpu's delegate is what the tests fake, at its boundary) and a replayed photo of a face
as the camera.  `tpu_appliance`: the real appliance built from such a config, not started.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path

from moodspeaker.config import Config, with_changes
from moodspeaker.demo.faces import FACES_DIR
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.components import vision_factories
from moodspeaker.service.events import EventBus
from moodspeaker.vision.expression import default_model_json


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
