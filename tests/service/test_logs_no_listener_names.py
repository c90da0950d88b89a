"""The speaker's log (the journal) names no listener.

The journal is kept by journald, out of reach of "delete everything" and of the retention, so a name
logged there outlives the listener's data.  It used to log "neutral calibration for 'Quokka' loaded
from .../calibration/neutral-Quokka.json", "delete everything: ... the neutral-face calibrations
(neutral-Quokka.json)", "the active listener was deleted; 'default' is active now", "a plan made
before the switch to Quokka (match) dropped", "no picks for Quokka: ...", and a refused command's
message: "command set_profile from api refused by the speaker: profile not changed to 'Quokka': no
profile named 'Quokka' (it was deleted meanwhile)", which now says <listener> where the answer names
them.

Real parts: the running appliance (real recommender on SQLite, real player on SDL's dummy driver, the
calibration followed from its real file); only the camera and classifier are scripted.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from servicekit import (
    CLASSES,
    Script,
    ScriptPipeline,
    ScriptSource,
    config,
    make_tracks,
    running,
    started,
    wait_for,
)
from test_feedback_profile_gone import _deleted_by_another_program
from test_switch_delete_race import CheckedGate

from moodspeaker.mood.calibration import NeutralCalibration, calibration_file
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.control import CommandError, unnamed
from moodspeaker.service.events import EventBus

pytestmark = pytest.mark.timeout(120)

NAME = "Quokkaprof"


def _calibrated(data: Path, profile: str) -> Path:
    classes = list(CLASSES)  # the scripted classifier's
    fitted = NeutralCalibration.fit(np.full((3, len(classes)), 1 / len(classes)), classes)
    path = calibration_file(data, profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(fitted.to_json())
    return path


def test_switching_calibrating_and_deleting_a_listener_logs_no_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    saved = _calibrated(tmp_path / "data", NAME)
    cfg = config(tmp_path / "data", **{"recommend.profiles": ["default", NAME], "recommend.profile": NAME})
    script, bus = Script("happy"), EventBus()
    recommender = Recommender.from_config(cfg, Catalogue(make_tracks(tmp_path)))
    parts = Parts(lambda: ScriptSource(script), lambda: ScriptPipeline(script), recommender, classes=CLASSES)
    with started(Appliance(cfg, bus, parts, tmp_path / "data"), bus) as (app, control, _events):
        loaded = re.compile(r"calibration .*loaded")  # as it was said before too
        wait_for(lambda: loaded.search(caplog.text), what="the listener's calibration loaded")
        wait_for(lambda: app.state()["now_playing"], what="a track planned for the listener")
        control.execute("set_profile", {"profile": "default"})  # no calibration for this one
        wait_for(lambda: "no neutral calibration" in caplog.text, what="the switch's calibration check")
        control.execute("set_profile", {"profile": NAME})
        control.delete_data()  # the calibration file, named after the listener, goes
        wait_for(lambda: not saved.exists(), what="the calibration deleted")
        wait_for(lambda: "neutral-face calibrations" in caplog.text, what="the deletion logged")
    named = [r.getMessage() for r in caplog.records if NAME.lower() in r.getMessage().lower()]
    assert not named, named


def test_refused_commands_are_logged_with_their_reason_and_no_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The answer names the listener (the page and MQTT show it to whoever asked); the journal's line
    keeps the command and the reason, with <listener> in place of each name."""
    caplog.set_level(logging.INFO)
    with running(tmp_path, Script("happy"), **{"recommend.profiles": ["default", NAME]}) as (
        app,
        api,
        _events,
    ):
        answers: list[str] = []
        with pytest.raises(CommandError) as mistyped:  # refused by the ControlAPI's check, listing them
            api.execute("set_profile", {"profile": NAME + "e"})
        answers.append(str(mistyped.value))

        app.parts.recommender.create_profile("Quokkaguest", time.time())  # not in the settings
        gate = CheckedGate(app, "switch")  # deleted between the ControlAPI's check and the switch

        def switch() -> None:
            try:
                api.execute("set_profile", {"profile": "Quokkaguest"})
            except CommandError as exc:
                answers.append(str(exc))

        switcher = threading.Thread(target=switch, name="switch")
        switcher.start()
        assert gate.holding.wait(60), "the switch did not check the name"
        _deleted_by_another_program(app, "Quokkaguest")
        gate.open()
        switcher.join(60)

        api.execute("set_profile", {"profile": NAME})
        api.execute("play")
        wait_for(lambda: app.state()["now_playing"] is not None, what="a track playing")
        _deleted_by_another_program(app, NAME)
        with pytest.raises(CommandError) as gone:  # refused by the speaker: the listener is gone
            api.execute("like")
        answers.append(str(gone.value))

    assert answers == [
        f"set_profile: profile must be an existing profile ({NAME}, default); got '{NAME}e'",
        "profile not changed to 'Quokkaguest': no profile named 'Quokkaguest' (it was deleted meanwhile)",
        f"no profile named '{NAME}': the like was not recorded",
    ]
    lines = [r.getMessage() for r in caplog.records]
    assert "command from api rejected: set_profile: profile must be an existing profile " in "\n".join(lines)
    assert (
        "command set_profile from api refused by the speaker: profile not changed to <listener>: no profile "
        "named <listener> (it was deleted meanwhile)" in lines
    )
    assert (
        "command like from api refused by the speaker: no profile named <listener>: the like was not recorded"
        in lines
    )
    named = [line for line in lines if "quokka" in line.lower()]
    assert not named, named


def test_a_name_is_left_out_whole_and_only_where_it_is_a_word() -> None:
    assert unnamed("no profile named 'Al' (Al, Alma, default); got 'Alm'", ["Al", "Alm", "default"]) == (
        "no profile named <listener> (<listener>, Alma, <listener>); got <listener>"
    )
    assert unnamed('no profile named "O\'Neil"', ["O'Neil"]) == "no profile named <listener>"
    assert unnamed("nothing is playing", []) == "nothing is playing"
