"""Home Assistant's "Music mood" select: music of a mood asked for (`ask_mood`, as the page's "play happy
songs"), or `camera`, the camera's mood again.  Before it there was no entity for ask_mood: a household
had to write an `mqtt.publish` action, and nothing in HA showed that a mood was asked for or how to end
it (it held until the camera read a change).  The real Appliance (real mood filter, recommender, player
on SDL's dummy driver) behind the real bridge on a real Mosquitto; only the camera and classifier are
scripted.  The select is driven as HA drives it: its command template rendered with the option, sent to
its command topic; what it shows is its value template rendered over the retained state it reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher, ha_render

from moodspeaker.mood.classes import ALL_EXPRESSIONS

pytestmark = pytest.mark.timeout(180)

DISCOVERY = "homeassistant/device/living-room/config"
ASKED = f"{ROOT}/state/asked"
MOOD = f"{ROOT}/state/mood"
CHANGED = f"{ROOT}/event/mood_changed"


def _select(select: dict[str, Any], watcher: Watcher, option: str) -> None:
    """What HA does when the household picks `option`: the command template rendered, published (QoS 1,
    not retained) on the command topic.  The watcher forgets what came before: what follows is the
    answer."""
    from jinja2.sandbox import SandboxedEnvironment  # noqa: PLC0415 (as mqtt_helpers.ha_render)

    assert option in select["options"]
    payload = SandboxedEnvironment().from_string(select["command_template"]).render(value=option)
    watcher.clear()
    watcher.publish(select["command_topic"], payload)


def _shows(select: dict[str, Any], watcher: Watcher, option: str) -> Message:
    """Waits until the select's state topic makes it show `option`; that message."""
    return watcher.wait_for(ASKED, lambda m: ha_render(select["value_template"], m.json()) == option, BUSY)


def _mood(watcher: Watcher, mood: str, source: str | None) -> dict[str, Any]:
    def shown(m: Message) -> bool:
        return bool(m.json()["value"] == mood and m.json().get("source") == source)

    body: dict[str, Any] = watcher.wait_for(MOOD, shown, BUSY).json()
    return body


def test_music_mood_select_asks_shows_and_clears(tmp_path: Path, broker: Mosquitto, watcher: Watcher) -> None:
    shown = Shown("happy")
    with bridged(tmp_path, broker, shown, player__autoplay=False):
        select = watcher.wait_for(DISCOVERY, lambda m: m.payload != b"", BUSY).json()["cmps"]["asked"]
        assert (select["p"], select["name"], select["qos"]) == ("select", "Music mood", 1)
        assert select["unique_id"] == "moodspeaker_living-room_asked"
        assert select["options"] == ["camera", *ALL_EXPRESSIONS]
        assert (select["command_topic"], select["state_topic"]) == (f"{ROOT}/ask_mood/set", ASKED)
        assert "entity_category" not in select  # a control the household uses, beside the strategy
        _mood(watcher, "happy", "camera")
        _shows(select, watcher, "camera")  # nothing asked for

        _select(select, watcher, "sad")
        asked = watcher.wait_for(CHANGED, lambda m: m.json()["mood"] == "sad", BUSY).json()
        assert asked["source"] == "asked"
        _shows(select, watcher, "sad")
        _mood(watcher, "sad", "asked")

        _select(select, watcher, "camera")  # clears it: the camera's mood at once, not at its next change
        back = watcher.wait_for(CHANGED, lambda m: m.json()["mood"] == "happy", BUSY).json()
        assert (back["previous"], back["source"]) == ("sad", "camera")
        _shows(select, watcher, "camera")
        _mood(watcher, "happy", "camera")

        # asked for the mood the camera reads, then cleared: no mood changed, the state says camera again
        _select(select, watcher, "happy")
        _shows(select, watcher, "happy")
        _mood(watcher, "happy", "asked")
        _select(select, watcher, "camera")
        _shows(select, watcher, "camera")
        _mood(watcher, "happy", "camera")
        assert not [m for m in watcher.messages if m.topic == CHANGED], "a mood changed to the same mood"

        # with the camera off the mood topics say camera_off; the select still shows the music asked for
        watcher.publish(f"{ROOT}/set_camera/set", "OFF")
        watcher.wait_for(MOOD, lambda m: m.json()["status"] == "camera_off", BUSY)
        _select(select, watcher, "surprise")
        _shows(select, watcher, "surprise")
        assert all(m.json()["status"] == "camera_off" for m in watcher.on(MOOD)), watcher.on(MOOD)
        _select(select, watcher, "camera")
        off = watcher.wait_for(CHANGED, lambda m: m.json()["previous"] == "surprise", BUSY).json()
        assert (off["mood"], off["source"], off["confidence"]) == ("unknown", "camera", None)
        _shows(select, watcher, "camera")
