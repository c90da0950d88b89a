""" "Delete everything" (the privacy page's data deletion, ControlAPI.delete_data) on the real appliance.

Why: the deletion removes every listener profile and creates the configured ones again.  The active
listener had to be one of those, or the speaker went on as a listener that no longer exists (the web
page switched back itself; MQTT and other callers of the ControlAPI did not).  And what the service
derived from the moods it read (the pick explanations quoting them, the mood in force, the mood each
pick was made for) is personal data too: it must not outlive the deletion.  Real player on SDL's dummy
driver, real recommender on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from servicekit import Script, running, wait_for

from moodspeaker.config import with_changes
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, StateChanged

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[Appliance, ControlAPI, list[Event], Script]]:
    script = Script("happy")
    with running(tmp_path, script) as (app, control, events):
        yield app, control, events, script


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


def _mood_words(text: str) -> bool:
    return "you look" in text or "when happy" in text


def test_nothing_mood_derived_is_reported_after_deleting(
    started: tuple[Appliance, ControlAPI, list[Event], Script],
) -> None:
    app, control, events, script = started
    wait_for(lambda: app.state()["now_playing"] is not None and app.state()["queue"], what="music")
    wait_for(lambda: app.state()["health"]["reasons"], what="a reason in health")
    assert _mood_words(json.dumps(control.state()))  # the explanations quote the mood read
    control.execute("set_camera", {"enabled": False})  # no new reading: only what was kept is left
    wait_for(lambda: script.open_sources == 0, what="the camera off")
    assert control.delete_data()
    state = control.state()
    assert not _mood_words(json.dumps(state)), state
    assert state["health"]["reasons"] == []
    assert (state["mood"], state["confidence"], state["valence"], state["arousal"]) == ("unknown", 0, 0, 0)
    saved = (Path(app.config.device.data_dir) / "state.json").read_text()
    assert not _mood_words(saved)  # nor in the state a restart brings back
    assert app.store.load()[0].picked_for == {}  # nor the mood each pick was made for
    deleted = [e for e in events if isinstance(e, StateChanged) and e.key == "data_deleted"]
    assert deleted  # so the MQTT bridge republishes its retained state (now playing) without them
    seen = len(events)
    after = control.execute("next", {})  # a track planned before the deletion starts now
    assert after["now_playing"] is not None and not _mood_words(json.dumps(after))
    wait_for(lambda: control.state()["health"]["reasons"], what="the started track's reason")
    assert not _mood_words(json.dumps(control.state()))
    assert not any(_mood_words(json.dumps(e.to_payload())) for e in events[seen:])  # nor on MQTT
