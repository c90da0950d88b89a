"""What the inference stage says of its frame source: its name in words (the camera's health detail)
and whether a failure to open it is the frame sources' own "no camera" (said without a traceback)."""

from __future__ import annotations

import re
import sys


def camera_missing(exc: BaseException) -> bool:
    """True for the frame sources' CameraError (no camera, a path that cannot be opened).

    Looked up among the loaded modules, not imported: vision.sources brings OpenCV, which the
    service loads only with a real camera; if it is not loaded, nothing raised its error."""
    sources = sys.modules.get("moodspeaker.vision.sources")
    camera_error = getattr(sources, "CameraError", None) if sources is not None else None
    return isinstance(camera_error, type) and isinstance(exc, camera_error)


def source_name(source: object) -> str:
    """Which source feeds the mood, for the camera's health detail ("ok · face replay" is not a real
    camera): the live cameras' own `name` ("Raspberry Pi camera", "webcam 0"), else the class name
    in words (the demo's FaceReplay: "face replay", a ReplaySource: "replay source"); "" for none."""
    if source is None:
        return ""
    name = getattr(source, "name", "")
    if isinstance(name, str) and name:
        return name
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", type(source).__name__).lower()
