"""The tell box ends a mood asked for: "follow the camera again", "go back to my mood", "use the camera
again", and "stop playing happy songs" while happy music is asked for, send `ask_mood camera`.

Why: `ask_mood` took "camera" (the camera's mood in force again at once, Home Assistant's Music mood
select), but the box had no phrase for it: "go back to my mood" replayed the track ("go back"), "follow
the camera again" was not understood, and "stop playing happy songs" paused the music the listener had
asked for, leaving the mood asked for in force.  "stop" alone still pauses and "stop the camera" still
switches the camera off.  On `interpret` (pure), and once through the page's /api/tell in front of the
real service (realkit: the camera scripted to a sad face), which passes the mood asked for.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from realkit import owned_page

from moodspeaker_web.tell import Action, interpret
from moodspeaker_web.tell_camera_mood import NOT_FOLLOWING

_CAMERA = Action("ask_mood", {"mood": "camera"})
_PAUSE, _PLAY = Action("pause"), Action("play")
_SAD, _CALMER = Action("ask_mood", {"mood": "sad"}), Action("steer", {"direction": "calmer"})


def _actions(text: str, asked_mood: str | None = None) -> list[Action]:
    return list(interpret(text, volume=0.5, strategy="match", asked_mood=asked_mood).actions)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("follow the camera again", [_CAMERA]),
        ("go back to my mood", [_CAMERA]),
        ("back to my own mood please", [_CAMERA]),
        ("go back to the camera's mood", [_CAMERA]),
        ("use the camera again", [_CAMERA]),
        ("read my face again", [_CAMERA]),
        ("can you go back to my mood?", [_CAMERA]),
        ("go back to my mood and play something", [_CAMERA, _PLAY]),
        # what it is not: a pause, the camera off, a replay, a mood asked for or told with it
        ("stop", [_PAUSE]),
        ("stop the camera", [Action("set_camera", {"enabled": False})]),
        ("go back", [Action("replay")]),
        ("go back to my mood, play something sad", [_SAD, _PLAY]),
        ("don't follow the camera", []),
        ("I don't want you to go back to my mood", []),
    ],
)
def test_the_camera_mood_asked_for_again(text: str, expected: list[Action]) -> None:
    assert _actions(text) == expected


@pytest.mark.parametrize(
    ("text", "asked", "expected"),
    [
        ("stop playing happy songs", "happy", [_CAMERA]),
        ("no more happy music", "happy", [_CAMERA]),
        ("enough of the cheerful songs", "happy", [_CAMERA]),
        ("I'm tired of happy songs", "happy", [_CAMERA]),
        ("stop playing happy songs and play something calm", "happy", [_CAMERA, _CALMER, _PLAY]),
        ("stop playing happy songs, play something sad", "happy", [_SAD, _PLAY]),
        # not the mood asked for, or none asked for: a pause of that music, as before
        ("stop playing happy songs", None, [_PAUSE]),
        ("stop playing sad songs", "happy", [_PAUSE]),
        ("don't stop playing happy songs", "happy", []),
        ("stop", "happy", [_PAUSE]),
    ],
)
def test_the_music_asked_for_refused_ends_it(text: str, asked: str | None, expected: list[Action]) -> None:
    assert _actions(text, asked) == expected


def test_a_negation_is_said_and_nothing_done() -> None:
    meaning = interpret("don't follow the camera")
    assert meaning.actions == () and meaning.understood and NOT_FOLLOWING in meaning.reply, meaning


@pytest.mark.timeout(180)
def test_the_page_ends_the_mood_it_asked_for(tmp_path: Path) -> None:
    with owned_page(tmp_path) as (service, page):
        service.camera.mood = "sad"
        state = service.appliance.state
        service.wait_for(lambda: state()["mood"] == "sad", what="a sad face read")
        told = page.post_json("/api/tell", {"text": "play happy songs"}).get_json()
        assert (state()["mood"], state()["mood_source"]) == ("happy", "asked"), told

        told = page.post_json("/api/tell", {"text": "stop playing happy songs"}).get_json()
        assert told["ok"] and told["done"] == [{"command": "ask_mood", "args": {"mood": "camera"}}], told
        assert (state()["mood"], state()["mood_source"], state()["playing"]) == ("sad", "camera", True)

        page.post_json("/api/tell", {"text": "play happy songs"})
        told = page.post_json("/api/tell", {"text": "go back to my mood"}).get_json()
        assert told["ok"] and told["done"] == [{"command": "ask_mood", "args": {"mood": "camera"}}], told
        assert (state()["mood"], state()["mood_source"]) == ("sad", "camera")
