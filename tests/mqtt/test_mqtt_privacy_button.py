"""The privacy button is a physical switch: a camera it switched off is switched on only by it.

Why: the button was a toggle through the same `set_camera` as MQTT, so anyone who could publish on the
broker (no login needed on an open one) switched the camera back on with `…/set_camera/set ON`, or for
every speaker at once with `moodspeaker/all/set_camera/set ON`.  Now a camera switched off at the
speaker is held off: a remote ON (MQTT, the MQTT group, the page/API) is refused with a clear answer
(MQTT's command_rejected event), a remote OFF is always done, and the hold survives a restart (a power
cut must not switch the camera on).  A camera switched off remotely is still switched on remotely.

The real Appliance and its bridge on a real Mosquitto (bridgekit), the real PrivacyButton on gpiozero
with only its pins mocked (gpiozero's MockFactory, as tests/system/test_gpio.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from gpiozero.pins.mock import MockFactory
from mqtt_helpers import Watcher

from moodspeaker.config.schema import GpioConfig
from moodspeaker.service.control import CommandError, ControlAPI
from moodspeaker.service.playback import CAMERA_HELD_DETAIL, CAMERA_HELD_REFUSAL
from moodspeaker.system.gpio import make_privacy_button
from polling import until

pytestmark = pytest.mark.timeout(180)

REJECTED = f"{ROOT}/event/command_rejected"


@contextmanager
def speaker(tmp_path: Path, broker: Mosquitto) -> Iterator[tuple[Any, MockFactory]]:
    """The appliance on MQTT with its privacy button (pin 17) on mocked pins."""
    with bridged(tmp_path, broker, Shown(None)) as (app, _):
        factory = MockFactory()
        button = make_privacy_button(
            GpioConfig(enabled=True), ControlAPI(app, app.bus), app.bus, pin_factory=factory
        )
        assert button is not None
        try:
            yield app, factory
        finally:
            button.close()


def press(factory: MockFactory) -> None:
    factory.pin(17).drive_low()  # the button shorts the pulled-up pin to ground
    factory.pin(17).drive_high()
    time.sleep(0.08)  # past the 50 ms debounce (as test_gpio)


def camera_detail(app: Any) -> str:
    return str(app.state()["health"]["components"]["camera"]["detail"])


def refused_on(app: Any, watcher: Watcher, topic: str) -> None:
    """`ON` on `topic` is answered with the refusal on MQTT, and the camera stays off."""
    watcher.clear()
    watcher.publish(topic, "ON")
    answer = watcher.wait_for(REJECTED, timeout=BUSY)
    assert answer.json()["error"] == CAMERA_HELD_REFUSAL
    assert "press its button" in CAMERA_HELD_REFUSAL
    assert app.state()["camera"] is False


def test_only_the_button_switches_on_a_camera_it_switched_off(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    with speaker(tmp_path, broker) as (app, factory):
        press(factory)
        until(lambda: app.state()["camera"] is False, BUSY, what="the button switched the camera off")
        assert camera_detail(app) == CAMERA_HELD_DETAIL  # the camera's state says why, and what to do
        refused_on(app, watcher, f"{ROOT}/set_camera/set")
        refused_on(app, watcher, "moodspeaker/all/set_camera/set")  # the group address too
        with pytest.raises(CommandError, match="press its button"):  # the page and the API
            ControlAPI(app, app.bus).execute("set_camera", {"enabled": True}, source="web")
        watcher.wait_for(REJECTED, lambda m: m.json()["source"] == "web", BUSY)  # said on MQTT as well
        watcher.clear()
        watcher.publish(f"{ROOT}/set_camera/set", "OFF")  # off is always done (a no-op here)
        watcher.publish(f"{ROOT}/set_volume/set", "0.3")  # handled after it: marks the end
        until(lambda: app.state()["volume"] == 0.3, BUSY, what="the volume set after the OFF")
        assert not watcher.on(REJECTED)
        assert app.state()["camera"] is False and camera_detail(app) == CAMERA_HELD_DETAIL

    # A restart (a power cut) keeps it held off, though the config says camera.enabled = true.
    with speaker(tmp_path, broker) as (app, factory):
        assert app.state()["camera"] is False
        assert camera_detail(app) == CAMERA_HELD_DETAIL
        refused_on(app, watcher, f"{ROOT}/set_camera/set")
        press(factory)  # the button alone switches it on again
        until(lambda: app.state()["camera"] is True, BUSY, what="the button switched the camera on")

        # Switched off remotely, it is switched on remotely: no hold.
        watcher.clear()
        watcher.publish(f"{ROOT}/set_camera/set", "OFF")
        until(lambda: app.state()["camera"] is False, BUSY, what="MQTT switched the camera off")
        assert camera_detail(app) != CAMERA_HELD_DETAIL
        watcher.publish(f"{ROOT}/set_camera/set", "ON")
        until(lambda: app.state()["camera"] is True, BUSY, what="MQTT switched the camera on")
        assert not watcher.on(REJECTED)

    with speaker(tmp_path, broker) as (app, _):  # and no hold is left after the button switched it on
        assert app.state()["camera"] is True
