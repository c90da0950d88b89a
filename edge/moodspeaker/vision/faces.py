"""Face detection and the face crop the expression model expects.

Two detectors behind one Protocol, chosen by `detector.type`: BlazeFace short-range (MediaPipe's
model, shipped in models/detector/, run by ai-edge-litert; robust to pose and light) and OpenCV's Haar
cascade (no model file, weaker; the fallback).  The listener is the largest face.  No face is an
empty list, never a guess.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from moodspeaker.config.schema import DetectorConfig
from moodspeaker.vision import blazeface
from moodspeaker.vision.runtime import ModelError, make_interpreter
from moodspeaker.vision.wipe import wipe

log = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]
Detection = tuple[npt.NDArray[np.float32], float]  # a box (x_min, y_min, x_max, y_max) and its score
_REPO_ROOT = Path(__file__).resolve().parents[3]
_DETECTOR_RELATIVE = Path("models") / "detector" / "face_detection_short_range.tflite"
#: Frames are searched whole, then (if nothing was found, or every TILE_EVERY frames) in overlapping
#: tiles of this share of the shorter side, so that a small face in a large photo still reaches
#: BlazeFace's useful size.
TILE_FRACTIONS = (0.5, 0.3)
#: Tiles are never smaller than this many pixels (smaller faces carry too little expression).
MIN_TILE_PX = 192
#: The region searched around the last face, in face sizes (BlazeFace sees faces of 1/6..1/2 input).
REGION_SCALE = 3.0
#: With a face in view the tile search runs again every this many frames (the first frame included:
#: every 10 s at camera.interval_s 1), so that a second, distant face next to a near one is found too
#: (Observation.faces: calibrate-neutral's refusal of a crowd); about 20 ms on a 640 x 480 frame.
TILE_EVERY = 10
#: The score a face that search adds next to faces in view needs (a surer one than min_confidence):
#: a tile's view of the listener's shoulders or clothing can look like a small face (0.6-0.7).
NEW_FACE_SCORE = 0.75
#: Faces followed by the region around them from frame to frame (one run each), largest first.
MAX_REGIONS = 3


@dataclass(frozen=True)
class Face:
    """A face box in frame pixels (x, y = top-left corner) and the detector's score (0..1)."""

    x: int
    y: int
    w: int
    h: int
    score: float

    @property
    def area(self) -> int:
        return self.w * self.h

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)


class FaceDetector(Protocol):
    """A BGR uint8 frame in, faces out (largest first)."""

    def detect(self, frame: Frame) -> list[Face]: ...


def default_detector_model() -> Path:
    """The BlazeFace model: the repository's models/detector/, else an installed copy."""
    candidates = [
        _REPO_ROOT / _DETECTOR_RELATIVE,
        Path(sys.prefix) / "share" / "moodspeaker" / _DETECTOR_RELATIVE,
        Path("/usr/share/moodspeaker") / _DETECTOR_RELATIVE,
    ]
    return next((c for c in candidates if c.is_file()), candidates[0])


def _to_face(box: npt.NDArray[np.float32], score: float, width: int, height: int) -> Face | None:
    x0, y0 = max(0.0, float(box[0])), max(0.0, float(box[1]))
    x1, y1 = min(float(width), float(box[2])), min(float(height), float(box[3]))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return Face(round(x0), round(y0), round(x1 - x0), round(y1 - y0), float(score))


