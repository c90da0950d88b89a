"""Helpers for appliance tests: real tone tracks, a real recommender, and a scripted vision stage.

The vision stage here replays classifier outputs from a script (which expression at which moment),
so these tests pin down the appliance's reactions exactly; the real camera -> detector -> classifier
path is exercised by tests/e2e.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from moodspeaker.config import Config, with_changes
from moodspeaker.config.schema import MoodConfig
from moodspeaker.library.track import Track
from moodspeaker.mood.filter import MoodFilter
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, EventBus
from moodspeaker.service.health import Health
from moodspeaker.service.inference import FrameSource, InferenceStage, Pipeline
from moodspeaker.service.watchdog import Heartbeat, Watchdog
from moodspeaker.vision.pipeline import Observation as Obs  # what the real vision stage returns

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # child processes import this kit with only tests/service on their path
    sys.path.append(str(TESTS))

from polling import until  # noqa: E402
from tonetracks import tone_tracks  # noqa: E402

# (id, valence, arousal, frequency): two clearly happy tracks, two clearly sad ones, one calm
TRACKS = [
    ("happy1", 0.8, 0.6, 523.0),
    ("happy2", 0.7, 0.7, 587.0),
    ("sad1", -0.7, -0.5, 220.0),
    ("sad2", -0.8, -0.4, 247.0),
    ("calm", 0.3, -0.6, 330.0),
]


def make_tracks(
    folder: Path, seconds: float = 20.0, tracks: Sequence[tuple[str, float, float, float]] = TRACKS
) -> list[Track]:
    """The five TRACKS (or `tracks`, as they are) as `seconds`-long tone files in `folder`."""
    songs = [(tid, tid, f"artist-{tid}", v, a, f) for tid, v, a, f in tracks]
    return tone_tracks(folder, songs, duration_s=seconds, amplitude=0.2)


#: the expression classifier's classes, in its order
CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def one_hot(mood: str, p: float = 0.9) -> dict[str, float]:
    rest = (1 - p) / (len(CLASSES) - 1)
    return {c: p if c == mood else rest for c in CLASSES}


class Frames:
    """A frame source that delivers a black frame on every read."""

    def read(self) -> np.ndarray | None:
        return np.zeros((48, 64, 3), np.uint8)

    def close(self) -> None:
        pass


class Script:
    """What the 'camera' shows now; tests change it while the appliance runs."""

    def __init__(self, mood: str | None = None) -> None:
        self.mood = mood
        self.reads = 0
        self.open_sources = 0
        self.hang = threading.Event()  # set: the next step hangs until released
        self.stuck = threading.Event()  # set: every step hangs until released (a wedged accelerator)
        self.release = threading.Event()


class ScriptSource:
    """A frame source that keeps the real sources' contract (vision.sources): close() may come from
    another thread (the privacy switch) and waits for a read in progress, and a closed source captures
    nothing (None).  So `script.reads` counts the frames captured, and none is counted after close()."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self._lock = threading.Lock()
        self._closed = False
        script.open_sources += 1

    def read(self) -> np.ndarray | None:
        with self._lock:
            if self._closed:
                return None
            self.script.reads += 1
            return np.zeros((48, 64, 3), np.uint8)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self.script.open_sources -= 1


class ScriptPipeline:
    def __init__(self, script: Script) -> None:
        self.script = script

    def step(self, frame: np.ndarray, now: float) -> Obs:
        mood = self.script.mood  # what the frame shows: who was in front of the camera as it was taken
        if self.script.hang.is_set():
            self.script.hang.clear()
            self.script.release.wait(30)
        if self.script.stuck.is_set():
            self.script.release.wait(60)
        return Obs(mood is not None, one_hot(mood) if mood else None, timings={"classify": 0.004})


def config(data: Path, **changes: object) -> Config:
    base = {
        "device.data_dir": str(data),
        "camera.interval_s": 0.1,
        # Ten times faster than the defaults (1 s frames, 2 s half-life, 1.5 s dwell) and in the same
        # proportions: with a 2 s half-life over 0.1 s frames the reported valence/arousal would lag the
        # announced mood by however long the old mood lasted (which depends on machine load), and a flip
        # could plan music for the old mood and switch nothing.
        "mood.half_life_s": 0.1,
        "mood.min_dwell_s": 0.3,
        "player.crossfade_s": 0.0,
        "player.switch_fade_s": 0.3,
        "recommend.strategy": "match",
        "recommend.queue_length": 3,
        "classifier.stuck_timeout_s": 0.5,
        # the test songs last seconds (a household's minutes): the service's scan indexes them all
        "library.min_track_s": 0.0,
    }
    base.update({k: v for k, v in changes.items()})
    return with_changes(Config(), base)


