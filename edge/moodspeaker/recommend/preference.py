"""What the learner keeps per profile: fading sums (for Rocchio estimates) and the keep-or-skip
preference model.  Pure numpy; time is passed in.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Final

import numpy as np

from moodspeaker.recommend.content import FloatArray, columns_dot

#: Rocchio's push away from what was rejected.
GAMMA: Final = 0.35

#: Timbre descriptors of the mood-independent taste, read from `Track.extra` (absent keys count as
#: "no information"): Spotify-style catalogues carry the first four, the library's own analysis
#: the last four.  Each is scaled to 0..1 with `TASTE_RANGES` (default 0..1).
TASTE_KEYS: Final = (
    "acousticness",
    "danceability",
    "speechiness",
    "instrumentalness",
    "pulse_clarity",
    "key_clarity",
    "flatness",
    "onset_rate",
)
TASTE_RANGES: Final = {"flatness": (0.0, 0.3), "onset_rate": (0.0, 8.0)}
N_TASTE: Final = len(TASTE_KEYS)


def taste_vector(extra: dict[str, float]) -> tuple[float, ...]:
    """A track's taste descriptors on 0..1 (NaN where the track has no such value)."""
    out = []
    for key in TASTE_KEYS:
        value = extra.get(key)
        if value is None or not math.isfinite(float(value)):
            out.append(math.nan)
            continue
        lo, hi = TASTE_RANGES.get(key, (0.0, 1.0))
        out.append(min(1.0, max(0.0, (float(value) - lo) / (hi - lo))))
    return tuple(out)


def fit_taste(values: tuple[float, ...] | np.ndarray | None) -> np.ndarray:
    """Stored taste of any length (older rows) padded with NaN / cut to `TASTE_KEYS`."""
    out = np.full(N_TASTE, np.nan)
    if values is not None:
        v = np.asarray(values, np.float64)[:N_TASTE]
        out[: len(v)] = v
    return out


class DecayedSums:
    """Signed sums of vectors whose weights halve every `half_life` seconds."""

    __slots__ = ("half_life", "neg_sq", "neg_sum", "neg_w", "pos_sq", "pos_sum", "pos_w", "t_ref")

    def __init__(self, dim: int, half_life: float) -> None:
        self.half_life = half_life
        self.pos_sum = np.zeros(dim, np.float64)
        self.pos_sq = np.zeros(dim, np.float64)
        self.neg_sum = np.zeros(dim, np.float64)
        self.neg_sq = np.zeros(dim, np.float64)
        self.pos_w = 0.0
        self.neg_w = 0.0
        self.t_ref = -math.inf

    def _decay_to(self, now: float) -> None:
        if self.t_ref == -math.inf:
            self.t_ref = now
            return
        if now > self.t_ref:
            f = 0.5 ** ((now - self.t_ref) / self.half_life)
            self.pos_sum *= f
            self.pos_sq *= f
            self.neg_sum *= f
            self.neg_sq *= f
            self.pos_w *= f
            self.neg_w *= f
            self.t_ref = now

    def add(self, vec: FloatArray, weight: float, now: float) -> None:
        self._decay_to(now)
        v = np.nan_to_num(np.asarray(vec, np.float64))
        if weight > 0:
            self.pos_sum += weight * v
            self.pos_sq += weight * v * v
            self.pos_w += weight
        elif weight < 0:
            self.neg_sum += -weight * v
            self.neg_sq += -weight * v * v
            self.neg_w += -weight

    def weights(self, now: float) -> tuple[float, float]:
        f = 0.5 ** (max(0.0, now - self.t_ref) / self.half_life) if self.t_ref > -math.inf else 0.0
        return self.pos_w * f, self.neg_w * f

    def spread(self) -> FloatArray | None:
        """Per-dimension variance of what was kept (how tolerant the listener is on each axis)."""
        if self.pos_w <= 1e-9:
            return None
        mean = self.pos_sum / self.pos_w
        var = np.maximum(self.pos_sq / self.pos_w - mean * mean, 0.0)
        return var.astype(np.float32)

    def separation(self, centre: FloatArray, dims: int = 2) -> float:
        """How much farther the rejected lie from `centre` than the kept (mean squared distance
        ratio over the first `dims` axes); > 1 means the centre explains the listener's choices."""
        if self.pos_w <= 1e-9 or self.neg_w <= 1e-9:
            return 1.0
        c = np.asarray(centre[:dims], np.float64)

        def msd(s1: np.ndarray, s2: np.ndarray, w: float) -> float:
            return float((s2[:dims] / w - 2 * c * s1[:dims] / w + c * c).sum())

        pos = msd(self.pos_sum, self.pos_sq, self.pos_w)
        neg = msd(self.neg_sum, self.neg_sq, self.neg_w)
        return max(neg, 1e-6) / max(pos, 1e-3)

    def rocchio(self) -> FloatArray | None:
        """Mean of the kept, pushed away from the mean of the rejected; None without evidence."""
        if self.pos_w <= 1e-9 and self.neg_w <= 1e-9:
            return None
        mp = self.pos_sum / self.pos_w if self.pos_w > 1e-9 else None
        mn = self.neg_sum / self.neg_w if self.neg_w > 1e-9 else None
        if mp is None:
            assert mn is not None
            out = -GAMMA * mn
        elif mn is None:
            out = mp
        else:
            out = mp + GAMMA * (mp - mn) * (self.neg_w / (self.neg_w + self.pos_w))
        return out.astype(np.float32)


#: Mood classes with their own valence/arousal terms in the preference model.
PREF_MOODS: Final = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