def _centre_in(box: npt.NDArray[np.float32], other: npt.NDArray[np.float32]) -> bool:
    """Whether the centre of `box` lies inside `other` (both x_min, y_min, x_max, y_max)."""
    cx, cy = (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0
    return bool(other[0] <= cx <= other[2] and other[1] <= cy <= other[3])


def _validate(frame: Frame) -> None:
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.size == 0:
        shape = getattr(frame, "shape", None)
        raise ValueError(f"expected a BGR frame of shape (height, width, 3), got {shape}")


class BlazeFaceDetector:
    """MediaPipe BlazeFace short-range with our own numpy post-processing."""

    #: the `detector.type` naming it (the crop margin the expression model wants depends on it)
    kind = "blazeface"

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        min_confidence: float = 0.6,
        small_faces: bool = True,
        threads: int = 1,
    ) -> None:
        path = model_path or default_detector_model()
        self.small_faces = small_faces
        self._interpreter, _, _ = make_interpreter(path, edgetpu=False, threads=threads)
        inp = self._interpreter.get_input_details()[0]
        if tuple(inp["shape"]) != (1, blazeface.INPUT_SIZE, blazeface.INPUT_SIZE, 3):
            raise ModelError(
                f"{path}: input shape {tuple(inp['shape'])}; expected "
                f"(1, {blazeface.INPUT_SIZE}, {blazeface.INPUT_SIZE}, 3) (BlazeFace short-range)"
            )
        outputs = {d["name"]: d["index"] for d in self._interpreter.get_output_details()}
        by_size = sorted(self._interpreter.get_output_details(), key=lambda d: int(d["shape"][-1]))
        self._scores_index = int(outputs.get("classificators", by_size[0]["index"]))
        self._boxes_index = int(outputs.get("regressors", by_size[-1]["index"]))
        self._input_index = int(inp["index"])
        self._blank = np.zeros(tuple(int(d) for d in inp["shape"]), np.dtype(inp["dtype"]))
        self._anchors = blazeface.ssd_anchors()
        self.min_confidence = min_confidence
        #: squares (x, y, side) around the last faces found, in frame pixels; never any pixels
        self._regions: list[tuple[int, int, int]] = []
        self._since_tiles = TILE_EVERY  # frames since the last tile search: the first one searches

    def _run(self, bgr: Frame) -> list[tuple[npt.NDArray[np.float32], float]]:
        """Detections in the pixel coordinates of `bgr` (boxes x_min, y_min, x_max, y_max)."""
        tensor, lb = blazeface.letterbox(bgr)
        self._interpreter.set_tensor(self._input_index, tensor)  # copied into the interpreter
        wipe(tensor)
        self._interpreter.invoke()
        raw_boxes = self._interpreter.get_tensor(self._boxes_index)[0]
        raw_scores = self._interpreter.get_tensor(self._scores_index)[0]
        boxes = blazeface.decode_boxes(raw_boxes, self._anchors)
        scores = blazeface.sigmoid_scores(raw_scores)
        found = blazeface.weighted_nms(boxes, scores, min_score=self.min_confidence)
        return [(blazeface.unletterbox(box, lb), score) for box, score in found]

    def _run_region(
        self, bgr: Frame, x0: int, y0: int, side: int
    ) -> list[tuple[npt.NDArray[np.float32], float]]:
        offset = np.array([x0, y0, x0, y0], np.float32)
        return [(box + offset, score) for box, score in self._run(bgr[y0 : y0 + side, x0 : x0 + side])]

    def detect(self, frame: Frame) -> list[Face]:
        """Whole frame first; plus the regions around the last faces (so a distant listener, found once
        by the tile search, is followed with one extra run instead of a full search); the tile search
        when neither found anything, and every TILE_EVERY frames even when they did (a second, distant
        face).  Only the regions' coordinates are kept between frames: the input tensor, holding a
        thumbnail of the last image searched, is zeroed before returning."""
        _validate(frame)
        try:
            return self._detect(frame)
        finally:
            self._interpreter.set_tensor(self._input_index, self._blank)

    def forget(self) -> None:
        """Keep nothing of the frames searched, for when the reading ends (the camera switched off, the
        service stopping): the zeroed input alone leaves the last run's activations in the interpreter's
        intermediate tensors and outputs (the early layers are low-resolution maps that look like the
        frame), so run it once on the blank input, and forget where the last faces were.  ~5 ms; not
        per frame."""
        self._regions, self._since_tiles = [], TILE_EVERY
        self._interpreter.set_tensor(self._input_index, self._blank)
        self._interpreter.invoke()

    def _detect(self, frame: Frame) -> list[Face]:
        height, width = frame.shape[:2]
        found = self._run(frame)
        for x0, y0, side in self._regions:
            if side <= min(height, width):
                found += self._run_region(frame, min(x0, width - side), min(y0, height - side), side)
        self._since_tiles += 1
        if self.small_faces and (not found or self._since_tiles >= TILE_EVERY):
            self._since_tiles = 0
            found += self._new_faces(self._tiles(frame), found) if found else self._tiles(frame)
        if len(found) > 1:
            boxes = np.stack([b for b, _ in found])  # one face seen twice (frame and region) is merged
            scores = np.array([s for _, s in found], np.float32)
            found = blazeface.weighted_nms(boxes, scores, min_score=self.min_confidence)
        faces = [f for box, score in found if (f := _to_face(box, score, width, height)) is not None]
        faces.sort(key=lambda f: f.area, reverse=True)
        regions = (self._region_around(f, width, height) for f in faces[:MAX_REGIONS])
        self._regions = [r for r in regions if r is not None]
        return faces

    def _new_faces(self, tiled: list[Detection], known: list[Detection]) -> list[Detection]:
        """What a tile search adds to faces already found: a box whose centre lies in one of them is
        that face seen again (its whole-frame box is kept); a new one must be seen in two tiles (they
        overlap by half: all of the frame but its corners lies in two or more) and score at least
        NEW_FACE_SCORE, so that a tile's partial view of the listener's head or shoulders is not
        counted as a second person."""
        fresh = [(b, s) for b, s in tiled if not any(_centre_in(b, k) for k, _ in known)]
        if not fresh:
            return []
        boxes = np.stack([b for b, _ in fresh])
        scores = np.array([s for _, s in fresh], np.float32)
        merged = blazeface.weighted_nms(boxes, scores, min_score=max(self.min_confidence, NEW_FACE_SCORE))
        return [
            (box, score)
            for box, score in merged
            if int((blazeface.iou(box, boxes) > blazeface.NMS_IOU).sum()) >= 2
        ]

    def _region_around(self, face: Face, width: int, height: int) -> tuple[int, int, int] | None:
        """A square of REGION_SCALE face sizes around `face` if that is clearly smaller than the frame."""
        side = max(blazeface.INPUT_SIZE, round(max(face.w, face.h) * REGION_SCALE))
        if side > min(width, height) or side > 0.6 * max(width, height):
            return None  # the whole-frame pass already sees this face well
        cx, cy = face.x + face.w // 2, face.y + face.h // 2
        return (max(0, cx - side // 2), max(0, cy - side // 2), side)

    def _tiles(self, bgr: Frame) -> list[tuple[npt.NDArray[np.float32], float]]:
        """Search overlapping square tiles (half-tile stride) for faces too small for the whole frame."""
        height, width = bgr.shape[:2]
        found: list[tuple[npt.NDArray[np.float32], float]] = []
        for fraction in TILE_FRACTIONS:
            side = int(min(height, width) * fraction)
            if side < MIN_TILE_PX:
                break
            stride = side // 2
            for y in range(0, max(1, height - side + stride), stride):
                for x in range(0, max(1, width - side + stride), stride):
                    found += self._run_region(bgr, min(x, width - side), min(y, height - side), side)
            if found:
                break
        return found


class HaarFaceDetector:
    """OpenCV's frontal-face Haar cascade (opencv-python < 5 ships the XML); score is always 1.0."""

    #: the `detector.type` naming it (the crop margin the expression model wants depends on it)
    kind = "haar"

    def __init__(self, *, max_side: int = 640) -> None:
        path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise ModelError(f"{path}: Haar cascade missing or unreadable (needs opencv-python < 5)")
        self._max_side = max_side
        #: why this detector runs instead of BlazeFace (None when it was chosen in the config)
        self.fallback_reason: str | None = None

    def detect(self, frame: Frame) -> list[Face]:
        _validate(frame)
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        scale = min(1.0, self._max_side / max(gray.shape))
        made = [gray]  # gray copies of the frame: zeroed once read (vision.wipe)
        if scale < 1.0:
            made.append(gray := cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
        made.append(gray := cv2.equalizeHist(gray))
        rects = self._cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
        for copy in made:
            wipe(copy)
        faces = [
            Face(round(x / scale), round(y / scale), round(w / scale), round(h / scale), 1.0)
            for (x, y, w, h) in (rects if len(rects) else [])
        ]
        return sorted(faces, key=lambda f: f.area, reverse=True)


def make_detector(cfg: DetectorConfig, *, threads: int = 1, model_path: Path | None = None) -> FaceDetector:
    """The detector `detector.type` names.  A BlazeFace model that is missing or broken does not stop
    the speaker: the Haar cascade takes over, with the reason logged and kept in `fallback_reason`."""
    if cfg.type == "haar":
        return HaarFaceDetector()
    try:
        return BlazeFaceDetector(
            model_path, min_confidence=cfg.min_confidence, small_faces=cfg.small_faces, threads=threads
        )
    except ModelError as exc:
        haar = HaarFaceDetector()
        haar.fallback_reason = f"BlazeFace unavailable ({exc}); using the Haar cascade"
        log.warning("%s", haar.fallback_reason)
        return haar


def largest_face(faces: list[Face]) -> Face | None:
    """The listener: the largest face (closest to the speaker), or None."""
    return max(faces, key=lambda f: f.area, default=None)


def crop_face(frame: Frame, face: Face, margin: float, size: int | None = None) -> Frame:
    """Square grayscale crop around a face, as the expression model was trained.

    The square is centred on the box, its side the box's longer side plus `margin` of it on each side
    (side = max(w, h) * (1 + 2 * margin)).  Parts outside the frame are filled by repeating the edge
    pixels, so a face at the border keeps its place in the crop.  `size` resizes to size x size.
    The crop is an array of its own (never a view of the frame); the whole-frame gray copies made on
    the way are zeroed before they are dropped (vision.wipe).
    """
    gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    made = [] if gray is frame else [gray]  # the copies of the frame made here
    side = max(1, round(max(face.w, face.h) * (1.0 + 2.0 * margin)))
    cx, cy = face.x + face.w / 2.0, face.y + face.h / 2.0
    x0, y0 = round(cx - side / 2.0), round(cy - side / 2.0)
    height, width = gray.shape[:2]
    pad = max(0, -x0, -y0, x0 + side - width, y0 + side - height)
    if pad:
        gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        made.append(gray)
        x0, y0 = x0 + pad, y0 + pad
    crop = gray[y0 : y0 + side, x0 : x0 + side]
    if size is not None and crop.shape[0] != size:
        interp = cv2.INTER_AREA if crop.shape[0] > size else cv2.INTER_LINEAR
        crop = cv2.resize(crop, (size, size), interpolation=interp)
    own = np.array(crop, dtype=np.uint8, order="C", copy=True) if crop.base is not None else crop
    for copy in made:
        wipe(copy)
    return np.asarray(own, dtype=np.uint8)
