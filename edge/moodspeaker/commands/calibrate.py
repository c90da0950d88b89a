"""`moodspeaker calibrate-neutral`: record a listener's resting face and save the neutral calibration.

The listener looks at the speaker with a relaxed face while N frames with a face are classified (the
appliance's own camera -> detector -> crop -> classifier path; no frame is stored).  The fitted
NeutralCalibration (a per-class logit bias, moodspeaker.mood.calibration) is written atomically to
<device.data_dir>/calibration/neutral-<profile>.json, where the runtime applies it to every prediction.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import time
from pathlib import Path

from moodspeaker.commands.owner import as_owner_of
from moodspeaker.config import Config, data_dir

MIN_FRAMES = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--frames", type=int, default=20, help="frames with a face to average (default 20)")
    parser.add_argument("--profile", default="default", help="listener profile the calibration belongs to")
    parser.add_argument("--source", help="image folder or video to read instead of the configured camera")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="give up after this long")
    parser.add_argument("--out", type=Path, help="write here instead of the data folder")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace, config: Config) -> int:
    import numpy as np

    from moodspeaker.mood.calibration import NeutralCalibration, calibration_file
    from moodspeaker.util.atomic import atomic_write_text
    from moodspeaker.vision.expression import make_classifier
    from moodspeaker.vision.faces import make_detector
    from moodspeaker.vision.pipeline import VisionPipeline
    from moodspeaker.vision.runtime import ModelError
    from moodspeaker.vision.sources import CameraError, make_camera

    if args.frames < MIN_FRAMES:
        print(f"calibrate-neutral: --frames must be at least {MIN_FRAMES}", file=sys.stderr)
        return 2
    camera_cfg = config.camera
    if args.source:
        camera_cfg = dataclasses.replace(
            camera_cfg, type="replay", replay_path=args.source, replay_loop=False
        )
    try:
        classifier = make_classifier(config.classifier)
        pipeline = VisionPipeline(make_detector(config.detector), classifier, config)
        source = make_camera(camera_cfg)
    except CameraError as exc:
        hint = "" if args.source else "; or give --source (an image folder or a video of the listener)"
        print(f"calibrate-neutral: {exc}{hint}; `moodspeaker doctor` says what to fix", file=sys.stderr)
        return 2
    except (ModelError, OSError) as exc:
        print(f"calibrate-neutral: {exc}", file=sys.stderr)
        return 2
    if not args.json:
        print(f"Look at the speaker with a relaxed, neutral face ({args.frames} frames)...")
    collected: list[list[float]] = []
    seen = 0
    deadline = time.monotonic() + args.max_seconds
    try:
        while len(collected) < args.frames and time.monotonic() < deadline:
            frame = source.read()
            if frame is None:
                break
            seen += 1
            obs = pipeline.step(frame, time.monotonic())
            del frame
            if obs.probs is not None:
                collected.append([obs.probs[c] for c in classifier.classes])
    finally:
        source.close()
    if len(collected) < MIN_FRAMES:
        print(
            f"calibrate-neutral: only {len(collected)} of {seen} frames showed a face "
            f"(need at least {MIN_FRAMES}); nothing saved",
            file=sys.stderr,
        )
        return 1
    probs = np.asarray(collected)
    cal = NeutralCalibration.fit(probs, classifier.classes)
    path = args.out or calibration_file(config.device.data_dir, args.profile)
    # sudo: a file in the data folder stays the service user's (it is deleted with the profile); 0600:
    # it is a listener's resting face, read by nobody else (as the state file and profiles)
    with contextlib.nullcontext() if args.out else as_owner_of(data_dir(config)):
        atomic_write_text(path, cal.to_json() + "\n", mode=0o600)
    before = probs.mean(axis=0)
    after = cal.apply(probs).mean(axis=0)
    result = {
        "path": str(path),
        "profile": args.profile,
        "frames": len(collected),
        "frames_read": seen,
        "bias": dict(zip(cal.classes, cal.bias, strict=True)),
        "resting_before": {c: round(float(v), 4) for c, v in zip(cal.classes, before, strict=True)},
        "resting_after": {c: round(float(v), 4) for c, v in zip(cal.classes, after, strict=True)},
    }
    if args.json:
        print(json.dumps(result))
    else:
        top_before = cal.classes[int(before.argmax())]
        top_after = cal.classes[int(after.argmax())]
        print(f"{len(collected)} frames with a face; resting face read as {top_before} -> {top_after}")
        print(f"saved {path}")
    return 0
