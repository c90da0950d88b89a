"""The per-frame vision path: detect -> largest face -> crop -> classify, numbers out.

A frame enters `step` and is dropped when it returns: the Observation holds only the face box, the
detector score, class probabilities and stage timings.  Nothing here stores, logs or writes pixels.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from moodspeaker.config.schema import Config
from moodspeaker.vision.expression import ExpressionClassifier
from moodspeaker.vision.faces import FaceDetector, crop_face, largest_face
from moodspeaker.vision.wipe import wipe

#: Crop margin when the classifier does not say how its training crops were made.
DEFAULT_MARGIN = 0.1


@dataclass(frozen=True)
class Observation:
    """What one frame said: a face or not, and if so its box (x, y, w, h) and class probabilities.

    `timings` gives seconds per stage ("detect", "crop", "classify") for health and benchmarks.
    """

    face: bool
    probs: dict[str, float] | None
    box: tuple[int, int, int, int] | None = None
    score: float = 0.0
    faces: int = 0
    timings: dict[str, float] = field(default_factory=dict)


class VisionPipeline:
    """Detector + classifier, with the crop made the way the classifier's model was trained."""

    def __init__(
        self,
        detector: FaceDetector,
        classifier: ExpressionClassifier,
        config: Config | None = None,
        *,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.detector = detector
        self.classifier = classifier
        self.config = config or Config()
        info = getattr(classifier, "info", None)
        self.size: int | None = getattr(info, "width", None)
        self._clock = clock

    @property
    def margin(self) -> float:
        """The crop margin the model's metadata gives for this detector (each frames faces differently:
        the FER2013 framing is BlazeFace's box plus 8 % a side, Haar's box itself)."""
        info = getattr(self.classifier, "info", None)
        margin_for = getattr(info, "margin_for", None)
        if callable(margin_for):
            return float(margin_for(getattr(self.detector, "kind", None)))
        return float(getattr(info, "crop_margin", DEFAULT_MARGIN))

    def forget(self) -> None:
        """The reading ended (camera off, stop): each model runs once on a blank input, so that nothing
        of the last frame or face stays in its tensors (a step zeroes the inputs only: the activations
        of the last run stay until the next one).  A detector with nothing kept (Haar) has nothing to do."""
        for part in (self.detector, self.classifier):
            forget = getattr(part, "forget", None)
            if callable(forget):
                forget()

    def step(self, frame: npt.NDArray[np.uint8], now: float) -> Observation:
        """One frame -> one Observation (`now` is the capture time, kept for symmetry with the filter)."""
        del now  # the pipeline itself is timeless; the filter uses the capture time
        t0 = self._clock()
        faces = self.detector.detect(frame)
        t1 = self._clock()
        face = largest_face(faces)
        if face is None:
            return Observation(face=False, probs=None, timings={"detect": t1 - t0})
        crop = crop_face(frame, face, self.margin, self.size)
        t2 = self._clock()
        probs = self.classifier.classify(crop)
        wipe(crop)  # the face ends here, its pixels zeroed (vision.wipe)
        del crop
        t3 = self._clock()
        return Observation(
            face=True,
            probs={c: float(p) for c, p in zip(self.classifier.classes, probs, strict=True)},
            box=face.box,
            score=face.score,
            faces=len(faces),
            timings={"detect": t1 - t0, "crop": t2 - t1, "classify": t3 - t2},
        )
