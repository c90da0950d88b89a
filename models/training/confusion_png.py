"""Render a confusion matrix as a small PNG with OpenCV (matplotlib is not a dependency)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from moodspeaker.util.atomic import atomic_write_bytes

CELL = 64
LEFT = 96
TOP = 64


def render(matrix: Sequence[Sequence[int]], classes: Sequence[str], title: str) -> np.ndarray:
    """Row-normalised heat map (rows = true class) with the recall % and count in every cell."""
    cm = np.asarray(matrix, dtype=np.float64)
    rows = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    n = len(classes)
    img = np.full((TOP + n * CELL + 40, LEFT + n * CELL + 16, 3), 255, np.uint8)
    heat = cv2.applyColorMap((share * 255).astype(np.uint8), cv2.COLORMAP_VIRIDIS)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for i in range(n):
        for j in range(n):
            y, x = TOP + i * CELL, LEFT + j * CELL
            img[y : y + CELL - 2, x : x + CELL - 2] = heat[i, j]
            colour = (0, 0, 0) if share[i, j] > 0.55 else (255, 255, 255)
            cv2.putText(img, f"{share[i, j] * 100:.0f}%", (x + 8, y + 28), font, 0.5, colour, 1, cv2.LINE_AA)
            cv2.putText(img, f"{int(cm[i, j])}", (x + 8, y + 48), font, 0.38, colour, 1, cv2.LINE_AA)
        cv2.putText(img, classes[i][:8], (4, TOP + i * CELL + 36), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, classes[i][:7], (LEFT + i * CELL + 2, TOP - 8), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, title, (4, 20), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "rows: true (FER+ majority), columns: predicted", (4, 40), font, 0.4, (60, 60, 60), 1)
    cv2.putText(img, "cell: share of the row, count", (4, img.shape[0] - 12), font, 0.4, (60, 60, 60), 1)
    return img


def write_png(path: Path, matrix: Sequence[Sequence[int]], classes: Sequence[str], title: str) -> None:
    ok, buf = cv2.imencode(".png", render(matrix, classes, title), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise RuntimeError(f"could not encode {path}")
    atomic_write_bytes(path, buf.tobytes())
