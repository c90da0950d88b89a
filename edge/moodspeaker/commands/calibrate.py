"""`moodspeaker calibrate-neutral`: record a listener's resting face and save the neutral calibration.

The listener looks at the speaker with a relaxed face: after a short countdown, N frames with a face,
spaced out (`--spacing`, so a blink or a glance away is one frame of many, not the whole capture), are
classified (the appliance's own camera -> detector -> crop -> classifier path; no frame is stored).
The fitted NeutralCalibration (a per-class logit bias, moodspeaker.mood.calibration) is written
atomically to <device.data_dir>/calibration/neutral-<profile>.json, where the runtime applies it to
every prediction (a running service picks up the new file within a second or two).

A capture that is not a resting face is refused, nothing saved, unless `--force`: one that reads as
happy or surprised on average (a smile taken as the baseline would lower happy on every later reading
and hide this listener's smiles), and one with more than one face in most frames (whose face is it?).
A live camera that fails (a dropped frame, or the running service holding it) is retried until
`--max-seconds`; then its last error is said.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from moodspeaker.commands.owner import as_owner_of
from moodspeaker.config import Config, data_dir
from moodspeaker.util.program import command

if TYPE_CHECKING:
    from moodspeaker.vision.pipeline import VisionPipeline
    from moodspeaker.vision.sources import FrameSource

MIN_FRAMES = 3
COUNTDOWN_S = 3  # a live camera: time to sit still and relax before the first frame
SPACING_S = 0.5  # a live camera: seconds between the frames (20 frames: about 10 s)
RETRY_POLL_S = 0.25  # a live camera that returned no frame: ask again after this long
#: A resting face reads neutral, or sad or angry at worst (the bias the calibration corrects); one that
#: reads as these is an expression, and a calibration from it would hide that expression later.
NOT_AT_REST = ("happy", "surprise")
SERVICE_HINT = (
    "if the speaker's service is running it holds the camera: stop the service first "
    "(sudo systemctl stop moodspeaker), calibrate, then start it again (sudo systemctl start moodspeaker)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--frames", type=int, default=20, help="frames with a face to average (default 20)")
    parser.add_argument("--profile", default="default", help="listener profile the calibration belongs to")
    parser.add_argument("--source", help="image folder or video to read instead of the configured camera")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="give up after this long")
    parser.add_argument(
        "--spacing",
        type=float,
        help=f"seconds between frames (default {SPACING_S} with the camera, 0 with --source)",
    )
    parser.add_argument(
        "--countdown",
        type=int,
        help=f"seconds to get ready first (default {COUNTDOWN_S} with the camera, 0 with --source)",
    )
    parser.add_argument(
        "--force", action="store_true", help="save even a capture that does not look like a resting face"
    )
    parser.add_argument("--out", type=Path, help="write here instead of the data folder")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


@dataclasses.dataclass
class Capture:
    """What the capture saw: the class probabilities of each frame with a face (in the classifier's
    order), how many frames were read, how many of those with a face showed more than one face, and
    the source's last problem (kept: a frame read later clears the source's own)."""

    probs: list[list[float]] = dataclasses.field(default_factory=list)
    read: int = 0
    crowded: int = 0
    last_error: str = ""


def capture(
    source: FrameSource,
    pipeline: VisionPipeline,
    classes: Sequence[str],
    *,
    frames: int,
    seconds: float,
    spacing_s: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> Capture:
    """Read until `frames` frames showed a face or `seconds` have passed, at most one frame every
    `spacing_s`.  A source that returns no frame while retrying (a live camera's dropped frame, or a
    camera another program holds) is asked again until the time is up; one that has ended (a replay)
    ends the capture."""
    from moodspeaker.vision.wipe import wipe

    got = Capture()
    deadline = clock() + seconds
    next_at = clock()
    while len(got.probs) < frames:
        now = clock()
        if now >= deadline:
            break
        if now < next_at:
            sleep(min(next_at, deadline) - now)
            continue
        frame = source.read()
        if frame is None:
            got.last_error = getattr(source, "last_error", "") or got.last_error
            if getattr(source, "state", "") != "retrying":
                break
            next_at = now + RETRY_POLL_S
            continue
        got.read += 1
        next_at = now + spacing_s
        obs = pipeline.step(frame, now)
        wipe(frame)  # the listener's face ends here, its pixels zeroed
        del frame
        if obs.probs is not None:
            got.probs.append([obs.probs[c] for c in classes])
            got.crowded += int(obs.faces > 1)
    return got


def _too_few(got: Capture, args: argparse.Namespace, source_name: str) -> str:
    """Why nothing is saved when fewer than MIN_FRAMES frames showed a face, and what to do."""
    if got.read == 0:
        message = f"no frame from {source_name} in {args.max_seconds:g} s"
    else:
        message = f"only {len(got.probs)} of {got.read} frames showed a face (need at least {MIN_FRAMES})"
    if got.last_error:
        message += f"; last error: {got.last_error}"
    if got.last_error and not args.source:
        message += f"; {SERVICE_HINT}"
    return f"calibrate-neutral: {message}; nothing saved"


def _not_at_rest(got: Capture, classes: Sequence[str], mean: Sequence[float]) -> str | None:
    """Why this capture is not a resting face (None: it may be one)."""
    top = max(range(len(classes)), key=lambda i: mean[i])
    if classes[top] in NOT_AT_REST:
        return (
            f"the face read as {classes[top]} ({mean[top]:.0%} on average over {len(got.probs)} frames), "
            "not at rest: a calibration from it would hide this expression from then on. "
            "Relax your face (no smile), look at the speaker and run it again"
        )
    if got.crowded * 2 > len(got.probs):
        return (
            f"more than one face in {got.crowded} of {len(got.probs)} frames: whose resting face is it? "
            "Run it again with only the listener in view"
        )
    return None


def run(
    args: argparse.Namespace,
    config: Config,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    import numpy as np

    from moodspeaker.mood.calibration import NeutralCalibration, calibration_file
    from moodspeaker.system.nodump import no_core_dumps
    from moodspeaker.util.atomic import atomic_write_text
    from moodspeaker.vision.expression import make_classifier
    from moodspeaker.vision.faces import make_detector
    from moodspeaker.vision.pipeline import VisionPipeline
    from moodspeaker.vision.runtime import ModelError
    from moodspeaker.vision.sources import CameraError, make_camera

    no_core_dumps()  # the listener's face stays in memory: no core dump (system.nodump)
    if args.frames < MIN_FRAMES:
        print(f"calibrate-neutral: --frames must be at least {MIN_FRAMES}", file=sys.stderr)
        return 2
    camera_cfg = config.camera
    if args.source:
        camera_cfg = dataclasses.replace(
            camera_cfg, type="replay", replay_path=args.source, replay_loop=False
        )
    live = not args.source
    spacing = args.spacing if args.spacing is not None else (SPACING_S if live else 0.0)
    countdown = args.countdown if args.countdown is not None else (COUNTDOWN_S if live else 0)
    try:
        classifier = make_classifier(config.classifier)
        pipeline = VisionPipeline(make_detector(config.detector), classifier, config)
        source = make_camera(camera_cfg, clock=clock)
    except CameraError as exc:
        hint = "" if args.source else "; or give --source (an image folder or a video of the listener)"
        print(f"calibrate-neutral: {exc}{hint}; `{command('doctor')}` says what to fix", file=sys.stderr)
        return 2
    except (ModelError, OSError) as exc:
        print(f"calibrate-neutral: {exc}", file=sys.stderr)
        return 2
    # with --json the words go to stderr, so that stdout holds only the result
    talk: TextIO = sys.stderr if args.json else sys.stdout
    print(f"Look at the speaker with a relaxed, neutral face ({args.frames} frames)...", file=talk)
    for left in range(countdown, 0, -1):
        print(f"{left}...", file=talk, flush=True)
        sleep(1.0)
    try:
        got = capture(
            source,
            pipeline,
            classifier.classes,
            frames=args.frames,
            seconds=args.max_seconds,
            spacing_s=max(spacing, 0.0),
            clock=clock,
            sleep=sleep,
        )
    finally:
        source.close()
    if len(got.probs) < MIN_FRAMES:
        name = args.source or str(getattr(source, "name", "") or "the camera")
        print(_too_few(got, args, name), file=sys.stderr)
        return 1
    probs = np.asarray(got.probs)
    before = probs.mean(axis=0)
    doubt = _not_at_rest(got, classifier.classes, [float(v) for v in before])
    if doubt and not args.force:
        print(f"calibrate-neutral: {doubt}; --force saves it anyway; nothing saved", file=sys.stderr)
        return 1
    cal = NeutralCalibration.fit(probs, classifier.classes)
    path = args.out or calibration_file(config.device.data_dir, args.profile)
    # sudo: a file in the data folder stays the service user's (it is deleted with the profile); 0600:
    # it is a listener's resting face, read by nobody else (as the state file and profiles)
    with contextlib.nullcontext() if args.out else as_owner_of(data_dir(config)):
        atomic_write_text(path, cal.to_json() + "\n", mode=0o600)
    after = cal.apply(probs).mean(axis=0)
    result: dict[str, Any] = {
        "path": str(path),
        "profile": args.profile,
        "frames": len(got.probs),
        "frames_read": got.read,
        "bias": dict(zip(cal.classes, cal.bias, strict=True)),
        "resting_before": {c: round(float(v), 4) for c, v in zip(cal.classes, before, strict=True)},
        "resting_after": {c: round(float(v), 4) for c, v in zip(cal.classes, after, strict=True)},
    }
    if doubt:
        result["forced"] = doubt
    if args.json:
        print(json.dumps(result))
    else:
        if doubt:
            print(f"saved although {doubt.split('. ')[0]} (--force)")
        top_before = cal.classes[int(before.argmax())]
        top_after = cal.classes[int(after.argmax())]
        print(f"{len(got.probs)} frames with a face; resting face read as {top_before} -> {top_after}")
        print(f"saved {path}")
    return 0
