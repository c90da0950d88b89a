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


@pytest.mark.parametrize(
    ("text", "mood"),
    [
        ("play happy songs", "happy"),
        ("Play something happy", "happy"),
        ("put on some cheerful music", "happy"),
        ("sad songs please", "sad"),
        ("play me something gloomy", "sad"),
        ("I'm tired, play something happy", "happy"),  # the music asked for, over the feeling
    ],
)
def test_music_of_a_mood_is_played_for_that_mood(text: str, mood: str) -> None:
    """ "play happy songs" played and dropped "happy": the mood word only counted after "I'm"."""
    meaning = interpret(text, volume=0.5, strategy="match")
    assert list(meaning.actions) == [Action("ask_mood", {"mood": mood}), Action("play")], meaning.reply
    assert f"treats your mood as {mood}" in meaning.reply and meaning.reply.endswith("playing.")


@pytest.mark.parametrize("strategy", ["steady", "off"])
def test_music_of_a_mood_asked_while_moods_are_ignored_follows_the_mood(strategy: str) -> None:
    """Under "Ignore mood" or "No auto picks" a told mood picks nothing: the mood is followed again."""
    meaning = interpret("play happy songs", strategy=strategy)
    match, happy = Action("set_strategy", {"strategy": "match"}), Action("ask_mood", {"mood": "happy"})
    assert list(meaning.actions) == [match, happy, Action("play")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("play something calm", [Action("steer", {"direction": "calmer"}), Action("play")]),
        ("play something calmer", [Action("steer", {"direction": "calmer"}), Action("play")]),
        ("I'm tired, play something", [Action("correct_mood", {"mood": "sad"}), Action("play")]),
        ("I'm calm", [Action("correct_mood", {"mood": "neutral"})]),  # a feeling, no request
        ("play good music", [Action("play")]),  # good music is no happy face
        ("no sad songs", []),
        ("play it again", [Action("replay")]),
        ("skip, play something happy", [Action("ask_mood", {"mood": "happy"}), Action("next")]),
    ],
)
def test_music_asked_for_with_other_words(text: str, expected: list[Action]) -> None:
    assert list(interpret(text, volume=0.5, strategy="match").actions) == expected


_NEXT, _PAUSE, _PLAY = Action("next"), Action("pause"), Action("play")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A complaint names the mood of the music it is about: no request for that music (37a1c50
        # read most of these as asking for it: ask_mood with the command, or with play).
        ("skip these sad songs", [_NEXT]),
        ("skip this sad song", [_NEXT]),
        ("pause the sad music", [_PAUSE]),
        ("stop the happy songs", [_PAUSE]),
        ("stop playing sad songs", [_PAUSE]),
        ("too many sad songs", []),
        ("why so many sad songs", []),  # a mood word of the music is no feeling either
        ("these sad songs are too much", []),
        ("play anything but sad songs", [_PLAY]),
        ("anything except sad songs", []),
        ("no more sad songs", []),
        ("no sad songs please", []),
        ("less sad music please", []),
        ("I don't want happy music", []),
        ("I don't want to listen to any sad songs", []),
        ("I'm not in the mood for sad songs", []),
        ("sad songs make me cry", []),
        ("turn it up, that's fun music", [Action("set_volume", {"volume": 0.6})]),
        ("enough with the sad songs", []),
        # Still requests, in a request's words, also after a complaint in another clause.
        ("I want happy music", [Action("ask_mood", {"mood": "happy"}), _PLAY]),
        ("give me some sad songs", [Action("ask_mood", {"mood": "sad"}), _PLAY]),
        ("happy music", [Action("ask_mood", {"mood": "happy"}), _PLAY]),
        ("more sad songs", [Action("ask_mood", {"mood": "sad"}), _PLAY]),
        ("no, play something happy", [Action("ask_mood", {"mood": "happy"}), _PLAY]),
        ("skip the sad song and play something happy", [Action("ask_mood", {"mood": "happy"}), _NEXT]),
        ("skip to something happy", [Action("ask_mood", {"mood": "happy"}), _NEXT]),
        # A feeling said next to music asked for stays a feeling.
        ("I'm sad. Music please", [Action("correct_mood", {"mood": "sad"})]),
        ("I'm not happy", [Action("correct_mood", {"mood": "neutral"})]),
    ],
)
def test_music_complained_of_is_not_asked_for(text: str, expected: list[Action]) -> None:
    meaning = interpret(text, volume=0.5, strategy="match")
    assert list(meaning.actions) == expected, meaning.reply


