"""Typed events and the one EventBus every outside-facing part listens to.

MQTT payloads and the page's JSON are derived from these dataclasses (`to_payload`), each carrying
`schema` so consumers can tell versions apart.  Publishing never blocks on a slow subscriber and a
failing subscriber never breaks the publisher: it is logged and the next subscriber still runs.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

log = logging.getLogger(__name__)

#: Version of every JSON payload derived from events; bump on an incompatible change.
PAYLOAD_SCHEMA = 1


@dataclass(frozen=True)
class Event:
    """Base of all events; `ts` is wall-clock seconds (time.time()) when it happened."""

    kind: ClassVar[str] = "event"
    ts: float

    def to_payload(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["schema"] = PAYLOAD_SCHEMA
        data["event"] = self.kind
        return data


#: MoodChanged.source (MoodObserved.source too): the camera's reading (or its end), music of a mood
#: asked for (`ask_mood`, "play happy songs"), or the listener's correction of the mood read
#: (`correct_mood`).
MOOD_CAMERA = "camera"
MOOD_ASKED = "asked"
MOOD_CORRECTED = "corrected"


@dataclass(frozen=True)
class MoodObserved(Event):
    """The filter's state after one capture (every interval): what the camera read, for live plots
    (the page's mood history) and the state topics."""

    kind: ClassVar[str] = "mood_observed"
    mood: str
    confidence: float
    valence: float
    arousal: float
    face: bool
    camera: bool = True
    #: a listener's correction in force after this reading, (mood, confidence, valence, arousal): the
    #: mood in force, which the state shows instead of the reading (None: the reading is in force)
    told: tuple[str, float, float, float] | None = None
    #: where the mood in force comes from, as MoodChanged.source says it: the reading (MOOD_CAMERA),
    #: or, with `told`, music of a mood asked for (MOOD_ASKED) or a correction (MOOD_CORRECTED)
    source: str = MOOD_CAMERA
    #: True: not a reading but its end (the camera switched off, "delete everything", a frame source
    #: that ran out): nothing is read from now until the next reading, so the mood is unknown and its
    #: numbers (0.0) and `face` (False) are no reading's, not a listener gone; the state topics say
    #: `no_reading` (camera on) or `camera_off`, and the page's history plots no point for it
    ended: bool = False


def mood_source(*, told: bool, asked: bool) -> str:
    """The `source` of a mood in force (MoodState's `told` and `asked`): the camera's, asked or corrected."""
    if not told:
        return MOOD_CAMERA
    return MOOD_ASKED if asked else MOOD_CORRECTED


@dataclass(frozen=True)
class MoodChanged(Event):
    """The stable mood changed (published only on change); `source` says what changed it (an
    automation on how the listener looks must not fire on a request for sad songs)."""

    kind: ClassVar[str] = "mood_changed"
    mood: str
    previous: str
    confidence: float
    valence: float
    arousal: float
    source: str = MOOD_CAMERA


@dataclass(frozen=True)
class TrackStarted(Event):
    kind: ClassVar[str] = "track_started"
    track_id: str
    title: str
    artist: str
    reason: str
    source: str = "local"


@dataclass(frozen=True)
class TrackEnded(Event):
    kind: ClassVar[str] = "track_ended"
    track_id: str
    played_s: float
    completed: bool
    skipped: bool = False


@dataclass(frozen=True)
class StateChanged(Event):
    """A control changed (volume, strategy, profile, camera, playing...)."""

    kind: ClassVar[str] = "state_changed"
    key: str
    value: Any


@dataclass(frozen=True)
class CommandRejected(Event):
    kind: ClassVar[str] = "command_rejected"
    command: str
    error: str
    source: str


@dataclass(frozen=True)
class ErrorReported(Event):
    """Something went wrong that a person may need to know about (and what the appliance did)."""

    kind: ClassVar[str] = "error"
    component: str
    message: str


@dataclass(frozen=True)
class HealthReport(Event):
    kind: ClassVar[str] = "health"
    stats: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Event], None]


class EventBus:
    """Synchronous fan-out: subscribers must be quick (queue the event and return)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns a function that removes it again."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("event subscriber %r failed on %s", callback, event.kind)
