"""The tell box's misreads that did harm: questions and refusals that acted (the camera turned on by
"is the camera on?"), dislikes, pauses, skips and mood corrections nobody asked for (pure parser)."""

from __future__ import annotations

import pytest

from moodspeaker_web.tell import Action, interpret

_CAM_ON, _CAM_OFF = Action("set_camera", {"enabled": True}), Action("set_camera", {"enabled": False})
_PLAY, _PAUSE, _NEXT = Action("play"), Action("pause"), Action("next")
_DISLIKE, _LIKE = Action("dislike"), Action("like")
_HAPPY = Action("ask_mood", {"mood": "happy"})


def _actions(text: str) -> list[Action]:
    return list(interpret(text, volume=0.5, strategy="uplift").actions)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A question or a refusal about the camera turned it on (or off: "is the camera off?").
        ("is the camera on?", []),
        ("is your camera on right now", []),
        ("why is the camera on", []),
        ("is the camera off?", []),
        ("hey, is the camera on?", []),
        ("did you stop watching me?", []),
        ("I don't want the camera on", [_CAM_OFF]),
        ("I don't want you to turn the camera on", [_CAM_OFF]),
        ("no camera on please", [_CAM_OFF]),
        ("someone turned the camera on, turn it off", [_CAM_OFF]),
        # "camera on" spoken of, not asked for.
        ("the camera on the shelf is dusty", []),
        ("I left my camera on the table", []),
        ("my camera on my phone is broken", []),
        # Still commands, also asked politely.
        ("camera on", [_CAM_ON]),
        ("camera on please", [_CAM_ON]),
        ("turn the camera on", [_CAM_ON]),
        ("switch on the camera", [_CAM_ON]),
        ("keep the camera off", [_CAM_OFF]),
        ("could you turn the camera off?", [_CAM_OFF]),
        ("turn the camera on and play something happy", [_HAPPY, _PLAY, _CAM_ON]),
        ("stop recording", [_CAM_OFF]),
        ("stop filming", [_CAM_OFF]),
    ],
)
def test_the_camera_moves_only_when_asked_to(text: str, expected: list[Action]) -> None:
    assert _actions(text) == expected, interpret(text).reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Not a refusal of the track: a negation that is no refusal, or more said after the track.
        ("don't play this so loud", [Action("set_volume", {"volume": 0.4})]),
        ("don't play this yet", []),
        ("never play this song at breakfast", []),
        ("why can't you play this?", []),
        ("it won't play this song", []),
        ("I can't play this loud, the baby is sleeping", []),
        # The track refused, the clause ending there.
        ("never play this again", [_DISLIKE]),
        ("don't play that song again", [_DISLIKE]),
        ("don't play this song", [_DISLIKE]),
        ("please don't play this anymore", [_DISLIKE]),
        # A negated like or dislike.
        ("I do not like this", [_DISLIKE]),
        ("not perfect", []),
        ("this is not perfect", []),
        ("I don't hate this", []),
        ("I don't hate this song", []),
        ("I don't like sad songs", []),
        ("perfect", [_LIKE]),
    ],
)
def test_a_dislike_or_like_only_when_said(text: str, expected: list[Action]) -> None:
    assert _actions(text) == expected, interpret(text).reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A stop of the music complained of, said with a play or a skip: no pause.
        ("play something happy, stop the sad music", [_HAPPY, _PLAY]),
        ("put on something happy, stop playing sad songs", [_HAPPY, _PLAY]),
        ("I want happy music, stop the sad stuff", [_HAPPY, _PLAY]),
        ("play something else, stop this one", [_PLAY]),
        ("skip this and stop playing sad songs", [_NEXT]),
        # A stop of the music itself after the play still pauses; alone, it pauses.
        ("play something happy, stop the music", [_HAPPY, _PAUSE]),
        ("stop playing sad songs", [_PAUSE]),
    ],
)
def test_a_stop_of_the_music_complained_of_is_no_pause(text: str, expected: list[Action]) -> None:
    assert _actions(text) == expected, interpret(text).reply


