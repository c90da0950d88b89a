"""`moodspeaker watch`: the mood timeline from a camera, a video or a folder of images.

One line per capture (time, mood, confidence, valence, arousal, face found), or one JSON object per
line with --json.  Frames stay in memory and are dropped after each step; only numbers are printed.

The mood is the speaker's smoothed mood, so it needs a face held for a few seconds.  A camera feeds the
filter the wall clock and a video its own timeline; a folder of images (or one image) has no clock of
its own, so each image counts as one capture interval (--interval, or camera.interval_s when --interval
is 0): at 0 the folder is read as fast as the pipeline goes and the moods come as a speaker would show
them with one image per interval, instead of the whole folder falling inside the filter's dwell time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from moodspeaker.config import Config
from moodspeaker.util.program import command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        metavar="PATH_OR_DEVICE",
        help="image folder, image or video file, webcam index or /dev/videoN, or 'picamera2' "
        "(default: the [camera] section of the config)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--interval",
        type=float,
        metavar="SECONDS",
        help="seconds between captures; 0 runs as fast as the pipeline (default: camera.interval_s)",
    )
    parser.add_argument("--limit", type=int, metavar="N", help="stop after N captures")
    parser.add_argument("--loop", action="store_true", help="start a video or folder again at its end")


def camera_settings(config: Config, source: str | None, interval: float, loop: bool) -> Any:
    """The [camera] section with --source / --interval / --loop applied."""
    cam = dataclasses.replace(config.camera, interval_s=interval)
    if source is None:
        return cam
    if source in {"picamera2", "pi"}:
        return dataclasses.replace(cam, type="picamera2")
    if re.fullmatch(r"\d+", source) or source.startswith("/dev/video"):
        return dataclasses.replace(cam, type="v4l2", device=source)
    return dataclasses.replace(cam, type="replay", replay_path=source, replay_loop=loop)


def image_step_s(config: Config, source: str | None, interval: float) -> float | None:
    """The nominal seconds between images of an image folder or file source; None for other sources."""
    from moodspeaker.mood.filter import REFERENCE_INTERVAL_S
    from moodspeaker.vision.sources import IMAGE_SUFFIXES

    if source is None:
        return None
    path = Path(source).expanduser()
    if not (path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES):
        return None
    for step in (interval, config.camera.interval_s):
        if step > 0:
            return step
    return REFERENCE_INTERVAL_S


def switched_off(config: Config) -> str:
    """Why the speaker's camera is off though camera.enabled is true: switched off at its privacy
    button (held off: only the button switches it on), or from the page, the API or MQTT, as the
    service saved it (state.json, which it keeps across restarts); '' when it is not, or unsaved."""
    from moodspeaker.config import data_dir
    from moodspeaker.service.playback import CAMERA_HELD_DETAIL
    from moodspeaker.service.state import STATE_FILE, StateError, from_json

    try:  # read only: an unreadable file is the service's to set aside, at its start
        snap = from_json((data_dir(config) / STATE_FILE).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, StateError):
        return ""
    if snap.camera_held:
        return f"the camera was {CAMERA_HELD_DETAIL}"
    if snap.camera is False:
        return "the camera is switched off on the speaker: switch it on from its page, the API or MQTT"
    return ""


def _line(record: dict[str, Any]) -> str:
    face = "yes" if record["face"] else "no "
    extra = f"  {record['source']}" if record.get("source") else ""
    if record.get("camera") not in (None, "ok"):
        extra += f"  camera {record['camera']}"
    mark = "*" if record.get("changed") else " "
    return (
        f"{record['time'][11:19]}  {record['t']:7.2f}s {mark}{record['mood']:<9s} "
        f"conf {record['confidence']:.2f}  valence {record['valence']:+.2f}  "
        f"arousal {record['arousal']:+.2f}  face {face}{extra}"
    )


def run(args: argparse.Namespace, config: Config) -> int:
    from moodspeaker.mood.filter import MoodFilter
    from moodspeaker.system.nodump import no_core_dumps
    from moodspeaker.vision.expression import make_classifier
    from moodspeaker.vision.faces import make_detector
    from moodspeaker.vision.pipeline import VisionPipeline
    from moodspeaker.vision.runtime import ModelError
    from moodspeaker.vision.sources import CameraError, make_camera
    from moodspeaker.vision.wipe import wipe

    no_core_dumps()  # the frames stay in memory: no core dump (system.nodump)
    interval = config.camera.interval_s if args.interval is None else args.interval
    if interval < 0:
        print("moodspeaker watch: --interval must be 0 or more seconds", file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < 1:
        print("moodspeaker watch: --limit must be at least 1", file=sys.stderr)
        return 2
    is_device = args.source is None or re.fullmatch(r"\d+|/dev/video.*|picamera2|pi", args.source)
    if is_device and not config.camera.enabled:
        print("moodspeaker watch: the camera is switched off (camera.enabled = false)", file=sys.stderr)
        return 2
    off = switched_off(config) if is_device else ""
    if off:  # the speaker's camera switched off while it ran: watch does not open it behind its back
        print(f"moodspeaker watch: {off}", file=sys.stderr)
        return 2
    if not is_device and not Path(args.source).expanduser().exists():
        print(f"moodspeaker watch: source not found: {args.source}", file=sys.stderr)
        return 2
    try:
        source = make_camera(camera_settings(config, args.source, interval, args.loop))
        detector = make_detector(config.detector, threads=config.classifier.threads)
        classifier = make_classifier(config.classifier)
    except CameraError as exc:
        hint = "" if args.source else "; or give --source (an image folder, a video, 0 for a webcam)"
        print(f"moodspeaker watch: {exc}{hint}; `{command('doctor')}` says what to fix", file=sys.stderr)
        return 2
    except ModelError as exc:
        print(f"moodspeaker watch: {exc}", file=sys.stderr)
        return 2
    if classifier.fallback_reason:
        print(f"moodspeaker watch: note: {classifier.fallback_reason}", file=sys.stderr)
    pipeline = VisionPipeline(detector, classifier, config)
    mood_filter = MoodFilter(config.mood, classifier.classes)
    image_step = None if is_device else image_step_s(config, args.source, interval)
    captures = 0
    start = time.monotonic()
    next_at = start
    try:
        while args.limit is None or captures < args.limit:
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            captured = time.monotonic()
            next_at = max(next_at + interval, captured) if interval > 0 else captured
            frame = source.read()
            state_name = str(getattr(source, "state", "ok"))
            if frame is None:
                if state_name != "retrying":
                    break
                next_at = max(next_at, captured + 0.5)  # the camera backs off; do not spin
                observation = None
            else:
                observation = pipeline.step(frame, captured)
                wipe(frame)  # the frame ends here, its pixels zeroed
                del frame
            # a video's own clock when it has one (so --interval 0 replays its timeline faithfully),
            # images one nominal interval apart, else the wall clock
            position = getattr(source, "position_s", None)
            if image_step is not None:
                now = captures * image_step
            elif isinstance(position, float):
                now = float(position)
            else:
                now = captured - start
            face = observation is not None and observation.face
            state = mood_filter.update(observation.probs if observation and face else None, now)
            captures += 1
            record: dict[str, Any] = {
                "time": datetime.now().astimezone().isoformat(timespec="milliseconds"),
                "t": round(now, 3),
                "mood": state.mood,
                "confidence": round(state.confidence, 4),
                "valence": round(state.valence, 4),
                "arousal": round(state.arousal, 4),
                "face": face,
                "changed": state.changed,
                "box": list(observation.box) if observation and observation.box else None,
                "frame_probs": (
                    {k: round(v, 4) for k, v in observation.probs.items()}
                    if observation and observation.probs
                    else None
                ),
                "camera": state_name,
            }
            name = getattr(source, "current_name", "")
            if name:
                record["source"] = name
            print(json.dumps(record) if args.json else _line(record), flush=True)
    except BrokenPipeError:  # `watch ... | head`
        sys.stderr.close()
        return 0
    finally:
        source.close()
    if captures == 0:
        reason = getattr(source, "last_error", "") or "the source gave no frames"
        print(f"moodspeaker watch: no frames: {reason}", file=sys.stderr)
        return 1
    return 0
