"""The expression classifier stage: a grayscale face crop in, class probabilities out.

Everything model-specific (input size, normalisation, class order, which file runs where) comes from
the model's metadata JSON (models/edgetpu/expression.json, see coord INTERFACES; read by
moodspeaker.vision.modelinfo, whose ModelInfo, default_model_json and load_model_info are re-exported
here), so this code works with any model that honours it: the shipped one, a retrained one, or a
placeholder in tests.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from moodspeaker.config.schema import ClassifierConfig
from moodspeaker.vision.modelinfo import ModelInfo, default_model_json, load_model_info
from moodspeaker.vision.runtime import ModelError, make_interpreter

log = logging.getLogger(__name__)

__all__ = ["ExpressionClassifier", "Probs", "TFLiteExpressionClassifier", "make_classifier"]
__all__ += ["ModelInfo", "default_model_json", "load_model_info"]  # modelinfo.py's, imported from here

Probs = npt.NDArray[np.float32]


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
        self._blank = np.zeros(info.input_shape, self._in_dtype)
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
            outputs = self._invoke(face, x)
        except BaseException:
            with contextlib.suppress(RuntimeError, ValueError):  # the invoke's error is the one to report
                self._scrub_input()
            raise
        self._scrub_input()
        return outputs

    def _scrub_input(self) -> None:
        """Zero the input tensor, which would otherwise hold the last face crop until the next face
        (for ever while the camera is off): a frame is kept for one classification only."""
        self._interpreter.set_tensor(self._in_index, self._blank)

    def forget(self) -> None:
        """Keep nothing of the faces classified, for when the reading ends (the camera switched off,
        the service stopping): the zeroed input alone leaves the last face's activations in the
        interpreter's intermediate tensors and outputs, so run it once on the blank input.  ~0.5 ms;
        not per face."""
        self._scrub_input()
        self._interpreter.invoke()

    def _invoke(
        self, face: npt.NDArray[np.uint8], x: npt.NDArray[Any]
    ) -> tuple[npt.NDArray[Any], npt.NDArray[Any] | None]:
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
        # get_tensor copies: nothing returned points into the interpreter
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
