"""The post-training fixes' measure (`models.training.posthoc_fer2013`): its pure parts on made-up scores.

Why these: the tool reports whether per-class offsets or a fused head would lift the FER2013 head, and
scores them by cross-validation; a search that cannot find a known bias, or a cross-validation that scores
faces it fitted on, would make the card's negative result worthless.
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.train
pytest.importorskip("tensorflow")  # models.training.train, which the tool's CLI resolves data with

from models.training.posthoc_fer2013 import accuracy, cross_validated, fit_offsets  # noqa: E402


def _biased(seed: int, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Log-probabilities that point at the right class, except that class 2 is pushed down by 1.0."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    logp = rng.normal(0.0, 0.4, (n, 4))
    logp[np.arange(n), labels] += 0.8
    logp[:, 2] -= 1.0
    return logp, labels


def test_offsets_find_a_class_pushed_down_and_lift_its_faces() -> None:
    logp, labels = _biased(1)
    offsets = fit_offsets(logp, labels)
    assert offsets[2] - np.delete(offsets, 2).mean() > 0.5  # class 2 raised back
    assert accuracy(logp + offsets, labels) > accuracy(logp, labels) + 0.1


def test_cross_validation_scores_unseen_faces_only() -> None:
    """Pure noise: a fit scored on its own faces beats chance, five held-out folds do not."""
    rng = np.random.default_rng(2)
    logp, labels = rng.normal(size=(300, 4)), rng.integers(0, 4, 300)
    fitted_on_all = accuracy(logp + fit_offsets(logp, labels), labels)
    assert cross_validated(logp, labels, "offsets") < fitted_on_all
    assert cross_validated(logp, labels, "offsets") < 0.35
    assert cross_validated(logp, labels, "logistic") < 0.35


def test_a_real_bias_survives_cross_validation() -> None:
    logp, labels = _biased(3)
    assert cross_validated(logp, labels, "offsets") > accuracy(logp, labels) + 0.1
    assert cross_validated(logp, labels, "logistic") > accuracy(logp, labels) + 0.1
