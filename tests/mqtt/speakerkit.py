"""A minimal in-memory Speaker for the topic-mapping tests, and the rig that puts it behind the real
MqttBridge (ControlAPI and EventBus as in the service; the real Appliance drives the process tests).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from brokerkit import mqtt_config
from mqtt_helpers import Message, retained

from moodspeaker.config.schema import PlayerConfig
from moodspeaker.mqtt import MqttBridge
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, EventBus, MoodChanged, MoodObserved, StateChanged, TrackStarted
from polling import until


class MemorySpeaker:
    """The Speaker interface in memory: records the calls, publishes state changes on the bus as the
    real service does, and can be made to fail (`broken`) or be slow (`slow_s`); with `gate` set, a
    state read waits until the gate opens (`reading` says one is waiting)."""

    def __init__(self, bus: EventBus, profiles: tuple[str, ...] = ("default", "alex")) -> None:
        self.bus = bus
        self._profiles = list(profiles)
        self.calls: list[tuple[str, Any]] = []
        self.broken = False
        self.slow_s = 0.0
        self.gate: threading.Event | None = None
        self.reading = threading.Event()
        self.s: dict[str, Any] = {
            "mood": "neutral",
            "confidence": 0.5,
            "valence": 0.0,
            "arousal": 0.0,
            "face": True,
            "camera": True,
            "playing": False,
            "now_playing": None,
            "queue": [],
            "volume": PlayerConfig().volume,  # the start volume, as the real speaker
            "strategy": "uplift",
            "profile": "default",
            "audio": "ok",
            "health": {"fps": 1.0},
        }

    def _set(self, key: str, value: Any) -> None:
        self.s[key] = value
        self.calls.append((key, value))
        self.bus.publish(StateChanged(ts=time.time(), key=key, value=value))

    def play(self) -> None:
        self._set("playing", True)

    def pause(self) -> None:
        self._set("playing", False)

    def next_track(self) -> None:
        self.calls.append(("next", None))
        self.start_track("t2", "Second Song", "Band", "lifts the mood")

    def replay(self) -> None:
        self.calls.append(("replay", None))

    def like(self) -> None:
        self.calls.append(("like", None))

    def dislike(self) -> None:
        self.calls.append(("dislike", None))

    def correct_mood(self, mood: str) -> None:
        self.calls.append(("correct_mood", mood))

    def ask_mood(self, mood: str) -> None:
        self.calls.append(("ask_mood", mood))

    def steer(self, direction: str) -> None:
        self.calls.append(("steer", direction))

    def set_volume(self, volume: float) -> None:
        self._set("volume", volume)

    def set_camera(self, enabled: bool) -> None:
        self._set("camera", enabled)

    def set_profile(self, profile: str) -> None:
        self._set("profile", profile)

    def set_strategy(self, strategy: str) -> None:
        self._set("strategy", strategy)

    def rescan_library(self) -> None:
        if self.broken:
            raise RuntimeError("library disk vanished")
        time.sleep(self.slow_s)
        self.calls.append(("rescan", None))

    def profiles(self) -> list[str]:
        return list(self._profiles)

    def state(self) -> dict[str, Any]:
        if self.gate is not None:
            self.reading.set()
            self.gate.wait()
        return dict(self.s)

    # --- what the service's loop would do ---

    def observe(self, mood: str, confidence: float, valence: float, arousal: float) -> None:
        previous = self.s["mood"]
        self.s.update(mood=mood, confidence=confidence, valence=valence, arousal=arousal, face=True)
        now = time.time()
        self.bus.publish(MoodObserved(now, mood, confidence, valence, arousal, True, self.s["camera"]))
        if mood != previous:
            self.bus.publish(MoodChanged(now, mood, previous, confidence, valence, arousal))

    def start_track(self, track_id: str, title: str, artist: str, reason: str) -> None:
        self.s["now_playing"] = {"track_id": track_id, "title": title, "artist": artist, "reason": reason}
        self.s["playing"] = True
        self.bus.publish(TrackStarted(time.time(), track_id, title, artist, reason))


# --- the in-memory speaker behind the real bridge ---


@dataclass
class Rig:
    """The in-memory speaker behind a real bridge, with every event its bus carried."""

    bus: EventBus
    speaker: MemorySpeaker
    control: ControlAPI
    bridge: MqttBridge
    events: list[Event]

    def wait_connected(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.bridge.connected:
            assert time.monotonic() < deadline, f"bridge never connected: {self.bridge.stats()}"
            time.sleep(0.02)

    def wait_announced(self, timeout: float = 30.0) -> None:
        """Until the broker keeps the bridge's stats, which end its first announcement: by then the
        broker has its subscriptions too.  `connected` alone comes before them (paho writes the
        SUBSCRIBE once its on_connect returns), so a command published right then could reach the
        broker first and be lost."""
        stats = self.bridge.topics.stats
        until(lambda: stats in retained(self.bridge.settings.port, stats), timeout, what="the announcement")


def make_rig(
    port: int, device_id: str = "kitchen", web_url: str = "http://kitchen.local:8080/", **cfg: Any
) -> Rig:
    """A rig for `device_id` on the broker at `port` (settings `cfg` as for mqtt_config), not started;
    `web_url` is the page's address as the web server reports it."""
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    speaker = MemorySpeaker(bus)
    control = ControlAPI(speaker, bus)
    bridge = MqttBridge(mqtt_config(port, **cfg), control, bus, device_id, web_url)
    return Rig(bus, speaker, control, bridge, events)


#: 80 profiles with names of 64 characters (the longest allowed), two bytes each in UTF-8: too many for
#: the discovery message (16 KiB, MAX_PUBLISH_BYTES).
LONG_PROFILES = [f"{i:02d}-" + "é" * 61 for i in range(80)]


def long_profiles_rig(port: int) -> tuple[Rig, str]:
    """A rig for "kitchen" on the broker at `port` whose speaker has LONG_PROFILES, the last one active
    (the one a list fitted to another, or trimmed from the end, leaves out); not started.  The rig and
    the active profile."""
    r = make_rig(port)
    r.speaker._profiles = list(LONG_PROFILES)
    active = LONG_PROFILES[-1]
    r.speaker.s["profile"] = active
    return r, active


def value(msg: Message) -> Any:
    """The value a state topic carries (its payload is {"schema", "value", "ts", ...})."""
    return msg.json()["value"]
