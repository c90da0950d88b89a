"""Measure neutral calibration on FER2013Valid: neutral-as-sad before/after, and what it costs.

    python -m models.training.eval_calibration [--model models/edgetpu/expression.json] [--frames 10]

FER2013 has no identities, so a "listener" is simulated: each trial draws `frames` FER+-majority
neutral faces as the resting-face capture, fits NeutralCalibration on their int8-model probabilities,
and scores the corrected model on all *other* valid faces (held-out neutrals for neutral-as-sad, every
class for accuracy and sad recall).  This measures a prior correction learnt from strangers' neutral
faces; one person's own resting face is more consistent, so the per-listener effect should be at least
as large, but that is not measured here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from models.training.export import classify_all
from models.training.train import resolve_ferplus

from moodspeaker.config.schema import ClassifierConfig
from moodspeaker.evaluation.ferplus import MODEL_CLASSES, load_split, majority_labels
from moodspeaker.evaluation.metrics import confusion_matrix, predict_labels, share_read_as
from moodspeaker.mood.calibration import NeutralCalibration
from moodspeaker.util.atomic import atomic_write_text

DEFAULT_JSON = Path(__file__).resolve().parents[1] / "edgetpu" / "expression.json"


def simulate(
    probs: np.ndarray, classes: tuple[str, ...], labels: np.ndarray, *, frames: int, trials: int, seed: int
) -> dict[str, Any]:
    """Mean (and spread) of neutral-as-sad, accuracy and sad recall before/after over random listeners."""
    pred = predict_labels(probs, classes, MODEL_CLASSES, {})
    neutral = np.flatnonzero(labels == MODEL_CLASSES.index("neutral"))
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(trials):
        pick = rng.choice(neutral, size=frames, replace=False)
        rest = np.setdiff1d(np.arange(len(labels)), pick)
        cal = NeutralCalibration.fit(probs[pick], classes)
        after = predict_labels(cal.apply(probs[rest]), classes, MODEL_CLASSES, {})
        cm_b = confusion_matrix(labels[rest], pred[rest], len(MODEL_CLASSES))
        cm_a = confusion_matrix(labels[rest], after, len(MODEL_CLASSES))
        sad = MODEL_CLASSES.index("sad")
        rows.append(
            [
                share_read_as(cm_b, MODEL_CLASSES, "neutral", "sad"),
                share_read_as(cm_a, MODEL_CLASSES, "neutral", "sad"),
                np.trace(cm_b) / cm_b.sum(),
                np.trace(cm_a) / cm_a.sum(),
                cm_b[sad, sad] / cm_b[sad].sum(),
                cm_a[sad, sad] / cm_a[sad].sum(),
            ]
        )
    arr = np.asarray(rows, dtype=np.float64)
    names = ["neutral_as_sad", "accuracy", "sad_recall"]
    out: dict[str, Any] = {"frames": frames, "trials": trials}
    for i, name in enumerate(names):
        out[name] = {
            "before": float(arr[:, 2 * i].mean()),
            "after": float(arr[:, 2 * i + 1].mean()),
            "after_p10": float(np.percentile(arr[:, 2 * i + 1], 10)),
            "after_p90": float(np.percentile(arr[:, 2 * i + 1], 90)),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--data", help="datasets root or ferplus folder (default: $MOODSPEAKER_DATA)")
    parser.add_argument("--frames", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--out", type=Path, help="write the JSON report here as well")
    args = parser.parse_args(argv)
    val = load_split(resolve_ferplus(args.data) / "FER2013Valid")
    # as the appliance classifies (face + mirror by default), since the calibration corrects that output
    probs, classes, _ = classify_all(args.model, val.images, flip_average=ClassifierConfig().flip_average)
    labels = majority_labels(val.votes)
    report = {
        "model": str(args.model),
        "protocol": "random FER+-majority neutral valid faces as the resting capture; scored on the rest",
        "results": [
            simulate(probs, classes, labels, frames=f, trials=args.trials, seed=f) for f in args.frames
        ],
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        atomic_write_text(args.out, text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
