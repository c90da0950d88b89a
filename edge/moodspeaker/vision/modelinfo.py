"""An expression model's metadata JSON (models/edgetpu/expression.json, see coord INTERFACES): read,
checked (errors name the file and the key) and resolved into a ModelInfo.

Input size, normalisation, class order, the crop the model was trained on and which file runs where all
come from it, so the classifier stage (moodspeaker.vision.expression) works with any model that honours it.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moodspeaker.mood.classes import ALL_EXPRESSIONS, FERPLUS_TO_MOOD
from moodspeaker.vision.runtime import ModelError

_REPO_ROOT = Path(__file__).resolve().parents[3]
_MODEL_RELATIVE = Path("models") / "edgetpu" / "expression.json"


@dataclass(frozen=True)
class ModelInfo:
    """The metadata of one expression model, with paths resolved next to the JSON file."""

    json_path: Path
    name: str
    cpu_model: Path
    edgetpu_model: Path | None
    width: int
    height: int
    channels: int
    mean: float
    std: float
    #: Margin around the detector's box, as a share of its side (crop_face), for any detector the
    #: metadata gives no margin of its own (`crop.margin`).
    crop_margin: float
    crop_square: bool
    classes: tuple[str, ...]
    #: Name of the output tensor holding `classes` (None: the one output of that size).
    output: str | None = None
    #: A model with a FER2013 head has a second output over the original FER2013 classes (see
    #: models/training/model.py); eval-faces scores the original labels against it.  The appliance
    #: acts on the main output only.
    fer2013_classes: tuple[str, ...] | None = None
    fer2013_output: str | None = None
    #: Margins per detector type (`detector.type`: "blazeface", "haar"; `crop.margin_by_detector`):
    #: each detector frames a face differently, so the training crops match a different margin of each.
    crop_margins: dict[str, float] = field(default_factory=dict, hash=False)

    def margin_for(self, detector: str | None) -> float:
        """The crop margin for faces found by `detector` (a `detector.type`; None: not known)."""
        return self.crop_margins.get(detector, self.crop_margin) if detector else self.crop_margin

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (1, self.height, self.width, self.channels)


def default_model_json() -> Path:
    """The shipped model's metadata: the repository's models/edgetpu/, else an installed copy."""
    candidates = [
        _REPO_ROOT / _MODEL_RELATIVE,
        Path(sys.prefix) / "share" / "moodspeaker" / _MODEL_RELATIVE,
        Path("/usr/share/moodspeaker") / _MODEL_RELATIVE,
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return candidates[0]


def _field(data: dict[str, Any], key: str, kind: type, where: Path) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ModelError(f"{where}: `{key}` must be a {kind.__name__}, got {value!r}")
    return value


def _class_list(raw: Any, key: str, where: Path) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise ModelError(f"{where}: `{key}` must be a list, got {raw!r}")
    classes: list[str] = []
    for name in raw:
        mapped = FERPLUS_TO_MOOD.get(str(name), str(name))
        if mapped not in ALL_EXPRESSIONS:
            raise ModelError(
                f"{where}: unknown class {name!r} in `{key}`; expected names from {ALL_EXPRESSIONS}"
            )
        classes.append(mapped)
    if len(set(classes)) != len(classes) or len(classes) < 2:
        raise ModelError(f"{where}: `{key}` must list at least two distinct classes, got {raw}")
    return tuple(classes)


def _optional_str(data: dict[str, Any], key: str, where: Path) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ModelError(f"{where}: `{key}` must be a string (an output tensor name), got {value!r}")
    return value


def _margin(value: Any, key: str, where: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not -0.5 < value < math.inf:
        raise ModelError(
            f"{where}: `{key}` must be a number above -0.5 (share of the box side), got {value!r}"
        )
    return float(value)


def _crop_margins(crop: dict[str, Any], where: Path) -> tuple[float, dict[str, float]]:
    """`crop.margin` (0 when absent) and `crop.margin_by_detector` (absent in older metadata: none)."""
    default = _margin(crop.get("margin", 0.0), "crop.margin", where)
    raw = crop.get("margin_by_detector") or {}
    if not isinstance(raw, dict):
        raise ModelError(f"{where}: `crop.margin_by_detector` must be an object (detector type: margin)")
    margins = {str(k): _margin(v, f"crop.margin_by_detector.{k}", where) for k, v in raw.items()}
    return default, margins


def load_model_info(json_path: str | Path) -> ModelInfo:
    """Read and check a model's metadata JSON; errors name the file and the bad key."""
    path = Path(json_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"model metadata not found: {path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable model metadata ({exc})") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected a JSON object")
    inp = _field(data, "input", dict, path)
    crop = data.get("crop") or {}
    if not isinstance(crop, dict):
        raise ModelError(f"{path}: `crop` must be an object")
    margin, margins = _crop_margins(crop, path)
    classes = _class_list(_field(data, "classes", list, path), "classes", path)
    head = data.get("fer2013_head")
    if head is not None and not isinstance(head, dict):
        raise ModelError(f"{path}: `fer2013_head` must be an object with `classes` and `output`")
    edgetpu = data.get("edgetpu_model")
    std = float(inp.get("std", 1.0))
    if std == 0.0 or not math.isfinite(std):
        raise ModelError(f"{path}: input.std must be a non-zero number, got {std}")
    channels = int(inp.get("channels", 1))
    if channels not in (1, 3):
        raise ModelError(f"{path}: input.channels must be 1 or 3, got {channels}")
    return ModelInfo(
        json_path=path,
        name=str(data.get("name", path.stem)),
        cpu_model=path.parent / str(_field(data, "cpu_model", str, path)),
        edgetpu_model=path.parent / str(edgetpu) if edgetpu else None,
        width=int(_field(inp, "width", int, path)),
        height=int(_field(inp, "height", int, path)),
        channels=channels,
        mean=float(inp.get("mean", 0.0)),
        std=std,
        crop_margin=margin,
        crop_square=bool(crop.get("square", True)),
        classes=classes,
        output=_optional_str(data, "output", path),
        fer2013_classes=_class_list(head.get("classes"), "fer2013_head.classes", path) if head else None,
        fer2013_output=_optional_str(head, "output", path) if head else None,
        crop_margins=margins,
    )
