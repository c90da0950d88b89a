"""Phrasings the tell box misread or did not understand.

The box had a negation word list per rule (the command words', the music refused, the opinions', the
feelings', a named play's, mute's), each with other spellings: "the music doesn't stop" paused, "it
wasnt perfect" liked, "I never want the camera on" was not understood, and "can't you pause?" (a
request put as a question) did not pause.  They now read one vocabulary (moodspeaker_web.tell_words).
On `interpret` (pure).
"""

from __future__ import annotations

import pytest

from moodspeaker_web.tell import Action, interpret
from moodspeaker_web.tell_words import DID_NOT, REFUSE

_PLAY, _PAUSE, _NEXT, _DISLIKE = Action("play"), Action("pause"), Action("next"), Action("dislike")
_CAM_OFF = Action("set_camera", {"enabled": False})


def _actions(text: str) -> list[Action]:
    return list(interpret(text, volume=0.5, strategy="match").actions)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the music doesn't stop", []),
        ("it doesnt play", []),
        ("it wasnt perfect", []),
        ("it was not a great song", []),
        ("I never want the camera on", [_CAM_OFF]),
        ("I didn't ask for sad songs", []),
        # A "can't"/"won't" before "you" asks ("don't you dare" and "can you not" say no).
        ("can't you pause?", [_PAUSE]),
        ("won't you skip this", [_NEXT]),
        ("don't you dare skip this", []),
        ("can you not pause", []),
        # "why not" and "no," suggest or answer: no negation.
        ("why not play something", [_PLAY]),
        ("no, play something", [_PLAY]),
    ],
)
def test_every_rule_reads_the_same_negations(text: str, expected: list[Action]) -> None:
    assert _actions(text) == expected, interpret(text).reply


@pytest.mark.parametrize("word", REFUSE + DID_NOT)
def test_each_refusal_is_read_by_each_rule(word: str) -> None:
    """A command word, a liking, music of a mood and the camera: each said no to with the same words."""
    assert _actions(f"it {word} stop") == [], word
    assert _actions(f"I {word} like this") == [_DISLIKE], word
    assert _actions(f"I {word} want happy music") == [], word
    if word in REFUSE:
        assert _actions(f"{word} play this again") == [_DISLIKE], word
        assert _actions(f"I {word} want the camera on") == [_CAM_OFF], word
