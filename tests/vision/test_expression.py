"""The expression classifier stage with a real TFLite interpreter (placeholder model built by TF)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from moodspeaker.config.schema import ClassifierConfig
from moodspeaker.vision import runtime
from moodspeaker.vision.expression import (
    TFLiteExpressionClassifier,
    default_model_json,
    load_model_info,
    make_classifier,
)
from moodspeaker.vision.runtime import ModelError, make_interpreter

pytestmark = [
    pytest.mark.train,
    # ai-edge-litert's Delegate.__del__ raises AttributeError after a failed load (library bug, harmless).
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def test_classify_returns_probabilities_in_metadata_order(placeholder_model: Path) -> None:
    info = load_model_info(placeholder_model)
    clf = TFLiteExpressionClassifier(info)
    assert clf.backend == "cpu" and clf.fallback_reason is None
    assert clf.classes == tuple(json.loads(placeholder_model.read_text())["classes"])
    rng = np.random.default_rng(1)
    for shape in [(48, 48), (200, 200), (17, 31)]:  # any crop size is resized to the model input
        p = clf.classify(rng.integers(0, 256, shape, dtype=np.uint8))
        assert p.dtype == np.float32 and p.shape == (len(clf.classes),)
        assert np.all(p >= 0) and abs(float(p.sum()) - 1.0) < 1e-4


def test_bgr_crop_is_converted_and_same_as_gray(placeholder_model: Path) -> None:
    clf = TFLiteExpressionClassifier(load_model_info(placeholder_model))
    gray = np.random.default_rng(2).integers(0, 256, (48, 48), dtype=np.uint8)
    bgr = np.repeat(gray[:, :, None], 3, axis=2)
    np.testing.assert_allclose(clf.classify(gray), clf.classify(bgr), atol=1e-6)


def test_input_is_quantised_with_the_tensors_own_scale(placeholder_model: Path) -> None:
    clf = TFLiteExpressionClassifier(load_model_info(placeholder_model))
    x = clf.preprocess(np.full((48, 48), 255, np.uint8))
    assert x.dtype == np.int8 and x.shape == (1, 48, 48, 1)
    scale, zero = clf._in_scale, clf._in_zero
    assert abs((int(x.flat[0]) - zero) * scale - 255.0) <= scale  # dequantises back to ~255


def test_make_classifier_reads_config(placeholder_model: Path) -> None:
    clf = make_classifier(ClassifierConfig(model=str(placeholder_model)))
    assert clf.info.name.startswith("PLACEHOLDER")


def test_missing_model_file_names_the_file(placeholder_model: Path, tmp_path: Path) -> None:
    meta = json.loads(placeholder_model.read_text())
    meta["cpu_model"] = "nope.tflite"
    bad = tmp_path / "expression.json"
    bad.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=r"nope\.tflite"):
        TFLiteExpressionClassifier(load_model_info(bad))


def test_missing_metadata_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"model metadata not found: .*absent\.json"):
        load_model_info(tmp_path / "absent.json")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"classes": ["neutral", "bliss"]}, "unknown class 'bliss'"),
        ({"input": "48x48"}, "`input` must be a dict"),
        ({"classes": ["happy", "happy"]}, "distinct"),
    ],
)
def test_bad_metadata_is_named(
    placeholder_model: Path, tmp_path: Path, change: dict[str, object], message: str
) -> None:
    meta = json.loads(placeholder_model.read_text()) | change
    bad = tmp_path / "expression.json"
    bad.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=message):
        load_model_info(bad)


def test_corrupt_model_file_is_named(placeholder_model: Path, tmp_path: Path) -> None:
    shutil.copy(placeholder_model, tmp_path / "expression.json")
    (tmp_path / "placeholder_expression.tflite").write_bytes(b"this is not a flatbuffer" * 10)
    with pytest.raises(ModelError, match=r"placeholder_expression\.tflite: not a usable TFLite model"):
        TFLiteExpressionClassifier(load_model_info(tmp_path / "expression.json"))


def test_wrong_input_shape_names_file_and_expected_shape(wrong_shape_model: Path) -> None:
    with pytest.raises(ModelError) as err:
        TFLiteExpressionClassifier(load_model_info(wrong_shape_model))
    text = str(err.value)
    assert "placeholder_expression.tflite" in text
    assert "(1, 64, 64, 3)" in text and "expected (1, 48, 48, 1)" in text


def test_edgetpu_absent_on_this_machine_falls_back_with_reason(
    placeholder_model: Path, tmp_path: Path
) -> None:
    """The real delegate loader: libedgetpu is not installed here, so the CPU model must run."""
    folder = tmp_path / "m"
    shutil.copytree(placeholder_model.parent, folder)
    meta = json.loads((folder / "expression.json").read_text())
    meta["edgetpu_model"] = "placeholder_expression.tflite"  # stands in for a compiled model
    (folder / "expression.json").write_text(json.dumps(meta))
    clf = TFLiteExpressionClassifier(load_model_info(folder / "expression.json"), edgetpu=True)
    assert clf.backend == "cpu"
    assert clf.fallback_reason is not None and "libedgetpu.so.1" in clf.fallback_reason
    assert clf.classify(np.zeros((48, 48), np.uint8)).shape == (8,)


def test_delegate_that_raises_falls_back_to_the_cpu_model(
    placeholder_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def broken_delegate() -> object:
        calls.append("load")
        raise ValueError("Failed to load delegate from libedgetpu.so.1")

    monkeypatch.setattr(runtime, "_delegate", broken_delegate)
    compiled = tmp_path / "expression_edgetpu.tflite"
    compiled.write_bytes(b"compiled model bytes that only the TPU understands")
    cpu_model = placeholder_model.parent / "placeholder_expression.tflite"
    interpreter, backend, reason = make_interpreter(compiled, edgetpu=True, threads=1, cpu_fallback=cpu_model)
    assert calls == ["load"]
    assert backend == "cpu"
    assert reason is not None and "Failed to load delegate" in reason and cpu_model.name in reason
    assert interpreter.get_input_details()[0]["shape"].tolist() == [1, 48, 48, 1]


def test_edgetpu_model_missing_is_reason_not_crash(placeholder_model: Path, tmp_path: Path) -> None:
    cpu_model = placeholder_model.parent / "placeholder_expression.tflite"
    _, backend, reason = make_interpreter(
        tmp_path / "gone.tflite", edgetpu=True, threads=1, cpu_fallback=cpu_model
    )
    assert backend == "cpu" and reason is not None and "gone.tflite" in reason


def test_metadata_without_edgetpu_model_reports_why(placeholder_model: Path) -> None:
    clf = TFLiteExpressionClassifier(load_model_info(placeholder_model), edgetpu=True)
    assert clf.backend == "cpu"
    assert clf.fallback_reason is not None and "names no Edge TPU model" in clf.fallback_reason


def test_cpu_request_never_touches_the_delegate(
    placeholder_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden() -> object:
        raise AssertionError("the delegate must not be loaded for type=cpu")

    monkeypatch.setattr(runtime, "_delegate", forbidden)
    clf = make_classifier(ClassifierConfig(type="cpu", model=str(placeholder_model)))
    assert clf.backend == "cpu"


def test_shipped_model_if_present() -> None:
    """Once the TRAINING helper's model is in models/edgetpu/, it must load and classify."""
    path = default_model_json()
    if not path.is_file():
        pytest.skip(f"no shipped model yet at {path}")
    clf = TFLiteExpressionClassifier(load_model_info(path))
    p = clf.classify(np.full((96, 96), 128, np.uint8))
    assert p.shape == (len(clf.classes),) and abs(float(p.sum()) - 1.0) < 1e-3


