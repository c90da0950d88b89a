"""A camera the privacy button held off is let go of where the speaker runs with no working button.

Why: the hold (state.json camera_held) is switched off by the button alone, and every other way of
switching the camera on is refused meanwhile (the page, the API, MQTT, the group topic, Home
Assistant, the tell box, `config set`).  Restored on a speaker whose button was then switched off
(gpio.enabled = false, gpio.button_pin = -1), whose gpiozero is missing or whose pin is busy, the
camera stayed off for good, each refusal saying to press a button there was not.  Now the runner's
start of the button (runner.start_gpio) lets go of the hold when there is no working button: the
camera stays off (nothing switches it on unasked), the log says why, and MQTT switches it on.  With a
working button the hold stays.

The real Appliance and its bridge on a real Mosquitto (bridgekit), the runner's own start_gpio and
the real PrivacyButton on gpiozero with only its pins mocked (gpiozero's MockFactory).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import gpiozero
import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from gpiozero.pins.mock import MockFactory
from mqtt_helpers import Watcher
from test_mqtt_privacy_button import REJECTED, camera_detail, press, refused_on, speaker

from moodspeaker.service.control import ControlAPI
from moodspeaker.service.playback import CAMERA_HELD_DETAIL
from moodspeaker.service.runner import start_gpio
from polling import until

pytestmark = pytest.mark.timeout(180)

#: How the speaker is started the second time: its [gpio] settings, and what the log says of it.
NO_BUTTON: dict[str, tuple[dict[str, Any], str]] = {
    "disabled": ({"gpio__enabled": False}, "gpio.enabled = false"),
    "no pin": ({"gpio__enabled": True, "gpio__button_pin": -1}, "gpio.button_pin = -1"),
    "pin busy": ({"gpio__enabled": True}, "the privacy button could not start: GPIO 17/27 unavailable"),
    "no gpiozero": ({"gpio__enabled": True}, "gpiozero is missing"),
}


def held(tmp_path: Path) -> bool:
    return bool(json.loads((tmp_path / "data" / "state.json").read_text())["camera_held"])


@pytest.mark.parametrize("case", list(NO_BUTTON))
def test_a_hold_is_let_go_of_without_a_working_button(
    case: str,
    tmp_path: Path,
    broker: Mosquitto,
    watcher: Watcher,
    *,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with speaker(tmp_path, broker) as (app, factory):
        press(factory)
        until(lambda: app.state()["camera"] is False, BUSY, what="the button switched the camera off")
    assert held(tmp_path)

    settings, why = NO_BUTTON[case]
    factory = MockFactory()
    monkeypatch.setattr(gpiozero.Device, "pin_factory", factory)
    busy = gpiozero.Button(17, pin_factory=factory) if case == "pin busy" else None  # another program's
    if case == "no gpiozero":
        monkeypatch.setitem(sys.modules, "gpiozero", None)  # import gpiozero raises ImportError
    with bridged(tmp_path, broker, Shown(None), **settings) as (app, _):
        assert app.state()["camera"] is False and camera_detail(app) == CAMERA_HELD_DETAIL  # restored held
        said: list[str] = []
        with caplog.at_level(logging.WARNING, "moodspeaker.service.app"):
            gpio = start_gpio(
                app, control=ControlAPI(app, app.bus), bus=app.bus, config=app.config, say=said.append
            )
        try:
            warned = [r.getMessage() for r in caplog.records if "privacy button" in r.getMessage()]
            assert len(warned) == 1 and why in warned[0], warned  # the log says the hold went, and why
            assert app.state()["camera"] is False  # still off: nothing switched on unasked
            assert camera_detail(app) != CAMERA_HELD_DETAIL  # no more "press its button"
            assert not held(tmp_path)  # saved: the next start holds nothing either
            watcher.clear()
            watcher.publish(f"{ROOT}/set_camera/set", "ON")
            until(lambda: app.state()["camera"] is True, BUSY, what="MQTT switched the camera on")
            assert not watcher.on(REJECTED)
        finally:
            if gpio is not None:
                gpio.close()
            if busy is not None:
                busy.close()


def test_a_working_button_keeps_the_hold(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    with speaker(tmp_path, broker) as (app, factory):
        press(factory)
        until(lambda: app.state()["camera"] is False, BUSY, what="the button switched the camera off")
    factory = MockFactory()
    monkeypatch.setattr(gpiozero.Device, "pin_factory", factory)
    with bridged(tmp_path, broker, Shown(None), gpio__enabled=True) as (app, _):
        gpio = start_gpio(app, control=ControlAPI(app, app.bus), bus=app.bus, config=app.config, say=print)
        try:
            assert gpio is not None and gpio.has_button
            refused_on(app, watcher, f"{ROOT}/set_camera/set")  # held: the button is there to press
            assert held(tmp_path) and camera_detail(app) == CAMERA_HELD_DETAIL
            press(factory)
            until(lambda: app.state()["camera"] is True, BUSY, what="the button switched the camera on")
        finally:
            if gpio is not None:
                gpio.close()
