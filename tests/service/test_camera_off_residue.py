"""When the mood reading ends (the camera switched off, the service stopping) the vision models keep
nothing of the last frame: every tensor of both interpreters holds what a blank run leaves.

A step zeroes the interpreters' inputs (test_frame_residue), but each model's intermediate tensors and
outputs kept the last run's activations, BlazeFace's early layers being low-resolution maps that look
like the frame, for ever while the camera is off.  Now the stage runs each model once on a blank input
when the reading ends.  A real appliance reads scikit-image's astronaut through a real ReplaySource, the
real BlazeFace and the shipped expression model (service.components.vision_factories, as the service);
the interpreters are built with `experimental_preserve_all_tensors` (every intermediate tensor kept in a
buffer of its own, readable with get_tensor) and, as the service builds them, without it (the tensors
get_tensor can read).  Each is compared with a fresh interpreter of the same model run on a blank input.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import servicekit
from ai_edge_litert.interpreter import Interpreter
from servicekit import wait_for

from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.components import vision_factories
from moodspeaker.service.events import EventBus
from moodspeaker.vision import runtime
from moodspeaker.vision.expression import TFLiteExpressionClassifier, default_model_json
from moodspeaker.vision.faces import BlazeFaceDetector, default_detector_model
from moodspeaker.vision.pipeline import VisionPipeline


def _appliance(tmp_path: Path) -> Appliance:
    data = pytest.importorskip("skimage.data")
    astronaut = np.ascontiguousarray(data.astronaut()[:, :, ::-1])  # Eileen Collins (NASA, public domain)
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(2):
        cv2.imwrite(str(frames / f"{i:02d}.png"), np.roll(astronaut, 4 * i, axis=1))
    cfg = servicekit.config(
        tmp_path / "data",
        **{
            "camera.type": "replay",
            "camera.replay_path": str(frames),
            "camera.replay_loop": True,
            "classifier.stuck_timeout_s": 30.0,  # the first classification loads the models
        },
    )
    make_source, make_pipeline, classes, _states = vision_factories(cfg)
    recommender = Recommender.from_config(cfg, Catalogue(servicekit.make_tracks(tmp_path)))
    parts = Parts(
        make_source=make_source, make_pipeline=make_pipeline, recommender=recommender, classes=classes
    )
    return Appliance(cfg, EventBus(), parts, tmp_path / "data")


def _snapshot(interpreter: Any) -> dict[int, np.ndarray]:
    """Every tensor get_tensor can read (some have no buffer of their own: delegated, planned away)."""
    got = {}
    for detail in interpreter.get_tensor_details():
        try:
            got[int(detail["index"])] = interpreter.get_tensor(detail["index"])
        except ValueError:
            continue
    return got


def _activations(interpreter: Any) -> set[int]:
    """The tensors computed from the input (the input, and every output of an op fed by one of them):
    what can hold anything of a frame.  Weights (and their dequantized copies, which XNNPACK may leave
    unwritten: their buffers hold whatever the allocator gave) are not among them."""
    found = {int(interpreter.get_input_details()[0]["index"])}
    for op in interpreter._get_ops_details():  # in execution order
        if any(int(i) in found for i in op["inputs"]):
            found.update(int(o) for o in op["outputs"])
    return found


def _residue(interpreter: Any, model: Path, *, all_readable: bool) -> list[str]:
    """Names of the activation tensors of `interpreter` that do not hold what a fresh interpreter of
    `model` holds after one run on a blank (zero) input."""
    fresh, _, _ = runtime.make_interpreter(model, edgetpu=False, threads=1)
    inp = fresh.get_input_details()[0]
    fresh.set_tensor(inp["index"], np.zeros(tuple(int(d) for d in inp["shape"]), np.dtype(inp["dtype"])))
    fresh.invoke()
    blank, ours = _snapshot(fresh), _snapshot(interpreter)
    activations = _activations(interpreter) & set(ours)
    if all_readable:
        assert len(ours) == len(interpreter.get_tensor_details()), "not every tensor could be read"
        assert len(activations) > 40, f"{model.name}: only {len(activations)} activation tensors read"
    else:
        assert len(activations) >= 2, f"{model.name}: neither input nor output could be read"
    names = {int(d["index"]): str(d["name"]) for d in interpreter.get_tensor_details()}
    return [names[i] for i in sorted(activations) if not np.array_equal(ours[i], blank[i])]


@pytest.mark.skipif(not default_model_json().is_file(), reason="no shipped expression model")
@pytest.mark.filterwarnings("ignore:Warning. Enabling .experimental_preserve_all_tensors.:UserWarning")
@pytest.mark.parametrize("preserve", [True, False], ids=["all-tensors", "as-built"])
@pytest.mark.parametrize("ending", ["camera off", "stop"])
def test_the_models_keep_nothing_of_the_last_frame_once_the_reading_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, preserve: bool, ending: str
) -> None:
    if preserve:
        made = functools.partial(Interpreter, experimental_preserve_all_tensors=True)
        monkeypatch.setattr(runtime, "Interpreter", made)
    app = _appliance(tmp_path)
    app.start()
    try:
        wait_for(lambda: app.stage.frames >= 3, timeout=60, what="three frames classified")
        pipeline = app.stage.pipeline
        assert isinstance(pipeline, VisionPipeline) and isinstance(pipeline.detector, BlazeFaceDetector)
        assert app.state()["face"], "the astronaut's face was found and classified"
        assert app.stage.forgets == 0  # not per frame: only when the reading ends
        if ending == "camera off":
            app.set_camera(False)
            wait_for(lambda: app.stage.forgets >= 1, what="the stage clearing its models")
            _assert_blank(pipeline, preserve)
    finally:
        app.stop()
    _assert_blank(pipeline, preserve)


def _assert_blank(pipeline: VisionPipeline, preserve: bool) -> None:
    detector, classifier = pipeline.detector, pipeline.classifier
    assert isinstance(detector, BlazeFaceDetector) and isinstance(classifier, TFLiteExpressionClassifier)
    for name, interpreter, model in (
        ("BlazeFace", detector._interpreter, default_detector_model()),
        ("the expression model", classifier._interpreter, classifier.model_path),
    ):
        left = _residue(interpreter, model, all_readable=preserve)
        assert not left, f"{name} still holds the last frame's activations in {len(left)} tensors: {left[:5]}"
    assert detector._regions == [], "the detector still knows where the last faces were"
