"""Reading Microsoft's FER+ layout (`label.csv` vote counts + 48x48 PNGs) and turning votes into targets.

One reader serves both training (soft targets) and `moodspeaker eval-faces` (majority labels), so the
two can never disagree about which images count.  Vote processing follows Barsoum et al. 2016 and the
reference code of the FER+ repository (`ferplus.py`, `_process_data`):

* a single vote for an emotion is treated as an outlier and dropped;
* *majority* mode: an image is kept only when one column has more than half of the remaining votes and
  that column is an emotion (not `unknown`/`NF`); its label is that emotion (8 classes incl. contempt);
* *crossentropy* (soft-target) mode: the top emotions covering >=75 % of the votes (at most 3) form the
  distribution; images where unknown/NF ties the top or less than half of the votes are covered are dropped.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

#: The vote columns of label.csv, in file order.
VOTE_COLUMNS: Final = (
    "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF",
)  # fmt: skip
#: Model output order: the 8 FER+ emotion columns under the names of moodspeaker.mood.classes.
MODEL_CLASSES: Final = ("neutral", "happy", "surprise", "sad", "angry", "disgust", "fear", "contempt")
#: The original FER2013 label names (its usual order 0-6).
FER2013_CLASSES: Final = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
SPLITS: Final = ("FER2013Valid", "FER2013Test", "FER2013Train")
IMAGE_SIZE: Final = 48
ORIGINAL_LABELS_FILE: Final = "fer2013_original_labels.csv"


class DatasetError(ValueError):
    """A dataset folder or file is missing or malformed; the message names the file (and row)."""


@dataclass(frozen=True)
class FerPlusSplit:
    """One split: image names, their (N, 10) vote counts and, when loaded, (N, 48, 48) uint8 images."""

    folder: Path
    names: tuple[str, ...]
    votes: npt.NDArray[np.int32]
    images: npt.NDArray[np.uint8]
    resized: int  #: images that were not 48x48 and had to be resized (reported, not an error)


def read_label_csv(path: Path) -> tuple[tuple[str, ...], npt.NDArray[np.int32]]:
    """Parse label.csv: `name,"(x, y, w, h)",10 vote counts`. Raises DatasetError naming file and row."""
    if not path.is_file():
        raise DatasetError(f"{path}: label file not found")
    names: list[str] = []
    votes: list[list[int]] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row_no, row in enumerate(csv.reader(handle), start=1):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != 2 + len(VOTE_COLUMNS):
                raise DatasetError(
                    f"{path}, row {row_no}: expected {2 + len(VOTE_COLUMNS)} fields "
                    f"(name, box, {len(VOTE_COLUMNS)} vote counts), got {len(row)}"
                )
            name = row[0].strip()
            if not name.lower().endswith(".png") or "/" in name or "\\" in name:
                raise DatasetError(f"{path}, row {row_no}: bad image name {name!r}")
            try:
                counts = [int(cell) for cell in row[2:]]
            except ValueError:
                raise DatasetError(
                    f"{path}, row {row_no}: vote counts must be whole numbers, got {row[2:]!r}"
                ) from None
            if any(c < 0 for c in counts):
                raise DatasetError(f"{path}, row {row_no}: negative vote count in {counts!r}")
            names.append(name)
            votes.append(counts)
    if not names:
        raise DatasetError(f"{path}: no rows")
    return tuple(names), np.asarray(votes, dtype=np.int32)


def load_images(
    folder: Path, names: tuple[str, ...], size: int = IMAGE_SIZE
) -> tuple[npt.NDArray[np.uint8], int]:
    """Read the named PNGs as grayscale; wrong-size images are resized and counted; missing: DatasetError."""
    out = np.empty((len(names), size, size), dtype=np.uint8)
    resized = 0
    for i, name in enumerate(names):
        path = folder / name
        img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise DatasetError(f"{path}: image missing or unreadable (listed in {folder / 'label.csv'})")
        if img.shape != (size, size):
            img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
            resized += 1
        out[i] = img
    if resized:
        log.warning(
            "%s: %d of %d images were not %dx%d and were resized", folder, resized, len(names), size, size
        )
    return out, resized


def load_split(folder: Path, *, with_images: bool = True) -> FerPlusSplit:
    """Read `folder/label.csv` and (optionally) its images."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: dataset folder not found")
    names, votes = read_label_csv(folder / "label.csv")
    if with_images:
        images, resized = load_images(folder, names)
    else:
        images, resized = np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8), 0
    return FerPlusSplit(folder=folder, names=names, votes=votes, images=images, resized=resized)


