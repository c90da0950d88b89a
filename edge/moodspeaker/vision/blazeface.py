"""BlazeFace post-processing as pure numpy functions (pycoral adapters style): anchors, box decoding,
score squashing, weighted non-maximum suppression and letterboxing.

Ported from MediaPipe's calculators (ssd_anchors_calculator.cc, tensors_to_detections_calculator.cc,
non_max_suppression_calculator.cc with WEIGHTED overlap) and the options of
modules/face_detection/face_detection_short_range_common.pbtxt: 128x128 input, strides 8/16/16/16,
two anchors per cell -> 896 anchors.  No I/O and no interpreter here, so every step is testable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

from moodspeaker.vision.wipe import wipe

FloatArray = npt.NDArray[np.float32]

#: Short-range model options (face_detection_short_range_common.pbtxt).
INPUT_SIZE: Final = 128
STRIDES: Final = (8, 16, 16, 16)
#: Raw scores are clipped before the sigmoid (MediaPipe uses 100; 80 avoids float32 overflow).
RAW_SCORE_LIMIT: Final = 80.0
#: Boxes overlapping more than this (IoU) are merged into one face.
NMS_IOU: Final = 0.3


@dataclass(frozen=True)
class Letterbox:
    """How a frame was fitted into the square model input: scale and the padding added (pixels)."""

    scale: float
    pad_x: int
    pad_y: int
    size: int


def ssd_anchors(input_size: int = INPUT_SIZE, strides: tuple[int, ...] = STRIDES) -> FloatArray:
    """Anchor centres (N, 2) in 0..1 input coordinates; layers with equal strides share a grid."""
    anchors: list[tuple[float, float]] = []
    layer = 0
    while layer < len(strides):
        repeats = 0
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            repeats += 2  # aspect ratio 1.0 plus the interpolated scale, per layer
            last += 1
        cells = input_size // strides[layer]
        for y in range(cells):
            for x in range(cells):
                anchors.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * repeats)
        layer = last
    return np.asarray(anchors, dtype=np.float32)


def decode_boxes(raw: FloatArray, anchors: FloatArray, input_size: int = INPUT_SIZE) -> FloatArray:
    """Regressor output (N, 16) -> boxes (N, 4) as x_min, y_min, x_max, y_max in 0..1.

    The first four values are the box centre offset and size in input pixels relative to the anchor;
    the remaining 12 are six keypoints, which the speaker does not need.
    """
    raw = raw.reshape(-1, raw.shape[-1]).astype(np.float32)
    cx = raw[:, 0] / input_size + anchors[:, 0]
    cy = raw[:, 1] / input_size + anchors[:, 1]
    w = raw[:, 2] / input_size
    h = raw[:, 3] / input_size
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


def sigmoid_scores(raw: FloatArray) -> FloatArray:
    """Classifier logits (N,) or (N, 1) -> probabilities, clipped first as MediaPipe does."""
    clipped = np.clip(raw.reshape(-1).astype(np.float32), -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)
    out: FloatArray = (1.0 / (1.0 + np.exp(-clipped))).astype(np.float32)
    return out


def iou(box: FloatArray, boxes: FloatArray) -> FloatArray:
    """Intersection over union of one box (4,) with many (M, 4)."""
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    out: FloatArray = np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0).astype(np.float32)
    return out


def weighted_nms(
    boxes: FloatArray, scores: FloatArray, *, min_score: float, iou_threshold: float = NMS_IOU
) -> list[tuple[FloatArray, float]]:
    """MediaPipe's weighted NMS: each cluster of overlapping boxes becomes their score-weighted mean.

    Returns (box, score) pairs, best first; the score is the cluster's best score.  Boxes with
    non-positive width or height are dropped before clustering.
    """
    keep = (scores >= min_score) & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    boxes, scores = boxes[keep], scores[keep]
    order = np.argsort(-scores, kind="stable")
    boxes, scores = boxes[order], scores[order]
    out: list[tuple[FloatArray, float]] = []
    while len(scores):
        overlap = iou(boxes[0], boxes) > iou_threshold
        overlap[0] = True
        weights = scores[overlap]
        merged = (boxes[overlap] * weights[:, None]).sum(axis=0) / weights.sum()
        out.append((merged.astype(np.float32), float(scores[0])))
        boxes, scores = boxes[~overlap], scores[~overlap]
    return out


def letterbox(frame_bgr: npt.NDArray[np.uint8], size: int = INPUT_SIZE) -> tuple[FloatArray, Letterbox]:
    """Fit a BGR frame into a size x size RGB input keeping its aspect ratio; pixels scaled to -1..1.

    The colour conversion happens after the resize, on the small image (cheaper than on the frame).
    The thumbnails made on the way are zeroed before they are dropped (vision.wipe); the caller wipes
    the input it returns once the model has it.
    """
    h, w = frame_bgr.shape[:2]
    scale = size / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    resized = cv2.resize(frame_bgr, (nw, nh), interpolation=interp)
    pad_x, pad_y = (size - nw) // 2, (size - nh) // 2
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    canvas[pad_y : pad_y + nh, pad_x : pad_x + nw] = resized
    rgb = cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB)
    scaled = rgb.astype(np.float32)  # scaled in place: no temporary copy of the thumbnail left unwiped
    scaled *= 1.0 / 127.5
    scaled -= 1.0
    tensor: FloatArray = scaled[None]
    for thumbnail in (resized, canvas, rgb):
        wipe(thumbnail)
    return tensor, Letterbox(scale=scale, pad_x=pad_x, pad_y=pad_y, size=size)


def unletterbox(box: FloatArray, lb: Letterbox) -> FloatArray:
    """A 0..1 box in model-input coordinates -> frame pixels (x_min, y_min, x_max, y_max)."""
    px = box * lb.size
    out: FloatArray = np.array(
        [
            (px[0] - lb.pad_x) / lb.scale,
            (px[1] - lb.pad_y) / lb.scale,
            (px[2] - lb.pad_x) / lb.scale,
            (px[3] - lb.pad_y) / lb.scale,
        ],
        dtype=np.float32,
    )
    return out
