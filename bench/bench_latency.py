"""Mood flip -> new track audible: median and p95 over scripted flips (goal <= 1 s).

The appliance runs in-process with its real parts except the camera and model: the "classifier"
replays SCRIPTED probabilities (the listener turns from happy to sad and back, each face held at least
`--hold` seconds and on until the new track it led to was heard), so every flip is a real, clear mood
change whose timing is known.  Measured per flip:
- decision -> audible: from the filter announcing the new mood to the first chunk of the new pick
  being handed to the mixer (TrackStarted; SDL's dummy driver, 1024-frame buffer = +23 ms on a card);
- face -> audible: from the moment the scripted face changed, i.e. plus the filter's detection time
  (it waits for evidence and `mood.min_dwell_s` by design, so a yawn never changes the music).
Library: 2,000 tracks (random features, every file one of the demo clips), real recommender.

Run:  .venv/bin/python bench/bench_latency.py [--flips 12] [--hold 6] [--interval 1.0]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from moodspeaker.config import Config, with_changes
from moodspeaker.demo.clips import STYLES, write_clip
from moodspeaker.library.track import Track
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.events import EventBus

CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


@dataclasses.dataclass
class Obs:
    face: bool
    probs: dict[str, float] | None
    timings: dict[str, float] = dataclasses.field(default_factory=dict)


class Listener:
    """The scripted face: which expression is shown, and when it last changed."""

    def __init__(self) -> None:
        self.mood = "happy"
        self.changed_at = time.monotonic()
        self.rng = np.random.default_rng(0)

    def probs(self) -> dict[str, float]:
        p = self.rng.dirichlet(np.ones(len(CLASSES))) * 0.3
        p[CLASSES.index(self.mood)] += 0.7
        return dict(zip(CLASSES, (float(x) for x in p / p.sum()), strict=True))


class Source:
    def read(self) -> np.ndarray:
        return np.zeros((120, 160, 3), np.uint8)

    def close(self) -> None:
        pass


class Pipeline:
    def __init__(self, listener: Listener) -> None:
        self.listener = listener

    def step(self, frame: np.ndarray, now: float) -> Obs:
        return Obs(True, self.listener.probs())


def catalogue(folder: Path, n: int) -> Catalogue:
    clips = [write_clip(style, folder, seconds=60.0) for style in STYLES]
    rng = random.Random(1)
    tracks = []
    for i in range(n):
        a, v = rng.uniform(-1, 1), rng.uniform(-1, 1)
        tracks.append(
            Track(
                id=f"t{i}",
                location=str(clips[i % len(clips)]),
                title=f"Track {i}",
                artist=f"Artist {i % 300}",
                duration_s=60.0,
                valence=v,
                arousal=a,
                energy=(a + 1) / 2,
                tempo=90 + 40 * a,
                mode=int(v > 0),
            )
        )
    return Catalogue(tracks)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flips", type=int, default=12)
    parser.add_argument("--hold", type=float, default=6.0, help="seconds each expression is held at least")
    parser.add_argument(
        "--max-hold", type=float, default=90.0, help="seconds an expression is held at most for its reaction"
    )
    parser.add_argument("--interval", type=float, default=1.0, help="capture interval")
    parser.add_argument("--tracks", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        work = Path(tmp)
        cfg = with_changes(
            Config(),
            {
                "device.data_dir": str(work / "data"),
                "camera.interval_s": args.interval,
                "recommend.strategy": "match",
                "player.crossfade_s": 3.0,
            },
        )
        listener = Listener()
        bus = EventBus()
        rec = Recommender.from_config(cfg, catalogue(work / "clips", args.tracks))
        parts = Parts(make_source=Source, make_pipeline=lambda: Pipeline(listener), recommender=rec)
        app = Appliance(cfg, bus, parts, work / "data")
        face_changes: list[float] = []

        def heard_since(at: float) -> bool:
            """A track was heard that the appliance started at or after `at`: the autoplay (at 0) or the
            first pick of a flip after the face changed at `at`."""
            starts = list(app.started_tracks)
            if at == 0.0:
                return bool(starts)
            flips = [(t, first) for t, first in list(app.conductor.flips) if t >= at]
            return any(tid == first and t >= flip_at for flip_at, first in flips for t, tid in starts)

        def hold(changed_at: float) -> None:
            """Keep the face for --hold s, and on until its reaction was heard (at most --max-hold s):
            a fixed hold, on a loaded machine, could end before the filter's detection time
            (evidence + min_dwell_s, ~3 s) and lose the flip."""
            time.sleep(args.hold)
            give_up = time.monotonic() + args.max_hold - args.hold
            while not heard_since(changed_at) and time.monotonic() < give_up:
                time.sleep(0.05)

        app.start()
        hold(0.0)  # the autoplay on the first face is no flip: heard before the first change
        for i in range(args.flips):
            listener.mood = "sad" if i % 2 == 0 else "happy"
            listener.changed_at = time.monotonic()
            face_changes.append(listener.changed_at)
            hold(listener.changed_at)
        app.stop()
    decision, face = [], []
    for flip_at, first in app.conductor.flips:
        heard = [t for t, tid in app.started_tracks if tid == first and t >= flip_at]
        before = [c for c in face_changes if c <= flip_at]
        # The autoplay at start is no mood flip: only reactions to a scripted face change count.
        if not heard or not before:
            continue
        decision.append(heard[0] - flip_at)
        face.append(heard[0] - before[-1])
    reacted = len(app.conductor.flips)
    print(f"{args.tracks} tracks, capture every {args.interval} s, {len(face_changes)} face changes, "
          f"{reacted} reactions (autoplay + flips that clashed)")  # fmt: skip
    if not decision:
        print(f"no face change led to a new track: each was held {args.hold}-{args.max_hold} s; the filter "
              f"needs its evidence + min_dwell_s = {cfg.mood.min_dwell_s} s")  # fmt: skip
        return 1
    ms = [d * 1000 for d in decision]
    print(f"decision -> audible: median {statistics.median(ms):6.0f} ms, "
          f"p95 {pct(ms, 0.95):6.0f} ms, max {max(ms):6.0f} ms  (goal <= 1000 ms)")  # fmt: skip
    print(f"face -> audible:     median {statistics.median(face) * 1000:6.0f} ms, "
          f"p95 {pct(face, 0.95) * 1000:6.0f} ms  (includes the filter's evidence + "
          f"min_dwell_s = {cfg.mood.min_dwell_s} s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
