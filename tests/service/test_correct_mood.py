"""Correcting the mood (ControlAPI `correct_mood`) accepts every expression the model may read.

Why: the shipped model has FER+'s eight classes, contempt included (mood.classes.ALL_EXPRESSIONS), so
the speaker can read and report `contempt`; the command accepted only FER2013's seven, and a listener
told "you look contemptuous" could not correct it to that, nor an integration echo it back.  Real
appliance behind the ControlAPI, real recommender on SQLite; only the camera is scripted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from servicekit import Script, running, wait_for

from moodspeaker.mood.classes import ALL_EXPRESSIONS, CONTEMPT, UNKNOWN
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import CommandError, ControlAPI
from moodspeaker.service.events import Event, MoodChanged

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[Appliance, ControlAPI, list[Event]]]:
    with running(tmp_path, Script("happy")) as started:
        yield started


def test_contempt_can_be_the_corrected_mood(started: tuple[Appliance, ControlAPI, list[Event]]) -> None:
    app, control, events = started
    wait_for(lambda: app.state()["now_playing"] is not None, what="music")
    playing = app.state()["now_playing"]["track_id"]
    state = control.execute("correct_mood", {"mood": CONTEMPT})
    assert state["mood"] == CONTEMPT
    changed = [e for e in events if isinstance(e, MoodChanged)]
    assert changed and changed[-1].mood == CONTEMPT
    db = sqlite3.connect(Path(app.config.device.data_dir) / "recommend.sqlite")
    rows = db.execute("SELECT kind, track_id, corrected_mood FROM feedback").fetchall()
    assert rows == [("wrong_mood", playing, CONTEMPT)]


def test_every_expression_of_the_model_is_accepted_and_nothing_else(
    started: tuple[Appliance, ControlAPI, list[Event]],
) -> None:
    _app, control, _events = started
    assert control.commands()["correct_mood"].args[0].choices == ALL_EXPRESSIONS  # one list
    for mood in ALL_EXPRESSIONS:
        assert control.execute("correct_mood", {"mood": mood})["mood"] == mood
    for wrong in (UNKNOWN, "bored", ""):
        with pytest.raises(CommandError, match=r"mood must be one of .*contempt"):
            control.execute("correct_mood", {"mood": wrong})
