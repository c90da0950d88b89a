"""How far could a head on our features go against the original FER2013 labels? (a linear probe)

    python -m models.training.probe_fer2013 --run runs/mbv2-long [--out runs/mbv2-long/probe_fer2013.json]

Issue #3 asks for >= 70 % against the original FER2013 labels from a model trained on the FER+ labels,
which disagree with them on 38 % of the validation faces.  This measures the ceiling of the cheap fix:
freeze the trained network, take its pooled features (face + mirror, as the appliance classifies), fit a
logistic-regression head on FER2013Train's *original* labels and score it on FER2013Valid's.  If even a
head trained for those labels stays far below 70 %, the gap is the backbone's capacity and the label
mismatch, not the output layer — the model card quotes the figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np
import numpy.typing as npt
from models.training.train import resolve_ferplus
from sklearn.linear_model import LogisticRegression

from moodspeaker.evaluation.ferplus import ORIGINAL_LABELS_FILE, load_split, read_original_labels
from moodspeaker.util.atomic import atomic_write_text


def pooled_features(model: Any, images: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """The global-average-pool output (the layer named `pool`), averaged over the face and its mirror."""
    features = keras.Model(model.inputs, model.get_layer("pool").output)
    x = images.astype(np.float32)[..., None]
    both = features.predict(x, batch_size=256, verbose=0) + features.predict(
        np.ascontiguousarray(x[:, :, ::-1]), batch_size=256, verbose=0
    )
    return np.asarray(both / 2.0, dtype=np.float32)


def probe(checkpoint: Path, ferplus: Path, c: float = 1.0) -> dict[str, Any]:
    model = keras.models.load_model(checkpoint, compile=False)
    labels_file = ferplus / ORIGINAL_LABELS_FILE
    train, valid = load_split(ferplus / "FER2013Train"), load_split(ferplus / "FER2013Valid")
    y_train = read_original_labels(labels_file, train.names)
    y_valid = read_original_labels(labels_file, valid.names)
    keep_t, keep_v = y_train >= 0, y_valid >= 0
    head = LogisticRegression(C=c, max_iter=3000)
    head.fit(pooled_features(model, train.images[keep_t]), y_train[keep_t])
    valid_acc = float(head.score(pooled_features(model, valid.images[keep_v]), y_valid[keep_v]))
    return {
        "checkpoint": str(checkpoint),
        "head": f"logistic regression, C={c}, on the frozen pooled features (face + mirror)",
        "train_faces": int(keep_t.sum()),
        "valid_faces": int(keep_v.sum()),
        "valid_accuracy_fer2013": valid_acc,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--run", type=Path, required=True, help="run folder; its best.keras is probed")
    parser.add_argument("--data", help="datasets root or ferplus folder (default: $MOODSPEAKER_DATA)")
    parser.add_argument("--out", type=Path, help="write the result here as JSON too")
    args = parser.parse_args(argv)
    return emit(probe(args.run / "best.keras", resolve_ferplus(args.data)), args.out)


def emit(result: dict[str, Any], out: Path | None) -> int:
    """Print a measurement as JSON, and write it to `out` too (the card reads it from there)."""
    text = json.dumps(result, indent=2)
    if out:
        atomic_write_text(out, text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
