"""A replay "camera" for the demo and the end-to-end test: one public-domain face, several expressions.

The only photo is NASA's public-domain portrait shipped by scikit-image (see faces/PROVENANCE.txt).
Other expressions are derived from it here, in memory, by geometric warps of the mouth and brows
(a smile pulled into a frown; a wide-open "surprised" mouth), and "away" is the empty background.
Frames are produced on demand following a schedule in time, exactly like a camera pointed at a
person whose face changes; nothing is ever written to disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

FACES_DIR = Path(__file__).with_name("faces")
#: The face box in astronaut.jpg (x, y, w, h), found once with OpenCV's Haar detector.
FACE_BOX = (97, 66, 95, 95)


@cache
def base_photo() -> np.ndarray:
    image = cv2.imread(str(FACES_DIR / "astronaut.jpg"), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"{FACES_DIR / 'astronaut.jpg'} is missing or unreadable")
    return image


def _warp(image: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(image, gx + dx, gy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _mouth_field(shape: tuple[int, ...], strength: float, open_by: float) -> tuple[np.ndarray, np.ndarray]:
    """Displacement around the mouth: corners moved by `strength` px (+ down), opening by `open_by` px."""
    x, y, w, h = FACE_BOX
    cx, cy = x + w / 2, y + 0.80 * h
    half_w, half_h = 0.30 * w, 0.14 * h
    hh, ww = shape[:2]
    gx, gy = np.meshgrid(np.arange(ww, dtype=np.float32), np.arange(hh, dtype=np.float32))
    u = (gx - cx) / half_w
    v = (gy - cy) / half_h
    falloff = np.exp(-(u**2) / 1.6 - (v**2) / 1.2).astype(np.float32)
    # sampling offsets (remap reads from x+dx, y+dy): negative dy moves content down
    corner = (u**2).clip(0, 1.5)
    dy = -strength * corner * falloff
    dy += open_by * np.tanh(v) * falloff  # stretch vertically around the mouth centre
    return np.zeros_like(dy), dy.astype(np.float32)


def _brow_field(shape: tuple[int, ...], raise_by: float) -> tuple[np.ndarray, np.ndarray]:
    x, y, w, h = FACE_BOX
    hh, ww = shape[:2]
    gx, gy = np.meshgrid(np.arange(ww, dtype=np.float32), np.arange(hh, dtype=np.float32))
    u = (gx - (x + w / 2)) / (0.45 * w)
    v = (gy - (y + 0.30 * h)) / (0.12 * h)
    falloff = np.exp(-(u**2) - (v**2)).astype(np.float32)
    return np.zeros_like(falloff), (raise_by * falloff).astype(np.float32)


#: The open mouth in astronaut.jpg: teeth rows and the lips' horizontal extent (pixels).
TEETH_ROWS = (139, 148)
MOUTH_COLS = (121, 167)


def _smooth(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) / max(hi - lo, 1e-6), 0.0, 1.0)
    return (t * t * (3 - 2 * t)).astype(np.float32)


def _closed_mouth_field(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Lift everything below the teeth by the teeth's height (lips meet), fading out at the chin."""
    hh, ww = shape[:2]
    gx, gy = np.meshgrid(np.arange(ww, dtype=np.float32), np.arange(hh, dtype=np.float32))
    top, bottom = TEETH_ROWS
    left, right = MOUTH_COLS
    band = float(bottom - top)
    across = _smooth(gx, left - 12, left + 2) * (1 - _smooth(gx, right - 2, right + 12))
    down = _smooth(gy, top - 1, top + 1) * (1 - _smooth(gy, bottom + 22, bottom + 40))
    return np.zeros_like(gx), (band * across * down).astype(np.float32)


@cache
def expression(name: str) -> np.ndarray:
    """The photo with an expression: smile (as photographed), frown, surprise, or away (no face)."""
    photo = base_photo()
    if name == "smile":
        return photo
    if name == "frown":  # lips closed over the teeth, corners pulled down, brows lowered
        closed = _warp(photo, *_closed_mouth_field(photo.shape))
        # Strong enough that our own model no longer reads a smile (it reads mostly neutral, some
        # angry): a milder pull kept the smiling cheeks and read as happy.
        dx, dy = _mouth_field(photo.shape, strength=28.0, open_by=0.0)
        bx, by = _brow_field(photo.shape, raise_by=-8.0)
        return _warp(closed, dx + bx, dy + by)
    if name == "surprise":
        dx, dy = _mouth_field(photo.shape, strength=4.0, open_by=-12.0)
        bx, by = _brow_field(photo.shape, raise_by=8.0)
        return _warp(photo, dx + bx, dy + by)
    if name == "away":
        corner = photo[0:60, 230:300]  # plain studio background, no face
        return cv2.resize(corner, (photo.shape[1], photo.shape[0]), interpolation=cv2.INTER_LINEAR)
    raise ValueError(f"unknown expression {name!r}; known: smile, frown, surprise, away")


@dataclass(frozen=True)
class Scene:
    expression: str
    seconds: float


DEFAULT_SCRIPT: tuple[Scene, ...] = (
    Scene("smile", 30.0),
    Scene("frown", 30.0),
    Scene("away", 8.0),
    Scene("surprise", 20.0),
)


class FaceReplay:
    """A FrameSource that shows each scene's expression for its duration (looping), with sensor noise."""

    def __init__(
        self,
        script: Sequence[Scene] = DEFAULT_SCRIPT,
        *,
        loop: bool = True,
        clock: Callable[[], float] = time.monotonic,
        noise: float = 2.0,
    ) -> None:
        if not script:
            raise ValueError("a replay needs at least one scene")
        self._script = tuple(script)
        self._loop = loop
        self._clock = clock
        self._start = clock()
        self._rng = np.random.default_rng(0)
        self._noise = noise
        self._closed = False
        self.total_s = sum(s.seconds for s in self._script)

    def current(self) -> str | None:
        """The expression on show now (None when a non-looping script has ended)."""
        elapsed = self._clock() - self._start
        if self._loop:
            elapsed %= self.total_s
        for scene in self._script:
            if elapsed < scene.seconds:
                return scene.expression
            elapsed -= scene.seconds
        return None

    def read(self) -> np.ndarray | None:
        if self._closed:
            return None
        name = self.current()
        if name is None:
            return None
        frame = expression(name).astype(np.int16)
        frame += self._rng.normal(0.0, self._noise, frame.shape).astype(np.int16)
        return np.clip(frame, 0, 255).astype(np.uint8)

    def close(self) -> None:
        self._closed = True
