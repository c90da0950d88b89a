"""Music named in a "tell the speaker" request (`tell.interpret`) that the speaker cannot pick by, and
the question of what plays.

The speaker picks by mood and pace only: "play some jazz", "play Beatles", "put on Bohemian Rhapsody"
name a genre, an artist or a song it cannot choose.  Before, "play some jazz" answered "Understood:
playing." as if the jazz had been heard; now the reply says it cannot pick by genre or name and plays
what fits the mood.  So does music of a mood asked for by someone ("play happy songs by Queen": the mood
is played for; the name was dropped without a word).  What is after "play" is a name unless it is one
of the words the parser acts on ("play something happy", "play it again", "play something calm", "play
the next song", "play louder"); a mood word before it is passed over ("play happy jazz": the speaker
plays happy music, not jazz, and says so).  Whom music is by is a name when it looks like one (`_by_a_name`):
"by Queen", "by the Beatles", "songs by adele", not "something happy by the fire".

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
#: Words after music of a mood that name no music: "play something happy tonight", "... instead".
_AFTER_A_MOOD = frozenset(
    {
        "tonight", "today", "instead", "later", "first", "though", "also", "maybe", "ok", "okay", "thanks",
        "thank", "because", "cause", "since", "or", "as", "until", "till", "again", "yet", "anyway",
        "soon", "right", "loud", "loudly", "quietly", "enough", "either", "but", "yeah", "yes", "lol",
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


def named_music(marked: str, typed: str = "") -> str | None:
    """The genre, artist or title named after a play in `marked` (`tell._normalise` with clauses, the
    cancelled command words taken out), past the mood words said before it ("play happy jazz"), or
    None; after "by", only a name (`_by_a_name` in `typed`, the words as typed: "play something by the
    fire" names nobody)."""
    for m in re.finditer(rf"\b{_PLAY}{_FILLER} (?P<word>[\w']+)", marked):
        if _REFUSALS.intersection(marked[: m.start()].split()[-3:]):
            continue
        rest = marked[m.start("word") :].split(" , ", maxsplit=1)[0].split()
        if m.group().endswith(f" by {m['word']}"):
            name = _by_a_name(rest, typed)
            if name:
                return name
            continue
        moods = 0
        while moods < len(rest) and rest[moods] in _MOOD_WORDS:
            moods += 1
        rest = rest[moods:]
        if (
            rest
            and rest[0] not in _KNOWN
            and not rest[0].isdigit()
            and not (moods and rest[0] in _AFTER_A_MOOD)
        ):
            return " ".join(rest[:4])
    return None


#: Music asked for by whom it is by: "happy songs by Queen", "something happy by the Beatles" (not "by the
#: way", "by myself", "by the fire": `_by_a_name`).
_BY = re.compile(r"\b(?:songs?|music|tracks?|tunes?|stuff|something|anything|ones?)(?: [\w']+)? by (?=[\w'])")
_NOT_BY_A_NAME = frozenset(
    {
        "way", "myself", "yourself", "itself", "ourselves", "accident", "chance", "candlelight",
        "moonlight", "firelight", "ear", "heart", "night", "day", "tonight", "today", "default",
    }
)  # fmt: skip
_ARTICLES = frozenset({"the", "a", "an"})
#: Words that may follow a name at the end of a request: "happy songs by adele please".
_CLOSING = frozenset({"please", "pls", "now", "thanks", "thank", "you"})
#: What follows "by" as typed, with its case: "by the Beatles", "by Queen".
_BY_TYPED = re.compile(r"\b[Bb][Yy] (?:(?:[Tt][Hh][Ee]|[Aa][Nn]?) )?(?P<word>[\w']+)")


def _by_a_name(rest: list[str], typed: str) -> str | None:
    """The name that `rest` (the words after "by" to the end of their clause, lower-cased) opens, or
    None.  Conservative, as a wrong "I can't pick by name" puzzles more than one left unsaid: a name is
    one typed with a capital ("by Queen", "by the Beatles"; not when all of `typed` is in capitals) or,
    typed in small letters, a word with no article that ends the request ("songs by adele please"):
    "by the fire", "by the sea" name nobody.  With `typed` not known (""), any word is a name, as before."""
    article = bool(rest) and rest[0] in _ARTICLES
    words = rest[1:] if article else rest
    if not words or words[0] in _KNOWN or words[0] in _NOT_BY_A_NAME or words[0].isdigit():
        return None
    capitals = not typed or (
        not typed.isupper()
        and any(m["word"].lower() == words[0] and m["word"][0].isupper() for m in _BY_TYPED.finditer(typed))
    )
    at_the_end = not article and set(words[1:]) <= _CLOSING
    return " ".join(words[:4]) if capitals or at_the_end else None


def named_by(marked: str, typed: str = "") -> str | None:
    """The artist named after music asked for in `marked` ("happy songs by Queen": the caller asked
    for that music), or None; `typed`: the request as typed (`_by_a_name`)."""
    for m in _BY.finditer(marked):
        name = _by_a_name(marked[m.end() :].split(" , ", maxsplit=1)[0].split(), typed)
        if name:
            return name
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
