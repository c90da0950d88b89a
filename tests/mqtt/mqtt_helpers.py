"""Test helpers for the MQTT tests: real Mosquitto brokers, a recording subscriber, TLS material, and a
minimal in-memory Speaker for the topic-mapping tests (the real Appliance drives the process tests).

Each broker is /usr/sbin/mosquitto on a free loopback port with a generated config (no persistence,
so a restart really loses the broker's retained messages: whatever comes back was re-announced).
Certificates are made with `openssl` and passwords with `mosquitto_passwd`, in the test's temp dir.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from moodspeaker.config import Config, with_changes
from moodspeaker.service.events import EventBus, MoodChanged, MoodObserved, StateChanged, TrackStarted

MOSQUITTO = "/usr/sbin/mosquitto"

T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(f"mosquitto did not listen on {port}")


class Mosquitto:
    """One broker process; `extra` lines go into its listener section."""

    def __init__(self, workdir: Path, extra: str = "", port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.conf = workdir / f"mosquitto-{self.port}.conf"
        self.log = workdir / f"mosquitto-{self.port}.log"

    def start(self) -> None:
        # As root, mosquitto would drop to the `mosquitto` user, who cannot read the test's temp files.
        user = "user root\n" if os.geteuid() == 0 else ""
        self.conf.write_text(
            user + "per_listener_settings false\n"
            "persistence false\n"
            f"log_dest file {self.log}\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            f"listener {self.port} 127.0.0.1\n{self.extra}\n"
        )
        if "allow_anonymous" not in self.extra:
            with self.conf.open("a") as f:
                f.write("allow_anonymous true\n")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stderr=subprocess.PIPE)
        try:
            wait_port(self.port)
        except TimeoutError:
            self.proc.kill()
            err = self.proc.stderr.read().decode() if self.proc.stderr else ""
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"mosquitto failed to start: {err}\n{log}") from None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stderr:
                self.proc.stderr.close()
            self.proc = None

    def restart(self, down_s: float = 0.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()


@dataclass
class Message:
    topic: str
    payload: bytes
    retain: bool
    at: float

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class Watcher:
    """A plain paho subscriber recording everything it receives (as Home Assistant would see it)."""

    port: int
    topics: tuple[str, ...] = ("#",)
    messages: list[Message] = field(default_factory=list)
    client_kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"watcher-{id(self)}")
        if "tls" in self.client_kwargs:
            ca, cert, key = self.client_kwargs["tls"]
            self.client.tls_set(ca_certs=ca, certfile=cert, keyfile=key)
        if "auth" in self.client_kwargs:
            self.client.username_pw_set(*self.client_kwargs["auth"])
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe([(t, 1) for t in self.topics])
        self._connected.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(Message(msg.topic, bytes(msg.payload), bool(msg.retain), time.monotonic()))
            self._lock.notify_all()

    def start(self) -> Watcher:
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        assert self._connected.wait(5), "watcher could not connect"
        time.sleep(0.1)  # let the SUBACK land
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def on(self, topic: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def last(self, topic: str) -> Message | None:
        found = self.on(topic)
        return found[-1] if found else None

    def wait(self, predicate: Callable[[list[Message]], T | None], timeout: float = 8.0) -> T:
        """Wait until `predicate(messages)` is truthy; return its value (never None)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                value = predicate(list(self.messages))
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = "\n".join(f"  {m.topic} {m.payload[:120]!r}" for m in self.messages[-30:])
                    raise AssertionError(f"timed out waiting; last messages:\n{seen}")
                self._lock.wait(remaining)

    def wait_for(
        self, topic: str, match: Callable[[Message], bool] = lambda m: True, timeout: float = 8.0
    ) -> Message:
        return self.wait(
            lambda msgs: next((m for m in reversed(msgs) if m.topic == topic and match(m)), None), timeout
        )

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()


def retained(port: int, topic_filter: str, settle: float = 0.5, **client_kwargs: Any) -> dict[str, bytes]:
    """What a newly connecting client (HA after a restart) receives as retained messages."""
    w = Watcher(port, (topic_filter,), client_kwargs=client_kwargs).start()
    time.sleep(settle)
    w.stop()
    return {m.topic: m.payload for m in w.messages if m.retain}


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(d: Path) -> Pki:
    """A throw-away CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test CA",
             "-keyout", "ca.key", "-out", "ca.crt", cwd=d)  # fmt: skip
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, cn in (("server", "localhost"), ("client", "moodspeaker-test-client")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)  # fmt: skip
        ext = ["-extfile", "server.ext"] if name == "server" else []
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "2", "-out", f"{name}.crt", *ext, cwd=d)  # fmt: skip
    return Pki(d / "ca.crt", d / "server.crt", d / "server.key", d / "client.crt", d / "client.key")


class MemorySpeaker:
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


def mqtt_config(port: int, **extra: Any) -> Config:
    changes = {
        "mqtt.enabled": True,
        "mqtt.host": "127.0.0.1",
        "mqtt.port": port,
        "mqtt.reconnect_max_s": 1.0,
        "device.name": "Test Speaker",
    }
    changes.update({k.replace("__", "."): v for k, v in extra.items()})
    return with_changes(Config(), changes)


# --- the real Appliance with a scripted vision stage (camera and classifier are the vision helper's) ---

TONES = [("happy1", 0.8, 0.6, 523.0), ("happy2", 0.7, 0.7, 587.0), ("sad1", -0.7, -0.5, 220.0),
         ("sad2", -0.8, -0.4, 247.0), ("calm", 0.3, -0.6, 330.0)]  # fmt: skip
CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def tone_tracks(folder: Path, seconds: float = 20.0) -> list[Any]:
    """Real audio files (sine tones) with known valence/arousal, as the library would describe them."""
    import numpy as np  # noqa: PLC0415
    import soundfile as sf  # noqa: PLC0415

    from moodspeaker.library.track import Track  # noqa: PLC0415

    sr = 22050
    t = np.arange(int(sr * seconds)) / sr
    tracks = []
    for tid, v, a, f in TONES:
        path = folder / f"{tid}.ogg"
        if not path.exists():
            x = (0.2 * np.sin(2 * np.pi * f * t)).astype(np.float32)
            with sf.SoundFile(str(path), "w", sr, 1, format="OGG") as handle:
                for i in range(0, len(x), sr):  # blocks: soundfile can crash on long OGG writes
                    handle.write(x[i : i + sr])
        tracks.append(
            Track(id=tid, location=str(path), title=f"Tone {tid}", artist=f"artist-{tid}", duration_s=seconds,
                  mode=1 if v > 0 else 0, loudness_lufs=-16.0,
                  valence=v, arousal=a, energy=(a + 1) / 2, tempo=80 + 60 * (a + 1))
        )  # fmt: skip
    return tracks


@dataclass
class Shown:
    """What the scripted camera shows now (a test changes `mood` while the appliance runs)."""

    mood: str | None = "neutral"


@dataclass
class _Observation:
    face: bool
    probs: dict[str, float] | None
    box: tuple[int, int, int, int] | None = None
    timings: dict[str, float] = field(default_factory=dict)


class _Source:
    def read(self) -> Any:
        import numpy as np  # noqa: PLC0415

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
        probs = {c: 0.9 if c == mood else 0.1 / (len(CLASSES) - 1) for c in CLASSES}
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
    parts = Parts(make_source=_Source, make_pipeline=lambda: _Pipeline(shown), recommender=recommender)
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
    }
    changes.update({k.replace("__", "."): v for k, v in extra.items()})
    return with_changes(mqtt_config(port), changes)
