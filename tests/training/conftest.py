"""Fixtures for the training tests: a tiny synthetic FER+-layout dataset made in tmp, and the config of a
tiny model that trains on it in seconds."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `models.training` lives at the repo root, outside the installed package
    sys.path.insert(0, str(ROOT))

# Vote columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF
CLEAR_VOTES = {
    0: [8, 1, 0, 1, 0, 0, 0, 0, 0, 0],  # neutral
    1: [0, 9, 1, 0, 0, 0, 0, 0, 0, 0],  # happy
    2: [1, 0, 8, 0, 0, 0, 1, 0, 0, 0],  # surprise
    3: [2, 0, 0, 7, 1, 0, 0, 0, 0, 0],  # sad
}


#: The tiny network the training tests train in seconds: ModelConfig fields, the [model] table of a run.
TINY_MODEL: dict[str, Any] = {
    "stem_channels": 8,
    "stem_stride": 2,
    "stages": [[1, 8, 1, 1], [2, 16, 1, 2]],
    "head_channels": 32,
    "dropout": 0.0,
}


def run_config(*, seed: int, epochs: int, augment: Mapping[str, float]) -> str:
    """A training run's config (TOML) for the tiny model: `epochs` in batches of 16 at learning rate
    0.01 after half an epoch of warm-up.  One text for every test's run, so they differ only where they
    mean to; tests edit it (`init_from`, `fer2013_head`, ...) for the variants they need."""
    train = {"seed": seed, "epochs": epochs, "batch_size": 16, "learning_rate": 0.01, "warmup_epochs": 0.5}
    tables: dict[str, Mapping[str, Any]] = {"train": train, "model": TINY_MODEL, "augment": augment}
    return "".join(
        f"[{name}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in table.items())
        for name, table in tables.items()
    )


def face_image(label: int, rng: np.random.Generator, size: int = 48) -> np.ndarray:
    """A synthetic 'face' whose class shows as a bright bar position (learnable, deterministic)."""
    img = rng.integers(60, 120, (size, size), dtype=np.uint8)
    y = 6 + 10 * label
    img[y : y + 6, 8:40] = 230
    return img


def write_ferplus(root: Path, split: str, count: int, seed: int, *, odd_size: int = 0) -> Path:
    """Write `count` images + label.csv; the first `odd_size` images are 64x64 instead of 48x48."""
    rng = np.random.default_rng(seed)
    folder = root / split
    folder.mkdir(parents=True)
    rows = []
    for i in range(count):
        label = i % len(CLEAR_VOTES)
        name = f"{split.lower()}{i:05d}.png"
        img = face_image(label, rng)
        if i < odd_size:
            img = cv2.resize(img, (64, 64))
        cv2.imwrite(str(folder / name), img)
        votes = ",".join(str(v) for v in CLEAR_VOTES[label])
        rows.append(f'{name},"(0, 0, 48, 48)",{votes}\n')
    (folder / "label.csv").write_text("".join(rows))
    return folder


@pytest.fixture
def ferplus_dir(tmp_path: Path) -> Path:
    """datasets/ferplus with FER2013Train (64 images) and FER2013Valid (32, two of them 64x64)."""
    root = tmp_path / "datasets" / "ferplus"
    write_ferplus(root, "FER2013Train", 64, seed=1)
    valid = write_ferplus(root, "FER2013Valid", 32, seed=2, odd_size=2)
    names = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    fer = {0: "neutral", 1: "happy", 2: "surprise", 3: "sad"}
    lines = ["image,split,fer2013_label\n"]
    for i, row in enumerate((valid / "label.csv").read_text().splitlines()):
        label = fer[i % 4] if i != 5 else ""  # one image without an original label
        assert label in (*names, "")
        lines.append(f"{row.split(',')[0]},PublicTest,{label}\n")
    (root / "fer2013_original_labels.csv").write_text("".join(lines))
    return root
