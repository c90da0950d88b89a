"""Music named in a "tell the speaker" request (`tell.interpret`) that the speaker cannot pick by, and
the question of what plays.

The speaker picks by mood and pace only: "play some jazz", "play Beatles", "put on Bohemian Rhapsody"
name a genre, an artist or a song it cannot choose.  Before, "play some jazz" answered "Understood:
playing." as if the jazz had been heard; now the reply says it cannot pick by genre or name and plays
what fits the mood.  So does music of a mood asked for by someone ("play happy songs by Queen": the mood
is played for; the name was dropped without a word).  What is after "play" is a name unless it is one
of the words the parser acts on ("play something happy", "play it again", "play something calm", "play
the next song", "play louder").

"what song is this?" / "what's playing" are questions (`tell_questions` takes them out): the caller
passes the track playing (`now_playing`: its title and artist from the speaker's state) and the reply
names it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from moodspeaker_web.tell_words import (
    CALMER,
    CANNOT,
    DID_NOT,
    FEELINGS,
    IS_NOT,
    LIVELIER,
    MUSIC_MOODS,
    MUSIC_STEERS,
    NO,
    NOT,
    REFUSE,
    negation_words,
)

CANNOT_PICK = "I can't pick music by genre or name yet"

#: The words that open what is played: "play", "put on", "listen to" (not "play" cancelled by a
#: negation: `tell_commands` left a "_" for it).
_PLAY = r"(?:play|put on|listen to)"
#: Words between the verb and the name: "play some jazz", "play me something by Queen", "play the
#: Beatles", "play songs by Adele", "put on a bit of Bach".
_FILLER = (
    r"(?: (?:me|us|some|a|an|the|a bit of|a little|more|of|my|your|some of|any|anything|something|music"
    r"|songs?|tracks?|tunes?|stuff)(?= ))*(?: (?:by|from|like))?"
)
#: The words the parser acts on after "play" (or that say nothing of what to play): no name.
_KNOWN = frozenset(
    {
        "it", "this", "that", "these", "those", "again", "next", "previous", "last", "on", "for", "and",
        "then", "please", "pls", "now", "back", "something", "anything", "music", "song", "songs", "track",
        "tracks", "tune", "tunes", "stuff", "playlist", "whatever", "what", "else", "different", "other",
        "louder", "quieter", "softer", "loud", "quiet", "softly", "one", "more", "random", "with", "to",
        "in", "a", "the", "some", "me", "us", "i", "you", "radio", "nothing", "here", "there", "so",
        "too", "very", "really", "just", "all", "any", "my", "your", "good", "nice", "new", "mood",
        "_", "at", "from", "while", "around", "over", "along", "if", "when", "like", "by", "of",
    }
)  # fmt: skip
_MOOD_WORDS = frozenset(
    word.split()[0]
    for table in (MUSIC_MOODS, MUSIC_STEERS, FEELINGS)
    for words in table.values()
    for word in words
) | frozenset(word.split()[0] for word in (*CALMER, *LIVELIER))

#: Words before a play that refuse it ("don't put on jazz": `tell_commands` cancels only a "play").
_REFUSALS = negation_words(REFUSE, DID_NOT, IS_NOT, NOT, CANNOT, NO)
#: A question about the track playing: "what song is this?", "what's playing", "who sings this".
_WHAT_PLAYS = re.compile(
    r"(?:what|what's|whats|which|who|who's|whos)\b(?:(?! (?:next|camera|mood)\b) [\w']+)*"
    r" (?:song|track|tune|playing|sings?|singing|artist|band|this|on)\b"
)


def named_music(marked: str) -> str | None:
    """The genre, artist or title named after a play in `marked` (`tell._normalise` with clauses, the
    cancelled command words taken out), or None."""
    for m in re.finditer(rf"\b{_PLAY}{_FILLER} (?P<word>[\w']+)", marked):
        refused = _REFUSALS.intersection(marked[: m.start()].split()[-3:])
        word = m["word"]
        if not refused and word not in _KNOWN and word not in _MOOD_WORDS and not word.isdigit():
            rest = marked[m.start("word") :].split(" , ", maxsplit=1)[0].split()
            return " ".join(rest[:4])
    return None


#: Music asked for by whom it is by: "happy songs by Queen", "something happy by the Beatles" (not "by the
#: way", "by myself").
_BY = re.compile(
    r"\b(?:songs?|music|tracks?|tunes?|stuff|something|anything|ones?)(?: [\w']+)? by(?: (?:the|a|an))?"
    r" (?P<word>[\w']+)"
)
_NOT_BY_A_NAME = frozenset({"way", "myself", "yourself", "itself", "ourselves", "accident", "chance"})


def named_by(marked: str) -> str | None:
    """The artist named after music asked for in `marked` ("happy songs by Queen": the caller asked
    for that music), or None."""
    for m in _BY.finditer(marked):
        if m["word"] not in _KNOWN and m["word"] not in _NOT_BY_A_NAME and not m["word"].isdigit():
            return " ".join(marked[m.start("word") :].split(" , ", maxsplit=1)[0].split()[:4])
    return None


def asks_what_plays(questions: list[str]) -> bool:
    """Whether one of the questions taken out of the request asks what plays."""
    return any(_WHAT_PLAYS.match(" ".join(q.split()) + " ") for q in questions)


def what_plays(now_playing: Mapping[str, Any] | None) -> str:
    """The answer to "what song is this?" from the speaker's `now_playing` (title, artist)."""
    title = str((now_playing or {}).get("title") or "").strip()
    artist = str((now_playing or {}).get("artist") or "").strip()
    if not title:
        return "Nothing is playing right now."
    return f"This is “{title}”" + (f" by {artist}." if artist else ".")
