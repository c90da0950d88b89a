"""Fixtures for the vision tests: placeholder expression models (built with TensorFlow in a tmp dir)
and public-domain / synthesised test images.  Never FER2013 images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

CLASSES = ["neutral", "happy", "surprise", "sad", "angry", "disgust", "fear", "contempt"]


def _write_placeholder(folder: Path, *, size: int = 48, channels: int = 1, quantise: bool = True) -> Path:
    """A tiny, clearly untrained PLACEHOLDER expression model + its metadata JSON, for tests only."""
    tf = pytest.importorskip("tensorflow")
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((size, size, channels)),
            tf.keras.layers.Conv2D(4, 3, strides=2, activation="relu"),
            tf.keras.layers.GlobalAveragePooling2D(),
            tf.keras.layers.Dense(len(CLASSES), activation="softmax"),
        ]
    )
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantise:
        rng = np.random.default_rng(0)

        def representative():  # type: ignore[no-untyped-def]
            for _ in range(8):
                yield [rng.uniform(0, 255, (1, size, size, channels)).astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "placeholder_expression.tflite").write_bytes(converter.convert())
    meta = {
        "name": "PLACEHOLDER-untrained-test-model",
        "cpu_model": "placeholder_expression.tflite",
        "edgetpu_model": None,
        "input": {
            "width": 48,
            "height": 48,
            "channels": 1,
            "color": "gray",
            "range": [0, 255],
            "mean": 0.0,
            "std": 1.0,
        },
        "crop": {"margin": 0.1, "square": True},
        "classes": CLASSES,
        "notes": "untrained placeholder built by a pytest fixture; its outputs mean nothing",
    }
    path = folder / "expression.json"
    path.write_text(json.dumps(meta))
    return path


@pytest.fixture(scope="session")
def placeholder_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Metadata JSON of an int8 placeholder model with the agreed 48x48x1 input."""
    return _write_placeholder(tmp_path_factory.mktemp("placeholder"))


@pytest.fixture(scope="session")
def wrong_shape_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Metadata that says 48x48x1 next to a model whose input is really 64x64x3."""
    return _write_placeholder(tmp_path_factory.mktemp("wrongshape"), size=64, channels=3, quantise=False)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """Eileen Collins (NASA, public domain) as BGR, shipped with scikit-image."""
    data = pytest.importorskip("skimage.data")
    rgb = data.astronaut()
    return np.ascontiguousarray(rgb[:, :, ::-1])
