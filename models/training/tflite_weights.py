"""Warm start a Keras model from an exported int8 .tflite (the only copy of a model whose run folder is gone).

The training runs/ folder does not survive between sessions here, so a chain of warm restarts can only go
on from the committed model.  This reads every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED op of the
.tflite in execution order, dequantizes its int8 weights (per-channel scales) and int32 bias, and puts
them into the Keras model built from the same [model] config:

* Convolutions are matched in order, op type and shape checked; the Dense heads are matched by output
  size (the converter does not keep their order).  Any mismatch raises WeightMappingError naming the layer.
* The export folded each BatchNorm into its convolution (kernel scaled, BN shift as the conv's bias) and
  the input Rescaling (x/255) into the stem's kernel.  The folded kernel goes into the Keras conv, the
  stem's multiplied back by 1/scale, and the BatchNorm after each conv becomes an exact identity plus the
  folded bias in inference mode.
* Identity in inference mode is not enough to train on: in training mode BatchNorm normalizes by the
  batch's statistics, and with gamma=1 every channel would come out with unit variance instead of its
  folded scale, a different network.  So, given calibration images, each BatchNorm gets the measured mean
  m and variance v of its input as moving statistics, gamma = sqrt(v + eps) and beta = bias + m: still
  exactly the folded net in inference mode, and close to it in training mode (batch statistics ~ m, v).

Activations were int8 in the .tflite and are float here, so the Keras model matches the int8 model up to
activation rounding (the weights are the dequantized int8 values exactly).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import numpy.typing as npt
from ai_edge_litert.interpreter import Interpreter, OpResolverType
from keras import layers

log = logging.getLogger("tflite_weights")

WEIGHT_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
#: Ops that may come before the first convolution without changing the values it sees (the converter
#: turns the uint8 input into int8 with a QUANTIZE; any MUL/ADD there would be an unfolded Rescaling).
PASSTHROUGH_OPS = ("QUANTIZE", "DEQUANTIZE")

FloatArray = npt.NDArray[np.float32]


class WeightMappingError(ValueError):
    """The .tflite's weights do not fit the Keras model (other config, other architecture)."""


@dataclass(frozen=True)
class TFLiteWeights:
    """One weight op of the .tflite, dequantized, in the .tflite's layout."""

    op: str  # CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED
    index: int  # op index in execution order
    kernel: FloatArray  # conv [out,h,w,in], depthwise [1,h,w,out], FC [out,in]
    bias: FloatArray  # [out]; zeros when the op has none


def dequantize(detail: dict[str, Any], raw: npt.NDArray[Any]) -> FloatArray:
    """Real values of a constant tensor: (q - zero_point) * scale, per channel along quantized_dimension."""
    if np.issubdtype(raw.dtype, np.floating):
        return raw.astype(np.float32)
    params = detail["quantization_parameters"]
    scales = np.asarray(params["scales"], dtype=np.float64)
    zero_points = np.asarray(params["zero_points"], dtype=np.float64)
    if scales.size == 0:
        raise WeightMappingError(f"tensor {detail['name']!r} is {raw.dtype} without quantization parameters")
    shape = [1] * raw.ndim
    if scales.size > 1:
        shape[int(params["quantized_dimension"])] = -1
    real = (raw.astype(np.float64) - zero_points.reshape(shape)) * scales.reshape(shape)
    return real.astype(np.float32)


def read_tflite(path: Path) -> tuple[list[TFLiteWeights], list[str]]:
    """The weight ops in execution order, and the names of the ops before the first one."""
    interp = Interpreter(
        model_path=str(path), experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    )
    interp.allocate_tensors()
    tensors = {int(t["index"]): t for t in interp.get_tensor_details()}
    found: list[TFLiteWeights] = []
    before: list[str] = []
    for op in interp._get_ops_details():  # the public API has no op list
        name = str(op["op_name"])
        if name not in WEIGHT_OPS:
            if not found:
                before.append(name)
            continue
        inputs = [int(i) for i in op["inputs"]]
        kernel_id = inputs[1]
        kernel = dequantize(tensors[kernel_id], interp.get_tensor(kernel_id))
        out = kernel.shape[-1] if name == "DEPTHWISE_CONV_2D" else kernel.shape[0]
        if len(inputs) > 2 and inputs[2] >= 0:
            bias = dequantize(tensors[inputs[2]], interp.get_tensor(inputs[2])).reshape(-1)
        else:
            bias = np.zeros(out, dtype=np.float32)
        if bias.shape != (out,):
            raise WeightMappingError(f"{path}: op {op['index']} ({name}): bias {bias.shape}, {out} outputs")
        found.append(TFLiteWeights(name, int(op["index"]), kernel, bias))
    return found, before


