"""Can anything after training lift the FER2013 head to 70 %?  Measures the cheap fixes on FER2013Valid.

    python -m models.training.posthoc_fer2013 --run runs/mbv2-w15 [--also runs/mbv2-s5 ...] \
        [--out models/edgetpu/posthoc_fer2013.json]

Issue #3's FER2013 target (>= 70 % against the original labels) is the one the shipped model misses.  Before
asking for more training, this scores what needs none, on the float checkpoints (one pass is within 0.1
point of int8): the mirror pass (over the 1 ms budget with the wider net), per-class offsets on the head's
log-probabilities, a logistic regression over both heads' log-probabilities (the FER+ head sees the same
face through other labels), and averaging with other trained runs (`--also`).  The two fitted fixes are
fitted on FER2013Valid itself, so they are scored by 5-fold cross-validation on it: fitting and scoring on
the same faces would report a gain the held-out test set would not show.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Literal

import keras
import numpy as np
import numpy.typing as npt
from models.training.probe_fer2013 import emit
from models.training.train import resolve_ferplus
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from moodspeaker.evaluation.ferplus import ORIGINAL_LABELS_FILE, load_split, read_original_labels

Floats = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]
OFFSETS = np.linspace(-1.5, 1.5, 31)  # candidate per-class offsets (log-probability units)
FOLDS = 5


def accuracy(scores: Floats, labels: Labels) -> float:
    return float((scores.argmax(axis=1) == labels).mean())


def fit_offsets(logp: Floats, labels: Labels, sweeps: int = 3) -> Floats:
    """Per-class offsets added to the log-probabilities that maximise accuracy (coordinate search).

    Why a search and not a formula: accuracy is a step function of the offsets; three sweeps over a grid
    settle on the faces this size of data has.  Pure numpy, no I/O.
    """
    offsets = np.zeros(logp.shape[1])
    for _ in range(sweeps):
        for c in range(logp.shape[1]):
            best, best_value = -1.0, 0.0
            for value in OFFSETS:
                trial = offsets.copy()
                trial[c] = value
                acc = accuracy(logp + trial, labels)
                if acc > best:
                    best, best_value = acc, float(value)
            offsets[c] = best_value
    return offsets


def cross_validated(
    features: Floats, labels: Labels, method: Literal["offsets", "logistic"], seed: int = 0
) -> float:
    """Accuracy of a fix fitted on four folds and scored on the fifth, over all five (pooled)."""
    right = 0
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    for fit, score in folds.split(features, labels):
        if method == "offsets":
            predicted = (features[score] + fit_offsets(features[fit], labels[fit])).argmax(axis=1)
        else:
            head = LogisticRegression(C=0.1, max_iter=3000).fit(features[fit], labels[fit])
            predicted = head.predict(features[score])
        right += int((predicted == labels[score]).sum())
    return right / len(labels)


def _heads(run: Path, images: npt.NDArray[np.uint8]) -> dict[str, Floats]:
    """Both heads' probabilities for the faces and their mirrors, from the run's best.keras."""
    model = keras.models.load_model(run / "best.keras", compile=False)
    if len(model.outputs) != 2:
        raise ValueError(f"{run / 'best.keras'}: no FER2013 head (fer2013_head = true in its [model])")
    x = images.astype(np.float32)[..., None]
    ferplus, fer2013 = model.predict(x, batch_size=256, verbose=0)
    ferplus_m, fer2013_m = model.predict(np.ascontiguousarray(x[:, :, ::-1]), batch_size=256, verbose=0)
    heads = {"ferplus": ferplus, "fer2013": fer2013, "ferplus_m": ferplus_m, "fer2013_m": fer2013_m}
    return {name: np.asarray(probs, dtype=np.float64) for name, probs in heads.items()}


def measure(run: Path, also: list[Path], ferplus: Path) -> dict[str, Any]:
    valid = load_split(ferplus / "FER2013Valid")
    labels = read_original_labels(ferplus / ORIGINAL_LABELS_FILE, valid.names)
    keep = labels >= 0
    y = labels[keep].astype(np.int64)
    main = {k: v[keep] for k, v in _heads(run, valid.images).items()}
    logp = np.log(main["fer2013"] + 1e-6)
    both = np.hstack([logp, np.log(main["ferplus"] + 1e-6)])
    result: dict[str, Any] = {
        "run": str(run),
        "faces": int(keep.sum()),
        "one_pass": accuracy(main["fer2013"], y),
        "mirror_pass": accuracy(main["fer2013"] + main["fer2013_m"], y),
        "class_offsets_cv": cross_validated(logp, y, "offsets"),
        "both_heads_logistic_cv": cross_validated(both, y, "logistic"),
        "ensembles": {},
    }
    total, total_m = main["fer2013"].copy(), main["fer2013"] + main["fer2013_m"]
    averaged = [str(run)]
    for other in also:
        heads = {k: v[keep] for k, v in _heads(other, valid.images).items()}
        total, total_m = total + heads["fer2013"], total_m + heads["fer2013"] + heads["fer2013_m"]
        averaged.append(str(other))
        result["ensembles"][" + ".join(averaged)] = {
            "one_pass": accuracy(total, y),
            "mirror_pass": accuracy(total_m, y),
            "models": len(averaged),  # invokes per face one pass; twice that with the mirror
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--run", type=Path, required=True, help="run folder; its best.keras is measured")
    parser.add_argument("--also", type=Path, nargs="*", default=[], help="runs averaged with it, in turn")
    parser.add_argument("--data", help="datasets root or ferplus folder (default: $MOODSPEAKER_DATA)")
    parser.add_argument("--out", type=Path, help="write the result here as JSON too")
    args = parser.parse_args(argv)
    try:
        result = measure(args.run, list(args.also), resolve_ferplus(args.data))
    except (OSError, ValueError) as exc:  # a missing run or dataset, a run without the head
        print(f"posthoc_fer2013: {exc}", file=sys.stderr)
        return 2
    return emit(result, args.out)


if __name__ == "__main__":
    sys.exit(main())
