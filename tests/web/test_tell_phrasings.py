"""Phrasings the tell box misread or did not understand.

The box had a negation word list per rule (the command words', the music refused, the opinions', the
feelings', a named play's, mute's), each with other spellings: "the music doesn't stop" paused, "it
wasnt perfect" liked, "I never want the camera on" was not understood, and "can't you pause?" (a
request put as a question) did not pause.  They now read one vocabulary (moodspeaker_web.tell_words).

"turn the music off", "would you mind pausing", "never replay this" answered "Sorry, I did not
understand that" (or, for "never replay this", did nothing): other ways to say a command are read as its
command word (tell_words.GERUNDS, TURNED), so their negations are read too ("don't turn the music off").
"play happy songs by Queen" dropped the name without a word: the speaker cannot pick by artist (no
command nor recommender filter does), and now says so as it does of a genre or a name ("play some jazz").
A message that only cancels ("don't stop the music", "no wait, never mind") answered "Understood: ..."
with the page's ok false: it is understood (ok), and a refused volume ("volume 150") is no longer worded
"Understood".

On `interpret` (pure); the answer's ok also through the page's /api/tell (Flask's test client) in front of
the real service (realkit).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from realkit import owned_page

from moodspeaker_web.tell import Action, interpret
from moodspeaker_web.tell_named import CANNOT_PICK
from moodspeaker_web.tell_words import DID_NOT, REFUSE

_PLAY, _PAUSE, _NEXT, _DISLIKE = Action("play"), Action("pause"), Action("next"), Action("dislike")
_CAM_OFF = Action("set_camera", {"enabled": False})
_LOUDER, _QUIETER = Action("set_volume", {"volume": 0.6}), Action("set_volume", {"volume": 0.4})
_HAPPY = Action("ask_mood", {"mood": "happy"})


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The music turned or switched off, on, up or down: a pause, a play, louder, quieter.
        ("turn the music off", [_PAUSE]),
        ("switch the music off", [_PAUSE]),
        ("turn off the music", [_PAUSE]),
        ("please switch off the music", [_PAUSE]),
        ("shut the music off", [_PAUSE]),
        ("turn it off", [_PAUSE]),
        ("turn the music on", [_PLAY]),
        ("turn the music up", [_LOUDER]),
        ("turn down the music", [_QUIETER]),
        ("turn the sound down a bit", [_QUIETER]),
        # A command said as "would you mind ...ing" or "how about ...ing".
        ("would you mind pausing", [_PAUSE]),
        ("would you mind pausing the music?", [_PAUSE]),
        ("would you mind skipping this one", [_NEXT]),
        ("do you mind turning the music off", [_PAUSE]),
        ("how about skipping this", [_NEXT]),
        ("could you stop the music please", [_PAUSE]),
        # Never again, with replay or repeat as with play.
        ("never replay this", [_DISLIKE]),
        ("never replay this song", [_DISLIKE]),
        ("don't ever play this again", [_DISLIKE]),
        ("don't replay that one again", [_DISLIKE]),
        ("never repeat this track", [_DISLIKE]),
        ("I never want to hear this again", [_DISLIKE]),
        ("I don't want to hear this song again", [_DISLIKE]),
        # A request put as a negative question is a request.
        ("can't you pause?", [_PAUSE]),
        ("won't you skip this", [_NEXT]),
        ("why don't you play something happy", [_HAPPY, _PLAY]),
        # Their negations cancel them, and the rest still counts.
        ("don't turn the music off", []),
        ("would you mind not pausing", []),
        ("never turn the music off, just skip", [_NEXT]),
        ("don't turn the music down", []),
        ("don't you dare stop the music", []),
        # Still no command: spoken of, not asked for.
        ("someone turned the music off", []),
        ("the music turned off by itself?", []),
    ],
)
def test_phrasings_of_commands_and_their_negations(text: str, expected: list[Action]) -> None:
    assert _actions(text) == expected, interpret(text).reply


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("don't turn the music off", "not pausing"),
        ("would you mind not pausing", "not pausing"),
        ("don't turn the music down", "not turning it down"),
    ],
)
def test_a_phrasing_cancelled_is_said_so(text: str, said: str) -> None:
    meaning = interpret(text, volume=0.5, strategy="match")
    assert meaning.actions == () and meaning.understood and said in meaning.reply, meaning


@pytest.mark.parametrize(
    "text",
    [
        "play happy songs by Queen",
        "put on some happy music by the Beatles",
        "I want something happy by Adele",
        "happy songs by Queen please",
    ],
)
def test_music_of_a_mood_by_an_artist_says_the_artist_is_not_picked(text: str) -> None:
    """The mood is asked for and played; the reply says the name is not what is picked by."""
    meaning = interpret(text, volume=0.5, strategy="match")
    assert list(meaning.actions) == [_HAPPY, _PLAY], meaning
    assert "you asked for happy music" in meaning.reply, meaning
    assert meaning.reply.endswith(f"{CANNOT_PICK}: playing happy music."), meaning


@pytest.mark.parametrize(
    "text", ["play happy songs by the way", "play happy songs from the start", "no sad songs by Queen"]
)
def test_by_or_from_that_names_no_music(text: str) -> None:
    assert CANNOT_PICK not in interpret(text, volume=0.5, strategy="match").reply


@pytest.mark.parametrize(
    "text",
    [
        "don't stop the music",
        "no wait, don't skip",
        "never mind, don't pause",
        "no wait, never mind",
        "never mind",
        "forget it",
        "don't turn the camera off",
        "unmute",  # not muted
    ],
)
def test_a_message_that_only_cancels_is_understood(text: str) -> None:
    """Nothing to do, said as understood: the answer's ok (understood) agrees with its wording."""
    meaning = interpret(text, volume=0.5, strategy="match")
    assert meaning.actions == () and meaning.understood, meaning
    assert meaning.reply.startswith("Understood: ") and meaning.reply.endswith(": nothing to do."), meaning


@pytest.mark.parametrize("text", ["volume 150", "the weather is grim", "is the camera on?", "louder"])
def test_what_is_not_done_is_not_worded_understood(text: str) -> None:
    """A volume refused, words not understood, a question: not understood, and not so worded ("louder"
    without the speaker's volume known is no step)."""
    meaning = interpret(text, volume=None if text == "louder" else 0.5)
    assert not meaning.understood and not meaning.reply.startswith("Understood"), meaning


def test_what_plays_answered_is_understood() -> None:
    meaning = interpret("what song is this?", now_playing={"title": "Blue Hour", "artist": "The Tones"})
    assert meaning.actions == () and meaning.understood, meaning


@pytest.mark.timeout(180)
def test_the_page_answers_a_cancel_as_understood(tmp_path: Path) -> None:
    with owned_page(tmp_path) as (_service, page):
        told = page.post_json("/api/tell", {"text": "don't stop the music"}).get_json()
        assert told["ok"] and told["done"] == [] and told["reply"].startswith("Understood"), told
        told = page.post_json("/api/tell", {"text": "volume 150"}).get_json()
        assert not told["ok"] and told["done"] == [] and "from 0 to 100" in told["reply"], told
        assert not told["reply"].startswith("Understood"), told
