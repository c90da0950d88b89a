"""Fit the valence/arousal model (emotion.py) on labelled clips, with honest grouped validation.

The labelled set is split by artist and so is the held-out set, so every estimate and every
hyper-parameter choice uses folds grouped by artist (GroupKFold): a model must never be scored on
an artist it has heard.  Regularisation strengths are chosen by an inner grouped CV inside each
outer fold (nested CV), so the reported accuracy is not tuned on its own test folds.

Needs scikit-learn (a development dependency); the fitted model runs with numpy alone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from moodspeaker.library.emotion import EmotionModel, Logistic
from moodspeaker.library.emotion_data import QUADRANT_SIGNS, quadrant_metrics

log = logging.getLogger(__name__)

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
#: Features left out of the model: the tonic (a category, meaningless on a line), the peak (a
#: mastering artefact), chroma relative to the tonic and tonnetz (noisy; did not help in grouped CV),
#: and energy/brightness (fixed functions of features already in).
EXCLUDED_PREFIXES = ("key", "peak", "chroma_rel", "tonnetz", "energy", "brightness")


def model_features(example: Mapping[str, float]) -> tuple[str, ...]:
    names = sorted(n for n in example if not (n.startswith(EXCLUDED_PREFIXES) and n != "key_clarity"))
    return tuple(names)


def _logistic(x: np.ndarray, y: np.ndarray, c: float) -> Logistic:
    if len(set(y.tolist())) < 2:  # one class only (tiny folds): a constant model
        p = float(np.clip(np.mean(y > 0), 0.02, 0.98))
        return Logistic(np.zeros(x.shape[1]), float(np.log(p / (1 - p))))
    m = LogisticRegression(C=c, max_iter=5000).fit(x, y)
    return Logistic(m.coef_[0].astype(np.float64), float(m.intercept_[0]))


def fit_model(
    x: np.ndarray,
    valence: np.ndarray,
    arousal: np.ndarray,
    names: Sequence[str],
    *,
    c_arousal: float,
    c_valence: float,
) -> EmotionModel:
    """Fit on raw feature rows `x` (standardised here); labels are signs (+1/-1)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    high = arousal > 0
    return EmotionModel(
        tuple(names),
        mean,
        scale,
        _logistic(z, arousal, c_arousal),
        _logistic(z[high], valence[high], c_valence),
        _logistic(z[~high], valence[~high], c_valence),
        {"c_arousal": c_arousal, "c_valence": c_valence},
    )


def _predict(model: EmotionModel, x: np.ndarray) -> np.ndarray:
    """(n, 2) array of (valence, arousal) scores."""
    names = model.features
    return np.array([[*_va(model, dict(zip(names, row, strict=True)))] for row in x])


def _va(model: EmotionModel, feats: Mapping[str, float]) -> tuple[float, float]:
    e = model.estimate(feats)
    return e.valence, e.arousal


def _choose(
    x: np.ndarray, v: np.ndarray, a: np.ndarray, groups: np.ndarray, names: Sequence[str]
) -> tuple[float, float]:
    """(C_arousal, C_valence) by grouped CV on this data: arousal first, then valence given it."""
    folds = list(GroupKFold(n_splits=4).split(x, a, groups))

    def accuracy(ca: float, cv: float) -> tuple[float, float]:
        hits_a = hits_v = 0
        for tr, te in folds:
            pred = _predict(fit_model(x[tr], v[tr], a[tr], names, c_arousal=ca, c_valence=cv), x[te])
            hits_v += int(np.sum(np.sign(pred[:, 0] + 1e-12) == v[te]))
            hits_a += int(np.sum(np.sign(pred[:, 1] + 1e-12) == a[te]))
        return hits_v / len(v), hits_a / len(a)

    ca = max(C_GRID, key=lambda c: accuracy(c, 0.1)[1])
    cv = max(C_GRID, key=lambda c: accuracy(ca, c)[0])
    return ca, cv


def to_quadrant(valence: float, arousal: float) -> str:
    for name, (sv, sa) in QUADRANT_SIGNS.items():
        if (valence >= 0) == (sv > 0) and (arousal >= 0) == (sa > 0):
            return name
    raise AssertionError("unreachable")  # pragma: no cover


def fit_and_validate(
    features: Mapping[str, Mapping[str, float]],
    labels: Mapping[str, str],
    artists: Mapping[str, str],
    outer_folds: int = 5,
    *,
    data_name: str,
) -> tuple[EmotionModel, dict[str, Any]]:
    """Nested grouped CV report, then the final model fitted on everything with C chosen by grouped CV.

    The model's info says what it was `trained_on`: `data_name` (the clips' folder or set), with how
    many clips (those labelled and with features) by how many artists."""
    songs = sorted(s for s in labels if s in features)
    if len(songs) < outer_folds * 4:
        raise ValueError(f"only {len(songs)} labelled clips with features: too few to fit")
    names = model_features(features[songs[0]])
    x = np.array([[float(features[s].get(n, np.nan)) for n in names] for s in songs])
    col_mean = np.nanmean(x, axis=0)
    x = np.where(np.isfinite(x), x, col_mean)
    v = np.array([QUADRANT_SIGNS[labels[s]][0] for s in songs])
    a = np.array([QUADRANT_SIGNS[labels[s]][1] for s in songs])
    groups = np.array([artists[s] for s in songs])
    truth = [labels[s] for s in songs]
    predicted: list[str] = [""] * len(songs)
    chosen = []
    for fold, (tr, te) in enumerate(GroupKFold(n_splits=outer_folds).split(x, a, groups)):
        ca, cv = _choose(x[tr], v[tr], a[tr], groups[tr], names)
        chosen.append((ca, cv))
        pred = _predict(fit_model(x[tr], v[tr], a[tr], names, c_arousal=ca, c_valence=cv), x[te])
        for i, (pv, pa) in zip(te, pred, strict=True):
            predicted[i] = to_quadrant(pv, pa)
        log.info("outer fold %d: C_arousal=%g C_valence=%g", fold + 1, ca, cv)
    report = quadrant_metrics(truth, predicted)
    n_artists = len(set(groups.tolist()))
    report["method"] = (
        f"nested cross-validation grouped by artist ({outer_folds} outer folds, 4 inner folds choose C); "
        f"{n_artists} artists"
    )
    report["inner_choices"] = [{"c_arousal": ca, "c_valence": cv} for ca, cv in chosen]
    ca, cv = _choose(x, v, a, groups, names)
    model = fit_model(x, v, a, names, c_arousal=ca, c_valence=cv)
    info = dict(model.info)
    info["cv"] = {
        k: report[k] for k in ("quadrant_accuracy", "arousal_accuracy", "valence_accuracy", "count")
    }
    info["cv_method"] = report["method"]
    info["trained_on"] = f"{data_name} ({len(songs)} clips by {n_artists} artists)"
    model = EmotionModel(model.features, model.mean, model.scale, model.arousal, model.valence_high,
                         model.valence_low, info)  # fmt: skip
    return model, report
