"""Per-frame cost of the vision path on this machine, one thread: capture/decode, detect, crop, classify,
smooth, each and in total (median and p95).

Frames: 640 x 480 JPEGs (the default capture size) synthesised from scikit-image's public-domain
astronaut portrait: scenes of 30 frames in which the head sits at a random place and size (face 50-200
px wide) and jitters a little, with light changes; the last 3 frames of each scene have nobody in
view.  They are written once to a temporary folder and read back through the real ReplaySource
(read + JPEG decode = "capture"), so the figures include decoding as a camera frame would need.
Model: the shipped expression model when models/edgetpu/expression.json exists, else a PLACEHOLDER
model of the same input size built with TensorFlow (said in the output).

Run:  .venv/bin/python bench/bench_frame_pipeline.py [--frames 600] [--detector blazeface|haar] [--json]
The machine is shared (load average printed); no figure here is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from moodspeaker.config.schema import ClassifierConfig, DetectorConfig, MoodConfig
from moodspeaker.mood.filter import MoodFilter
from moodspeaker.vision.expression import default_model_json, make_classifier
from moodspeaker.vision.faces import crop_face, largest_face, make_detector
from moodspeaker.vision.sources import ReplaySource

ASTRONAUT_FACE = (178, 81, 94, 94)
GOAL_MS = 15.0


def make_frames(folder: Path, n: int, seed: int = 0) -> None:
    """Scenes of 30 frames: a listener sits at one place (face 50-200 px wide, i.e. about 0.7-3 m from
    a 640 x 480 camera) and moves a little from frame to frame; the last 3 frames of a scene are empty."""
    from skimage import data  # noqa: PLC0415 (dev extra, only for the bench's input)

    rgb: npt.NDArray[np.uint8] = data.astronaut()  # type: ignore[no-untyped-call]  # skimage.data is unannotated
    astronaut = np.ascontiguousarray(rgb[:, :, ::-1])
    x, y, w, h = ASTRONAUT_FACE
    head = astronaut[y - 40 : y + h + 40, x - 40 : x + w + 40]
    rng = np.random.default_rng(seed)
    face_px, ox, oy = 0, 0, 0
    background: npt.NDArray[np.int64] = np.zeros(3, np.int64)
    for i in range(n):
        if i % 30 == 0:
            face_px = int(rng.integers(50, 200))
            side = face_px * head.shape[0] // w
            ox, oy = int(rng.integers(0, 640 - side)), int(rng.integers(0, 480 - side))
            background = rng.integers(40, 200, 3)
        frame = np.empty((480, 640, 3), np.uint8)
        frame[:] = background
        if i % 30 < 27:
            side = face_px * head.shape[0] // w
            scaled = cv2.resize(head, (side, side), interpolation=cv2.INTER_AREA)
            scaled = np.clip(scaled.astype(np.float32) * rng.uniform(0.8, 1.15), 0, 255).astype(np.uint8)
            jx = int(np.clip(ox + rng.integers(-8, 9), 0, 640 - side))
            jy = int(np.clip(oy + rng.integers(-8, 9), 0, 480 - side))
            frame[jy : jy + side, jx : jx + side] = scaled
        ok, jpg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
        assert ok
        (folder / f"{i:05d}.jpg").write_bytes(jpg.tobytes())


def classifier_json(tmp: Path) -> tuple[Path, str]:
    shipped = default_model_json()
    if shipped.is_file():
        return shipped, "shipped model"
    from _common import placeholder_model  # noqa: PLC0415 (TensorFlow only when needed)

    return placeholder_model(tmp / "placeholder"), "PLACEHOLDER model (no shipped model yet)"


def stats(values: list[float]) -> tuple[float, float]:
    ms = sorted(v * 1000.0 for v in values)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def as_json(
    *,
    detector: str,
    model_kind: str,
    model_name: str,
    times: dict[str, list[float]],
    totals_face: list[float],
    totals_noface: list[float],
    detect_noface: list[float],
) -> dict[str, object]:
    """The same figures as the text report, in milliseconds (median, p95), for bench/report.py."""

    def both(values: list[float]) -> dict[str, float] | None:
        if not values:
            return None
        med, p95 = stats(values)
        return {"median_ms": med, "p95_ms": p95, "count": len(values)}

    return {
        "detector": detector,
        "model": f"{model_kind} ({model_name})",
        "stages": {key: both(values) for key, values in times.items()},
        "total_face": both(totals_face),
        "total_noface": both(totals_noface),
        "detect_noface": both(detect_noface),
        "goal_ms": GOAL_MS,
        "seeds_ms_per_image": 162.0,
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--detector", choices=["blazeface", "haar"], default="blazeface")
    parser.add_argument("--json", action="store_true", help="print one JSON object (for bench/report.py)")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory(prefix="moodspeaker-bench-") as tmpdir:
        tmp = Path(tmpdir)
        frames_dir = tmp / "frames"
        frames_dir.mkdir()
        make_frames(frames_dir, args.frames)
        model_json, model_kind = classifier_json(tmp)
        # the appliance's own factory, so the stage runs as configured (e.g. the mirror pass)
        classifier = make_classifier(ClassifierConfig(model=str(model_json), threads=1))
        info = classifier.info
        detector = make_detector(DetectorConfig(type=args.detector), threads=1)
        mood = MoodFilter(MoodConfig(), classifier.classes)
        # the margin the model's training crops had around this detector's boxes (Haar's: none), for
        # the detector that runs (a BlazeFace model that cannot be loaded falls back to Haar)
        margin = info.margin_for(getattr(detector, "kind", args.detector))
        source = ReplaySource(frames_dir)
        times: dict[str, list[float]] = {k: [] for k in ("capture", "detect", "crop", "classify", "smooth")}
        totals_face: list[float] = []
        totals_noface: list[float] = []
        detect_noface: list[float] = []
        clock = time.perf_counter
        # warm-up: first invocations allocate
        first = next(frames_dir.iterdir())
        decoded = cv2.imdecode(np.fromfile(str(first), np.uint8), cv2.IMREAD_COLOR)
        if decoded is None:
            raise SystemExit(f"cannot decode {first}, a frame this benchmark has just written")
        warm = np.asarray(decoded, dtype=np.uint8)
        for _ in range(5):
            detector.detect(warm)
            classifier.classify(np.zeros((48, 48), np.uint8))
        n = 0
        while True:
            t0 = clock()
            frame = source.read()
            t1 = clock()
            if frame is None:
                break
            faces = detector.detect(frame)
            t2 = clock()
            face = largest_face(faces)
            if face is None:
                del frame
                t5 = clock()
                mood.update(None, n * 1.0)
                t6 = clock()
                detect_noface.append(t2 - t1)
                totals_noface.append((t2 - t0) + (t6 - t5))
                n += 1
                continue
            crop = crop_face(frame, face, margin, info.width)
            del frame
            t3 = clock()
            probs = classifier.classify(crop)
            t4 = clock()
            mood.update(dict(zip(classifier.classes, probs.tolist(), strict=True)), n * 1.0)
            t5 = clock()
            for key, dt in (
                ("capture", t1 - t0),
                ("detect", t2 - t1),
                ("crop", t3 - t2),
                ("classify", t4 - t3),
                ("smooth", t5 - t4),
            ):
                times[key].append(dt)
            totals_face.append(t5 - t0)
            n += 1
    load = os.getloadavg()
    if args.json:
        print(
            json.dumps(
                as_json(
                    detector=args.detector,
                    model_kind=model_kind,
                    model_name=info.name,
                    times=times,
                    totals_face=totals_face,
                    totals_noface=totals_noface,
                    detect_noface=detect_noface,
                )
            )
        )
        return
    print(f"vision per-frame cost, one thread, {n} frames of 640x480 JPEG (synthesised from a public-domain")
    print(
        f"portrait, faces 50-200 px); detector {args.detector}; "
        f"classifier: {model_kind} ({info.name}, backend cpu)"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} (shared machine)")
    print(f"\nframes with a face ({len(totals_face)}):")
    print(f"{'stage':<22s} {'median ms':>10s} {'p95 ms':>10s}")
    for key, values in times.items():
        med, p95 = stats(values)
        label = "capture (read+decode)" if key == "capture" else key
        print(f"{label:<22s} {med:10.2f} {p95:10.2f}")
    med, p95 = stats(totals_face)
    print(f"{'total':<22s} {med:10.2f} {p95:10.2f}")
    print(
        f"goal total <= {GOAL_MS:g} ms: median {'met' if med <= GOAL_MS else 'NOT met'}; "
        f"speed-up over the seeds' 162 ms per image: {162.0 / med:.1f}x (median)"
    )
    if totals_noface:
        dmed, dp95 = stats(detect_noface)
        tmed, tp95 = stats(totals_noface)
        print(
            f"\nframes without a face ({len(totals_noface)}): "
            f"detect median {dmed:.2f} ms / p95 {dp95:.2f} ms "
            f"{'(includes the small-face tile search)' if args.detector == 'blazeface' else ''}, "
            f"total median {tmed:.2f} / p95 {tp95:.2f} ms"
        )


if __name__ == "__main__":
    main()
