"""A switch of listener that "delete everything" overtakes does not make a deleted profile active.

set_profile's name is checked by the ControlAPI (an existing profile), then the switch plans, saves
and makes the listener active.  "Delete everything" deletes every profile (the configured ones are
made again, empty) and, when the active listener is not among them, falls back to an existing one.
Run between the check and the switch, it found the previous listener active and kept it; the switch
then made active the profile it had just deleted: the page, MQTT and state.json named a listener
who does not exist, whose feedback the recommender refuses (test_feedback_profile_gone), until the
next switch.  The switch now checks the name again under the lock the deletion holds from deleting
the profiles until the active listener is one that exists (`_listener_changes`), and is refused
naming it.  The race is made deterministic with a gate: the switch's thread is held right after the
ControlAPI's check (its `profiles()` read) until the deletion is over.  The real service (servicekit:
real player on SDL's dummy driver, real recommender and store on sqlite).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from servicekit import Script, running

from moodspeaker.service.app import Appliance
from moodspeaker.service.control import CommandError


class CheckedGate:
    """Holds the thread named `thread` once it has read the profile list (the ControlAPI's check of a
    set_profile's name), until `open()`; other threads read the list as ever."""

    def __init__(self, app: Appliance, thread: str) -> None:
        self.holding, self._open = threading.Event(), threading.Event()
        read = app.profiles

        def profiles() -> list[str]:
            names = read()
            if threading.current_thread().name == thread and not self.holding.is_set():
                self.holding.set()
                self._open.wait(120)
            return names

        app.profiles = profiles  # type: ignore[method-assign]  # the instance's, for this test only

    def open(self) -> None:
        self._open.set()


def test_a_switch_overtaken_by_delete_everything_is_refused(tmp_path: Path) -> None:
    with running(tmp_path, Script("happy")) as (app, api, _events):
        recommender = app.parts.recommender
        recommender.create_profile("Sam", time.time())  # a listener of before, not in the settings
        assert app.conductor.profile == "default"
        gate = CheckedGate(app, "switch")
        answers: list[str] = []

        def switch() -> None:
            try:
                api.execute("set_profile", {"profile": "Sam"})
                answers.append("switched")
            except CommandError as exc:
                answers.append(str(exc))

        switcher = threading.Thread(target=switch, name="switch")
        switcher.start()
        assert gate.holding.wait(60), "the switch did not check the name"
        api.delete_data()  # Sam's profile goes; "default" is made again and stays active
        gate.open()
        switcher.join(60)
        assert not switcher.is_alive()

        assert "Sam" not in recommender.profiles()
        assert answers and "no profile named 'Sam'" in answers[0], answers  # before: "switched"
        assert app.state()["profile"] == "default"  # before: 'Sam', a listener who does not exist
        saved = json.loads((tmp_path / "data" / "state.json").read_text())
        assert saved["profile"] == "default"
        assert "Sam" not in recommender._models  # nothing planned for the deleted profile
