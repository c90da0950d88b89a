"""The optional privacy button and status LED on the Pi's GPIO header (hardware/WIRING.md).

The button does not touch the camera itself: it goes through the same command as the web page and
MQTT, `ControlAPI.execute("set_camera", {"enabled": ...})`, so there is one camera switch, one
validation path and one `StateChanged` event whichever way the camera was switched.  Its source,
`SOURCE_BUTTON`, makes it the speaker's physical privacy switch (control.PrivacySwitch): a camera it
switched off is switched on again only by it (the page, the API and MQTT are refused), after a
restart too (a speaker started without a working button lets go of the hold, the camera still off:
runner.start_gpio); a camera switched off elsewhere it switches on as well.  The LED
follows the camera state from the EventBus (lit = camera on, like a webcam's recording light), so
it is right even when the camera was switched from the phone.

gpiozero is imported only when the feature is enabled (it exists on Raspberry Pi OS as
python3-gpiozero); tests hand in gpiozero's own MockFactory as the pin factory.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from moodspeaker.config.schema import GpioConfig
from moodspeaker.service.control import SOURCE_BUTTON, CommandError
from moodspeaker.service.events import Event, EventBus, StateChanged

log = logging.getLogger(__name__)


class Control(Protocol):
    """The part of ControlAPI the button needs."""

    def execute(
        self, name: str, args: Mapping[str, Any] | None = None, source: str = "api"
    ) -> dict[str, Any]: ...

    def state(self) -> dict[str, Any]: ...


class ButtonLike(Protocol):
    when_pressed: Callable[[], None] | None

    def close(self) -> None: ...


class LedLike(Protocol):
    def on(self) -> None: ...
    def off(self) -> None: ...
    def close(self) -> None: ...


def camera_on(state: Mapping[str, Any]) -> bool:
    """The camera flag of a state snapshot (a bool, or a mapping with `enabled`); on when unknown."""
    value = state.get("camera", True)
    if isinstance(value, Mapping):
        value = value.get("enabled", True)
    return bool(value)


class PrivacyButton:
    """Press: camera on <-> off through the ControlAPI.  LED: mirrors the camera state."""

    def __init__(
        self, control: Control, bus: EventBus, button: ButtonLike | None, led: LedLike | None
    ) -> None:
        self._control = control
        self._button = button
        self._led = led
        self._lock = threading.Lock()  # presses arrive on gpiozero's thread, events on the service's
        self._unsubscribe = bus.subscribe(self._on_event)
        if button is not None:
            button.when_pressed = self.toggle
        self._show(camera_on(control.state()))

    @property
    def has_button(self) -> bool:
        """Whether there is a button (gpio.button_pin -1 makes the LED alone)."""
        return self._button is not None

    def toggle(self) -> None:
        with self._lock:
            wanted = not camera_on(self._control.state())
            try:
                state = self._control.execute("set_camera", {"enabled": wanted}, source=SOURCE_BUTTON)
            except CommandError as exc:  # refused: the LED keeps showing the true state
                log.warning("privacy button: %s", exc)
                return
            except Exception:  # the service must not die from a button press
                log.exception("privacy button: switching the camera failed")
                return
        log.info("privacy button: camera %s", "on" if wanted else "off")
        self._show(camera_on(state))

    def _on_event(self, event: Event) -> None:
        if isinstance(event, StateChanged) and event.key == "camera":
            self._show(bool(event.value))

    def _show(self, on: bool) -> None:
        if self._led is None:
            return
        if on:
            self._led.on()
        else:
            self._led.off()

    def close(self) -> None:
        self._unsubscribe()
        for device in (self._button, self._led):
            if device is not None:
                device.close()


def make_privacy_button(
    cfg: GpioConfig, control: Control, bus: EventBus, *, pin_factory: object | None = None
) -> PrivacyButton | None:
    """Build the button and LED from the [gpio] settings; None when the feature is off.

    Raises RuntimeError with a readable reason when it is on but gpiozero or the pins are missing,
    so the service can report it (and `moodspeaker doctor` explains the fix).
    """
    if not cfg.enabled or (cfg.button_pin < 0 and cfg.led_pin < 0):
        return None
    try:
        gpiozero = importlib.import_module("gpiozero")
    except ImportError as exc:
        raise RuntimeError("gpio.enabled but gpiozero is missing: apt install python3-gpiozero") from exc
    try:
        button = (
            gpiozero.Button(cfg.button_pin, pull_up=True, bounce_time=0.05, pin_factory=pin_factory)
            if cfg.button_pin >= 0
            else None
        )
        led = gpiozero.LED(cfg.led_pin, pin_factory=pin_factory) if cfg.led_pin >= 0 else None
    except Exception as exc:  # gpiozero raises its own hierarchy (BadPinFactory, PinInvalidPin...)
        raise RuntimeError(f"GPIO {cfg.button_pin}/{cfg.led_pin} unavailable: {exc}") from exc
    return PrivacyButton(control, bus, button, led)
