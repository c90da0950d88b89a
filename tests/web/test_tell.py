"""The "tell the speaker" parser: short requests -> ControlAPI commands (pure)."""

from __future__ import annotations

import pytest

from moodspeaker.service.control import COMMANDS
from moodspeaker_web.tell import Action, interpret


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm actually tired", [Action("correct_mood", {"mood": "sad"})]),
        ("i\u2019m feeling great", [Action("correct_mood", {"mood": "happy"})]),
        ("I am not angry!", [Action("correct_mood", {"mood": "neutral"})]),
        ("honestly I feel quite stressed", [Action("correct_mood", {"mood": "fear"})]),
        ("happy", [Action("correct_mood", {"mood": "happy"})]),
        ("not this artist", [Action("dislike")]),
        ("Not this song please", [Action("dislike")]),
        ("I love this", [Action("like")]),
        ("great song", [Action("like")]),
        ("cheer me up", [Action("set_strategy", {"strategy": "uplift"})]),
        ("just match my mood", [Action("set_strategy", {"strategy": "match"})]),
        ("stop following my mood", [Action("set_strategy", {"strategy": "steady"})]),
        ("skip", [Action("next")]),
        ("louder", [Action("set_volume", {"volume": 0.6})]),
        ("too loud", [Action("set_volume", {"volume": 0.4})]),
        ("pause", [Action("pause")]),
        ("play", [Action("play")]),
        ("camera off", [Action("set_camera", {"enabled": False})]),
    ],
)
def test_requests(text: str, expected: list[Action]) -> None:
    meaning = interpret(text, volume=0.5, strategy="uplift")
    assert list(meaning.actions) == expected, meaning.reply
    assert meaning.understood and meaning.reply.startswith("Understood")


def test_something_calmer_skips_and_moves_away_from_matching() -> None:
    meaning = interpret("something calmer", volume=0.5, strategy="match")
    assert list(meaning.actions) == [Action("dislike"), Action("set_strategy", {"strategy": "uplift"})]
    assert "calmer" in meaning.reply
    assert list(interpret("something calmer", strategy="uplift").actions) == [Action("dislike")]


def test_feeling_and_request_together() -> None:
    meaning = interpret("I'm so stressed, something calmer please", strategy="uplift")
    assert Action("correct_mood", {"mood": "fear"}) in meaning.actions
    assert Action("dislike") in meaning.actions


def test_volume_stays_in_range_and_needs_the_current_volume() -> None:
    assert interpret("louder", volume=0.95).actions == (Action("set_volume", {"volume": 1.0}),)
    assert interpret("quieter", volume=0.05).actions == (Action("set_volume", {"volume": 0.0}),)
    assert not interpret("louder", volume=None).understood


@pytest.mark.parametrize("text", ["", "what's the weather", "<script>alert(1)</script>", "x" * 5000, "🙂"])
def test_unknown_requests_do_nothing(text: str) -> None:
    meaning = interpret(text)
    assert meaning.actions == () and not meaning.understood and "Try:" in meaning.reply


def test_every_action_is_a_valid_controlapi_command() -> None:
    phrases = ["I'm tired", "something livelier", "not this", "louder", "cheer me up", "pause", "camera on"]
    for phrase in phrases:
        for action in interpret(phrase, volume=0.5, strategy="match").actions:
            command = COMMANDS[action.command]
            assert set(action.args) == {a.name for a in command.args}
