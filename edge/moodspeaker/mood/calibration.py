"""Per-listener neutral calibration: a resting face should read as neutral, not sad.

FER-trained models read many resting faces as sad (or angry): people's neutral faces differ, and the
FER+ seed papers report neutral->sad as the commonest confusion.  From a few probability vectors of the
listener's resting face we estimate a logit (log-prior) bias that is added to every later prediction:

    apply(p) = softmax(log p + b)

The bias is one-sided: it only lowers classes that are over-represented on the resting face and only
raises neutral; it never boosts an expression, so a real smile or frown still shows.  It is shrunk
toward zero when few frames were seen and clipped to +-max_bias.  Pure numpy, no I/O, no clock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Probs = npt.NDArray[np.float32]
EPS = 1e-4


@dataclass(frozen=True)
class NeutralCalibration:
    """A fitted logit bias per class (same order as `classes`); identity when all zero."""

    classes: tuple[str, ...]
    bias: tuple[float, ...]
    frames: int = 0

    @classmethod
    def identity(cls, classes: Sequence[str]) -> NeutralCalibration:
        return cls(tuple(classes), tuple(0.0 for _ in classes), 0)

    @classmethod
    def fit(
        cls,
        resting: npt.ArrayLike,
        classes: Sequence[str],
        *,
        neutral_target: float = 0.6,
        max_bias: float = 3.0,
        prior_frames: float = 2.0,
    ) -> NeutralCalibration:
        """Fit from (N, C) resting-face probabilities.

        The target for a resting face is `neutral_target` on neutral and the rest spread evenly; the
        bias moves the resting face's mean log-probability toward it (one-sided, see the module doc),
        scaled by N / (N + prior_frames) so that two frames do not get the full correction.
        """
        probs = np.asarray(resting, dtype=np.float64)
        if probs.ndim != 2 or probs.shape[1] != len(classes):
            raise ValueError(f"expected (N, {len(classes)}) probabilities, got shape {probs.shape}")
        if "neutral" not in classes:
            raise ValueError(f"no neutral class in {tuple(classes)}")
        n = probs.shape[0]
        if n == 0:
            return cls.identity(classes)
        if not 0.0 < neutral_target < 1.0:
            raise ValueError(f"neutral_target must be in (0, 1), got {neutral_target}")
        ni = list(classes).index("neutral")
        mean_log = np.log(np.clip(probs, EPS, 1.0)).mean(axis=0)
        target = np.full(len(classes), (1.0 - neutral_target) / (len(classes) - 1))
        target[ni] = neutral_target
        raw = np.log(target) - mean_log
        bias = np.minimum(raw, 0.0)  # only lower over-represented expressions...
        bias[ni] = max(raw[ni], 0.0)  # ...and only raise neutral
        bias *= n / (n + prior_frames)
        bias = np.clip(bias, -max_bias, max_bias)
        return cls(tuple(classes), tuple(float(b) for b in bias), n)

    def apply(self, probs: npt.ArrayLike) -> Probs:
        """Corrected probabilities for one (C,) vector or a batch (N, C)."""
        p = np.asarray(probs, dtype=np.float64)
        if p.shape[-1] != len(self.classes):
            raise ValueError(f"expected {len(self.classes)} probabilities, got shape {p.shape}")
        logits = np.log(np.clip(p, EPS, 1.0)) + np.asarray(self.bias)
        logits -= logits.max(axis=-1, keepdims=True)
        e = np.exp(logits)
        out: Probs = (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)
        return out

    def apply_mapping(self, probs: Mapping[str, float]) -> dict[str, float]:
        """Same for a {class: probability} mapping (classes not calibrated pass through unchanged)."""
        vec = np.asarray([probs.get(c, 0.0) for c in self.classes])
        out = self.apply(vec)
        result = dict(probs)
        result.update({c: float(v) for c, v in zip(self.classes, out, strict=True)})
        return result

    def to_json(self) -> str:
        return json.dumps(
            {"version": 1, "classes": list(self.classes), "bias": list(self.bias), "frames": self.frames},
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str, where: str = "calibration") -> NeutralCalibration:
        """Parse a saved calibration; ValueError names `where` and the problem."""
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: not JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected a JSON object")
        classes, bias = data.get("classes"), data.get("bias")
        if not isinstance(classes, list) or not isinstance(bias, list) or len(classes) != len(bias):
            raise ValueError(f"{where}: `classes` and `bias` must be lists of the same length")
        try:
            values = tuple(float(b) for b in bias)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: `bias` must hold numbers") from None
        if not all(np.isfinite(values)):
            raise ValueError(f"{where}: `bias` must be finite")
        return cls(tuple(str(c) for c in classes), values, int(data.get("frames", 0)))


def calibration_file(data_dir: str | Path, profile: str = "default") -> Path:
    """Where a listener's calibration lives: <data_dir>/calibration/neutral-<profile>.json."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in profile) or "default"
    return Path(data_dir).expanduser() / "calibration" / f"neutral-{safe}.json"
