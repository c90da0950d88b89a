"""BlazeFace post-processing (pure numpy): anchors, decoding, scores, weighted NMS, letterboxing."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from moodspeaker.vision import blazeface as bf


def test_anchor_grid_matches_the_short_range_model() -> None:
    anchors = bf.ssd_anchors()
    assert anchors.shape == (896, 2)  # 16x16x2 + 8x8x6
    np.testing.assert_allclose(anchors[0], [0.5 / 16, 0.5 / 16])
    np.testing.assert_allclose(anchors[1], anchors[0])  # two anchors per cell on the stride-8 layer
    np.testing.assert_allclose(anchors[512], [0.5 / 8, 0.5 / 8])  # first stride-16 cell
    np.testing.assert_allclose(anchors[512:518], np.repeat(anchors[512:513], 6, axis=0))
    assert anchors.min() > 0 and anchors.max() < 1


def test_decode_offsets_are_relative_to_anchor_and_input_size() -> None:
    anchors = np.array([[0.25, 0.75]], np.float32)
    raw = np.zeros((1, 16), np.float32)
    raw[0, :4] = [12.8, -12.8, 25.6, 51.2]  # +0.1, -0.1 centre; 0.2 x 0.4 size
    box = bf.decode_boxes(raw, anchors)[0]
    np.testing.assert_allclose(box, [0.25, 0.45, 0.45, 0.85], atol=1e-6)


def test_scores_are_clipped_sigmoids() -> None:
    s = bf.sigmoid_scores(np.array([[0.0], [1e6], [-1e6]], np.float32))
    np.testing.assert_allclose(s, [0.5, 1.0, 0.0], atol=1e-6)
    assert np.all(np.isfinite(s))


def test_weighted_nms_merges_a_cluster_by_score() -> None:
    boxes = np.array(
        [[0.1, 0.1, 0.3, 0.3], [0.12, 0.1, 0.32, 0.3], [0.6, 0.6, 0.8, 0.8], [0.1, 0.1, 0.3, 0.3]], np.float32
    )
    scores = np.array([0.9, 0.6, 0.8, 0.2], np.float32)
    out = bf.weighted_nms(boxes, scores, min_score=0.5)
    assert [round(s, 2) for _, s in out] == [0.9, 0.8]
    expected_x0 = (0.1 * 0.9 + 0.12 * 0.6) / 1.5
    np.testing.assert_allclose(out[0][0][0], expected_x0, atol=1e-6)
    np.testing.assert_allclose(out[1][0], boxes[2])


def test_nms_drops_degenerate_and_weak_boxes() -> None:
    boxes = np.array([[0.3, 0.3, 0.2, 0.4], [0.1, 0.1, 0.2, 0.2]], np.float32)
    assert bf.weighted_nms(boxes, np.array([0.99, 0.4], np.float32), min_score=0.5) == []


@settings(max_examples=40, deadline=None)
@given(st.integers(8, 900), st.integers(8, 900), st.floats(0.05, 0.9), st.floats(0.05, 0.9))
def test_letterbox_round_trip(w: int, h: int, fx: float, fy: float) -> None:
    frame = np.zeros((h, w, 3), np.uint8)
    tensor, lb = bf.letterbox(frame)
    assert tensor.shape == (1, 128, 128, 3) and tensor.dtype == np.float32
    assert tensor.min() >= -1.0 and tensor.max() <= 1.0
    # a point in the frame -> model input 0..1 -> back
    px, py = fx * w, fy * h
    norm = np.array([px * lb.scale + lb.pad_x, py * lb.scale + lb.pad_y] * 2, np.float32) / np.float32(
        lb.size
    )
    back = bf.unletterbox(norm, lb)
    np.testing.assert_allclose(back[:2], [px, py], rtol=1e-4, atol=1e-2)


def test_iou() -> None:
    a = np.array([0, 0, 2, 2], np.float32)
    others = np.array([[1, 1, 3, 3], [5, 5, 6, 6], [0, 0, 2, 2]], np.float32)
    np.testing.assert_allclose(bf.iou(a, others), [1 / 7, 0.0, 1.0], atol=1e-6)
