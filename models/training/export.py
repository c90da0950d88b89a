"""Export a trained checkpoint to a fully int8-quantized TFLite model plus its metadata JSON.

    python -m models.training.export --run runs/mbv2            # best.keras -> models/edgetpu/

Post-training full-integer quantization (TFLiteConverter, TFLITE_BUILTINS_INT8 only, uint8 input and
output) calibrated on training images.  Batch size is fixed at 1 (static shapes for the Edge TPU).
The float and int8 models are both scored on FER2013Valid; the int8 one through the appliance's own
classifier stage (moodspeaker.vision.expression), and the figures go to export_report.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np
import numpy.typing as npt
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from models.training.train import RunConfig, predict, resolve_ferplus

from moodspeaker.evaluation.ferplus import (
    FER2013_CLASSES,
    MODEL_CLASSES,
    ORIGINAL_LABELS_FILE,
    DatasetError,
    load_split,
    majority_labels,
    read_original_labels,
)
from moodspeaker.evaluation.metrics import predict_labels, remap_probs
from moodspeaker.evaluation.scoring import score_ferplus
from moodspeaker.util.atomic import atomic_write_bytes, atomic_write_text
from moodspeaker.vision.expression import TFLiteExpressionClassifier, load_model_info

log = logging.getLogger("export")

MODEL_FILE = "expression_int8.tflite"
JSON_FILE = "expression.json"
REPORT_FILE = "export_report.json"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "edgetpu"
#: Face-box margin the training crops correspond to, per detector (`detector.type`).  Measured on 300
#: FER2013Valid faces (upscaled 4x, padded): a FER2013 crop is the BlazeFace box plus 8 % per side
#: (median; 295 detected), or the Haar box plus 0 % (258 detected).  On the 915 of the first 1200
#: faces Haar finds, the shipped model scores 0.870 with margin 0 and 0.857 with BlazeFace's 0.08.
CROP_MARGINS = {"blazeface": 0.08, "haar": 0.0}
#: `crop.margin`, for a detector without its own: BlazeFace's, the appliance's default detector.
CROP_MARGIN = CROP_MARGINS["blazeface"]


def converter_name() -> str:
    return f"tensorflow {tf.__version__} TFLiteConverter"


def to_int8_tflite(model: Any, representative: npt.NDArray[np.uint8]) -> bytes:
    """Full-integer PTQ: every op int8, uint8 input (raw pixels) and uint8 output (probabilities)."""
    size = int(model.input_shape[1])
    inp = keras.Input(batch_shape=(1, size, size, 1), name="face")
    fixed = keras.Model(inp, model(inp, training=False), name=model.name)  # static batch of 1

    def rep_data() -> Iterator[list[npt.NDArray[np.float32]]]:
        for img in representative:
            yield [img.astype(np.float32).reshape(1, size, size, 1)]

    converter = tf.lite.TFLiteConverter.from_keras_model(fixed)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = rep_data
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.uint8
    converter.inference_output_type = tf.uint8
    return bytes(converter.convert())


def output_names(blob: bytes) -> tuple[str, str | None]:
    """Tensor names of the FER+ output and of the FER2013 head's (None without one), told by size.

    The converter does not keep Keras' output order, so the metadata names each tensor.
    """
    details = Interpreter(model_content=blob).get_output_details()
    by_size = {int(d["shape"][-1]): str(d["name"]) for d in details}
    if len(by_size) != len(details) or len(MODEL_CLASSES) not in by_size:
        raise ValueError(f"cannot tell the model's outputs apart: {[d['shape'] for d in details]}")
    return by_size[len(MODEL_CLASSES)], by_size.get(len(FER2013_CLASSES)) if len(details) > 1 else None


def describe_model(
    name: str,
    cpu_model: str,
    *,
    crop_margin: float = CROP_MARGIN,
    margin_by_detector: dict[str, float] | None = None,
    edgetpu_model: str | None = None,
    outputs: tuple[str, str | None] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An expression.json as agreed in coord/INTERFACES.md (class order = model outputs), `extra` last.

    One description for the exported model and the benchmarks' untrained placeholder, so the two
    cannot drift apart in what the appliance's classifier reads.  `margin_by_detector` (detector type:
    margin) overrides `crop_margin` for those detectors; without it every detector crops with it.
    """
    heads: dict[str, Any] = {}
    if outputs is not None:
        heads["output"] = outputs[0]
        if outputs[1] is not None:
            heads["fer2013_head"] = {"output": outputs[1], "classes": list(FER2013_CLASSES)}
    return {
        "name": name,
        "cpu_model": cpu_model,
        "edgetpu_model": edgetpu_model,
        "input": {
            "width": 48,
            "height": 48,
            "channels": 1,
            "color": "gray",
            "range": [0, 255],
            "mean": 0.0,
            "std": 1.0,
        },
        "crop": {
            "margin": crop_margin,
            "square": True,
            **({"margin_by_detector": dict(margin_by_detector)} if margin_by_detector else {}),
        },
        "classes": list(MODEL_CLASSES),
        **heads,
        **extra,
    }


