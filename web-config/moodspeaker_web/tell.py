""" "Tell the speaker": short plain-language requests turned into ControlAPI commands (pure).

No language model, no network: a small set of word rules that covers what people actually say to a
speaker ("I'm actually tired", "something calmer", "not this song", "louder").  The result is a
list of commands for `ControlAPI.execute` and a sentence saying what the speaker understood, so the
person can see when it got them wrong.  Anything not understood yields no command at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from moodspeaker_web import (
    tell_camera_mood,
    tell_commands,
    tell_feelings,
    tell_likes,
    tell_named,
    tell_questions,
    tell_volume,
)
from moodspeaker_web.tell_words import (
    CALMER,
    DID_NOT,
    LIVELIER,
    MUSIC_MOODS,
    MUSIC_NOUNS,
    MUSIC_STEERS,
    NEVER_MIND,
    REFUSE,
    alternatives,
    negation,
)

#: A request for music of a mood, by what is said before its mood word: "play ...", "put on some ...",
#: "something ...", "I want ...", "give me ...", "more ..." opening a clause.  A mood word with "songs"
#: or "music" alone is no request ("skip these sad songs", "sad songs make me cry"), only so said on its
#: own or with "please" ("sad songs please").
_MUSIC_REQUEST = (
    r"(?:play|put on|something|some|anything|want|need|give me|i'd like|id like|i would like|feel like"
    r"|in the mood for|listen to|hear|how about|(?:(?<=^ )|(?<=, ))more)(?: \w+){0,2}"
)
_MUSIC_NOUNS = MUSIC_NOUNS
_MUSIC_AFTER = rf"(?:{_MUSIC_NOUNS})"
#: Whom music asked for is by ("happy songs by Queen please": `tell_named.named_by` says it is not picked).
_BY_SOMEONE = r"(?: by(?: [\w']+){1,3})?"
#: Words that take that music away, none of them a request for it.  A negation or an exclusion just
#: before it: "no more sad songs", "nothing too gloomy", "anything but sad songs", "too many sad
#: songs" (not across a request's own verb: "no, play something happy").  Each of these three patterns
#: ends at the first mention of the music after its opening words (lazy): "I don't feel happy play
#: something happy" refuses the first "happy" only (`_asked_music`).
_MUSIC_NOT = (
    r"(?:no|not|nothing|none|less|fewer|without|enough|too many|too much|so many|so much|but|except"
    r"|excluding|other than|apart from|besides|instead of|rather than)"
    r"(?: (?!(?:play|put|give|want|something|i)\b)[\w']+){0,2}?"
)
#: A refusal of it: "I don't want to listen to any sad songs", "not in the mood for sad songs" (up to
#: the end of the music it names: "instead of sad songs, play something happy").
_MUSIC_REFUSED = (
    rf"(?:{negation(REFUSE, DID_NOT)}|hate|avoid|can't stand|cant stand|not in the mood for"
    r"|tired of|sick of|fed up with|rather not)"
    rf"(?: (?!(?:{_MUSIC_NOUNS}|and|then|but|instead)\b)[\w']+){{0,5}}?"
)
#: A verb acting on the music that plays: "skip these sad songs", "pause the sad music" (that command
#: alone; "skip to something happy" is a request).
_MUSIC_ACTED_ON = (
    r"(?:skip|pause|stop|mute|turn off|silence)"
    r"(?: (?:the|these|this|those|that|all|any|of|with|playing|my|your|current)){0,3}?"
)

#: "next" as a command ("next", "next one please", "play the next song"), not "next to", "next level",
#: "next time" or "next week".
_NEXT = r"\bnext(?: (?:one|song|track|tune|please|pls|thanks))*(?= ,| $| and\b| then\b)"
#: A stop of the music complained about ("stop the sad music", "stop playing sad songs", "stop this
#: one"): said with a play or a skip, no pause ("play something happy, stop the sad stuff").
_STOP_THAT_MUSIC = (
    r"\b(?:stop|pause)(?: (?:playing|with|the|these|those|this|that|all|any|of))*"
    rf" (?:(?!(?:the|music|songs)\b)[\w']+ (?:{_MUSIC_NOUNS}|ones|one)"
    r"|this one|that one|this song|that song)\b"
)


#: A dislike said of the artist or band ("not this artist", "I don't like this band"): the speaker has
#: no artist to leave out, so the reply says it skips this track only.
_OF_AN_ARTIST = r" (?:this|that|the) (?:artist|band|singer|group)(?= )"

VOLUME_STEP = 0.1

#: What the replies suggest: phrases the box acts on in full ("not this artist" is no example: the speaker
#: cannot leave out an artist, it skips the track, `_OF_AN_ARTIST`).
EXAMPLES = (
    "I'm actually tired",
    "something calmer",
    "play something happy",
    "not this song",
    "I love this",
    "louder",
    "cheer me up",
)


@dataclass(frozen=True)
class Action:
    """One ControlAPI command with its arguments."""

    command: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Interpretation:
    """The commands, the reply, and whether the request was understood (the page's ok): acted on,
    answered ("what song is this?") or nothing to do ("don't stop the music", "never mind"), each reply
    then "Understood: ..." or the answer; not so a refusal ("volume 150"), a question or words not
    understood, whose replies say "Sorry" or what the box acts on."""

    actions: tuple[Action, ...]
    reply: str
    understood: bool
    #: What the reply is made of when there are actions (tell_outcome says it again without those the
    #: speaker refused): the note of each action, in the order of `actions`; every note and refusal,
    #: in the reply's order; the answer after them ("what song is this?").
    said: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    answer: str = ""


def _normalise(text: str, *, clauses: bool = False) -> str:
    """Lower-case words between single spaces; with `clauses`, punctuation between them is kept as
    " , " ("I'm sad, music please"), which the music and feeling rules do not read across."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    if clauses:
        text = re.sub(r"[,.;:!?\u2026]+", " , ", text)
    text = re.sub(r"[^a-z0-9', ]+" if clauses else r"[^a-z0-9' ]+", " ", text)
    return " " + re.sub(r"\s+", " ", text).strip(" ,") + " "


def _has(text: str, phrases: tuple[str, ...] | list[str]) -> str | None:
    for phrase in phrases:
        if f" {phrase} " in text:
            return phrase
    return None


def _last(text: str, phrases: tuple[str, ...]) -> int:
    """Where the last of `phrases` in `text` starts (-1: none)."""
    starts = [m.start() for phrase in phrases for m in re.finditer(rf"(?= {re.escape(phrase)} )", text)]
    return max(starts, default=-1)


def _asked_music(text: str, words: dict[str, tuple[str, ...]]) -> tuple[str, str] | None:
    """(key, word) when the text (normalised with clauses) asks for music described by one of
    `words` ("play happy songs", "put on something sad", "calm music please"), not when it takes
    that music away ("no sad songs", "skip these sad songs") or only speaks of it ("too many sad
    songs", "sad songs make me cry").  Taken away is a mention of it asked for, or one after it
    ("play something happy, no, not happy"), not one before: "I don't feel happy, play something
    happy" asks for happy music (the refusal is of the first "happy" alone)."""
    for key, phrases in words.items():
        for word in sorted(phrases, key=len, reverse=True):
            said = rf"(?P<word>{word})"
            asked = [
                *re.finditer(rf"\b{_MUSIC_REQUEST} {said}\b", text),
                *re.finditer(rf"\b{said} {_MUSIC_AFTER}{_BY_SOMEONE} (?:please|pls)\b", text),
                *filter(None, [re.fullmatch(rf" (?:please )?{said} {_MUSIC_AFTER}{_BY_SOMEONE} ", text)]),
            ]
            # every refusal, from each place one may start (overlapping), to the mention it refuses
            away = rf"(?=\b(?:{_MUSIC_NOT}|{_MUSIC_REFUSED}|{_MUSIC_ACTED_ON}) {said}\b)"
            taken = [m.start("word") for m in re.finditer(away, text)]
            if asked and not any(at >= max(m.start("word") for m in asked) for at in taken):
                return key, word
    return None


def interpret(
    text: str,
    *,
    volume: float | None = None,
    strategy: str | None = None,
    now_playing: Mapping[str, Any] | None = None,
    asked_mood: str | None = None,
) -> Interpretation:
    """Turn a short request into commands; `volume`/`strategy` are the speaker's current values,
    `now_playing` the track playing (its title and artist: what "what song is this?" is answered with),
    `asked_mood` the mood asked for in force (`ask_mood`; None: none), whose music refused ends it."""
    # The camera's commands and the commands said not to be done are taken out first (tell_commands):
    # "start the camera" is no play, "don't stop the music" no pause.
    # Questions are taken out before anything is read: "is the camera on?" asks, it does not tell.
    asked, questions = tell_questions.drop(text[:200].lower().replace("\u2019", "'").replace("\u2018", "'"))
    commands = tell_commands.read(_normalise(asked, clauses=True))
    # "go back to my mood", "stop playing happy songs" while happy is asked for: `ask_mood camera`
    camera_mood = tell_camera_mood.read(commands.text, asked_mood)
    # "next time play something happier" is for later: its steer counts, no skip and no play now.
    marked = re.sub(
        r" next time((?: (?!,)[\w'_]+)*)", lambda m: re.sub(r"\bplay\b", "_", m[1]), camera_mood.text
    )
    said = re.sub(r" (?:, )+", " ", marked)
    named = tell_named.named_music(marked, text)  # "play some jazz": a genre or name it cannot pick by
    actions: list[Action] = []
    notes: list[str] = []
    refused: list[str] = []  # what was asked and cannot be done ("volume 150")
    noted: list[str] = []  # the note of each action

    def add(action: Action, note: str) -> None:
        if action not in actions:
            actions.append(action)
            notes.append(note)
            noted.append(note)

    opinion = tell_likes.opinion(said, never_again=commands.never_again)
    if opinion == "dislike" and re.search(_OF_AN_ARTIST, said):
        add(
            Action("dislike"),
            "skipping this track only (the speaker cannot leave out an artist yet), and it learns from it",
        )
    elif opinion == "dislike":
        add(Action("dislike"), "this track does not fit: skipping it, and the speaker learns from it")
    elif opinion == "like":
        add(Action("like"), "you like this track: the speaker will remember it for this mood")

    if _has(said, ("cheer me up", "lift my mood", "lift me up", "uplift")):
        add(
            Action("set_strategy", {"strategy": "uplift"}), "music will start at your mood and lift it gently"
        )
    elif _has(said, ("match my mood", "follow my mood", "fit my mood")):
        add(Action("set_strategy", {"strategy": "match"}), "music will match your mood")
    elif _has(said, ("ignore my mood", "ignore my face", "stop following my mood", "just my taste")):
        add(Action("set_strategy", {"strategy": "steady"}), "music will follow your taste, not your mood")

    # Music of a mood asked for ("play happy songs") is the mood the speaker then plays for
    # (`ask_mood`: held in force as a told feeling is, over a feeling said with it: the music asked
    # for is what is wanted), under a strategy that follows the mood ("Ignore mood" and "No auto
    # picks" would not).  No `correct_mood`: asking for happy music does not say the face the camera
    # read was happy, so nothing is recorded against the track playing or taught to the camera's
    # correction mapping.  A feeling said ("I'm tired") is a correction of the reading.
    music = _asked_music(marked, MUSIC_MOODS)
    feeling = tell_feelings.feeling(marked)
    if music:
        mood, word = music
        if strategy in ("steady", "off"):
            add(Action("set_strategy", {"strategy": "match"}), "music will match the mood you asked for")
        add(
            Action("ask_mood", {"mood": mood}),
            f"you asked for {word} music: the speaker now treats your mood as {mood}",
        )
    elif feeling:
        mood, word = feeling
        felt = f"you are {word}" if word.startswith("not ") else f"you feel {word}"
        add(Action("correct_mood", {"mood": mood}), f"{felt}: the speaker now treats your mood as {mood}")
    elif camera_mood.follow:  # the mood asked for (or told) ends: the camera's is in force again
        add(Action("ask_mood", {"mood": tell_camera_mood.CAMERA}), camera_mood.note)

    # Calmer or livelier moves the aim of the next picks (the `steer` command), under any strategy:
    # nothing is recorded against the track playing, which may be a calm one already.  Only "off"
    # (no automatic picks at all) needs a strategy that picks.  After a mood told with it: a steer
    # lasts while the mood it was asked in does (recommend.steers).
    asked_steer = _asked_music(marked, MUSIC_STEERS)
    direction = "calmer" if _has(said, CALMER) else "livelier" if _has(said, LIVELIER) else None
    direction = direction or (asked_steer[0] if asked_steer else None)
    if direction:
        if strategy == "off":
            add(
                Action("set_strategy", {"strategy": "uplift"}),
                "switching automatic picks on (uplift), which moves the music gently towards where you "
                "want to be",
            )
        add(
            Action("steer", {"direction": direction}),
            f"you want something {direction}: the next tracks will be {direction}",
        )

    if (_has(said, ("skip", "another song")) or re.search(_NEXT, marked)) and not any(
        a.command == "dislike" for a in actions
    ):
        add(Action("next"), "skipping to the next track")

    louder = _has(said, ("louder", "turn it up", "volume up", "can't hear", "cant hear"))
    quieter = _has(said, ("quieter", "turn it down", "volume down", "too loud", "so loud", "softer"))
    level = tell_volume.asked(marked, volume)  # "volume 30", "mute": a volume said, not a step
    if level and level.volume is not None:
        add(Action("set_volume", {"volume": level.volume}), level.note)
    elif level:
        (refused if level.refused else notes).append(level.note)
    elif (louder or quieter) and volume is not None:
        step = VOLUME_STEP if louder else -VOLUME_STEP
        new = round(min(1.0, max(0.0, volume + step)), 2)
        add(
            Action("set_volume", {"volume": new}),
            f"volume {'up' if louder else 'down'} to {round(new * 100)}%",
        )

    if _has(
        said,
        (
            "play that again",
            "play it again",
            "play this again",
            "again please",
            "one more time",
            "replay",
            "repeat that",
            "repeat this",
            "start over",
            "from the start",
            "previous song",
            "previous track",
            "go back",
        ),
    ) and not any(a.command in {"dislike", "next"} for a in actions):
        add(Action("replay"), "playing it again (the speaker notes that you wanted to hear it twice)")

    # Play when asked to, also with what else was asked ("I'm tired, play something"), or when music of
    # a mood or pace was asked for ("happy songs please"); not where another command plays already,
    # or where "play" was part of it ("play it again", "start over").  Of a pause and a play asked for
    # in one message, the later wins ("stop this and play something happy" plays; "play something
    # happy, then stop" pauses; "stop, don't play anything" asks for no play after the stop).
    steering = any(a.command in {"set_strategy", "dislike", "steer"} for a in actions)
    moving = any(a.command in {"dislike", "next", "replay"} for a in actions)
    play_words = ("play", "resume", "continue", "start", "keep playing", "keep going", "keep the music")
    wanted = [w[1] for w in (music, asked_steer) if w]
    named = named or (tell_named.named_by(marked, text) if wanted else None)  # "play happy songs by Queen"
    if moving or wanted or _has(said, play_words):
        marked = re.sub(_STOP_THAT_MUSIC, "_", marked)
    paused = _last(marked, ("pause", "stop", "be quiet", "shh", "shush", "silence"))
    played = max(_last(marked, play_words), _last(marked, tuple(wanted)))
    if paused >= 0 and not (quieter or steering) and played < paused:
        add(Action("pause"), "pausing")
    elif (_has(said, play_words) or wanted or named) and not moving:
        fits = f"{wanted[0]} music" if wanted else "what fits the mood"  # "happy songs by Queen"
        add(Action("play"), f"{tell_named.CANNOT_PICK}: playing {fits}" if named else "playing")
    if named and not any(a.command == "play" for a in actions):
        notes.append(tell_named.CANNOT_PICK)

    if commands.camera is False:
        add(Action("set_camera", {"enabled": False}), "camera off: no more pictures are taken")
    elif commands.camera:
        add(Action("set_camera", {"enabled": True}), "camera on")
    notes.extend(commands.cancelled + list(camera_mood.cancelled))
    answer = tell_named.what_plays(now_playing) if tell_named.asks_what_plays(questions) else ""
    if answer and not actions and not notes and not refused:
        return Interpretation((), answer, True)

    if not actions and refused:
        return Interpretation((), "Sorry, " + "; ".join(refused + notes) + ": nothing done.", False)
    if not actions and questions and not notes:
        return Interpretation(
            (),
            f"“{questions[0]}” sounds like a question: I only act on requests (the page shows what plays and"
            " whether the camera is on). Try: " + ", ".join(f"“{e}”" for e in EXAMPLES) + ".",
            False,
        )
    if not actions and notes:
        return Interpretation((), "Understood: " + "; ".join(notes) + ": nothing to do.", True)
    if not actions and re.fullmatch(rf"(?: (?:{alternatives(NEVER_MIND)}))+ ", said):
        return Interpretation((), "Understood: nothing to do.", True)  # "no wait, never mind"
    if not actions:
        return Interpretation(
            (), "Sorry, I did not understand that. Try: " + ", ".join(f"“{e}”" for e in EXAMPLES) + ".", False
        )
    reply = "Understood: " + "; ".join(notes + refused) + "."
    reply = f"{reply} {answer}" if answer else reply
    return Interpretation(tuple(actions), reply, True, tuple(noted), tuple(notes + refused), answer)
