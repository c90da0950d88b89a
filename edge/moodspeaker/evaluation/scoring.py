"""Scoring a model's probabilities against FER+ majority votes and original FER2013 labels (pure numpy).

Conventions (documented in models/edgetpu/MODEL_CARD.md):
* FER+ accuracy follows Barsoum et al.: 8 classes (contempt included), images without a clear majority
  (see ferplus.majority_labels) are left out.  A model without some class simply never predicts it.
* FER2013 accuracy: every image with an original label; the model's top-1 class is taken over all of
  its classes and a top-1 `contempt` is then read as `disgust` (FER2013 had no contempt class).  A model
  with a FER2013 head (a second output trained on the original labels) is scored by that head instead:
  the two label sets agree on only ~62 % of the faces, so no single output can answer both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from moodspeaker.evaluation.ferplus import FER2013_CLASSES, MODEL_CLASSES
from moodspeaker.evaluation.metrics import confusion_matrix, predict_labels, share_read_as, summary

FOLD_FOR_FER2013: Final = {"contempt": "disgust"}


def score_ferplus(
    probs: npt.NDArray[Any],
    classes: Sequence[str],
    majority: npt.NDArray[np.int64],
    original: npt.NDArray[np.int64] | None = None,
    fer2013_probs: npt.NDArray[Any] | None = None,
) -> dict[str, Any]:
    """The eval-faces report for a FER+ split: `probs` is (N, len(classes)) in the model's class order.

    `fer2013_probs` (N, 7) in FER2013_CLASSES order, when the model has a FER2013 head, is what the
    original labels are scored against; without it the main output is.
    """
    pred = predict_labels(probs, classes, MODEL_CLASSES, {})
    cm = confusion_matrix(majority, pred, len(MODEL_CLASSES))
    report = summary(cm, MODEL_CLASSES)
    report["neutral_as_sad"] = share_read_as(cm, MODEL_CLASSES, "neutral", "sad")
    report["labels"] = "FER+ majority vote (Barsoum et al. 2016; 8 classes; no-majority images left out)"
    if original is not None:
        if fer2013_probs is not None:
            fer_pred = predict_labels(fer2013_probs, FER2013_CLASSES, FER2013_CLASSES, {})
        else:
            fer_pred = predict_labels(probs, classes, FER2013_CLASSES, FOLD_FOR_FER2013)
        fer_cm = confusion_matrix(original, fer_pred, len(FER2013_CLASSES))
        fer = summary(fer_cm, FER2013_CLASSES)
        fer["neutral_as_sad"] = share_read_as(fer_cm, FER2013_CLASSES, "neutral", "sad")
        fer["scored_output"] = "fer2013 head" if fer2013_probs is not None else "main"
        report["accuracy_fer2013"] = fer["accuracy"]
        report["fer2013"] = fer
    return report


def score_folders(probs: npt.NDArray[Any], classes: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Report for a class-named-subfolder dataset: `labels` are our class names (FER2013's seven).

    Contempt predictions are folded into disgust, as for FER2013; classes absent from the data are left
    out of the averages.
    """
    target = FER2013_CLASSES
    y_true = np.asarray([target.index(lbl) for lbl in labels], dtype=np.int64)
    pred = predict_labels(probs, classes, target, FOLD_FOR_FER2013)
    cm = confusion_matrix(y_true, pred, len(target))
    report = summary(cm, target)
    report["neutral_as_sad"] = share_read_as(cm, target, "neutral", "sad")
    return report
