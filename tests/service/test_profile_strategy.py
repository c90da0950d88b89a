"""Each listener profile has its own strategy, and the running speaker follows the active profile's.

`set_strategy` stores the choice with the active profile; switching profile makes that profile's own
strategy active (or `recommend.strategy`, the household default, for a profile that never chose),
and so does a restart.  The real appliance (real recommender and SQLite store, real pygame player on
the dummy driver): the queue shows which strategy planned it ("off" plans nothing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, StateChanged

pytestmark = pytest.mark.timeout(120)


def announced(events: list[Event]) -> list[object]:
    return [e.value for e in events if isinstance(e, StateChanged) and e.key == "strategy"]


def start(tmp_path: Path, **changes: object) -> tuple[Appliance, ControlAPI, list[Event]]:
    settings: dict[str, Any] = {"recommend.profiles": ["default", "Kim", "Lee"], **changes}
    app, bus = build(tmp_path, Script("happy"), **settings)
    events: list[Event] = []
    bus.subscribe(events.append)
    app.start()
    wait_for(lambda: app.state()["mood"] == "happy", what="the mood read")
    wait_for(lambda: app.state()["now_playing"] is not None, what="a track playing (autoplay)")
    wait_for(lambda: len(app.state()["queue"]) > 0, what="a planned queue")
    return app, ControlAPI(app, bus), events


def test_switching_profile_makes_that_profiles_own_strategy_active(tmp_path: Path) -> None:
    app, api, events = start(tmp_path)
    try:
        assert app.state()["strategy"] == "match"  # the household default (recommend.strategy)
        assert api.execute("set_strategy", {"strategy": "steady"})["strategy"] == "steady"
        state = api.execute("set_profile", {"profile": "Kim"})
        assert (state["profile"], state["strategy"]) == ("Kim", "match")  # Kim never chose: the default
        assert state["queue"], "Kim's plan under match"
        api.execute("set_strategy", {"strategy": "off"})
        assert app.state()["queue"] == []  # off: no automatic picks (the current track plays on)
        state = api.execute("set_profile", {"profile": "default"})
        assert (state["profile"], state["strategy"]) == ("default", "steady")
        assert state["queue"], "planned with default's strategy, not Kim's off"
        state = api.execute("set_profile", {"profile": "Kim"})
        assert (state["strategy"], state["queue"]) == ("off", [])  # Kim's own choice is kept
        assert announced(events) == ["steady", "match", "off", "steady", "off"]  # page and MQTT follow
        assert app.state()["now_playing"] is not None  # the track playing was never cut
    finally:
        app.stop()


def test_after_a_restart_the_active_profiles_strategy_is_active(tmp_path: Path) -> None:
    app, api, _ = start(tmp_path)
    try:
        api.execute("set_strategy", {"strategy": "steady"})  # default's choice
        api.execute("set_profile", {"profile": "Kim"})
        api.execute("set_strategy", {"strategy": "uplift"})  # Kim's choice
    finally:
        app.stop()
    # the household default changes (a restart setting): profiles that chose keep their choice
    again, api, _ = start(tmp_path, **{"recommend.strategy": "steady"})
    try:
        assert (again.state()["profile"], again.state()["strategy"]) == ("Kim", "uplift")
        assert api.execute("set_profile", {"profile": "default"})["strategy"] == "steady"
        assert api.execute("set_profile", {"profile": "Lee"})["strategy"] == "steady"  # never chose
    finally:
        again.stop()
    third, api, _ = start(tmp_path, **{"recommend.strategy": "uplift"})
    try:
        assert (third.state()["profile"], third.state()["strategy"]) == ("Lee", "uplift")  # the new default
        assert api.execute("set_profile", {"profile": "default"})["strategy"] == "steady"
    finally:
        third.stop()
