"""The runner starts the GPIO privacy button with the service and releases its pins on the way out.

gpiozero is real; only its pins are mocked, with gpiozero's own MockFactory (the hardware boundary).
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from moodspeaker.service.runner import Faces, serve_until_signal

gpiozero = pytest.importorskip("gpiozero")
mock_pins = pytest.importorskip("gpiozero.pins.mock")


def run_in_thread(
    app: Appliance, bus: EventBus, tmp_path: Path
) -> tuple[threading.Thread, threading.Event, queue.Queue[Faces]]:
    stop = threading.Event()
    started: queue.Queue[Faces] = queue.Queue()
    runner = threading.Thread(
        target=serve_until_signal,
        args=(app, ControlAPI(app, bus), bus, app.config, tmp_path / "data"),
        kwargs={"say": lambda _m: None, "stop": stop, "ready": started.put},
    )
    runner.start()
    return runner, stop, started


def test_the_privacy_button_switches_the_camera_and_is_released_on_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = mock_pins.MockFactory()
    monkeypatch.setattr(gpiozero.Device, "pin_factory", factory)
    app, bus = build(tmp_path, Script("happy"), **{"web.enabled": False, "gpio.enabled": True})
    runner, stop, started = run_in_thread(app, bus, tmp_path)
    try:
        faces = started.get(timeout=30)
        assert faces.gpio is not None
        assert app.health_snapshot()["components"]["gpio"]["state"] == "ok"
        factory.pin(17).drive_low()  # the button shorts its pulled-up pin to ground
        factory.pin(17).drive_high()
        wait_for(lambda: app.state()["camera"] is False, what="camera off by the button")
        wait_for(lambda: factory.pin(27).state is False, what="the LED goes dark")
    finally:
        stop.set()
        runner.join(30)
    assert not runner.is_alive()
    factory.pin(17).drive_low()  # after shutdown the button does nothing
    factory.pin(17).drive_high()
    assert app.state()["camera"] is False


def test_no_button_without_gpio_enabled(tmp_path: Path) -> None:
    app, bus = build(tmp_path, Script("happy"), **{"web.enabled": False})
    runner, stop, started = run_in_thread(app, bus, tmp_path)
    try:
        assert started.get(timeout=30).gpio is None
        assert "gpio" not in app.health_snapshot()["components"]
    finally:
        stop.set()
        runner.join(30)
