"""Classification metrics as pure numpy functions (pycoral-adapter style: no I/O, no model).

Labels are integer indices into a class tuple; -1 means "no label" and is ignored everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def confusion_matrix(y_true: IntArray, y_pred: IntArray, num_classes: int) -> IntArray:
    """Rows = true class, columns = predicted class; rows with y_true < 0 are skipped."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    keep = (y_true >= 0) & (y_pred >= 0)
    flat = y_true[keep] * num_classes + y_pred[keep]
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def accuracy(cm: IntArray) -> float:
    total = int(cm.sum())
    return float(np.trace(cm)) / total if total else float("nan")


def per_class_recall(cm: IntArray, classes: Sequence[str]) -> dict[str, float]:
    """Recall of every class present in the data (absent classes are left out, not reported as 0)."""
    support = cm.sum(axis=1)
    return {c: float(cm[i, i] / support[i]) for i, c in enumerate(classes) if support[i] > 0}


def macro_f1(cm: IntArray) -> float:
    """Mean F1 over the classes present in the ground truth."""
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    scores = []
    for i in range(cm.shape[0]):
        if support[i] == 0:
            continue
        tp = cm[i, i]
        denom = support[i] + predicted[i]
        scores.append(2.0 * tp / denom if denom else 0.0)
    return float(np.mean(scores)) if scores else float("nan")


def share_read_as(cm: IntArray, classes: Sequence[str], true: str, predicted: str) -> float | None:
    """Share of `true` faces classified as `predicted` (e.g. neutral read as sad); None when no `true`."""
    if true not in classes or predicted not in classes:
        return None
    i, j = classes.index(true), classes.index(predicted)
    support = cm[i].sum()
    return float(cm[i, j] / support) if support else None


def predict_labels(
    probs: npt.NDArray[Any], src: Sequence[str], dst: Sequence[str], fold: dict[str, str]
) -> IntArray:
    """Top class of each row in `src` order, as an index into `dst`; `fold` renames classes first.

    Classes that map to nothing in `dst` are never chosen (the best mappable class wins).  Taking the
    argmax before folding keeps a near-uniform output from being tipped by the fold (contempt+disgust).
    """
    probs = np.asarray(probs, dtype=np.float64)
    target = np.full(len(src), -1, dtype=np.int64)
    for j, name in enumerate(src):
        mapped = name if name in dst else fold.get(name)
        if mapped is not None and mapped in dst:
            target[j] = list(dst).index(mapped)
    masked = np.where(target[None, :] >= 0, probs, -np.inf)
    labels: IntArray = target[masked.argmax(axis=1)]
    return labels


def remap_probs(probs: npt.NDArray[Any], src: Sequence[str], dst: Sequence[str], fold: dict[str, str]) -> Any:
    """Re-order a (N, len(src)) probability array to `dst`; classes in `fold` add onto their target.

    Classes neither in `dst` nor in `fold` are dropped (their mass is lost, argmax is unaffected).
    """
    probs = np.asarray(probs, dtype=np.float64)
    out = np.zeros((probs.shape[0], len(dst)), dtype=np.float64)
    for j, name in enumerate(src):
        target = name if name in dst else fold.get(name)
        if target is not None and target in dst:
            out[:, list(dst).index(target)] += probs[:, j]
    return out


def summary(cm: IntArray, classes: Sequence[str]) -> dict[str, Any]:
    """The standard report: accuracy, per-class recall, macro-F1, confusion (as lists), count."""
    present = cm.sum(axis=1) > 0
    return {
        "accuracy": accuracy(cm),
        "macro_f1": macro_f1(cm),
        "per_class_recall": per_class_recall(cm, classes),
        "confusion": {
            "classes": list(classes),
            "matrix": cm.tolist(),
        },
        "count": int(cm.sum()),
        "classes_present": [c for c, p in zip(classes, present, strict=True) if p],
    }
