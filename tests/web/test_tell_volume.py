""" "volume 30", "set the volume to 30", "volume 30 %" set the volume to 30%; "mute" sets it to 0 and
"unmute" brings a muted speaker back to half.

Before, all of them answered "Sorry, I did not understand that".  The words (moodspeaker_web.tell_volume)
on `interpret`; the volume through the page's /api/tell (Flask's test client) in front of the real
service (realkit: real player), whose state then shows it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from realkit import owned_page

from moodspeaker_web.tell import interpret


@pytest.mark.parametrize(
    "text",
    [
        "volume 30",
        "set the volume to 30",
        "volume 30 %",
        "Volume: 30%",
        "turn the volume to 30 percent",
        "30% volume",
        "turn it down to 30",
    ],
)
def test_a_volume_said_as_a_number_is_set(text: str) -> None:
    meaning = interpret(text, volume=0.7)
    assert [(a.command, a.args) for a in meaning.actions] == [("set_volume", {"volume": 0.3})], meaning
    assert meaning.reply == "Understood: volume set to 30%."


def test_mute_and_unmute() -> None:
    muted = interpret("mute", volume=0.7)
    assert [(a.command, a.args) for a in muted.actions] == [("set_volume", {"volume": 0.0})], muted
    assert "unmute" in muted.reply
    unmuted = interpret("unmute", volume=0.0)
    assert [(a.command, a.args) for a in unmuted.actions] == [("set_volume", {"volume": 0.5})], unmuted
    assert interpret("unmute", volume=0.7).actions == ()  # not muted: nothing to do
    assert interpret("don't mute", volume=0.7).actions == ()


def test_no_volume_is_misread() -> None:
    assert interpret("volume 150", volume=0.7).actions == ()
    assert "from 0 to 100" in interpret("volume 150", volume=0.7).reply
    assert interpret("volume 0.3", volume=0.7).actions == ()  # not 0
    stepped = interpret("volume down", volume=0.7)
    assert [(a.command, a.args) for a in stepped.actions] == [("set_volume", {"volume": 0.6})], stepped


@pytest.mark.timeout(180)
def test_the_page_sets_the_volume_said(tmp_path: Path) -> None:
    with owned_page(tmp_path) as (service, page):
        state = service.appliance.state
        told = page.post_json("/api/tell", {"text": "set the volume to 30"}).get_json()
        assert told["ok"] and told["done"] == [{"command": "set_volume", "args": {"volume": 0.3}}], told
        service.wait_for(lambda: state()["volume"] == pytest.approx(0.3), what="the volume at 30%")
        told = page.post_json("/api/tell", {"text": "mute"}).get_json()
        assert told["ok"], told
        service.wait_for(lambda: state()["volume"] == 0, what="the volume at 0")
