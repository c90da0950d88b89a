"""A mood the listener told the speaker is explained as said, not as read from the face.

Why: after "I'm sad" in the page's Tell box (ControlAPI `correct_mood`), the picks planned for it said
"you look sad (100% sure)": the camera had not read that, the listener said it, and the 100% was the
correction's, not a reading's.  Real appliance behind the ControlAPI, real recommender on SQLite; only
the camera is scripted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, running, wait_for

from moodspeaker.service.app import Appliance

pytestmark = pytest.mark.timeout(120)


def _reasons(state: dict[str, Any]) -> list[str]:
    picks = [state.get("now_playing"), *(state.get("queue") or [])]
    return [str(p["reason"]) for p in picks if isinstance(p, dict) and p.get("reason")]


@contextmanager
def _sad_after(tmp_path: Path, command: str, source: str, what: str) -> Iterator[Appliance]:
    """The appliance, its camera reading happy and its picks planned for that, once `command` (mood
    sad, from `source`) has picks for sad planned (`what`); stopped on the way out."""
    with running(tmp_path, Script("happy")) as (app, control, _events):
        wait_for(
            lambda: any(r.startswith("you look happy") for r in _reasons(app.state())), what="happy picks"
        )
        control.execute(command, {"mood": "sad"}, source=source)
        wait_for(lambda: any("sad" in r.split(";")[0] for r in _reasons(app.state())), what=what)
        yield app


def test_a_told_mood_reads_as_said_by_the_listener(tmp_path: Path) -> None:
    with _sad_after(tmp_path, "correct_mood", "web", "picks for the told mood") as app:
        told = [r for r in _reasons(app.state()) if "sad" in r.split(";")[0]]
        assert all(r.startswith("you said you feel sad;") for r in told), told
        assert not any("you look sad" in r for r in _reasons(app.state())), _reasons(app.state())


def test_music_asked_for_reads_as_asked(tmp_path: Path) -> None:
    """Music of a mood asked for ("play sad songs": `ask_mood`) says nothing of how the listener feels:
    the picks for it say "you asked for sad music", not "you said you feel sad"."""
    with _sad_after(tmp_path, "ask_mood", "web:tell", "picks for the mood asked for") as app:
        asked = [r for r in _reasons(app.state()) if "sad" in r.split(";")[0]]
        assert all(r.startswith("you asked for sad music;") for r in asked), asked