def test_flip_average_is_the_mean_of_the_face_and_its_mirror() -> None:
    info = load_model_info(default_model_json())  # the shipped model: it gives graded answers
    plain = TFLiteExpressionClassifier(info)
    both = TFLiteExpressionClassifier(info, flip_average=True)
    ramp = np.tile(np.linspace(0, 255, 60), (60, 1))  # lit from one side: the mirror is another image
    noise = np.random.default_rng(3).normal(0, 20, (60, 60))
    face = np.clip(ramp + noise, 0, 255).astype(np.uint8)
    mirror = face[:, ::-1]
    expected = (plain.classify(face) + plain.classify(mirror)) / 2
    assert not np.allclose(plain.classify(face), plain.classify(mirror), atol=1e-3)  # the mirror differs
    np.testing.assert_allclose(both.classify(face), expected, atol=1e-6)
    np.testing.assert_allclose(both.classify(mirror), both.classify(face), atol=1e-6)  # symmetric by design
    assert abs(float(both.classify(face).sum()) - 1.0) < 1e-4


def test_flip_average_is_off_by_default_and_a_config_switch(placeholder_model: Path) -> None:
    """Off by default: with the shipped width-1.5 model the mirror pass costs a second ~0.55 ms invoke,
    over the 1 ms per face budget (bench/bench_classifier.py), for about a point of accuracy."""
    assert make_classifier(ClassifierConfig(model=str(placeholder_model))).flip_average is False
    on = ClassifierConfig(model=str(placeholder_model), flip_average=True)
    assert make_classifier(on).flip_average is True
