"""The Tell box says a command the speaker refused was not done, and why, instead of "Understood" it.

Why: the reply was written before the commands ran, so with the camera held off at the privacy button
(only the button switches it on) "turn the camera on" answered "Understood: camera on." and the page
added the refusal in brackets, the camera still off.  Now the refused command leaves the "Understood"
part and the reply says it could not be done, with the speaker's reason; what was done is still said.

The real service with the page in front of it (realkit.owned_page), the real PrivacyButton on gpiozero
with only its pins mocked (gpiozero's MockFactory); the tell box's reply built as the page's API builds it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory
from realkit import owned_page

from moodspeaker.config.schema import GpioConfig
from moodspeaker.service.playback import CAMERA_HELD_DETAIL
from moodspeaker.system.gpio import make_privacy_button
from moodspeaker_web.tell import Action, Interpretation
from moodspeaker_web.tell_outcome import told

pytestmark = pytest.mark.timeout(120)

REFUSED = f"could not switch the camera on: the camera was {CAMERA_HELD_DETAIL}"


def test_a_camera_held_off_is_said_not_switched_on(tmp_path: Path) -> None:
    with owned_page(tmp_path) as (service, page):
        factory = MockFactory()
        button = make_privacy_button(
            GpioConfig(enabled=True), service.control, service.bus, pin_factory=factory
        )
        assert button is not None
        try:
            factory.pin(17).drive_low()  # pressed: the camera is held off
            factory.pin(17).drive_high()
            time.sleep(0.08)  # past the 50 ms debounce (as test_gpio)
            service.wait_for(lambda: service.appliance.state()["camera"] is False, what="the button's off")

            answer = page.post_json("/api/tell", {"text": "turn the camera on"}).get_json()
            assert answer["reply"] == f"Sorry, {REFUSED}."  # not "Understood: camera on."
            assert not answer["ok"] and answer["done"] == [] and len(answer["errors"]) == 1

            volume = service.appliance.state()["volume"]
            answer = page.post_json("/api/tell", {"text": "louder and turn the camera on"}).get_json()
            louder = f"volume up to {round(min(1.0, volume + 0.1) * 100)}%"
            assert answer["reply"] == f"Understood: {louder}. But {REFUSED}.", answer  # the volume was done
            assert [d["command"] for d in answer["done"]] == ["set_volume"] and not answer["ok"]
            assert service.appliance.state()["camera"] is False
        finally:
            button.close()


def test_what_is_not_done_is_taken_out_of_what_was_understood() -> None:
    meaning = Interpretation(
        (Action("play"), Action("set_camera", {"enabled": True})),
        "Understood: playing; camera on; the speaker cannot pick by genre. This is “X” by Y.",
        True,
        ("playing", "camera on"),
        ("playing", "camera on", "the speaker cannot pick by genre"),
        "This is “X” by Y.",
    )
    assert told(meaning, {}) == meaning.reply
    assert told(meaning, {0: "play: no tracks to play"}) == (
        "Understood: camera on; the speaker cannot pick by genre. But not done (playing): no tracks to play. "
        "This is “X” by Y."
    )
    assert told(meaning, {0: "play: none", 1: "set_camera: held"}) == (
        "Understood: the speaker cannot pick by genre. But not done (playing): none; could not switch the "
        "camera on: held. This is “X” by Y."
    )
