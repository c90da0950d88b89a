"""Helpers for the page tests: a household speaker in memory, a settable clock, and a client wrapper.

`HomeSpeaker` is a small in-memory Speaker (and DataKeeper) used for the page's unit tests; the
tests against the real service live in test_real_service.py.  Given its data folder, its delete
everything clears the mood history file there as the service's does (service.mood_history.clear_file,
the page does not clear it itself).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from moodspeaker.config import Config, with_changes
from moodspeaker.config.schema import PlayerConfig
from moodspeaker.service import mood_history
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus, MoodObserved, StateChanged
from moodspeaker.util.net import zeroconf_interfaces
from moodspeaker_web import advertise
from moodspeaker_web.server import WebServer, serve
from moodspeaker_web.setup_code import read_setup_code

PASSWORD = "correct horse battery"
#: The playing track's reason, as the recommender writes it (recommend/explain.py): the mood with the
#: filter's confidence at pick time as the page writes a percentage, the sound, why this one.
REASON = "you look neutral (72% sure); calm, slow, major key; step 1 of 3 towards a brighter mood"


@dataclass
class HomeSpeaker:
    bus: EventBus
    playing: bool = False
    volume: float = PlayerConfig().volume  # the start volume, as the real speaker
    camera: bool = True
    strategy: str = "uplift"
    profile: str = "default"
    mood: str = "neutral"
    feedback: list[dict[str, Any]] = field(default_factory=list)
    profile_names: list[str] = field(default_factory=lambda: ["default", "Sam"])
    scans: int = 0
    steered: list[str] = field(default_factory=list)  # the steer commands' directions
    data_dir: Path | None = None  # where delete everything clears the mood history, as the service

    def _changed(self, key: str, value: Any) -> None:
        self.bus.publish(StateChanged(ts=time.time(), key=key, value=value))

    def play(self) -> None:
        self.playing = True
        self._changed("playing", True)

    def pause(self) -> None:
        self.playing = False
        self._changed("playing", False)

    def next_track(self) -> None:
        self.feedback.append({"kind": "skip", "ts": time.time()})

    def replay(self) -> None:
        self.feedback.append({"kind": "replayed", "ts": time.time()})

    def like(self) -> None:
        self.feedback.append({"kind": "like", "ts": time.time()})

    def dislike(self) -> None:
        self.feedback.append({"kind": "dislike", "ts": time.time()})

    def correct_mood(self, mood: str) -> None:
        self.mood = mood
        self.feedback.append({"kind": "wrong_mood", "mood": mood, "ts": time.time()})

    def ask_mood(self, mood: str) -> None:
        self.mood = mood  # music for it: no feedback (as the service: no correction)

    def steer(self, direction: str) -> None:
        self.steered.append(direction)

    def set_volume(self, volume: float) -> None:
        self.volume = volume

    def set_camera(self, enabled: bool) -> None:
        self.camera = enabled
        self._changed("camera", enabled)

    def set_profile(self, profile: str) -> None:
        self.profile = profile

    def set_strategy(self, strategy: str) -> None:
        self.strategy = strategy

    def rescan_library(self) -> None:
        self.scans += 1

    def profiles(self) -> list[str]:
        return list(self.profile_names)

    def state(self) -> dict[str, Any]:
        return {
            "mood": self.mood,
            "confidence": 0.72,
            "valence": 0.1,
            "arousal": -0.2,
            "face": True,
            "camera": self.camera,
            "playing": self.playing,
            "now_playing": {
                "track_id": "t1",
                "title": "Clair de lune",
                "artist": "Debussy",
                "reason": REASON,
            },
            "queue": [{"track_id": "t2", "title": "Gymnopédie No.1", "artist": "Satie"}],
            "volume": self.volume,
            "strategy": self.strategy,
            "profile": self.profile,
            "scan": {"running": self.scans > 0, "done": 3, "total": 10} if self.scans else {},
            "health": {
                "uptime_s": 125.0,
                "memory_rss_mb": 88.2,
                "cpu_time_s": 3.5,
                "stages": {
                    "detect": {"avg_ms": 12.5, "last_ms": 11.0, "max_ms": 30.0, "count": 9},
                    "classify": {"avg_ms": 4.1, "last_ms": 4.0, "max_ms": 6.0, "count": 9},
                },
                "components": {
                    "tpu": {"state": "fallback", "detail": "no Edge TPU found (libedgetpu.so.1 missing)"},
                    "camera": {"state": "ok", "detail": "replay"},
                    "library": {"state": "ok", "detail": "42 tracks"},
                    "broker": {"state": "off", "detail": "mqtt.enabled = false"},
                },
                "counters": {"inference_restarts": 0},
                "reasons": [{"track_id": "t1", "title": "Clair de lune", "reason": REASON}],
                "incidents": [],
            },
        }

    def export_data(self) -> dict[str, Any]:
        return {"feedback": list(self.feedback), "profiles": list(self.profile_names)}

    def delete_data(self, before: float | None = None) -> None:
        if before is None:
            self.feedback.clear()
            self.profile_names = ["default"]
            if self.data_dir is not None:
                mood_history.clear_file(self.data_dir)
        else:
            self.feedback = [f for f in self.feedback if f["ts"] >= before]


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class AppPage:
    """One web app under test with what the tests need to reach into (the page in front of the real
    service, realkit.owned_page, has only this: no fake speaker, no settable clock)."""

    app: Any
    client: Any
    bus: EventBus
    data_dir: Path
    config_path: Path
    saved_configs: list[Config]

    @property
    def ctx(self) -> Any:
        return self.app.extensions["moodspeaker"]

    def csrf(self, path: str = "/") -> str:
        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf-token" content="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def setup_owner(self, password: str = PASSWORD) -> None:
        token = self.csrf("/setup")
        code = read_setup_code(self.data_dir)
        response = self.client.post(
            "/setup", data={"csrf_token": token, "code": code, "password": password, "confirm": password}
        )
        assert response.status_code == 302, response.get_data(as_text=True)

    def login(self, password: str = PASSWORD) -> Any:
        token = self.csrf("/login")
        return self.client.post("/login", data={"csrf_token": token, "password": password})

    def post_json(self, path: str, body: Any, token: str | None = None) -> Any:
        token = token if token is not None else self.csrf("/")
        return self.client.post(path, json=body, headers={"X-CSRFToken": token})

    def mood(self, mood: str, ts: float, valence: float = 0.0, arousal: float = 0.0) -> None:
        self.bus.publish(
            MoodObserved(ts=ts, mood=mood, confidence=0.8, valence=valence, arousal=arousal, face=True)
        )


@dataclass(kw_only=True)
class Page(AppPage):
    """The page in front of the fake HomeSpeaker, with the clock the app reads."""

    speaker: HomeSpeaker
    clock: Clock


def setup_code(data_dir: Path) -> str:
    """The first-boot code the speaker wrote into `data_dir` (there is one until the page is set up)."""
    code = read_setup_code(data_dir)
    assert code is not None, f"no setup code in {data_dir}"
    return code


def make_config(data_dir: Path, **changes: Any) -> Config:
    return with_changes(Config(), {"device.data_dir": str(data_dir), **changes})


def serve_speaker(
    config: Config, data_dir: Path, config_path: Path | None = None, **options: Any
) -> WebServer:
    """The real page server for a HomeSpeaker with `config` (moodspeaker_web.server.serve: `options`
    are its host, port, advertise, interfaces).  The caller stops it."""
    bus = EventBus()
    return serve(
        ControlAPI(HomeSpeaker(bus), bus),
        bus,
        config=config,
        config_path=config_path,
        data_dir=data_dir,
        **options,
    )


def serve_home(tmp_path: Path, port: int = 0) -> WebServer:
    """The real page server for a HomeSpeaker on the loopback (port 0: a free one), not announced;
    its data folder is tmp_path/data.  The caller stops it."""
    data = tmp_path / "data"
    return serve_speaker(make_config(data), data, host="127.0.0.1", port=port, advertise=False)


def loopback_announcements(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Real zeroconf kept on the loopback: the machine's other addresses are made up (192.0.2.7), and an
    announcement on anything but the loopback's interface is refused (OSError) before it is sent.  The
    list returned fills with the interfaces each announcement asked for."""
    monkeypatch.setattr(advertise, "local_addresses", lambda: ["192.0.2.7"])
    asked: list[object] = []

    def loopback_only(interfaces: list[str] | None) -> object:
        asked.append(interfaces)
        if interfaces != ["127.0.0.1"]:
            raise OSError(f"announced on {interfaces or 'every interface'}, not on the loopback only")
        return zeroconf_interfaces(interfaces)

    monkeypatch.setattr(advertise, "zeroconf_interfaces", loopback_only)
    return asked
