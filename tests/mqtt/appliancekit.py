"""The real Appliance with a scripted vision stage for the MQTT tests: the player on SDL's dummy driver and
the recommender on SQLite over real tone tracks; only the camera and classifier are scripted (a test
sets what the camera shows through `Shown`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brokerkit import mqtt_config

from moodspeaker.config import Config, with_changes
from moodspeaker.service.events import EventBus

TONES = [("happy1", 0.8, 0.6, 523.0), ("happy2", 0.7, 0.7, 587.0), ("sad1", -0.7, -0.5, 220.0),
         ("sad2", -0.8, -0.4, 247.0), ("calm", 0.3, -0.6, 330.0)]  # fmt: skip
CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def tone_tracks(folder: Path, seconds: float = 20.0) -> list[Any]:
    """The TONES as real audio files (sine tones, tests/tonetracks.py) with known valence/arousal, as
    the library would describe them."""
    from tonetracks import tone_tracks as write_tones  # noqa: PLC0415 (soundfile only when needed)

    songs = [(tid, f"Tone {tid}", f"artist-{tid}", v, a, f) for tid, v, a, f in TONES]
    return write_tones(folder, songs, duration_s=seconds)


@dataclass
class Shown:
    """What the scripted camera shows now (a test changes `mood` while the appliance runs), and the
    classes the scripted classifier has: FER2013's seven, or e.g. FER+'s eight (with contempt) as the
    shipped model has.  `frames` False: a camera that gives no frame at all (a replay that ended);
    `replay` a number: each source (the camera switched on again opens a new one) gives that many
    frames and then none, as a replay without camera.replay_loop does."""

    mood: str | None = "neutral"
    classes: tuple[str, ...] = CLASSES
    frames: bool = True
    replay: int | None = None


@dataclass
class _Observation:
    face: bool
    probs: dict[str, float] | None
    box: tuple[int, int, int, int] | None = None
    timings: dict[str, float] = field(default_factory=dict)


class _Source:
    def __init__(self, shown: Shown) -> None:
        self.shown = shown
        self.left = shown.replay  # frames still to give (None: no end)

    def read(self) -> Any:
        import numpy as np  # noqa: PLC0415

        # None from a source without `state`: it has ended (the inference stage reads no more from it)
        if not self.shown.frames or self.left == 0:
            return None
        if self.left is not None:
            self.left -= 1
        return np.zeros((48, 64, 3), np.uint8)

    def close(self) -> None:
        pass


class _Pipeline:
    def __init__(self, shown: Shown) -> None:
        self.shown = shown

    def step(self, frame: Any, now: float) -> _Observation:
        mood = self.shown.mood
        if mood is None:
            return _Observation(False, None)
        classes = self.shown.classes
        probs = {c: 0.9 if c == mood else 0.1 / (len(classes) - 1) for c in classes}
        return _Observation(True, probs, timings={"classify": 0.004})


def build_appliance(tmp: Path, config: Config, shown: Shown) -> tuple[Any, EventBus]:
    """The real Appliance (player on SDL's dummy driver, recommender on SQLite) over tone tracks."""
    from moodspeaker.recommend.hybrid import Recommender  # noqa: PLC0415
    from moodspeaker.recommend.source import Catalogue  # noqa: PLC0415
    from moodspeaker.service.app import Appliance, Parts  # noqa: PLC0415

    data = tmp / "data"
    data.mkdir(exist_ok=True)
    bus = EventBus()
    recommender = Recommender.from_config(config, Catalogue(tone_tracks(tmp)), data / "recommend.sqlite")
    parts = Parts(
        make_source=lambda: _Source(shown), make_pipeline=lambda: _Pipeline(shown), recommender=recommender
    )
    return Appliance(config, bus, parts, data), bus


def appliance_config(tmp: Path, port: int, **extra: Any) -> Config:
    changes = {
        "device.data_dir": str(tmp / "data"),
        "camera.interval_s": 0.1,
        "mood.min_dwell_s": 0.2,
        "player.crossfade_s": 0.0,
        "recommend.strategy": "match",
        "recommend.queue_length": 3,
        "recommend.profiles": ["default", "alex"],
        "library.min_track_s": 0.0,  # a real rescan's test songs last seconds: indexed all the same
    }
    changes.update({k.replace("__", "."): v for k, v in extra.items()})
    return with_changes(mqtt_config(port), changes)