class PreferenceModel:
    """Keep-or-skip log-odds of a track in a mood: a logistic regression, refit (damped Newton,
    warm-started) over the latest events whenever asked after new evidence.

    Terms (linear and squared): timbre taste (`TASTE_KEYS`); the track's valence/arousal as such
    (someone who wants bright music whatever the mood); the same relative to the mood's point (a
    matcher); and per-mood relative terms (angry wants loud, but sad wants sad).  Unlike a centroid
    of what happened to be offered, it learns directions ("more acoustic", "louder when angry"),
    so the queue can move beyond what was tried.  Older events weigh less by the half-life.
    """

    L2: Final = 1.0
    MAX_EVENTS: Final = 600
    DIM: Final = 1 + 2 * N_TASTE + 4 + 4 + 2 * len(PREF_MOODS)

    def __init__(self, half_life: float, mood_aware: bool = True) -> None:
        self.beta = np.zeros(self.DIM, np.float64)
        self.half_life = half_life
        self.mood_aware = mood_aware
        self._rows: deque[tuple[np.ndarray, float, float, float]] = deque(maxlen=self.MAX_EVENTS)
        self._dirty = False

    def _parts(self, taste: np.ndarray, va: np.ndarray, ref: np.ndarray, mood: str) -> list[np.ndarray]:
        """The design row(s) of training events; `log_odds` evaluates the same terms faster."""
        x = np.where(np.isfinite(taste), taste - 0.5, 0.0)
        parts = [2 * x, 4 * x * x, va, va * va]
        rel = va - ref[None, :2] if self.mood_aware else np.zeros_like(va)
        parts += [rel, rel * rel]
        per_mood = np.zeros((len(va), 2 * len(PREF_MOODS)))
        if self.mood_aware and mood in PREF_MOODS:
            i = PREF_MOODS.index(mood)
            per_mood[:, 2 * i : 2 * i + 2] = rel
        parts.append(per_mood)
        return parts

    def add(
        self, taste: np.ndarray, z: np.ndarray, ref: np.ndarray, mood: str, *, weight: float, now: float
    ) -> None:
        parts = self._parts(taste[None, :], z[None, :2], ref, mood)
        phi = np.concatenate([np.ones((1, 1)), *parts], axis=1)[0]
        self._rows.append((phi, 1.0 if weight > 0 else 0.0, min(abs(weight), 2.0), now))
        self._dirty = True

    @property
    def seen(self) -> float:
        return float(sum(r[2] for r in self._rows))

    def _fit(self) -> None:
        phi = np.array([r[0] for r in self._rows])
        y = np.array([r[1] for r in self._rows])
        latest = max(r[3] for r in self._rows)
        w = np.array([r[2] * 0.5 ** ((latest - r[3]) / self.half_life) for r in self._rows])
        reg = np.full(self.DIM, self.L2)
        reg[0] = 0.1
        beta = self.beta.copy()
        for _ in range(6):
            p = 1.0 / (1.0 + np.exp(-np.clip(phi @ beta, -30, 30)))
            grad = phi.T @ (w * (y - p)) - reg * beta
            hess = (phi.T * (w * p * (1 - p))) @ phi + np.diag(reg)
            step = np.linalg.solve(hess, grad)
            norm = float(np.abs(step).max())
            if norm > 1.0:  # damped Newton: never jump far on a few events
                step /= norm
            beta += step
            if norm < 1e-4:
                break
        self.beta = beta
        self._dirty = False

    def log_odds(self, base: TrackBase, ref: np.ndarray, mood: str) -> FloatArray:
        """Per-track log-odds of keeping in this mood, without the intercept, bounded to +-4 so a
        guess never outweighs everything else on tracks unlike any heard.

        Computed term by term from per-catalogue arrays (`TrackBase`), never building the full
        design matrix: a handful of (n x 4) and (n x 2) products, ~1 ms over 100k tracks.
        """
        if self._dirty and self._rows:
            self._fit()
        b = self.beta.astype(np.float32)
        t2 = 2 * N_TASTE
        w = b[1 : 1 + t2 + 4].copy()  # taste_lin, taste_sq, va (2), va_sq (2)
        if self.mood_aware:
            r = np.asarray(ref[:2], np.float32)
            rel = 1 + t2 + 4  # rel (2), rel_sq (2), then per-mood rel (2 each)
            lin = b[rel : rel + 2].copy()
            if mood in PREF_MOODS:
                i = rel + 4 + 2 * PREF_MOODS.index(mood)
                lin += b[i : i + 2]
            sq = b[rel + 2 : rel + 4]
            # rel = va - r:  rel.lin + rel^2.sq = va.(lin - 2 r sq) + va^2.sq + const
            w[t2 : t2 + 2] += lin - 2 * r * sq
            w[t2 + 2 : t2 + 4] += sq
        out = columns_dot(base.cols, w)
        result: FloatArray = np.clip(out, -4.0, 4.0).astype(np.float32)
        return result


class TrackBase:
    """Per-catalogue arrays the preference model scores on (built once per library change):
    column-major [taste_lin (4), taste_sq (4), valence/arousal (2), their squares (2)] x tracks."""

    def __init__(self, taste: np.ndarray, z: np.ndarray) -> None:
        x = np.where(np.isfinite(taste), taste - 0.5, 0.0).astype(np.float32)
        va = np.asarray(z[:, :2], np.float32)
        self.cols: FloatArray = np.ascontiguousarray(np.hstack([2 * x, 4 * x * x, va, va * va]).T)
