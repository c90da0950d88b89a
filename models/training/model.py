"""A MobileNetV2-family network for 48x48 grayscale faces, built only from Edge-TPU-friendly ops.

Ops: Conv2D, DepthwiseConv2D (BatchNorm folds into both at export), ReLU6, Add, GlobalAveragePooling
(MEAN), Dense (FULLY_CONNECTED), Softmax, and one Rescaling (MUL) at the input so the exported int8
model takes raw 0-255 pixels.  All shapes are static (48x48x1); Dropout disappears at export.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
from keras import layers

#: Classes of the optional FER2013 head, in FER2013's order (angry, disgust, fear, happy, sad, surprise,
#: neutral; moodspeaker.evaluation.ferplus.FER2013_CLASSES).
FER2013_HEAD_CLASSES = 7

#: (expansion t, output channels c, repeats n, first stride s) per stage, as in the MobileNetV2 paper.
DEFAULT_STAGES: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),  # 48x48
    (6, 24, 2, 2),  # 24x24
    (6, 40, 3, 2),  # 12x12
    (6, 80, 3, 2),  # 6x6
    (6, 112, 2, 1),  # 6x6
)


@dataclass(frozen=True)
class ModelConfig:
    input_size: int = 48
    num_classes: int = 8
    width: float = 1.0
    stem_channels: int = 32
    stem_stride: int = 1
    stages: tuple[tuple[int, int, int, int], ...] = DEFAULT_STAGES
    head_channels: int = 512
    dropout: float = 0.3
    #: Keras' default 0.99 lets the moving statistics lag far behind fast-moving early weights (a model
    #: that is fine in training mode predicts one class at inference); 0.9 tracks them (PyTorch's 0.1).
    bn_momentum: float = 0.9
    weight_decay: float = 0.0  # L2 on kernels (AdamW decay is set on the optimizer instead)
    #: A second softmax over the original FER2013 classes, on the same pooled features.  FER+ and the
    #: original FER2013 labels agree on only ~62 % of the images, so one output cannot score well on both;
    #: the appliance acts on the FER+ output, the second one answers "what would FER2013 have said".
    fer2013_head: bool = False

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> ModelConfig:
        data = dict(data)
        if "stages" in data:
            data["stages"] = tuple(tuple(int(v) for v in s) for s in data["stages"])
        return cls(**data)


def _ch(channels: int, width: float) -> int:
    """Scale by the width multiplier, rounded to a multiple of 8 (what the Edge TPU and XNNPACK like)."""
    return max(8, int(channels * width + 4) // 8 * 8)


def build_model(cfg: ModelConfig) -> Any:
    """Return an uncompiled keras.Model: uint8-range float input (N,48,48,1) -> softmax over classes."""
    reg = keras.regularizers.L2(cfg.weight_decay) if cfg.weight_decay else None

    def conv_bn(x: Any, filters: int, kernel: int, stride: int, name: str, *, act: bool = True) -> Any:
        x = layers.Conv2D(
            filters, kernel, strides=stride, padding="same", use_bias=False, kernel_regularizer=reg,
            name=f"{name}_conv",
        )(x)  # fmt: skip
        x = layers.BatchNormalization(momentum=cfg.bn_momentum, name=f"{name}_bn")(x)
        return layers.ReLU(6.0, name=f"{name}_relu6")(x) if act else x

    def inverted_residual(x: Any, t: int, out: int, stride: int, name: str) -> Any:
        inp = x
        in_ch = int(x.shape[-1])
        if t != 1:
            x = conv_bn(x, in_ch * t, 1, 1, f"{name}_expand")
        x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"{name}_dw")(x)
        x = layers.BatchNormalization(momentum=cfg.bn_momentum, name=f"{name}_dw_bn")(x)
        x = layers.ReLU(6.0, name=f"{name}_dw_relu6")(x)
        x = conv_bn(x, out, 1, 1, f"{name}_project", act=False)
        if stride == 1 and in_ch == out:
            x = layers.Add(name=f"{name}_add")([inp, x])
        return x

    size = cfg.input_size
    inputs = keras.Input(shape=(size, size, 1), name="face")
    x = layers.Rescaling(1.0 / 255.0, name="pixels_to_unit")(inputs)
    x = conv_bn(x, _ch(cfg.stem_channels, cfg.width), 3, cfg.stem_stride, "stem")
    for s_idx, (t, c, n, s) in enumerate(cfg.stages):
        for i in range(n):
            x = inverted_residual(x, t, _ch(c, cfg.width), s if i == 0 else 1, f"s{s_idx}b{i}")
    x = conv_bn(x, _ch(cfg.head_channels, max(1.0, cfg.width)), 1, 1, "head")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    feats = layers.Dropout(cfg.dropout, name="dropout")(x)
    x = layers.Dense(cfg.num_classes, kernel_regularizer=reg, name="logits")(feats)
    outputs = layers.Softmax(name="probs")(x)
    if not cfg.fer2013_head:
        return keras.Model(inputs, outputs, name="moodspeaker_expression")
    y = layers.Dense(FER2013_HEAD_CLASSES, kernel_regularizer=reg, name="fer2013_logits")(feats)
    fer2013 = layers.Softmax(name="fer2013_probs")(y)
    return keras.Model(inputs, [outputs, fer2013], name="moodspeaker_expression")


def copy_weights(source: Any, target: Any) -> list[str]:
    """Copy weights layer by layer by name (a warm start may add a head); returns the layers left as built."""
    fresh: list[str] = []
    for layer in target.layers:
        try:
            src = source.get_layer(layer.name)
        except ValueError:
            if layer.weights:
                fresh.append(layer.name)
            continue
        layer.set_weights(src.get_weights())
    return fresh
