"""Valence and arousal of a track from its audio features: a small, explainable linear model.

Three logistic regressions over standardised features, with coefficients shipped as JSON next to
this module (`emotion_model.json`, recomputed by `moodspeaker eval-music --fit`):
- arousal: P(high arousal);
- valence: two models, one fitted on high-arousal and one on low-arousal music, mixed by
  P(high arousal).  What signals a happy track differs between excited music (major mode,
  brightness) and calm music (timbre, dynamics), and the split improves grouped CV accuracy.
Scores map to Track scales as 2 * P - 1 (-1..1).  Pure numpy: no sklearn needed on the device.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MODEL_FILE = "emotion_model.json"


@dataclass(frozen=True)
class Logistic:
    coef: np.ndarray
    intercept: float

    def logit(self, z: np.ndarray) -> float:
        return float(z @ self.coef + self.intercept)


@dataclass(frozen=True)
class EmotionEstimate:
    valence: float  # -1..1
    arousal: float  # -1..1
    p_valence: float  # P(positive valence)
    p_arousal: float  # P(high arousal)

    @property
    def quadrant(self) -> str:
        """Q1..Q4 of Russell's circumplex (Q1 happy, Q2 tense, Q3 sad, Q4 calm)."""
        if self.arousal >= 0:
            return "Q1" if self.valence >= 0 else "Q2"
        return "Q4" if self.valence >= 0 else "Q3"


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(x, 50.0), -50.0)))


@dataclass(frozen=True)
class EmotionModel:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    arousal: Logistic
    valence_high: Logistic
    valence_low: Logistic
    info: dict[str, Any] = field(default_factory=dict)

    def standardise(self, features: Mapping[str, float]) -> np.ndarray:
        """z-scores of the model's features; a missing or non-finite feature counts as average (0)."""
        raw = np.array([float(features.get(n, math.nan)) for n in self.features])
        z = (raw - self.mean) / self.scale
        bad = ~np.isfinite(z)
        if bad.any():
            log.debug("features missing or not finite, taken as average: %s", np.array(self.features)[bad])
            z[bad] = 0.0
        # clip so one absurd value (a broken decoder, silence) cannot dominate the estimate
        clipped: np.ndarray = np.clip(z, -5.0, 5.0)
        return clipped

    def estimate(self, features: Mapping[str, float]) -> EmotionEstimate:
        z = self.standardise(features)
        pa = _sigmoid(self.arousal.logit(z))
        pv = pa * _sigmoid(self.valence_high.logit(z)) + (1 - pa) * _sigmoid(self.valence_low.logit(z))
        return EmotionEstimate(2 * pv - 1, 2 * pa - 1, pv, pa)

    def explain(self, features: Mapping[str, float], top: int = 5) -> dict[str, list[tuple[str, float]]]:
        """The features that pushed each score most (contribution = coefficient x z-score)."""
        z = self.standardise(features)
        pa = _sigmoid(self.arousal.logit(z))
        val = pa * self.valence_high.coef + (1 - pa) * self.valence_low.coef
        out = {}
        for name, coef in (("arousal", self.arousal.coef), ("valence", val)):
            contrib = coef * z
            order = np.argsort(-np.abs(contrib))[:top]
            out[name] = [(self.features[i], float(contrib[i])) for i in order]
        return out

    def to_json(self) -> dict[str, Any]:
        def lg(m: Logistic) -> dict[str, Any]:
            return {"coef": [round(float(c), 6) for c in m.coef], "intercept": round(m.intercept, 6)}

        return {
            "format": "moodspeaker-emotion-v1",
            "features": list(self.features),
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "arousal": lg(self.arousal),
            "valence_high": lg(self.valence_high),
            "valence_low": lg(self.valence_low),
            "info": self.info,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str = "model") -> EmotionModel:
        try:
            names = tuple(str(n) for n in data["features"])
            n = len(names)

            def vec(v: Any, what: str) -> np.ndarray:
                arr = np.asarray(v, dtype=np.float64)
                if arr.shape != (n,) or not np.all(np.isfinite(arr)):
                    raise ValueError(f"{what}: expected {n} finite numbers")
                return arr

            def lg(key: str) -> Logistic:
                return Logistic(vec(data[key]["coef"], f"{key}.coef"), float(data[key]["intercept"]))

            scale = vec(data["scale"], "scale")
            if np.any(scale <= 0):
                raise ValueError("scale: must be positive")
            return cls(
                names,
                vec(data["mean"], "mean"),
                scale,
                lg("arousal"),
                lg("valence_high"),
                lg("valence_low"),
                dict(data.get("info", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{where}: invalid emotion model: {exc}") from exc

    @classmethod
    def load(cls, path: str | Path | None = None) -> EmotionModel:
        """The shipped model, or the one at `path`."""
        p = Path(path) if path else default_model_path()
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{p}: cannot read the emotion model: {exc}") from exc
        return cls.from_json(data, str(p))


def default_model_path() -> Path:
    return Path(__file__).with_name(MODEL_FILE)
