"""Helpers shared by the vision benchmarks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

CLASSES = ["neutral", "happy", "surprise", "sad", "angry", "disgust", "fear", "contempt"]


def placeholder_model(folder: Path) -> Path:
    """An untrained int8 PLACEHOLDER expression model (48x48x1 -> 8 classes) with its metadata JSON.

    Its cost per call is what matters for timing, not its outputs; needs TensorFlow (the train extra).
    """
    import tensorflow as tf  # noqa: PLC0415 (the train extra, only when no model is shipped)

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((48, 48, 1)),
            tf.keras.layers.Conv2D(32, 3, strides=2, activation="relu"),
            tf.keras.layers.Conv2D(64, 3, strides=2, activation="relu"),
            tf.keras.layers.Conv2D(128, 3, strides=2, activation="relu"),
            tf.keras.layers.GlobalAveragePooling2D(),
            tf.keras.layers.Dense(len(CLASSES), activation="softmax"),
        ]
    )
    rng = np.random.default_rng(0)

    def representative():  # type: ignore[no-untyped-def]  # noqa: ANN202
        for _ in range(8):
            yield [rng.uniform(0, 255, (1, 48, 48, 1)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "placeholder.tflite").write_bytes(converter.convert())
    meta = {
        "name": "PLACEHOLDER-untrained-bench-model",
        "cpu_model": "placeholder.tflite",
        "input": {"width": 48, "height": 48, "channels": 1, "mean": 0.0, "std": 1.0},
        "crop": {"margin": 0.1, "square": True},
        "classes": CLASSES,
    }
    path = folder / "expression.json"
    path.write_text(json.dumps(meta))
    return path
