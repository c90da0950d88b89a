"""Helpers shared by the vision benchmarks (and the vision tests, which import this as bench._common)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from moodspeaker.evaluation.ferplus import MODEL_CLASSES

ROOT = Path(__file__).resolve().parents[1]


def placeholder_model(
    folder: Path,
    *,
    filters: tuple[int, ...] = (32, 64, 128),
    size: int = 48,
    channels: int = 1,
    quantise: bool = True,
    purpose: str = "bench",
) -> Path:
    """An untrained PLACEHOLDER expression model with its metadata JSON; returns the JSON's path.

    Stride-2 3x3 convolutions with `filters` channels over a `size` x `size` x `channels` input, then
    global pooling and 8 classes; int8 in and out unless `quantise` is False.  The metadata always
    says 48x48x1, so another size makes a model that contradicts its metadata (a test needs one).
    Its outputs mean nothing: a benchmark needs its cost per call, a test its interface.  The metadata
    is the exporter's own (models.training.export.describe_model), with a 10 % crop margin.  Needs
    TensorFlow (the train extra).
    """
    import tensorflow as tf  # noqa: PLC0415 (the train extra, only when no model is shipped)

    if str(ROOT) not in sys.path:  # models/training is not part of the installed package
        sys.path.insert(0, str(ROOT))
    from models.training.export import describe_model  # noqa: PLC0415 (imports TensorFlow too)

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((size, size, channels)),
            *(tf.keras.layers.Conv2D(n, 3, strides=2, activation="relu") for n in filters),
            tf.keras.layers.GlobalAveragePooling2D(),
            tf.keras.layers.Dense(len(MODEL_CLASSES), activation="softmax"),
        ]
    )
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantise:
        rng = np.random.default_rng(0)

        def representative() -> Iterator[list[np.ndarray]]:
            for _ in range(8):
                yield [rng.uniform(0, 255, (1, size, size, channels)).astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "placeholder_expression.tflite").write_bytes(converter.convert())
    meta = describe_model(
        f"PLACEHOLDER-untrained-{purpose}-model",
        "placeholder_expression.tflite",
        crop_margin=0.1,
        notes=f"untrained placeholder built for the {purpose}; its outputs mean nothing",
    )
    path = folder / "expression.json"
    path.write_text(json.dumps(meta))
    return path
