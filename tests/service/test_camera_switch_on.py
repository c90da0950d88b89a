"""Switching the camera on captures at once, not after up to one capture interval.

Why: the inference loop, idling while the camera is off, keeps its next run one interval ahead; woken
by the switch, it used to go back to sleep until then, so the page said "camera on" while the mood
stayed unread for up to `camera.interval_s`.  Here the interval is the longest the settings allow (a
minute), twice the wait of the test's `until`: a loop that waits out its slot fails the test, however
fast or slow the machine is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI

LONGEST_INTERVAL_S = 60.0  # camera.interval_s: 0 to 60; wait_for gives up after 30 s


@pytest.fixture
def apps() -> Iterator[list[Appliance]]:
    started: list[Appliance] = []
    yield started
    for app in started:
        app.stop()


def _start(tmp_path: Path, script: Script, apps: list[Appliance], *, camera: bool = True) -> ControlAPI:
    settings = {"camera.interval_s": LONGEST_INTERVAL_S, "camera.enabled": camera}
    app, bus = build(tmp_path, script, **settings)
    app.start()
    apps.append(app)
    return ControlAPI(app, bus)


def test_switching_on_again_captures_at_once(tmp_path: Path, apps: list[Appliance]) -> None:
    script = Script(None)
    control = _start(tmp_path, script, apps)
    wait_for(lambda: script.reads >= 1, what="the first capture at start")
    control.execute("set_camera", {"enabled": False})
    wait_for(lambda: script.open_sources == 0, what="the camera released")
    reads = script.reads
    assert control.execute("set_camera", {"enabled": True})["camera"] is True
    wait_for(lambda: script.reads > reads, what="a capture right after switching on (interval: 60 s)")


def test_switching_on_a_camera_started_off_captures_at_once(tmp_path: Path, apps: list[Appliance]) -> None:
    script = Script(None)
    control = _start(tmp_path, script, apps, camera=False)
    assert control.state()["camera"] is False
    assert script.reads == 0 and script.open_sources == 0
    control.execute("set_camera", {"enabled": True})
    wait_for(lambda: script.reads >= 1, what="the first capture right after switching on (interval: 60 s)")