def _to_keras(src: TFLiteWeights) -> FloatArray:
    """The kernel in Keras' layout: Conv2D [h,w,in,out], DepthwiseConv2D [h,w,in,1], Dense [in,out]."""
    if src.op == "CONV_2D":
        return np.transpose(src.kernel, (1, 2, 3, 0))
    if src.op == "DEPTHWISE_CONV_2D":
        if src.kernel.shape[0] != 1:
            raise WeightMappingError(
                f"op {src.index}: depthwise kernel {src.kernel.shape} is not [1,h,w,out]"
            )
        return np.asarray(src.kernel[0][..., None], dtype=np.float32)
    return np.transpose(src.kernel)


def _followers(model: Any) -> dict[int, Any]:
    """Layer that reads each layer's output (by id of the producer), for layers called once."""
    producers = {
        id(layer.output): layer for layer in model.layers if not isinstance(layer, layers.InputLayer)
    }
    result: dict[int, Any] = {}
    for layer in model.layers:
        if isinstance(layer, layers.InputLayer):
            continue
        inputs = layer.input if isinstance(layer.input, list) else [layer.input]
        for tensor in inputs:
            if id(tensor) in producers:
                result.setdefault(id(producers[id(tensor)]), layer)
    return result


def _pairs(model: Any, ops: list[TFLiteWeights]) -> list[tuple[Any, TFLiteWeights]]:
    """Keras weight layer -> .tflite op: convolutions in order, Dense layers by output size."""
    convs = [layer for layer in model.layers if isinstance(layer, (layers.Conv2D, layers.DepthwiseConv2D))]
    denses = [layer for layer in model.layers if isinstance(layer, layers.Dense)]
    others = [layer.name for layer in model.layers if layer.weights and not isinstance(
        layer, (layers.Conv2D, layers.DepthwiseConv2D, layers.Dense, layers.BatchNormalization)
    )]  # fmt: skip
    if others:
        raise WeightMappingError(f"layers with weights the .tflite cannot fill: {', '.join(others)}")
    conv_ops = [op for op in ops if op.op != "FULLY_CONNECTED"]
    fc_ops = [op for op in ops if op.op == "FULLY_CONNECTED"]
    if len(convs) != len(conv_ops):
        raise WeightMappingError(f"{len(convs)} Keras convolutions, {len(conv_ops)} in the .tflite")
    pairs: list[tuple[Any, TFLiteWeights]] = []
    for layer, op in zip(convs, conv_ops, strict=True):
        want = "DEPTHWISE_CONV_2D" if isinstance(layer, layers.DepthwiseConv2D) else "CONV_2D"
        if op.op != want:
            raise WeightMappingError(
                f"layer {layer.name} ({type(layer).__name__}) meets op {op.index} ({op.op})"
            )
        pairs.append((layer, op))
    by_size: dict[int, list[TFLiteWeights]] = {}
    for op in fc_ops:
        by_size.setdefault(op.kernel.shape[0], []).append(op)
    if len(denses) != len(fc_ops):
        raise WeightMappingError(f"{len(denses)} Keras Dense layers, {len(fc_ops)} FULLY_CONNECTED ops")
    for layer in denses:
        match = by_size.get(int(layer.units), [])
        if len(match) != 1 or [d.units for d in denses].count(layer.units) != 1:
            raise WeightMappingError(
                f"layer {layer.name}: {len(match)} FULLY_CONNECTED ops with {layer.units} outputs; "
                "the heads must differ in size to be told apart"
            )
        pairs.append((layer, match[0]))
    return pairs


