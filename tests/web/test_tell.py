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


@pytest.mark.parametrize("strategy", ["match", "uplift", "steady"])
def test_something_calmer_steers_and_dislikes_nothing(strategy: str) -> None:
    """Calmer moves the aim of the next picks under any strategy that picks; it used to dislike the
    track playing (teaching the profile to avoid it, a calm one too) and switch to uplift."""
    meaning = interpret("something calmer", volume=0.5, strategy=strategy)
    assert list(meaning.actions) == [Action("steer", {"direction": "calmer"})]
    assert "the next tracks will be calmer" in meaning.reply
    livelier = interpret("something more energetic please", strategy=strategy).actions
    assert livelier == (Action("steer", {"direction": "livelier"}),)


def test_something_calmer_with_picks_off_turns_them_on_first() -> None:
    meaning = interpret("something calmer", strategy="off")
    steer = Action("steer", {"direction": "calmer"})
    assert list(meaning.actions) == [Action("set_strategy", {"strategy": "uplift"}), steer]


def test_feeling_and_request_together() -> None:
    """The mood told comes first: a steer lasts while the mood it was asked in does."""
    meaning = interpret("I'm so stressed, something calmer please", strategy="uplift")
    steer = Action("steer", {"direction": "calmer"})
    assert list(meaning.actions) == [Action("correct_mood", {"mood": "fear"}), steer]


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
