"""The real service behind the page: `Appliance` with the real player (dummy audio driver), the
real recommender on SQLite, and short real audio files.  Only the camera and the classifier are
replaced, by a script of which expression the 'camera' sees (Pi-only hardware sits behind them).

With `music=<folder>` the library is the real one instead: the library index on SQLite over that
folder and rescans by the real indexer and one analysis worker (set NUMBA_CACHE_DIR to
testcache.numba_cache() first, or each test compiles librosa's kernels anew).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pytest
from browserkit import PHONE, claim, watched_phone
from webkit import AppPage

from moodspeaker.config import Config, save, with_changes
from moodspeaker.library.track import Track
from moodspeaker.mood.classes import EXPRESSIONS
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service import mood_history
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.components import open_library
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from moodspeaker.vision.pipeline import Observation
from moodspeaker_web import history as history_module
from moodspeaker_web.app import create_app
from moodspeaker_web.server import WebServer, serve
from polling import until
from tonetracks import tone_tracks, write_tone

if TYPE_CHECKING:  # Playwright is optional at run time (the browser tests skip without it)
    from playwright.sync_api import Browser, Page, ViewportSize

#: (id, title, artist, valence, arousal, tone in Hz)
SONGS = [
    ("sunny", "Sunny Morning", "The Brights", 0.8, 0.6, 523.0),
    ("dance", "Dance All Night", "The Brights", 0.7, 0.8, 587.0),
    ("rain", "Rain on Glass", "Grey Quartet", -0.7, -0.5, 220.0),
    ("dusk", "Dusk", "Grey Quartet", -0.6, -0.6, 247.0),
    ("tea", "Slow Tea", "Calm Folk", 0.3, -0.6, 330.0),
    ("lake", "Still Lake", "Calm Folk", 0.2, -0.7, 294.0),
]


def make_tracks(folder: Path, seconds: float = 30.0) -> list[Track]:
    """The SONGS as 2-second tone files in `folder` whose Tracks say they last `seconds`."""
    return tone_tracks(folder, SONGS, duration_s=seconds, file_s=2.0, amplitude=0.1)


class Camera:
    """What the scripted camera shows: a face of `mood` (0.9 on it), or with `probs` set a face the
    classifier reads as those class probabilities; `reads` counts captures and `open_sources` the
    sources not yet closed (to see the privacy switch act)."""

    def __init__(self, mood: str | None = "happy") -> None:
        self.mood = mood
        self.probs: dict[str, float] | None = None
        self.reads = 0
        self.open_sources = 0
        self.lock = threading.Lock()


class ScriptSource:
    """A frame source that keeps the real sources' contract (vision.sources): close() may come from
    another thread (the privacy switch) and waits for a read in progress, and a closed source captures
    nothing (None).  So `camera.reads` counts the frames captured, and none is counted after close():
    a capture that took the source before the switch and reads it after does not count as a read."""

    def __init__(self, camera: Camera) -> None:
        self.camera = camera
        self._closed = False
        with camera.lock:
            camera.open_sources += 1

    def read(self) -> np.ndarray | None:
        with self.camera.lock:
            if self._closed:
                return None
            self.camera.reads += 1
            return np.zeros((48, 64, 3), np.uint8)

    def close(self) -> None:
        with self.camera.lock:
            if not self._closed:
                self._closed = True
                self.camera.open_sources -= 1


class ScriptPipeline:
    def __init__(self, camera: Camera) -> None:
        self.camera = camera

    def step(self, frame: np.ndarray, now: float) -> Observation:
        mood, probs = self.camera.mood, self.camera.probs
        if probs is not None:
            return Observation(
                True, dict(probs), (4, 4, 30, 30), timings={"detect": 0.003, "classify": 0.004}
            )
        if mood is None:
            return Observation(False, None, timings={"detect": 0.002})
        probs = {c: (0.9 if c == mood else 0.1 / (len(EXPRESSIONS) - 1)) for c in EXPRESSIONS}
        return Observation(True, probs, (4, 4, 30, 30), timings={"detect": 0.003, "classify": 0.004})


@dataclass
class RealService:
    appliance: Appliance
    control: ControlAPI
    bus: EventBus
    camera: Camera
    config: Config
    config_path: Path
    data_dir: Path

    def page_settings(self) -> dict[str, Any]:
        """What the page app (create_app, serve) is given besides the control and the bus."""
        return {"config": self.config, "config_path": self.config_path, "data_dir": self.data_dir}

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> None:
        """Generous by default: the whole service runs on a loaded CI machine (tests/polling.until)."""
        until(predicate, timeout, what, detail=lambda: f"state: {self.appliance.state()}")

    def rescan(self) -> None:
        """A rescan asked for through the command API, waited for until it has finished."""
        self.control.execute("rescan")
        self.wait_for(
            lambda: (s := self.control.state()["scan"]) and s["running"] is False, 240, "the rescan"
        )


def start_service(
    tmp_path: Path,
    *,
    music: Path | None = None,
    make_source: Callable[[], Any] | None = None,
    make_pipeline: Callable[[], Any] | None = None,
    **changes: Any,
) -> RealService:
    """`make_source`: the frame source instead of the scripted camera's (e.g. the demo's FaceReplay);
    `make_pipeline`: the vision pipeline instead of the script's (e.g. one that hangs, for the
    watchdog)."""
    data_dir = tmp_path / "data"
    if music is not None:
        # the test songs last seconds, under library.min_track_s's default: indexed all the same
        changes = {"library.folders": [str(music)], "library.workers": 1, "library.min_track_s": 0, **changes}
    config = with_changes(
        Config(),
        {
            "device.data_dir": str(data_dir),
            "device.name": "Kitchen",
            "camera.interval_s": 0.2,
            "mood.min_dwell_s": 0.2,
            "player.crossfade_s": 0.0,
            "recommend.strategy": "match",
            "recommend.queue_length": 3,
            "recommend.profiles": ["default", "Sam"],
            **changes,
        },
    )
    config_path = tmp_path / "config.toml"
    save(config, config_path)
    bus = EventBus()
    camera = Camera()
    if music is None:
        source, rescan = Catalogue(make_tracks(tmp_path / "music")), None
    else:
        source, rescan = open_library(config)
    recommender = Recommender.from_config(config, source)
    recommender.create_profile("Sam", time.time())
    parts = Parts(
        make_source=make_source or (lambda: ScriptSource(camera)),
        make_pipeline=make_pipeline or (lambda: ScriptPipeline(camera)),
        recommender=recommender,
        rescan=rescan,
        states={
            "tpu": (ComponentState.OFF, "classifier.type = cpu"),
            "library": (ComponentState.OK, f"{len(source.tracks())} tracks"),
        },
    )
    appliance = Appliance(config, bus, parts, data_dir)
    appliance.start()
    return RealService(appliance, ControlAPI(appliance, bus), bus, camera, config, config_path, data_dir)


@contextmanager
def served(
    tmp_path: Path,
    *,
    music: Path | None = None,
    live: bool = False,
    make_source: Callable[[], Any] | None = None,
    make_pipeline: Callable[[], Any] | None = None,
    **changes: Any,
) -> Iterator[tuple[RealService, WebServer]]:
    """The real service (settings `changes`, library `music` as in start_service) with the page served
    on a free loopback port, for a real browser; both stopped when the test is done.  With `live`, a
    saved config is handed to the running service as `moodspeaker run` does (Appliance.apply_config)."""
    service = start_service(
        tmp_path, music=music, make_source=make_source, make_pipeline=make_pipeline, **changes
    )
    try:  # the service is stopped whatever fails after it started: one left running in the process
        # (its player on pygame's mixer) crashed a later test's service (a segfault in a CI run)
        server = serve_page(service, live=live)
        try:
            yield service, server
        finally:
            server.stop()
    finally:
        service.appliance.stop()


class OwnerPhone(NamedTuple):
    service: RealService
    server: WebServer
    page: Page
    problems: list[str]  # what the browser reported as wrong (browserkit.watch)


@contextmanager
def owner_phone(
    tmp_path: Path,
    browser: Browser,
    *,
    mood: str | None = None,
    path: str | None = "",
    clock: bool = False,
    viewport: ViewportSize = PHONE,
    **changes: Any,
) -> Iterator[OwnerPhone]:
    """`served` (the real service with settings `changes`) and a watched phone in `browser` (browserkit)
    on which the owner claimed the new speaker; with `mood`, the scripted camera shows a face of that
    mood, and the service has read it, before the claim; then the phone opens `server.url + path` (None:
    it stays on Settings, where the claim lands).  The phone's screen is `viewport`; with `clock`, the
    page's timers run on Playwright's fake clock (browserkit.watched_phone).  All closed when the test
    is done."""
    with (
        served(tmp_path, **changes) as (service, server),
        watched_phone(browser, viewport, clock=clock) as (page, problems),
    ):
        if mood is not None:
            service.camera.mood = mood
            service.wait_for(lambda: service.appliance.state()["mood"] == mood, what=f"the {mood} face read")
        claim(page, server.url, service.data_dir)
        if path is not None:
            page.goto(server.url + path)
        yield OwnerPhone(service, server, page, problems)


@contextmanager
def setup_phone(
    tmp_path: Path, browser: Browser, *, viewport: ViewportSize = PHONE, **changes: Any
) -> Iterator[OwnerPhone]:
    """`served` and a watched phone as in owner_phone, the speaker not claimed yet: the phone opened its
    page and was sent to /setup, where a new speaker sends every visitor."""
    with (
        served(tmp_path, **changes) as (service, server),
        watched_phone(browser, viewport) as (page, problems),
    ):
        page.goto(server.url)
        page.wait_for_url("**/setup")
        yield OwnerPhone(service, server, page, problems)


def serve_page(service: RealService, *, port: int = 0, live: bool = False) -> WebServer:
    """`service`'s page served on loopback `port` (0: a free one), not advertised; with `live`, a saved
    config is handed to the running service (as in served).  A test that stopped served's server
    serves the page again on its port with this, as the speaker does when it comes back."""
    return serve(
        service.control,
        service.bus,
        **service.page_settings(),
        on_config_change=service.appliance.apply_config if live else None,
        host="127.0.0.1",
        port=port,
        advertise=False,
    )


@contextmanager
def owned_page(tmp_path: Path, **changes: Any) -> Iterator[tuple[RealService, AppPage]]:
    """The real service (settings `changes`, as in start_service) with the page app in front of it
    (Flask's test client, no browser), after first boot and logged in as the owner; both closed when
    the test is done."""
    with _owned(tmp_path, lambda _service: None, changes) as both:
        yield both


@contextmanager
def owned_live_page(tmp_path: Path, **changes: Any) -> Iterator[tuple[RealService, AppPage]]:
    """owned_page, with a saved config handed to the running service as `moodspeaker run` does
    (Appliance.apply_config, which names what waits for a restart)."""
    with _owned(tmp_path, lambda _service: None, changes, live=True) as both:
        yield both


@contextmanager
def owned_page_after(
    tmp_path: Path, before_page: Callable[[RealService], None], **changes: Any
) -> Iterator[tuple[RealService, AppPage]]:
    """owned_page, with `before_page` called on the started service before the page app is made."""
    with _owned(tmp_path, before_page, changes) as both:
        yield both


@contextmanager
def _owned(
    tmp_path: Path, before_page: Callable[[RealService], None], changes: dict[str, Any], *, live: bool = False
) -> Iterator[tuple[RealService, AppPage]]:
    service = start_service(tmp_path, **changes)
    try:  # as in served: the service is stopped also when the page app fails to start
        before_page(service)
        app = create_app(
            service.control,
            service.bus,
            **service.page_settings(),
            on_config_change=service.appliance.apply_config if live else None,
        )
        try:
            page = AppPage(app, app.test_client(), service.bus, service.data_dir, service.config_path, [])
            page.setup_owner()
            yield service, page
        finally:
            app.extensions["moodspeaker"].close()
    finally:
        service.appliance.stop()


def no_busy_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mood history file opened from now on (the page's MoodHistory, the service's clear) gives up
    on a busy lock at once (BUSY_TIMEOUT_S 0)."""
    monkeypatch.setattr(history_module, "BUSY_TIMEOUT_S", 0.0)
    monkeypatch.setattr(mood_history, "BUSY_TIMEOUT_S", 0.0)


@contextmanager
def quick_history_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[RealService, AppPage]]:
    """owned_page, with no_busy_wait set once the service's retention run at start has ended and
    before the page opens the mood history file: that run opens the file too, and under CI load the
    page's opening of it met the run's lock (the page app failed to start)."""

    def settled(service: RealService) -> None:
        service.wait_for(lambda: service.appliance.retention.runs >= 1, what="the retention run at start")
        no_busy_wait(monkeypatch)

    with owned_page_after(tmp_path, settled) as both:
        yield both


def failing_library(tmp_path: Path) -> Path:
    """tmp_path/library with one song (song.ogg, a real 3 s tone), garbage.mp3 (random bytes, not audio
    at all: fails to decode) and pipe.mp3 (a FIFO, not a regular file: not readable)."""
    music = tmp_path / "library"
    music.mkdir()
    write_tone(music / "song.ogg", 330.0, 3.0, 0.2)
    (music / "garbage.mp3").write_bytes(os.urandom(4096))
    os.mkfifo(music / "pipe.mp3")
    return music
