"""StateFeed: a correction's `mood_changed` brings the mood in force's confidence, valence and arousal
with its mood, and the readings while it holds keep them (the face stays the camera's).

Why: the correction's change published the mood topic alone, so until the next reading (or for good,
with a camera whose capture hangs) Home Assistant showed Mood = sad beside the confidence, valence and
arousal the camera had read for happy.  The real StateFeed and payload encoding; the publish is
collected instead of sent (the bridge's tests cover the broker).
"""

from __future__ import annotations

import json

from moodspeaker.mqtt.state_feed import StateFeed
from moodspeaker.mqtt.topics import Topics
from moodspeaker.service.events import MoodChanged, MoodObserved

TOPICS = Topics("moodspeaker", "kitchen")
SAD = ("sad", 1.0, -0.7, -0.4)


def _feed() -> tuple[StateFeed, dict[str, object]]:
    shown: dict[str, object] = {}

    def publish(topic: str, body: bytes) -> None:
        shown[topic.rsplit("/", 1)[1]] = json.loads(body)["value"]

    return StateFeed(TOPICS, publish, lambda: 0.0), shown


def _mood(shown: dict[str, object]) -> tuple[object, ...]:
    return tuple(shown[key] for key in ("mood", "confidence", "valence", "arousal", "face"))


def test_a_correction_shows_its_confidence_at_once_and_while_it_holds() -> None:
    feed, shown = _feed()
    feed.reading(MoodObserved(1.0, "happy", 0.713, 0.8, 0.5, face=True))
    assert _mood(shown) == ("happy", 0.713, 0.8, 0.5, True)

    feed.mood_changed(MoodChanged(2.0, "sad", "happy", *SAD[1:]))  # the listener's correction
    assert _mood(shown) == (*SAD, True)

    feed.reading(MoodObserved(3.0, "happy", 0.72, 0.8, 0.5, face=False, told=SAD))
    assert _mood(shown) == (*SAD, False)  # the mood in force, the camera's face

    feed.reading(MoodObserved(4.0, "neutral", 0.61, 0.0, 0.0, face=True))  # the correction ended
    assert _mood(shown) == ("neutral", 0.61, 0.0, 0.0, True)


def test_a_correction_with_the_camera_off_shows_camera_off() -> None:
    feed, shown = _feed()
    feed.reading(MoodObserved(1.0, "unknown", 0.0, 0.0, 0.0, face=False, camera=False))
    feed.mood_changed(MoodChanged(2.0, "sad", "unknown", *SAD[1:]))
    assert _mood(shown) == ("unknown", None, None, None, None)


def test_a_correction_before_any_reading_stays_over_the_snapshots() -> None:
    """Nothing read yet (a camera giving no frames): a correction shows, the face stays unknown (null,
    nothing read: not "no listener"), and the snapshots after it neither put `no_reading` back over
    the correction nor publish their face false as a reading."""
    feed, shown = _feed()
    nothing = {"camera": True, "mood": "unknown", "confidence": 0.0, "valence": 0.0, "arousal": 0.0}
    state = {**nothing, **dict(zip(("mood", "confidence", "valence", "arousal"), SAD, strict=True))}
    feed.snapshot({**nothing, "face": False}, 1.0)
    assert _mood(shown) == ("unknown", None, None, None, None)
    feed.mood_changed(MoodChanged(2.0, "sad", "unknown", *SAD[1:]))
    assert _mood(shown) == (*SAD, None)
    feed.snapshot({**state, "face": False}, 3.0)  # the service's state: the correction, no face read
    assert _mood(shown) == (*SAD, None)
    feed.reading(MoodObserved(4.0, "happy", 0.7, 0.8, 0.5, face=True, told=SAD))  # the first reading
    assert _mood(shown) == (*SAD, True)