def _input_scale(model: Any, first: Any, before: list[str]) -> float:
    """Factor the export folded into the first convolution's kernel: the Rescaling in front of it."""
    scale = 1.0
    for layer in model.layers:
        if isinstance(layer, layers.Rescaling):
            if _followers(model).get(id(layer)) is not first:
                raise WeightMappingError(f"{layer.name} does not feed the first convolution {first.name}")
            if np.any(np.asarray(layer.offset) != 0):
                raise WeightMappingError(f"{layer.name}: an offset does not fold exactly into a padded conv")
            scale *= float(np.asarray(layer.scale))
    unexpected = [name for name in before if name not in PASSTHROUGH_OPS]
    if unexpected:
        raise WeightMappingError(f"ops before the first convolution: {unexpected}; Rescaling not folded?")
    return scale


def load_tflite_weights(
    model: Any, path: Path, calibration: npt.NDArray[Any] | None = None, *, batch_size: int = 64
) -> list[str]:
    """Fill `model` (built from the run's config) with the .tflite's weights; returns the layers filled.

    `calibration`: (N,H,W,1) or (N,H,W) images in 0..255 (a few hundred training images, augmented as in
    training) to set each BatchNorm's statistics so training mode matches too; without them the
    BatchNorms are identities (exact in inference mode only).
    """
    ops, before = read_tflite(path)
    pairs = _pairs(model, ops)
    followers = _followers(model)
    scale = _input_scale(model, pairs[0][0], before)
    bn_bias: dict[str, tuple[Any, FloatArray]] = {}  # conv name -> (its BatchNorm, folded bias)
    for i, (layer, op) in enumerate(pairs):
        kernel = _to_keras(op) / (scale if i == 0 else 1.0)
        have = tuple(int(v) for v in layer.weights[0].shape)
        if kernel.shape != have:
            raise WeightMappingError(
                f"layer {layer.name}: Keras kernel {have}, .tflite op {op.index} {kernel.shape}"
            )
        bn = followers.get(id(layer))
        if layer.use_bias:
            layer.set_weights([kernel, op.bias])
            if isinstance(bn, layers.BatchNormalization):  # the folded bias already includes the BN shift
                bn_bias[layer.name] = (bn, np.zeros_like(op.bias))
        elif isinstance(bn, layers.BatchNormalization):
            layer.set_weights([kernel])
            bn_bias[layer.name] = (bn, op.bias)
        else:
            raise WeightMappingError(
                f"layer {layer.name} has no bias and no BatchNorm after it for op {op.index}"
            )
    for bn, bias in bn_bias.values():
        if bn.center is False or bn.scale is False or bn.axis not in (-1, [-1], [3], 3):
            raise WeightMappingError(
                f"{bn.name}: only channel-last BatchNorm with centre and scale is handled"
            )
        eps = float(bn.epsilon)
        ones = np.ones_like(bias)
        bn.set_weights([ones, bias, np.zeros_like(bias), ones - eps])  # gamma, beta, mean, variance
    if calibration is not None:
        _calibrate(model, bn_bias, calibration, batch_size)
    filled = [layer.name for layer, _ in pairs]
    log.info("loaded %d weight layers from %s (input scale %.6g folded into %s)", len(filled), path, scale,
             filled[0])  # fmt: skip
    return filled


def _calibrate(
    model: Any, bn_bias: dict[str, tuple[Any, FloatArray]], images: npt.NDArray[Any], batch_size: int
) -> None:
    """Moving statistics of each BatchNorm from its input on `images`; inference output unchanged."""
    names = list(bn_bias)
    probe = keras.Model(model.inputs[0], [model.get_layer(n).output for n in names])
    x = np.asarray(images, dtype=np.float32)
    x = x[..., None] if x.ndim == 3 else x
    sums = [np.zeros(int(model.get_layer(n).output.shape[-1])) for n in names]
    squares = [np.zeros_like(s) for s in sums]
    counts = [0] * len(names)
    for start in range(0, len(x), batch_size):
        outs = probe(x[start : start + batch_size], training=False)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        for k, out in enumerate(outs):
            flat = np.asarray(out, dtype=np.float64).reshape(-1, sums[k].size)
            sums[k] += flat.sum(axis=0)
            squares[k] += np.square(flat).sum(axis=0)
            counts[k] += flat.shape[0]
    for k, name in enumerate(names):
        bn, bias = bn_bias[name]
        mean = sums[k] / counts[k]
        var = np.maximum(squares[k] / counts[k] - np.square(mean), 0.0)
        gamma = np.sqrt(var + float(bn.epsilon))
        bn.set_weights([np.asarray(w, dtype=np.float32) for w in (gamma, bias + mean, mean, var)])