def metadata(
    notes: str, *, edgetpu_model: str | None = None, outputs: tuple[str, str | None] | None = None
) -> dict[str, Any]:
    """The exported model's expression.json: the agreed fields plus the converter and the date."""
    return describe_model(
        "moodspeaker-expression-v1",
        MODEL_FILE,
        margin_by_detector=CROP_MARGINS,
        edgetpu_model=edgetpu_model,
        outputs=outputs,
        converter=converter_name(),
        trained=dt.datetime.now(dt.UTC).date().isoformat(),
        notes=notes,
    )


def classify_all(
    json_path: Path, images: npt.NDArray[np.uint8], *, flip_average: bool = False
) -> tuple[npt.NDArray[np.float32], tuple[str, ...], npt.NDArray[np.float32] | None]:
    """Run every image through the appliance's classifier stage (one preprocessing code path).

    Returns the main probabilities, their classes and, for a model with a FER2013 head, that head's
    probabilities in FER2013_CLASSES order (else None).
    """
    clf = TFLiteExpressionClassifier(load_model_info(json_path), threads=1, flip_average=flip_average)
    both = [clf.classify_heads(img) for img in images]
    probs = np.stack([main for main, _ in both]).astype(np.float32)
    if clf.fer2013_classes is None:
        return probs, clf.classes, None
    aux = np.stack([a for _, a in both if a is not None])
    return probs, clf.classes, remap_probs(aux, clf.fer2013_classes, FER2013_CLASSES, {}).astype(np.float32)


