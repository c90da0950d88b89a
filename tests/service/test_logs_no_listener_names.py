"""The speaker's log (the journal) names no listener.

The journal is kept by journald, out of reach of "delete everything" and of the retention, so a name
logged there outlives the listener's data.  It used to log "neutral calibration for 'Quokka' loaded
from .../calibration/neutral-Quokka.json", "delete everything: ... the neutral-face calibrations
(neutral-Quokka.json)", "the active listener was deleted; 'default' is active now", "a plan made
before the switch to Quokka (match) dropped", "no picks for Quokka: ...".

Real parts: the running appliance (real recommender on SQLite, real player on SDL's dummy driver, the
calibration followed from its real file); only the camera and classifier are scripted.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pytest
from servicekit import CLASSES, Script, ScriptPipeline, ScriptSource, config, make_tracks, started, wait_for

from moodspeaker.mood.calibration import NeutralCalibration, calibration_file
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
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
