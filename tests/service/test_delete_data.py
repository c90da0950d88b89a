""" "Delete everything" (the privacy page's data deletion, ControlAPI.delete_data) on the real appliance.

Why: the deletion removes every listener profile and creates the configured ones again.  The active
listener had to be one of those, or the speaker went on as a listener that no longer exists (the web
page switched back itself; MQTT and other callers of the ControlAPI did not).  Real player on SDL's dummy
driver, real recommender on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servicekit import Script, build

from moodspeaker.config import with_changes
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, StateChanged

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[Appliance, ControlAPI, list[Event], Script]]:
    script = Script("happy")
    app, bus = build(tmp_path, script)
    events: list[Event] = []
    bus.subscribe(events.append)
    app.start()
    try:
        yield app, ControlAPI(app, bus), events, script
    finally:
        app.stop()


def test_after_deleting_the_active_listener_is_one_that_exists(
    started: tuple[Appliance, ControlAPI, list[Event], Script],
) -> None:
    app, control, events, _script = started
    app.apply_config(with_changes(app.config, {"recommend.profiles": ["default", "Guest"]}))
    assert control.execute("set_profile", {"profile": "Guest"})["profile"] == "Guest"
    app.apply_config(with_changes(app.config, {"recommend.profiles": ["default"]}))  # Guest left
    assert control.delete_data()
    state = control.state()
    assert state["profiles"] == ["default"]
    assert state["profile"] == "default"  # the config's profile, not the deleted Guest
    assert [e.value for e in events if isinstance(e, StateChanged) and e.key == "profile"][-1] == "default"
    assert app.store.load()[0].profile == "default"  # a restart does not bring Guest back
    assert control.execute("set_volume", {"volume": 0.4})["profile"] == "default"


def test_a_configured_active_listener_stays_active(
    started: tuple[Appliance, ControlAPI, list[Event], Script],
) -> None:
    app, control, _events, _script = started
    app.apply_config(with_changes(app.config, {"recommend.profiles": ["default", "Kim"]}))
    control.execute("set_profile", {"profile": "Kim"})
    assert control.delete_data()
    state = control.state()
    assert (state["profile"], sorted(state["profiles"])) == ("Kim", ["Kim", "default"])