_SAD, _HAPPY = Action("correct_mood", {"mood": "sad"}), Action("ask_mood", {"mood": "happy"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A feeling word with what it is of, when that is the music, is a complaint about the music: no
        # correction of the mood read (it read as tired -> sad and taught the camera-correction mapping).
        ("I'm tired of sad songs", []),
        ("I'm so tired of this music", []),
        ("I'm tired of this", []),
        ("I am really fed up with these songs", []),
        ("I'm annoyed with this song", []),
        ("I'm sick of this playlist, play something happy", [_HAPPY, _PLAY]),
        # Still feelings: alone, or of something else.
        ("I'm tired", [_SAD]),
        ("I'm tired of work", [_SAD]),
        ("I'm tired of this, I'm tired", [_SAD]),
    ],
)
def test_a_complaint_about_the_music_is_no_feeling(text: str, expected: list[Action]) -> None:
    meaning = interpret(text, volume=0.5, strategy="match")
    assert list(meaning.actions) == expected, meaning.reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Play asked for after a stop or pause in the same message: the later request wins (it paused,
        # with the music of a mood asked for held over a pause).
        ("stop this and play something happy", [_HAPPY, _PLAY]),
        ("pause it, then play", [_PLAY]),
        ("stop this, play happy songs instead", [_HAPPY, _PLAY]),
        # A stop or pause after the play, or alone, still pauses; a play refused is no play.
        ("play something happy then stop", [_HAPPY, _PAUSE]),
        ("stop the music", [_PAUSE]),
        ("stop, don't play anything", [_PAUSE]),
        ("pause", [_PAUSE]),
    ],
)
def test_the_later_of_pause_and_play_wins(text: str, expected: list[Action]) -> None:
    meaning = interpret(text, volume=0.5, strategy="match")
    assert list(meaning.actions) == expected, meaning.reply


_CAM_ON, _CAM_OFF = Action("set_camera", {"enabled": True}), Action("set_camera", {"enabled": False})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The camera's words (camera, watching, looking, pictures) take the start, stop, turn on or off
        # said with them: the music is not spoken of ("start the camera" played, "stop watching" paused).
        ("start the camera", [_CAM_ON]),
        ("turn the camera on", [_CAM_ON]),
        ("stop the music, start the camera", [_PAUSE, _CAM_ON]),
        ("stop watching", [_CAM_OFF]),
        ("start watching", [_CAM_ON]),
        ("resume watching", [_CAM_ON]),
        ("stop looking at me", [_CAM_OFF]),
        ("stop taking pictures", [_CAM_OFF]),
        ("no more pictures", [_CAM_OFF]),
        ("stop the camera and play something happy", [_HAPPY, _PLAY, _CAM_OFF]),
        ("turn off the camera and keep playing", [_PLAY, _CAM_OFF]),
        ("camera off but keep the music", [_PLAY, _CAM_OFF]),
        ("start the music", [_PLAY]),
        # A negation before a command word cancels that command ("don't play anything" played, "don't
        # stop the music" paused, "don't skip this" skipped); the rest of the message still counts.
        ("don't play anything", []),
        ("don't play anything sad", []),
        ("don't stop the music", []),
        ("please don't stop", []),
        ("can you not pause", []),
        ("I can't stop listening", []),
        ("don't skip this", []),
        ("never skip this song", []),
        ("don't turn the camera off", []),
        ("don't stop watching", []),
        ("don't pause, play something happy", [_HAPPY, _PLAY]),
        ("why not play something happy", [_HAPPY, _PLAY]),
        # Never to be played again: this track does not fit (it replayed it: "play this again").
        ("never play this again", [Action("dislike")]),
        ("don't play this song again", [Action("dislike")]),
    ],
)
def test_camera_words_and_negated_commands(text: str, expected: list[Action]) -> None:
    meaning = interpret(text, volume=0.5, strategy="match")
    assert list(meaning.actions) == expected, meaning.reply


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("don't play anything", "not playing"),
        ("don't stop the music", "not pausing"),
        ("don't skip this", "not skipping"),
        ("don't turn the camera off", "not turning the camera off"),
    ],
)
def test_a_command_cancelled_is_said_so(text: str, said: str) -> None:
    """Nothing done, and the reply says what was understood, not "Sorry, I did not understand" (and it
    is understood: the page's ok was false under "Understood", test_tell_phrasings)."""
    meaning = interpret(text, volume=0.5, strategy="match")
    assert meaning.actions == () and said in meaning.reply and "Try:" not in meaning.reply, meaning.reply
    assert meaning.understood, meaning
