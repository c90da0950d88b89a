"""`moodspeaker eval-faces [--data DIR] [--model JSON] [--json]`: score the expression model on faces.

Without --data, $MOODSPEAKER_DATA/ferplus/FER2013Valid (the datasets folder's selection split).

DIR is either a FER+-layout folder (`label.csv` + PNGs; or its parent holding FER2013Valid/ or
FER2013Test/), scored against the FER+ majority vote and, when `fer2013_original_labels.csv` lies beside
the split folder or in DIR, against the original FER2013 labels (by the model's FER2013 head when it has
one, else by its main output); or a folder of class-named subfolders
(angry, disgust, fear, happy, sad, surprise, neutral) of face crops.  Every face goes through the
appliance's own classifier stage (moodspeaker.vision.expression), so preprocessing has one code path.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from moodspeaker.commands import argtypes
from moodspeaker.config import Config

log = logging.getLogger(__name__)

T = TypeVar("T")

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".webp")
#: Where the faces are under $MOODSPEAKER_DATA when --data is not given (FER2013Test is held back).
DEFAULT_SPLIT = Path("ferplus") / "FER2013Valid"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        help="FER+ split folder (or its parent) or class folders "
        f"(default: $MOODSPEAKER_DATA/{DEFAULT_SPLIT.as_posix()})",
    )
    parser.add_argument(
        "--model", type=Path, help="model metadata JSON (default: the configured/shipped model)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a text report")
    parser.add_argument(
        "--limit", type=argtypes.count, default=0, help="score only the first N faces (0 = all)"
    )


def _class_folders(data: Path) -> dict[str, Path]:
    from moodspeaker.evaluation.ferplus import FER2013_CLASSES

    return {
        p.name.lower(): p for p in sorted(data.iterdir()) if p.is_dir() and p.name.lower() in FER2013_CLASSES
    }


def _read(reader: Callable[[], T], path: Path) -> T:
    """Run a dataset reader; a file that is not text is named (Python's decode error names no file)."""
    from moodspeaker.evaluation.ferplus import DatasetError

    try:
        return reader()
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _score_ferplus_split(clf: Any, split: Path, data: Path, limit: int) -> dict[str, Any]:
    import numpy as np

    from moodspeaker.evaluation import ferplus
    from moodspeaker.evaluation.metrics import remap_probs
    from moodspeaker.evaluation.scoring import score_ferplus

    ds = _read(lambda: ferplus.load_split(split), split / "label.csv")
    n = min(limit, len(ds.names)) if limit else len(ds.names)
    head_classes = getattr(clf, "fer2013_classes", None)
    if head_classes is not None:
        both = [clf.classify_heads(img) for img in ds.images[:n]]
        probs = np.stack([main for main, _ in both])
        fer2013_probs = remap_probs(
            np.stack([aux for _, aux in both]), head_classes, ferplus.FER2013_CLASSES, {}
        )
    else:
        probs = np.stack([clf.classify(img) for img in ds.images[:n]])
        fer2013_probs = None
    original = None
    labels_path = next(
        (
            p
            for p in (split.parent / ferplus.ORIGINAL_LABELS_FILE, data / ferplus.ORIGINAL_LABELS_FILE)
            if p.is_file()
        ),
        None,
    )
    if labels_path is not None:
        found = labels_path
        original = _read(lambda: ferplus.read_original_labels(found, ds.names[:n]), found)
    majority = ferplus.majority_labels(ds.votes[:n])
    report = score_ferplus(probs, clf.classes, majority, original, fer2013_probs)
    report.update(
        layout="ferplus", split=str(split), images=n, resized=ds.resized,
        original_labels=str(labels_path) if labels_path else None,
    )  # fmt: skip
    return report


def _score_class_folders(clf: Any, folders: dict[str, Path], limit: int) -> dict[str, Any]:
    import cv2
    import numpy as np

    from moodspeaker.evaluation.scoring import score_folders

    probs: list[Any] = []
    labels: list[str] = []
    unreadable: list[str] = []
    for label, folder in folders.items():
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            if limit and len(labels) >= limit:
                break
            img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if img is None or img.size == 0:
                unreadable.append(str(path))
                log.warning("%s: unreadable image, skipped", path)
                continue
            probs.append(clf.classify(img))
            labels.append(label)
    if not labels:
        raise ValueError(f"no readable images in {', '.join(str(p) for p in folders.values())}")
    report = score_folders(np.stack(probs), clf.classes, labels)
    report.update(layout="class-folders", images=len(labels), unreadable=unreadable)
    return report


def _print_text(report: dict[str, Any]) -> None:
    print(f"model: {report['model']} ({report['backend']})   data: {report['data']} [{report['layout']}]")
    print(f"faces: {report['count']} scored of {report['images']}", end="")
    print(f", {report['resized']} resized to the model size" if report.get("resized") else "")
    print(f"accuracy: {report['accuracy']:.4f}   macro-F1: {report['macro_f1']:.4f}")
    if report.get("accuracy_fer2013") is not None:
        scored_by = report.get("fer2013", {}).get("scored_output", "main")
        print(f"accuracy vs original FER2013 labels: {report['accuracy_fer2013']:.4f} ({scored_by} output)")
    nas = report.get("neutral_as_sad")
    print(
        f"neutral read as sad: {nas:.4f}"
        if nas is not None
        else "neutral read as sad: n/a (no neutral faces)"
    )
    print("per-class recall:")
    for name, value in report["per_class_recall"].items():
        print(f"  {name:<9} {value:.4f}")
    classes = report["confusion"]["classes"]
    print("confusion (rows = true, columns = predicted):")
    print(" " * 10 + "".join(f"{c[:8]:>9}" for c in classes))
    for name, row in zip(classes, report["confusion"]["matrix"], strict=True):
        print(f"  {name:<8}" + "".join(f"{v:>9}" for v in row))


def run(args: argparse.Namespace, config: Config) -> int:
    from moodspeaker.evaluation.ferplus import DatasetError, find_split
    from moodspeaker.vision.expression import make_classifier
    from moodspeaker.vision.runtime import ModelError

    root = os.environ.get("MOODSPEAKER_DATA")
    if args.data is None and not root:
        print(
            "eval-faces: give --data DIR (or set MOODSPEAKER_DATA to the datasets folder: "
            f"its {DEFAULT_SPLIT.as_posix()} is scored)",
            file=sys.stderr,
        )
        return 2
    data: Path = args.data if args.data is not None else Path(root or "") / DEFAULT_SPLIT
    if not data.is_dir():
        where = "" if args.data is not None else f" ($MOODSPEAKER_DATA/{DEFAULT_SPLIT.as_posix()})"
        print(f"eval-faces: {data}: no such folder{where}", file=sys.stderr)
        return 2
    cfg = config.classifier
    if args.model is not None:
        cfg = dataclasses.replace(cfg, model=str(args.model))
    split = find_split(data)
    folders = _class_folders(data) if split is None else {}
    if split is None and not folders:
        print(
            f"eval-faces: {data}: neither a FER+ folder (label.csv, FER2013Valid/ or FER2013Test/) "
            "nor class-named subfolders (angry, disgust, fear, happy, sad, surprise, neutral)",
            file=sys.stderr,
        )
        return 2
    try:
        clf = make_classifier(cfg)
        if split is not None:
            report = _score_ferplus_split(clf, split, data, args.limit)
        else:
            report = _score_class_folders(clf, folders, args.limit)
    except (DatasetError, ModelError, ValueError) as exc:
        print(f"eval-faces: {exc}", file=sys.stderr)
        return 2
    report = {
        "model": getattr(getattr(clf, "info", None), "name", "?"),
        "backend": getattr(clf, "backend", "cpu"),
        "fallback_reason": getattr(clf, "fallback_reason", None),
        "data": str(data),
        **report,
    }
    if args.json:
        print(json.dumps(report))
    else:
        _print_text(report)
    return 0