def build(
    tmp_path: Path, script: Script, *, track_s: float = 20.0, **changes: object
) -> tuple[Appliance, EventBus]:
    return build_on(make_tracks(tmp_path, track_s), tmp_path, script, **changes)


def build_on(
    tracks: list[Track], tmp_path: Path, script: Script, **changes: object
) -> tuple[Appliance, EventBus]:
    """An appliance (not started) on `script`'s camera and the library `tracks` (`make_tracks`)."""
    cfg = config(tmp_path / "data", **changes)
    bus = EventBus()
    rec = Recommender.from_config(cfg, Catalogue(tracks))
    parts = Parts(
        make_source=lambda: ScriptSource(script),
        make_pipeline=lambda: ScriptPipeline(script),
        recommender=rec,
    )
    return Appliance(cfg, bus, parts, tmp_path / "data"), bus


def camera_appliance(tmp_path: Path, make_source: Callable[[], FrameSource], **changes: object) -> Appliance:
    """An appliance (not started) reading frames from `make_source`'s cameras, whose vision sees a happy
    face in every frame it gets; `changes` are settings (dotted keys), as for `build`."""
    script = Script("happy")
    cfg = config(tmp_path / "data", **changes)
    parts = Parts(
        make_source=make_source,
        make_pipeline=lambda: ScriptPipeline(script),
        recommender=Recommender.from_config(cfg, Catalogue(make_tracks(tmp_path))),
    )
    return Appliance(cfg, EventBus(), parts, tmp_path / "data")


@contextmanager
def running(
    tmp_path: Path, script: Script, **changes: Any
) -> Iterator[tuple[Appliance, ControlAPI, list[Event]]]:
    """A started appliance (stopped on the way out), its command API and every event it publishes;
    `changes` are settings (dotted keys), as for `build`."""
    with started(*build(tmp_path, script, **changes)) as running_app:
        yield running_app


@contextmanager
def started(app: Appliance, bus: EventBus) -> Iterator[tuple[Appliance, ControlAPI, list[Event]]]:
    """`app` (`build`, `build_on`) started, as `running` gives it."""
    events: list[Event] = []
    bus.subscribe(events.append)
    app.start()
    try:
        yield app, ControlAPI(app, bus), events
    finally:
        app.stop()


@contextmanager
def power_cut(app: Appliance) -> Iterator[None]:
    """A power cut of the started `app` for the block (which starts the service again on its data
    folder): its threads stop and nothing is shut down cleanly (no save at the end, the housekeeping
    ended before the block so it saves nothing more, feedback left unwritten), so only what is on disk
    survives.  On the way out its feedback writer ends too: left waiting for work, it kept the whole
    appliance (player, recommender, decoded audio) for the rest of the session (tests/threadguard.py)."""
    app._stop.set()
    app.watchdog.stop()
    app.stage.stop()
    app.player.close()
    app.retention.stop()
    for thread in app._threads:
        if thread.name != "feedback":
            thread.join(30)
    try:
        yield
    finally:
        app._feedback.put(None)
        for thread in app._threads:
            thread.join(30)
        app._unsubscribe()


def wait_for(pred: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll until `pred()` holds (tests/polling.until); the timeout is generous because CI machines
    are busy."""
    until(pred, timeout, what)


def failing_stage(
    make_pipeline: Callable[[], Pipeline],
) -> tuple[InferenceStage, Health, Heartbeat, Watchdog]:
    """The real InferenceStage over `make_pipeline` (whose build or step fails, in the tests that use
    it) with its own Health and Heartbeat, not started, and a Watchdog on it with a 0.5 s timeout whose
    thread is never started (the test ticks it).  The stage's interval is a minute, far longer than
    the watchdog's timeout: after the failure the stage idles until the retry."""
    health, heartbeat = Health(), Heartbeat()
    stage = InferenceStage(
        Frames,
        make_pipeline,
        MoodFilter(MoodConfig(), CLASSES),
        interval_s=60.0,
        on_result=lambda *_: None,
        health=health,
        heartbeat=heartbeat,
    )
    return stage, health, heartbeat, Watchdog(heartbeat, stage.restart, timeout_s=0.5)


class HeldPlayer:
    """Holds the appliance's player thread inside a posted command until `release()`."""

    def __init__(self, app: Appliance) -> None:
        self._holding, self._release = threading.Event(), threading.Event()

        def hold() -> None:
            self._holding.set()
            self._release.wait(60)

        app.player._post(hold)
        wait_for(self._holding.is_set, what="the player thread to be held")

    def release(self) -> None:
        self._release.set()
