"""StateFeed: the retained state topics of one speaker, each published only when its value changed.

The bridge hands it what it learns (a state snapshot, a mood reading, a mood change, the camera
switched); this decides what goes out: a topic whose payload (without `ts`) equals the one published
last is skipped, a running scan's counts alone wait for the next poll (ScanFeed), and the mood topics
follow the camera as last heard, so a mood change while it is off (a correction from Home Assistant or
the page) keeps them `camera_off` instead of showing a mood in privacy mode.  With the camera on and
nothing read since it came on (or since the start, or since the reading ended: "delete everything",
a replay that ran out) they say `no_reading` until the first reading that has a mood (the face
topic goes live at once: the filter needs mood.min_dwell_s before its mood is known, and its unknown
with 0.0 numbers meanwhile is no reading of 0 %, which Home Assistant kept in its long-term
statistics): a snapshot then holds nothing
read yet (no face, confidence 0), and published as live it showed the listener gone (Home
Assistant's "Listener present" off, then on a moment later), which fires "listener left"
automations for nothing; kept `camera_off`, a camera switched on that never delivers a frame (a
replay that ended) showed as off for good.  While a listener's correction holds, the mood topics show
it (the mood in force, as the snapshots do), not the camera's readings, which reach them again once
the camera reads a change and the correction ends.
When the speaker stops cleanly (`at_stop`) the topics that tell about the listener (PERSONAL_KEYS)
go out blank before `offline`: the broker keeps a retained message for ever, and it kept the last mood,
profile and track's reason for every client to read long after the speaker and its data were gone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from moodspeaker.mood.classes import UNKNOWN
from moodspeaker.mqtt.payloads import (
    CAMERA_OFF,
    IN_FORCE_KEYS,
    MOOD_KEYS,
    NO_READING,
    PayloadError,
    asked_value,
    blank_mood_values,
    encode,
    mood_values,
    stamp,
    state_values,
)
from moodspeaker.mqtt.scan_feed import SCAN_POLL_S, ScanFeed
from moodspeaker.mqtt.topics import Topics
from moodspeaker.service.events import MOOD_CAMERA, PAYLOAD_SCHEMA, MoodChanged, MoodObserved

log = logging.getLogger(__name__)

#: The state topics that tell about the listener: what they look like or asked for, who they are, what
#: played for them and why.  Blank (`stopped_values`) when the speaker stops or its data is deleted.
PERSONAL_KEYS = (*MOOD_KEYS, "asked", "now_playing", "profile")


def stopped_values(camera: bool = True) -> dict[str, dict[str, Any]]:
    """The PERSONAL_KEYS' payloads (without `ts`) with nobody read: the mood topics as after a start
    (`no_reading`; `camera_off` with the camera off), no mood asked for, nothing playing, no profile;
    Home Assistant shows them unknown (or "camera" for the Music mood select), as at a start."""
    values = blank_mood_values(NO_READING if camera else CAMERA_OFF)
    values["asked"] = asked_value(None, None)
    for key in ("now_playing", "profile"):
        values[key] = {"schema": PAYLOAD_SCHEMA, "value": None}
    return values


def stopped_messages(topics: Topics, ts: float, camera: bool = True) -> list[tuple[str, bytes]]:
    """`stopped_values` as retained messages (topic, body) of the speaker of `topics`."""
    return [
        (topics.state(key), encode(stamp(payload, ts), f"state.{key}"))
        for key, payload in stopped_values(camera).items()
    ]


class StateFeed:
    """`publish(topic, body)` sends a retained message; `monotonic` paces the scan topic."""

    def __init__(
        self, topics: Topics, publish: Callable[[str, bytes], None], monotonic: Callable[[], float]
    ) -> None:
        self._topics = topics
        self._publish = publish
        self._monotonic = monotonic
        self.scan = ScanFeed(SCAN_POLL_S)  # when a running scan's state is read again and may go out
        self.last: dict[str, dict[str, Any]] = {}  # state key -> last published payload (without ts)
        self._camera = True  # as last heard: readings, its StateChanged, the snapshots
        self._unread = True  # on, and nothing read since it came on or the start: `no_reading`
        self._unread_values = blank_mood_values(NO_READING)  # the mood topics until the first reading

    @property
    def has_reading(self) -> bool:
        """True while the mood topics carry a reading: the camera on and read since it came on."""
        return self._camera and not self._unread

    @property
    def camera(self) -> bool:
        return self._camera

    @camera.setter
    def camera(self, on: bool) -> None:
        if on != self._camera:
            self._unread = on  # switched on: nothing read yet; off: the mood topics say camera_off
            self._unread_values = blank_mood_values(NO_READING)
        self._camera = on

    def snapshot(self, state: Mapping[str, Any], ts: float) -> None:
        """A ControlAPI.state() snapshot: every state topic, the mood topics `no_reading` (or with a
        correction told meanwhile) until the first reading."""
        self.camera = bool(state.get("camera", True))
        values = state_values(state)
        if self._unread:
            values.update({key: self._unread_values[key] for key in MOOD_KEYS})
        self.publish(values, ts)

    def reading(self, event: MoodObserved) -> None:
        """A mood reading: the five mood topics (blank with the camera off), with the mood in force:
        while a correction holds (`told`), its mood, confidence, valence and arousal beside the
        reading's face, as the state snapshots have them.  The end of a reading with the camera on
        ("delete everything", a frame source that ran out: `ended`) is no reading of no face: the
        mood topics say `no_reading` until the next reading, as after the switch on."""
        self.camera = bool(event.camera)
        if event.ended and event.camera:
            self._unread, self._unread_values = True, blank_mood_values(NO_READING)
            self.publish(self._unread_values, event.ts)
            return
        if self._unread and event.told is None and event.mood == UNKNOWN:
            # Read, but the filter has no mood yet (it needs mood.min_dwell_s): its 0.0 numbers are no
            # reading of 0 % (Home Assistant would keep them in its statistics), so the mood in force
            # stays `no_reading` (or a correction told meanwhile) beside the face as read.
            values = mood_values(UNKNOWN, None, None, None, face=event.face, camera=event.camera)
            values.update({key: self._unread_values[key] for key in IN_FORCE_KEYS})
            self.publish(values, event.ts)
            return
        self._unread = False
        mood, confidence, valence, arousal = event.told or (
            event.mood,
            event.confidence,
            event.valence,
            event.arousal,
        )
        source = event.source if event.told is not None else MOOD_CAMERA
        values = mood_values(
            mood, confidence, valence, arousal, face=event.face, camera=event.camera, source=source
        )
        values["asked"] = asked_value(mood, source)
        self.publish(values, event.ts)

    def mood_changed(self, event: MoodChanged) -> None:
        """The mood in force changed: its topics but the face, as the camera is (off: camera_off).
        The camera's change follows its reading, which published the same; a correction's comes
        with no reading, and the confidence read before stayed beside the mood corrected."""
        values = mood_values(
            event.mood,
            event.confidence,
            event.valence,
            event.arousal,
            face=True,
            camera=self.camera,
            source=event.source,
        )
        if self._unread:  # nothing read: a correction shows, and stays over the snapshots; the end of
            if event.mood == UNKNOWN:  # one (nothing told, nothing read) leaves them `no_reading`
                self._unread_values = blank_mood_values(NO_READING)
            else:
                self._unread_values.update({key: values[key] for key in IN_FORCE_KEYS})
            values = dict(self._unread_values)
        values["asked"] = asked_value(event.mood, event.source)  # a request shows with the camera off too
        self.publish(values, event.ts, keys=(*IN_FORCE_KEYS, "asked"))

    def at_stop(self, ts: float) -> list[tuple[str, bytes]]:
        """The personal topics blank (`stopped_messages`) for the clean stop to send before `offline`;
        remembered as published, as the next start shows them until the first reading."""
        self._unread, self._unread_values = True, blank_mood_values(NO_READING)
        self.last.update(stopped_values(self._camera))
        return stopped_messages(self._topics, ts, self._camera)

    def publish(
        self, values: Mapping[str, dict[str, Any]], ts: float, keys: tuple[str, ...] | None = None
    ) -> None:
        """Publish the state topics whose value changed since they were last published."""
        for key, payload in values.items():
            if (keys is not None and key not in keys) or self.last.get(key) == payload:
                continue
            if key == "scan" and self.scan.held(payload, self._monotonic()):
                continue  # only a running scan's counts changed: the next poll sends them
            try:
                body = encode(stamp(payload, ts), f"state.{key}")
            except PayloadError as exc:
                log.error("state %s not published: %s", key, exc)
                continue
            self.last[key] = payload
            if key == "scan":
                self.scan.published(payload, self._monotonic())
            self._publish(self._topics.state(key), body)
