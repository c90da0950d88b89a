"""The vision sections of the schema (config.schema): camera, detector, classifier and mood.

Why a module of their own: config.schema reached 400 lines; these four are what the speaker sees
(the frame source, the face detector, the expression model and the mood filter), read by vision/
and mood/ only.  config.schema imports them into Config, so `from moodspeaker.config.schema import
CameraConfig` still works; declare settings here as there, with `setting(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from moodspeaker.config.declare import setting


@dataclass(frozen=True)
class CameraConfig:
    enabled: bool = setting(True, "Camera on. Off means no frame is captured at all (privacy switch).")
    type: Literal["auto", "picamera2", "v4l2", "replay"] = setting(
        "auto",
        "Frame source: Automatic (`auto`) takes the Pi camera (`picamera2`) when libcamera sees one, else a "
        "USB webcam (`v4l2`, any V4L2 device), else Recorded video (`replay`).",
        words=dict(auto="Automatic", picamera2="Pi camera", v4l2="USB webcam", replay="Recorded video"),
    )
    device: str = setting("0", "V4L2 device index or path (e.g. 0 or /dev/video0).", advanced=True)
    replay_path: str = setting(
        "", "Video file or folder of images for the replay source (development, tests, demos)."
    )
    replay_loop: bool = setting(
        True, "Start the replay again when it ends (off: camera health says ended).", advanced=True
    )
    interval_s: float = setting(
        1.0, "Seconds between captures; 0 runs as fast as the pipeline allows.", min=0.0, max=60.0, unit="s"
    )
    width: int = setting(640, "Capture width in pixels.", min=64, max=4096, unit="px", advanced=True)
    height: int = setting(480, "Capture height in pixels.", min=48, max=4096, unit="px", advanced=True)


@dataclass(frozen=True)
class DetectorConfig:
    type: Literal["blazeface", "haar"] = setting(
        "blazeface",
        "Face detector: BlazeFace (`blazeface`; TFLite, robust) or Haar cascade (`haar`; OpenCV fallback).",
        words=dict(blazeface="BlazeFace (robust)", haar="Haar cascade (fallback)"),
    )
    min_confidence: float = setting(
        0.6, "Minimum detector score for a face to count.", min=0.0, max=1.0, advanced=True
    )
    small_faces: bool = setting(
        True,
        "When the whole frame shows no face, and every 10th frame with someone in view, search overlapping "
        "tiles for small, distant faces (BlazeFace only; costs more time on those frames).",
        advanced=True,
    )


@dataclass(frozen=True)
class ClassifierConfig:
    type: Literal["cpu", "edgetpu"] = setting(
        "cpu",
        "Where the expression model runs: the Pi's processor (`cpu`) or a Coral Edge TPU (`edgetpu`), "
        "which falls back to the CPU model when the TPU is absent.",
        words=dict(cpu="The Pi's processor (CPU)", edgetpu="Coral Edge TPU"),
    )
    model: str = setting(
        "",
        "Path to the model's metadata JSON; empty uses the model shipped in models/edgetpu/.",
        advanced=True,
    )
    threads: int = setting(1, "CPU threads for the interpreter.", min=1, max=8, advanced=True)
    flip_average: bool = setting(
        False,
        "Classify each face and its mirror image and average the two: about a point more accurate, twice "
        "the inference (over the 1 ms per face budget on one thread with the shipped model).",
        advanced=True,
    )
    stuck_timeout_s: float = setting(
        5.0,
        "A capture or classification slower than this is treated as stuck; the watchdog restarts the stage.",
        min=0.5,
        max=120.0,
        unit="s",
        advanced=True,
    )


@dataclass(frozen=True)
class MoodConfig:
    smoothing: Literal["hysteresis", "rolling"] = setting(
        "hysteresis",
        "Mood filter: Steady (`hysteresis`), a confidence-weighted filter that holds a mood (hysteresis), "
        "or Rolling average (`rolling`), a plain rolling average.",
        words=dict(hysteresis="Steady (holds a mood)", rolling="Rolling average"),
    )
    half_life_s: float = setting(
        2.0,
        "Half-life of the reported confidence and valence/arousal smoothing.",
        min=0.1,
        max=60.0,
        unit="s",
    )
    switch_evidence: float = setting(
        2.5,
        "Evidence a new mood must gather against the current one before the mood changes "
        "(log-likelihood ratio summed per second of a steady face, whatever camera.interval_s is); higher is "
        "steadier, lower follows faster.",
        min=0.5,
        max=20.0,
        unit="nats",
    )
    min_dwell_s: float = setting(
        1.5,
        "A new mood must keep gaining for this long after its first second of support before it is "
        "announced (2.5 s in all with the default).",
        min=0.0,
        max=60.0,
        unit="s",
    )
    no_face_timeout_s: float = setting(
        20.0, "Without a face for this long, the mood decays to unknown.", min=1.0, max=3600.0, unit="s"
    )
    rolling_window_s: float = setting(
        5.0,
        "Window of the plain rolling average (when smoothing is Rolling average, `rolling`).",
        min=0.5,
        max=60.0,
        unit="s",
        advanced=True,
    )