_SAD = Action("ask_mood", {"mood": "sad"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A refusal takes away the mention of music it is said of, not a request made after it.
        ("I don't feel happy, play something happy", [_HAPPY, _PLAY]),
        ("I don't feel happy. Play something happy", [_HAPPY, _PLAY]),
        ("i dont feel happy play something happy", [_HAPPY, _PLAY]),
        ("I didn't want sad songs before, but now play something sad", [_SAD, _PLAY]),
        ("no more sad songs, I want happy music", [_HAPPY, _PLAY]),
        # Refused where it is asked, or after it: no music of that mood.
        ("no, play something happy", [_HAPPY, _PLAY]),
        ("don't play happy music", []),
        ("I don't want happy music", []),
        ("I don't want to hear happy songs", []),
        ("play something happy, no, not happy", [Action("correct_mood", {"mood": "neutral"}), _PLAY]),
    ],
)
def test_a_refusal_is_of_its_own_mention_of_the_music(text: str, expected: list[Action]) -> None:
    assert _actions(text) == expected, interpret(text).reply


@pytest.mark.parametrize(
    "text",
    [
        "I'm tired of it",
        "I'm fed up with it",
        "I'm sick of it",
        "I'm tired of hearing this",
        "I'm tired of this artist",
        "I'm angry at this song",
        "ok",
        "fine",
        "good",
        "great!",
        # Said of something or someone else, not of the person (read as "you feel good", "you are not good").
        "this song is so good",
        "this is really great",
        "it's so good",
        "the weather is very gloomy",
        "this song is not good",
        "my day was not good",
        "you look so tired",
    ],
)
def test_no_mood_correction_from_a_complaint_or_an_acknowledgement(text: str) -> None:
    """A correction records a wrong-mood row and teaches the camera's mapping: only for feelings."""
    assert not any(a.command == "correct_mood" for a in _actions(text)), interpret(text).reply


@pytest.mark.parametrize(
    ("text", "mood"),
    [
        ("I'm fine", "neutral"),
        ("I feel good", "happy"),
        ("I'm tired of my job", "sad"),
        ("we are so tired", "sad"),
        ("it's late and I'm so tired", "sad"),
        ("I look so tired", "sad"),
        ("I'm really not happy", "neutral"),
    ],
)
def test_feelings_still_correct_the_mood(text: str, mood: str) -> None:
    assert _actions(text) == [Action("correct_mood", {"mood": mood})]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what's next?", []),
        ("I'm next to the speaker", []),
        ("this is next level", []),
        ("why did you skip that song, I liked it", []),
        ("I didn't say skip", []),
        ("next time play something happier", [Action("steer", {"direction": "livelier"})]),
        ("why did you stop", []),
        ("who said stop?", []),
        ("I didn't say stop", []),
        ("stop skipping", []),
        ("stop pausing", []),
        ("stop changing the song", []),
        # Still commands.
        ("next", [_NEXT]),
        ("next one please", [_NEXT]),
        ("play the next song", [_NEXT]),
        ("can you skip this?", [_NEXT]),
        ("can you pause", [_PAUSE]),
        ("play something happy?", [_HAPPY, _PLAY]),
        ("how about something happy", [_HAPPY, _PLAY]),
        ("can I have something happy?", [_HAPPY, _PLAY]),
        ("do you have something happy?", [_HAPPY, _PLAY]),
    ],
)
def test_questions_and_remarks_neither_skip_nor_pause(text: str, expected: list[Action]) -> None:
    assert _actions(text) == expected, interpret(text).reply


def test_a_question_is_answered_as_one() -> None:
    meaning = interpret("is the camera on?", volume=0.5, strategy="uplift")
    assert not meaning.understood
    assert "sounds like a question" in meaning.reply and "only act on requests" in meaning.reply
