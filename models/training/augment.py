"""Training-time augmentation for 48x48 grayscale faces: numpy + OpenCV, deterministic per (seed, epoch).

Each image gets one random affine warp (rotation, scale, shift, horizontal flip), then brightness and
contrast jitter.  Doing this in numpy keeps the TensorFlow graph small (2 CPU cores) and makes a resumed
run see exactly the same augmented epochs as an uninterrupted one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class AugmentConfig:
    rotation_deg: float = 10.0
    scale: float = 0.1  # zoom in/out by up to +-10 %
    shift: float = 0.1  # fraction of the image size
    flip: bool = True
    brightness: float = 0.2  # fraction of the 0-255 range
    contrast: float = 0.3  # contrast factor in [1 - c, 1 + c]
    erase_prob: float = 0.0  # random erasing (cutout) probability
    erase_size: float = 0.3  # side of the erased square as a fraction of the image

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> AugmentConfig:
        return cls(**data)


def augment_batch(
    images: npt.NDArray[np.uint8], cfg: AugmentConfig, rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    """(N, H, W) uint8 -> (N, H, W, 1) float32 in 0..255, each image randomly transformed."""
    n, h, w = images.shape
    out = np.empty((n, h, w), dtype=np.float32)
    angles = np.asarray(rng.uniform(-cfg.rotation_deg, cfg.rotation_deg, n))
    scales = np.asarray(rng.uniform(1.0 - cfg.scale, 1.0 + cfg.scale, n))
    shifts = rng.uniform(-cfg.shift, cfg.shift, (n, 2)) * np.array([w, h])
    flips = np.asarray(rng.random(n) < 0.5) if cfg.flip else np.zeros(n, dtype=bool)
    bright = np.asarray(rng.uniform(-cfg.brightness, cfg.brightness, n)) * 255.0
    contrast = np.asarray(rng.uniform(1.0 - cfg.contrast, 1.0 + cfg.contrast, n))
    erase = rng.random(n) < cfg.erase_prob
    centre = (w / 2.0 - 0.5, h / 2.0 - 0.5)
    for i in range(n):
        m = cv2.getRotationMatrix2D(centre, float(angles[i]), float(scales[i]))
        m[:, 2] += shifts[i]
        if flips[i]:  # mirror: x -> (w - 1) - x, composed after the warp
            m[0, :] = -m[0, :]
            m[0, 2] += w - 1
        img = cv2.warpAffine(
            images[i], m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
        ).astype(np.float32)
        mean = float(img.mean())
        img = (img - mean) * contrast[i] + mean + bright[i]
        out[i] = img
    if cfg.erase_prob > 0:
        side = max(1, int(cfg.erase_size * h))
        for k in np.flatnonzero(erase):
            y0, x0 = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
            out[k, y0 : y0 + side, x0 : x0 + side] = rng.uniform(0, 255)
    np.clip(out, 0.0, 255.0, out=out)
    return out[..., None]
