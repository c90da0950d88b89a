"""A mood asked for or corrected that is the mood in force already changes no mood: no `mood_changed`,
only the mood topics' `source` (and `state/asked`) say where it comes from now.

Why: asking for happy music while the camera read happy sent `mood_changed` happy -> happy (only its
`source` new), so Home Assistant's Mood changed event fired, and the automations on it ran, with no
change of mood; TOPICS.md promises the event only on a change.  The real Appliance (real mood filter,
recommender, player on SDL's dummy driver) behind the real bridge on a real Mosquitto; only the camera
and classifier are scripted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher

pytestmark = pytest.mark.timeout(120)

CHANGED = f"{ROOT}/event/mood_changed"
MOOD = f"{ROOT}/state/mood"
ASKED = f"{ROOT}/state/asked"


def _in_force(watcher: Watcher, mood: str, source: str) -> Message:
    """Waits until the retained mood topic says `mood` from `source`; that message."""
    return watcher.wait_for(
        MOOD, lambda m: (m.json()["value"], m.json().get("source")) == (mood, source), BUSY
    )


def _asked(watcher: Watcher, mood: str | None) -> None:
    watcher.wait_for(ASKED, lambda m: m.json()["value"] == mood, BUSY)


def test_the_mood_in_force_asked_for_again_is_no_change(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    shown = Shown("happy")
    with bridged(tmp_path, broker, shown, player__autoplay=False):
        _in_force(watcher, "happy", "camera")
        watcher.wait_for(CHANGED, lambda m: m.json()["mood"] == "happy", BUSY)  # the camera's first reading
        watcher.clear()

        watcher.publish(f"{ROOT}/ask_mood/set", "happy")  # the mood the camera reads
        _in_force(watcher, "happy", "asked")
        _asked(watcher, "happy")
        watcher.publish(f"{ROOT}/correct_mood/set", "happy")  # the mood asked for
        _in_force(watcher, "happy", "corrected")
        _asked(watcher, None)
        watcher.publish(f"{ROOT}/ask_mood/set", "happy")
        _in_force(watcher, "happy", "asked")

        watcher.publish(f"{ROOT}/ask_mood/set", "sad")  # a change: its event, after any the above sent
        sad: dict[str, Any] = watcher.wait_for(CHANGED, lambda m: m.json()["mood"] == "sad", BUSY).json()
        assert (sad["previous"], sad["source"]) == ("happy", "asked"), sad
        assert [m.json()["mood"] for m in watcher.on(CHANGED)] == ["sad"], "a mood changed to the same mood"