def export(
    checkpoint: Path, out_dir: Path, ferplus: Path, *, rep_count: int = 500, seed: int = 0, notes: str = ""
) -> dict[str, Any]:
    """Convert, write model + JSON atomically, score float and int8 on FER2013Valid, write the report."""
    model = keras.models.load_model(checkpoint)
    train = load_split(ferplus / "FER2013Train")
    rng = np.random.default_rng(seed)
    rep = train.images[rng.choice(len(train.images), size=min(rep_count, len(train.images)), replace=False)]
    blob = to_int8_tflite(model, rep)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out_dir / MODEL_FILE, blob)
    existing = out_dir / JSON_FILE
    edgetpu = None
    if existing.is_file():  # keep a compiled model's entry only if that file is really there
        prev = json.loads(existing.read_text(encoding="utf-8")).get("edgetpu_model")
        edgetpu = prev if prev and (out_dir / prev).is_file() else None
    meta = metadata(notes, edgetpu_model=edgetpu, outputs=output_names(blob))
    atomic_write_text(existing, json.dumps(meta, indent=2) + "\n")

    val = load_split(ferplus / "FER2013Valid")
    majority = majority_labels(val.votes)
    labels_file = ferplus / ORIGINAL_LABELS_FILE
    original = read_original_labels(labels_file, val.names) if labels_file.is_file() else None
    float_probs, *float_aux = predict(model, val.images)
    float_report = score_ferplus(float_probs, MODEL_CLASSES, majority, original, *float_aux)
    int8_probs, classes, int8_aux = classify_all(out_dir / JSON_FILE, val.images)
    int8_report = score_ferplus(int8_probs, classes, majority, original, int8_aux)
    agree = float(np.mean(float_probs.argmax(1) == predict_labels(int8_probs, classes, MODEL_CLASSES, {})))
    # The appliance averages each face with its mirror image (classifier.flip_average): score that too.
    mirrored = predict(model, np.ascontiguousarray(val.images[:, :, ::-1]))
    float_flip = [(a + b) / 2 for a, b in zip([float_probs, *float_aux], mirrored, strict=True)]
    float_flip_report = score_ferplus(float_flip[0], MODEL_CLASSES, majority, original, *float_flip[1:])
    int8_flip_probs, _, int8_flip_aux = classify_all(out_dir / JSON_FILE, val.images, flip_average=True)
    int8_flip_report = score_ferplus(int8_flip_probs, classes, majority, original, int8_flip_aux)
    report = {
        "checkpoint": str(checkpoint),
        "converter": converter_name(),
        "model_bytes": len(blob),
        "parameters": int(model.count_params()),
        "representative_images": len(rep),
        "float": float_report,
        "int8": int8_report,
        "int8_minus_float_accuracy": int8_report["accuracy"] - float_report["accuracy"],
        "int8_float_top1_agreement": agree,
        "int8_within_1_point": abs(int8_report["accuracy"] - float_report["accuracy"]) <= 0.01,
        "float_flip_average": float_flip_report,
        "int8_flip_average": int8_flip_report,
    }
    atomic_write_text(out_dir / REPORT_FILE, json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--run", type=Path, required=True, help="run folder (runs/NAME)")
    parser.add_argument("--checkpoint", default="best", help="best, last, or a path to a .keras file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (models/edgetpu)")
    parser.add_argument("--data", help="datasets root or ferplus folder (default: $MOODSPEAKER_DATA)")
    parser.add_argument("--rep-count", type=int, default=500, help="representative (calibration) images")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ckpt = (
        args.run / f"{args.checkpoint}.keras"
        if args.checkpoint in ("best", "last")
        else Path(args.checkpoint)
    )
    if not ckpt.is_file():
        print(f"export: checkpoint not found: {ckpt}", file=sys.stderr)
        return 2
    state_path = args.run / "state.json"
    state = json.loads(state_path.read_text()) if state_path.is_file() else {}
    epoch = state.get("best_epoch") if args.checkpoint == "best" else state.get("epochs_done")
    config = RunConfig.load(args.run / "config.toml") if (args.run / "config.toml").is_file() else None
    total = config.train.epochs if config else "?"
    notes = (
        f"MobileNetV2-family CNN trained on FER+ (FER2013Train) with soft vote targets; run {args.run.name}, "
        f"checkpoint {ckpt.name} from epoch {epoch} of {total}. Outputs are softmax probabilities; "
        "input is the raw 0-255 grayscale face crop (rescaling is inside the model)."
    )
    try:
        report = export(ckpt, args.out, resolve_ferplus(args.data), rep_count=args.rep_count, notes=notes)
    except DatasetError as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 2
    report["epoch"] = epoch
    report["epochs_planned"] = total
    atomic_write_text(args.out / REPORT_FILE, json.dumps(report, indent=2) + "\n")
    print(
        f"wrote {args.out / MODEL_FILE} ({report['model_bytes']} bytes); FER+ accuracy float "
        f"{report['float']['accuracy']:.4f}, int8 {report['int8']['accuracy']:.4f}; FER2013 float "
        f"{report['float'].get('accuracy_fer2013', float('nan')):.4f}, int8 "
        f"{report['int8'].get('accuracy_fer2013', float('nan')):.4f}; with the mirror pass, int8 "
        f"{report['int8_flip_average']['accuracy']:.4f} (FER2013 "
        f"{report['int8_flip_average'].get('accuracy_fer2013', float('nan')):.4f})"
    )
    if not report["int8_within_1_point"]:
        print(
            f"WARNING: int8 accuracy differs from float by {report['int8_minus_float_accuracy'] * 100:+.2f} "
            "points (more than 1): try more calibration images (--rep-count) or quantization-aware training"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
