"""A replay 'camera' for a speaker run in a test: a folder of a few frames of noise (no face: the mood
stays unknown; for tests where nothing else of the camera matters).  Imported from tests/, which
pytest puts on sys.path for tests/conftest.py."""

from __future__ import annotations

from pathlib import Path


def noise_frames(folder: Path, count: int = 3) -> Path:
    """`folder` made, holding `count` frames of seeded noise (160x120 PNGs); returns it."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        cv2.imwrite(str(folder / f"frame{i}.png"), (rng.random((120, 160, 3)) * 255).astype(np.uint8))
    return folder
