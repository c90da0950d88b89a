"""The privacy button switches the camera through the real ControlAPI; the LED follows the state.

gpiozero is real; only its pins are mocked, with gpiozero's own MockFactory (the hardware boundary).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory

from moodspeaker.config.schema import GpioConfig
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, EventBus, StateChanged
from moodspeaker.system.gpio import PrivacyButton, camera_on, make_privacy_button
from polling import until


class CameraSpeaker:
    """The Speaker side of the camera switch (the running service's real one is Appliance)."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.camera = True

    def set_camera(self, enabled: bool) -> None:
        self.camera = enabled
        self.bus.publish(StateChanged(ts=time.time(), key="camera", value=enabled))

    def state(self) -> dict[str, Any]:
        return {"camera": self.camera}

    def profiles(self) -> list[str]:
        return ["default"]


Rig = tuple[CameraSpeaker, EventBus, MockFactory, PrivacyButton]


@pytest.fixture
def rig() -> Iterator[Rig]:
    bus = EventBus()
    speaker = CameraSpeaker(bus)
    control = ControlAPI(speaker, bus)  # type: ignore[arg-type]
    factory = MockFactory()
    button = make_privacy_button(GpioConfig(enabled=True), control, bus, pin_factory=factory)
    assert button is not None
    yield speaker, bus, factory, button
    button.close()


def press(factory: MockFactory, pin: int = 17) -> None:
    factory.pin(pin).drive_low()  # the button shorts the pulled-up pin to ground
    factory.pin(pin).drive_high()
    time.sleep(0.08)  # past the 50 ms debounce


def test_press_toggles_the_camera_through_the_control_api(rig: Rig) -> None:
    speaker, bus, factory, _ = rig
    seen: list[Event] = []
    bus.subscribe(seen.append)
    led = factory.pin(27)
    assert led.state == 1  # camera on at start: LED lit
    press(factory)
    until(lambda: speaker.camera is False, what="the camera switched off")
    until(lambda: led.state == 0, what="the LED off")
    assert [e.value for e in seen if isinstance(e, StateChanged)] == [False]
    press(factory)
    until(lambda: speaker.camera is True, what="the camera switched on again")
    until(lambda: led.state == 1, what="the LED lit again")


def test_led_follows_a_switch_made_elsewhere(rig: Rig) -> None:
    speaker, bus, factory, _ = rig
    ControlAPI(speaker, bus).execute("set_camera", {"enabled": False}, source="web")  # type: ignore[arg-type]
    assert factory.pin(27).state == 0


def test_off_when_disabled_and_readable_error_for_bad_pins() -> None:
    bus = EventBus()
    control = ControlAPI(CameraSpeaker(bus), bus)  # type: ignore[arg-type]
    assert make_privacy_button(GpioConfig(), control, bus) is None
    assert make_privacy_button(GpioConfig(enabled=True, button_pin=-1, led_pin=-1), control, bus) is None
    factory = MockFactory()
    factory.pin(17)  # pins are fine; reusing one pin twice is not
    with pytest.raises(RuntimeError, match="GPIO 17/17 unavailable"):
        make_privacy_button(GpioConfig(enabled=True, led_pin=17), control, bus, pin_factory=factory)


def test_camera_flag_shapes() -> None:
    assert camera_on({"camera": False}) is False
    assert camera_on({"camera": {"enabled": False}}) is False
    assert camera_on({}) is True
