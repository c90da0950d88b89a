"""The expression classifier stage: a grayscale face crop in, class probabilities out.

Everything model-specific (input size, normalisation, class order, which file runs where) comes from
the model's metadata JSON (models/edgetpu/expression.json, see coord INTERFACES), so this code works
with any model that honours it: the shipped one, a retrained one, or a placeholder in tests.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from moodspeaker.config.schema import ClassifierConfig
from moodspeaker.mood.classes import ALL_EXPRESSIONS, FERPLUS_TO_MOOD
from moodspeaker.vision.runtime import ModelError, make_interpreter

log = logging.getLogger(__name__)

Probs = npt.NDArray[np.float32]

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
        crop_margin=float(crop.get("margin", 0.0)),
        crop_square=bool(crop.get("square", True)),
        classes=classes,
        output=_optional_str(data, "output", path),
        fer2013_classes=_class_list(head.get("classes"), "fer2013_head.classes", path) if head else None,
        fer2013_output=_optional_str(head, "output", path) if head else None,
    )


class ExpressionClassifier(Protocol):
    """Face crop (2-D uint8 gray, any size) -> float32 probabilities over `classes`."""

    classes: tuple[str, ...]

    def classify(self, face: npt.NDArray[np.uint8]) -> Probs: ...


def _softmax(x: npt.NDArray[np.float32]) -> Probs:
    e = np.exp(x - x.max())
    out: Probs = (e / e.sum()).astype(np.float32)
    return out


class TFLiteExpressionClassifier:
    """Runs the model with ai-edge-litert (Edge TPU when asked and present, else the CPU).

    `backend` is "edgetpu" or "cpu"; `fallback_reason` says why the TPU was not used when it was asked.
    """

    def __init__(
        self, info: ModelInfo, *, edgetpu: bool = False, threads: int = 1, flip_average: bool = False
    ) -> None:
        self.info = info
        self.flip_average = flip_average
        self.classes: tuple[str, ...] = info.classes
        self.fallback_reason: str | None = None
        if edgetpu and info.edgetpu_model is None:
            self.fallback_reason = (
                f"{info.json_path.name} names no Edge TPU model; running {info.cpu_model.name} on the CPU"
            )
            log.warning("%s", self.fallback_reason)
            edgetpu = False
        model = info.edgetpu_model if edgetpu and info.edgetpu_model else info.cpu_model
        self._interpreter, self.backend, reason = make_interpreter(
            model, edgetpu=edgetpu, threads=threads, cpu_fallback=info.cpu_model
        )
        self.fallback_reason = self.fallback_reason or reason
        self.model_path = info.cpu_model if self.backend == "cpu" else model
        self._threads = threads
        self._bind()

    def _bind(self) -> None:
        """Check the interpreter's tensors against the metadata and remember how to feed and read them."""
        info = self.info
        inp = self._interpreter.get_input_details()[0]
        outputs = list(self._interpreter.get_output_details())
        out = self._pick_output(outputs, info.output, self.classes, "classes")
        self._aux: tuple[int, np.dtype[Any], float, float] | None = None
        if info.fer2013_classes is not None:
            outputs = [o for o in outputs if int(o["index"]) != int(out["index"])]
            aux = self._pick_output(outputs, info.fer2013_output, info.fer2013_classes, "fer2013_head")
            scale, zero = (float(v) for v in aux["quantization"])
            self._aux = (int(aux["index"]), np.dtype(aux["dtype"]), scale, zero)
        shape = tuple(int(d) for d in inp["shape"])
        if shape != info.input_shape:
            raise ModelError(
                f"{self.model_path}: input shape {shape} does not match {info.json_path.name}; "
                f"expected {info.input_shape} (batch, height, width, channels)"
            )
        self._in_index = int(inp["index"])
        self._out_index = int(out["index"])
        self._in_dtype = np.dtype(inp["dtype"])
        self._in_scale, self._in_zero = (float(v) for v in inp["quantization"])
        self._out_dtype = np.dtype(out["dtype"])
        self._out_scale, self._out_zero = (float(v) for v in out["quantization"])

    def _pick_output(
        self, outputs: list[dict[str, Any]], name: str | None, classes: tuple[str, ...], key: str
    ) -> dict[str, Any]:
        """The output tensor for `classes`: by the name the metadata gives, else the one of that size."""
        want = (1, len(classes))
        named = [o for o in outputs if name is not None and o["name"] == name]
        sized = [o for o in outputs if tuple(int(d) for d in o["shape"]) == want]
        found = named or sized
        if len(found) != 1:
            shapes = [tuple(int(d) for d in o["shape"]) for o in outputs]
            why = "none" if not found else f"{len(found)} outputs"
            raise ModelError(
                f"{self.model_path}: {why} of shape {want} for {self.info.json_path.name} `{key}` "
                f"{classes} (outputs: {shapes}); name the tensor in the metadata"
            )
        shape = tuple(int(d) for d in found[0]["shape"])
        if shape != want:
            raise ModelError(
                f"{self.model_path}: output {found[0]['name']!r} has shape {shape}; "
                f"expected {want} for {classes}"
            )
        return found[0]

    @property
    def fer2013_classes(self) -> tuple[str, ...] | None:
        """Classes of the model's FER2013 head, or None when it has none."""
        return self.info.fer2013_classes

    def preprocess(self, face: npt.NDArray[np.uint8]) -> npt.NDArray[Any]:
        """Crop -> the model's input tensor: resize, normalise, quantise with the tensor's own scale."""
        if face.ndim == 3 and face.shape[2] == 3 and self.info.channels == 1:
            face = np.asarray(cv2.cvtColor(face, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
        if face.ndim != 2 and self.info.channels == 1:
            raise ValueError(f"expected a 2-D grayscale face crop, got shape {face.shape}")
        if face.size == 0:
            raise ValueError("empty face crop")
        size = (self.info.width, self.info.height)
        interp = cv2.INTER_AREA if face.shape[0] > self.info.height else cv2.INTER_LINEAR
        img = cv2.resize(face, size, interpolation=interp)
        if self.info.channels == 3 and img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        x = (img.astype(np.float32) - self.info.mean) / self.info.std
        x = x.reshape(self.info.input_shape)
        if self._in_dtype in (np.dtype(np.int8), np.dtype(np.uint8)):
            info = np.iinfo(self._in_dtype)
            scale = self._in_scale or 1.0
            q = np.round(x / scale + self._in_zero)
            return np.clip(q, info.min, info.max).astype(self._in_dtype)
        return x.astype(self._in_dtype)

    def _fall_back_to_cpu(self, exc: Exception) -> None:
        """The Edge TPU failed mid-run (stick pulled, USB error): carry on with the CPU model."""
        self.fallback_reason = (
            f"the Edge TPU failed while running ({type(exc).__name__}: {exc}); "
            f"running {self.info.cpu_model.name} on the CPU from now on"
        )
        log.warning("%s", self.fallback_reason)
        self._interpreter, self.backend, _ = make_interpreter(
            self.info.cpu_model, edgetpu=False, threads=self._threads
        )
        self.model_path = self.info.cpu_model
        self._bind()

    def _run(self, face: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[Any], npt.NDArray[Any] | None]:
        x = self.preprocess(face)  # bad crops raise here, before the interpreter is involved
        try:
            self._interpreter.set_tensor(self._in_index, x)
            self._interpreter.invoke()
        except (RuntimeError, ValueError) as exc:
            if self.backend != "edgetpu":
                raise
            self._fall_back_to_cpu(exc)  # `backend` and `fallback_reason` say so from now on
            x = self.preprocess(face)  # the CPU model may quantise its input differently
            self._interpreter.set_tensor(self._in_index, x)
            self._interpreter.invoke()
        raw: npt.NDArray[Any] = self._interpreter.get_tensor(self._out_index)[0]
        if self._aux is None:
            return raw, None
        aux: npt.NDArray[Any] = self._interpreter.get_tensor(self._aux[0])[0]
        return raw, aux

    def classify(self, face: npt.NDArray[np.uint8]) -> Probs:
        """Probabilities for one crop; with `flip_average`, the mean over the crop and its mirror image.

        Expressions are (nearly) left-right symmetric and the model was trained on mirrored faces too, so
        the mirror is a second, slightly different look at the same face: averaging the two gains about a
        point on FER2013Valid for one more invoke (~0.55 ms with the shipped model, which takes a face over
        the 1 ms budget: off by default; see MODEL_CARD.md).
        """
        return self.classify_heads(face)[0]

    def classify_heads(self, face: npt.NDArray[np.uint8]) -> tuple[Probs, Probs | None]:
        """Main probabilities and, for a model with a FER2013 head, that head's (same flip averaging)."""
        main, aux = self._both(face)
        if not self.flip_average:
            return main, aux
        main_m, aux_m = self._both(np.ascontiguousarray(face[:, ::-1]))
        mean: Probs = ((main + main_m) / 2.0).astype(np.float32)
        if aux is None or aux_m is None:
            return mean, None
        aux_mean: Probs = ((aux + aux_m) / 2.0).astype(np.float32)
        return mean, aux_mean

    def _both(self, face: npt.NDArray[np.uint8]) -> tuple[Probs, Probs | None]:
        raw, aux = self._run(face)
        main = self._probs(raw, self._out_dtype, self._out_scale, self._out_zero)
        if aux is None or self._aux is None:
            return main, None
        return main, self._probs(aux, self._aux[1], self._aux[2], self._aux[3])

    @staticmethod
    def _probs(raw: npt.NDArray[Any], dtype: np.dtype[Any], scale: float, zero: float) -> Probs:
        if dtype in (np.dtype(np.int8), np.dtype(np.uint8)):
            out = (raw.astype(np.float32) - zero) * (scale or 1.0)
        else:
            out = raw.astype(np.float32)
        total = float(out.sum())
        if out.min() >= -1e-3 and abs(total - 1.0) < 0.05:  # already probabilities (softmax output)
            out = np.clip(out, 0.0, None)
            probs: Probs = (out / max(float(out.sum()), 1e-9)).astype(np.float32)
            return probs
        return _softmax(out)  # logits


def make_classifier(cfg: ClassifierConfig) -> TFLiteExpressionClassifier:
    """The classifier the config asks for; `cfg.model` empty means the shipped model."""
    info = load_model_info(Path(cfg.model).expanduser() if cfg.model else default_model_json())
    return TFLiteExpressionClassifier(
        info, edgetpu=cfg.type == "edgetpu", threads=cfg.threads, flip_average=cfg.flip_average
    )
