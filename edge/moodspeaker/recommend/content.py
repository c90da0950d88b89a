"""Content score: how close each track's features are to a target (diversity is in ranking.py).

Tracks arrive as the library's feature matrix (columns `FEATURE_COLUMNS`, the fixed scales of
`Track`).  They are first brought onto one comparable scale (`normalise`: every column roughly
-1..1, so a tempo of 120 bpm does not drown a valence of 0.3), then scored by a Gaussian kernel of
the weighted distance to the target (the weights are learned per listener, see hybrid.py).  A
kernel rather than cosine similarity because the target is a *place* in the feature space (calm
and sad is near the origin of valence/arousal, where cosine is undefined), and because scores stay
in 0..1 and can be mixed with the collaborative score.

Pure numpy; no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from moodspeaker.library.track import FEATURE_COLUMNS  # the column order (agreed in INTERFACES.md)

#: How much each normalised dimension counts in the distance to a mood target.  Valence and
#: arousal carry the mood; the rest are what a listener hears as "calm, slow, minor key".
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "valence": 1.0,
    "arousal": 1.0,
    "energy": 0.5,
    "tempo": 0.3,
    "loudness_lufs": 0.25,
    "mode": 0.2,
    "brightness": 0.2,
}

#: Width of the Gaussian kernel (in normalised units): a track one unit away scores exp(-1/(2 s^2)).
KERNEL_WIDTH = 0.45

FloatArray = npt.NDArray[np.float32]


def normalise(raw: npt.ArrayLike) -> FloatArray:
    """Map raw `Track` scales onto comparable -1..1 columns (NaN stays NaN: not analysed).

    valence, arousal: already -1..1; energy, brightness: 0..1 -> -1..1; tempo: 60..180 bpm -> -1..1;
    loudness: -22..-6 LUFS -> -1..1; mode: minor -1, major +1.
    """
    a = np.asarray(raw, dtype=np.float32)
    if a.ndim != 2 or a.shape[1] != len(FEATURE_COLUMNS):
        raise ValueError(f"feature matrix must have shape (n, {len(FEATURE_COLUMNS)}), got {a.shape}")
    z = np.empty_like(a)
    z[:, 0] = np.clip(a[:, 0], -1.0, 1.0)
    z[:, 1] = np.clip(a[:, 1], -1.0, 1.0)
    z[:, 2] = np.clip(a[:, 2] * 2.0 - 1.0, -1.0, 1.0)
    z[:, 3] = np.clip((a[:, 3] - 120.0) / 60.0, -1.5, 1.5)
    z[:, 4] = np.clip((a[:, 4] + 14.0) / 8.0, -1.5, 1.5)
    z[:, 5] = np.clip(a[:, 5] * 2.0 - 1.0, -1.0, 1.0)
    z[:, 6] = np.clip(a[:, 6] * 2.0 - 1.0, -1.0, 1.0)
    return z


def weight_vector(weights: Mapping[str, float] | None = None) -> FloatArray:
    """The distance weights in column order; unknown names are an error (a typo must not be silent)."""
    merged = dict(DEFAULT_WEIGHTS)
    for name, value in (weights or {}).items():
        if name not in merged:
            raise ValueError(f"unknown feature weight {name!r}; known: {', '.join(FEATURE_COLUMNS)}")
        merged[name] = float(value)
    return np.array([merged[c] for c in FEATURE_COLUMNS], dtype=np.float32)


def columns_dot(cols: FloatArray, w: npt.ArrayLike) -> FloatArray:
    """sum_d w_d * cols[d] for column-major data (d x n): numpy's own loop, no threaded BLAS.

    A threaded BLAS matrix-vector product over a thin (n x 7) matrix is slower than this, and
    far slower on a busy machine (measured: 16 ms against 3 ms wall for 100k rows).
    """
    weights = np.asarray(w, np.float32)
    out: FloatArray = cols[0] * weights[0]
    for d in range(1, len(weights)):
        if weights[d] != 0.0:
            out += cols[d] * weights[d]
    return out


def weighted_sq_distance(
    z_cols: FloatArray, target: FloatArray, precision: FloatArray, z_sq_cols: FloatArray
) -> FloatArray:
    """sum_d precision_d * (z_d - target_d)^2 per track: a diagonal Mahalanobis distance whose
    precisions the recommender learns from how tightly a listener's kept tracks cluster.

    Takes column-major features (d x n) and their squares, expanded as
    z^2.p - 2 z.(p t) + t^2.p: two weighted column sums, no (n x d) temporaries.
    """
    p = np.asarray(precision, np.float32)
    t = np.asarray(target, np.float32)
    out = columns_dot(z_sq_cols, p)
    out -= 2.0 * columns_dot(z_cols, p * t)
    out += float((t * t) @ p)
    np.maximum(out, 0.0, out=out)
    return out


__all__ = [  # FEATURE_COLUMNS lives in library.track; re-exported for the recommender's modules
    "DEFAULT_WEIGHTS",
    "FEATURE_COLUMNS",
    "KERNEL_WIDTH",
    "FloatArray",
    "columns_dot",
    "normalise",
    "weight_vector",
    "weighted_sq_distance",
]
