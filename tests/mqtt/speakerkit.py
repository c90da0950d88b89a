"""A minimal in-memory Speaker for the topic-mapping tests (the real Appliance drives the process tests)."""

from __future__ import annotations

import time
from typing import Any

from moodspeaker.service.events import EventBus, MoodChanged, MoodObserved, StateChanged, TrackStarted


class MemorySpeaker:
    """The Speaker interface in memory: records the calls, publishes state changes on the bus as the
    real service does, and can be made to fail (`broken`) or be slow (`slow_s`)."""

    def __init__(self, bus: EventBus, profiles: tuple[str, ...] = ("default", "alex")) -> None:
        self.bus = bus
        self._profiles = list(profiles)
        self.calls: list[tuple[str, Any]] = []
        self.broken = False
        self.slow_s = 0.0
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
            "volume": 0.6,
            "strategy": "uplift",
            "profile": "default",
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
