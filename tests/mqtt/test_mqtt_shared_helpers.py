"""One definition of the mood topics' keys and of a payload's size, shared by the modules that use them.

Why: `state_feed.MOOD_KEYS` repeated `payloads._MOOD_KEYS`, and `discovery._size` repeated the
serialisation of `payloads.encode`: a topic added to one list, or a change of the encoding, would have
left the other behind (the mood topics published before a first reading; a discovery fitted to a size
other than the one sent).  Pure functions, tested directly.
"""

from __future__ import annotations

import math

from moodspeaker.mqtt import discovery, state_feed
from moodspeaker.mqtt.discovery import discovery_config
from moodspeaker.mqtt.discovery_updates import fit_profiles
from moodspeaker.mqtt.payloads import MAX_PUBLISH_BYTES, MOOD_KEYS, encode, encoded_size, mood_values
from moodspeaker.mqtt.topics import Topics

T = Topics("moodspeaker", "kitchen")


def test_the_mood_keys_are_the_mood_topics() -> None:
    assert vars(state_feed)["MOOD_KEYS"] is MOOD_KEYS  # the one list, not a copy
    for camera in (True, False):
        values = mood_values("happy", 0.8, 0.5, 0.4, face=True, camera=camera)
        assert tuple(values) == MOOD_KEYS


def test_the_size_is_what_encode_sends() -> None:
    assert not hasattr(discovery, "_size")
    for payload in (
        {"name": "Küche", "n": 3, "x": math.nan, "list": [1, "é", None]},
        discovery_config(T, name="Kitchen", profiles=["default", "Zoë"]),
    ):
        assert encoded_size(payload) == len(encode(payload))


def test_fit_profiles_fits_what_encode_sends() -> None:
    profiles = [f"{i:02d}-" + "é" * 61 for i in range(80)]
    fitted = fit_profiles(T, name="Kitchen", profiles=profiles, keep=profiles[-1])
    assert profiles[-1] in fitted and len(fitted) < len(profiles)
    assert len(encode(discovery_config(T, name="Kitchen", profiles=fitted))) <= MAX_PUBLISH_BYTES