def find_split(data: Path, preferred: tuple[str, ...] = ("FER2013Valid", "FER2013Test")) -> Path | None:
    """DIR if it holds label.csv, else DIR/<split> or DIR/ferplus/<split> (first found), else None."""
    data = Path(data)
    if (data / "label.csv").is_file():
        return data
    for base in (data, data / "ferplus"):
        for split in preferred:
            if (base / split / "label.csv").is_file():
                return base / split
    return None


def _drop_single_votes(votes: npt.NDArray[np.int32]) -> npt.NDArray[np.float64]:
    raw = votes.astype(np.float64)
    raw[raw <= 1.0] = 0.0
    return raw


def majority_labels(votes: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
    """Barsoum majority labels: index into MODEL_CLASSES, or -1 where the image is excluded."""
    raw = _drop_single_votes(votes)
    total = raw.sum(axis=1)
    top = raw.argmax(axis=1)  # first column on ties, as np.argmax in the reference code
    peak = raw.max(axis=1)
    keep = (peak > 0.5 * total) & (top < len(MODEL_CLASSES)) & (total > 0)
    return np.where(keep, top, -1).astype(np.int64)


def _soft_row(raw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    raw = raw.copy()
    total = raw.sum()
    emotion = np.zeros_like(raw)
    covered, count, valid = 0.0, 0, True
    while covered < 0.75 * total and count < 3 and valid:
        peak = raw.max()
        for i in range(raw.size):
            if raw[i] == peak:
                emotion[i] = peak
                raw[i] = 0.0
                covered += emotion[i]
                count += 1
                if i >= len(MODEL_CLASSES):  # unknown / NF shares the top vote
                    valid = False
                    if emotion.sum() > peak:
                        emotion[i] = 0.0
                        count -= 1
                    break
    if emotion.sum() <= 0.5 * total or count > 3:
        return None
    if int(emotion.argmax()) >= len(MODEL_CLASSES):
        return None
    dist: npt.NDArray[np.float64] = emotion[: len(MODEL_CLASSES)] / emotion[: len(MODEL_CLASSES)].sum()
    return dist


def soft_targets(votes: npt.NDArray[np.int32]) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """Barsoum soft targets over MODEL_CLASSES (N, 8) and a keep mask (excluded rows are all zero)."""
    raw = _drop_single_votes(votes)
    out = np.zeros((len(votes), len(MODEL_CLASSES)), dtype=np.float32)
    keep = np.zeros(len(votes), dtype=bool)
    for i in range(len(votes)):
        if raw[i].sum() <= 0:
            continue
        dist = _soft_row(raw[i])
        if dist is not None:
            out[i] = dist
            keep[i] = True
    return out, keep


def read_original_labels(path: Path, names: tuple[str, ...]) -> npt.NDArray[np.int64]:
    """Original FER2013 labels (index into FER2013_CLASSES) for `names`; -1 where absent or unknown."""
    if not path.is_file():
        raise DatasetError(f"{path}: original-label file not found")
    by_name: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [h.strip() for h in header[:3]] != ["image", "split", "fer2013_label"]:
            raise DatasetError(f"{path}, row 1: expected header image,split,fer2013_label, got {header!r}")
        for row_no, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) < 3:
                raise DatasetError(f"{path}, row {row_no}: expected 3 fields, got {len(row)}")
            label = row[2].strip().lower()
            if label in FER2013_CLASSES:
                by_name[row[0].strip()] = FER2013_CLASSES.index(label)
    return np.asarray([by_name.get(n, -1) for n in names], dtype=np.int64)
