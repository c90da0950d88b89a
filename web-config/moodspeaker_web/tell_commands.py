"""The command words of a "tell the speaker" request (`tell.interpret`) that are not the music's.

Two rules read before the music's: the camera's words (camera, watching, looking, pictures) take the
start, stop, turn on or off said with them ("start the camera", "stop watching": no play, no pause),
and a negation just before a command word cancels that command ("don't play anything", "can you not
pause", "don't skip this", "don't turn the camera off").  Both take their words out of the text the
music's rules then read: a camera command leaves a clause break, a cancelled command word a "_"
(the negation stays: "don't _ anything sad" still refuses sad music).  The camera turns on only when
asked to ("camera on" as a command, not "the camera on the shelf"); not wanting it ("I don't want the
camera on", "no camera") turns it off, and so does "turn it off" in a message about the camera.  "stop
skipping"/"stop pausing" cancel the skip or pause.  Other ways to say a command are read as its command
word (`tell_words.GERUNDS`, `TURNED`: "would you mind pausing" is "pause", "turn the music off" is "stop
the music"), so their negations cancel them too ("don't turn the music off").  The negations are the
box's one vocabulary (`tell_words.negation`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from moodspeaker_web.tell_words import (
    BETWEEN_COMMAND,
    BETWEEN_REFUSAL,
    CANNOT,
    DID_NOT,
    GERUND_AFTER,
    GERUNDS,
    IS_NOT,
    NO_NEED,
    NOT,
    REFUSE,
    TURN_VERBS,
    TURNED,
    TURNED_IT,
    TURNED_MUSIC,
    alternatives,
    negation,
)

#: A negation of the command word after it ("don't", "never", "can you not", "I can't stop", "no need to";
#: "don't you dare", "I don't want to"), not a question that suggests it ("why not play something happy").
_NEGATION = (
    rf"{negation(REFUSE, DID_NOT, IS_NOT, NOT, CANNOT, NO_NEED)}(?: (?:{alternatives(BETWEEN_COMMAND)}))?"
)
#: The music's command words a negation cancels -> what the reply says was not done.
_CANCELLED = {
    "play": "playing",
    "resume": "playing",
    "continue": "playing",
    "start": "playing",
    "pause": "pausing",
    "stop": "pausing",
    "be quiet": "pausing",
    "silence": "pausing",
    "skip": "skipping",
    "next": "skipping",
    "replay": "replaying",
    "start over": "replaying",
    "repeat": "replaying",
    "go back": "going back",
    "turn it up": "turning it up",
    "turn it down": "turning it down",
}
_ON = r"start|turn on|switch on|enable|resume"
_OFF = r"stop|turn off|switch off|disable|pause|no more|quit|no"
_CAM = r"(?:camera|cam|webcam)"
#: "start the camera", "stop taking pictures", "no more photos", "stop watching me", "stop looking at me"
#: (not "stop looking for sad songs"); "camera off", "turn the camera back on": a command, so "camera
#: on/off" only with turn/switch/put/set or as the clause itself, up to its end or an "and" ("the camera
#: on the shelf is dusty", "someone turned the camera on" are no commands).
_CAMERA = re.compile(
    rf" (?P<neg>{_NEGATION} )?(?:(?P<verb>{_ON}|{_OFF})"
    rf"(?: (?:the|your|my|that|this|taking|any)){{0,2}} (?:{_CAM}|pictures|photos|snapshots)"
    r"|(?P<verb2>start|stop|quit|resume|pause) (?:watching|looking|filming|recording)(?! for)(?: at me| me)?"
    r"|(?:(?:turn|switch|put|set|keep|leave) |(?:(?<=^ )|(?<=, ))(?:please )?)"
    rf"(?:(?:the|your|my) )?{_CAM}(?: back)?"
    r" (?P<state>on|off)"
    r"(?= (?:(?:please|pls|now|right now|again|thanks|for me) )*(?:,|$|and\b|but\b|then\b)))"
    r"(?= )"
)
#: The camera not wanted: "I don't want the camera on", "I don't want you to turn the camera on" (off).
_CAMERA_UNWANTED = re.compile(
    rf" {negation(REFUSE)} want(?: (?:you|anyone|it) to)?(?: (?:turn|switch|put|have|keep|leave)(?: on)?)?"
    rf"(?: (?:the|your|my|any|a))? {_CAM}(?: on)?(?! off)(?= )"
)
#: "turn it off" said of the camera: "someone turned the camera on, turn it off".
_IT_OFF = re.compile(r" (?:turn|switch|shut) (?:it|that) off(?= )| (?:turn|switch|shut) off (?:it|that)(?= )")
#: A command word stopped ("stop skipping", "stop changing the song"): that command not done.
_STOPPED = re.compile(
    r" (?:stop|quit) (?P<word>skipping|pausing|stopping|changing|switching|interrupting)"
    r"(?: (?:the|my|our|songs?|tracks?|music))*(?= )"
)
#: A track never to be played again: "never play this again", "don't play that song", "don't play it again",
#: "never replay this", "I don't want to hear this again".  Only a refusal (not "it won't play this", "I
#: can't play this loud"), and only of the track itself: the clause ends there ("don't play this so loud",
#: "never play this song at breakfast" are no dislikes).
_NEVER_AGAIN = re.compile(
    rf" (?:please )?{negation(REFUSE)}(?: (?:{alternatives(BETWEEN_REFUSAL)})){{0,2}}"
    r" (?:play|put on|replay|repeat|hear|listen to)"
    r" (?:(?:this|that)(?: (?:song|track|one|artist|band|music))?|it(?= (?:ever )?again))"
    r"(?: (?:ever again|ever|again|anymore|any more))?(?: (?:please|pls|thanks))?(?= (?:,|$))"
)
#: A command said as "...ing" (`tell_words.GERUNDS`): "would you mind pausing".
_GERUND = re.compile(
    rf" (?P<after>{alternatives(GERUND_AFTER)})(?P<no> not)? (?P<word>{alternatives(GERUNDS)})(?= )"
)
_TURNED_MUSIC = (
    rf"(?:(?:the|this|that|these|those|my|your|some) )?(?:[\w']+ )?(?:{alternatives(TURNED_MUSIC)})"
)
_TURNED_OBJECT = rf"{_TURNED_MUSIC}|{alternatives(TURNED_IT)}"
#: The music turned off, on, up or down (`tell_words.TURNED`): "turn the music off", "turn up the sound".
_TURNED = re.compile(
    rf" (?:{alternatives(TURN_VERBS)}) (?:(?P<way1>{alternatives(TURNED)}) (?P<what1>{_TURNED_OBJECT})"
    rf"|(?P<what2>{_TURNED_OBJECT}) (?P<way2>{alternatives(TURNED)}))(?= )"
)


def _say_as_commands(text: str) -> str:
    """`text` with the other ways to say a command (`tell_words.GERUNDS`, `TURNED`) put as its word."""

    def turned(m: re.Match[str]) -> str:
        way, what = m["way1"] or m["way2"], m["what1"] or m["what2"]
        if way == "on" and what in TURNED_IT:  # "turn it on": maybe the camera
            return m[0]
        return f" {TURNED[way]} {what}" if way in ("off", "on") else f" {TURNED[way]}"

    return _TURNED.sub(turned, text)


@dataclass
class Commands:
    """What `read` found: the text left for the music's rules, the camera asked for (None: not
    spoken of), a track never to be played again, and the notes of the commands cancelled."""

    text: str
    camera: bool | None = None
    never_again: bool = False
    cancelled: list[str] = field(default_factory=list)


def read(marked: str) -> Commands:
    """The camera and the cancelled commands of `marked` (`tell._normalise` with clauses)."""
    marked = _GERUND.sub(lambda m: f" {m['after']}{m['no'] or ''} {GERUNDS[m['word']]}", marked)
    found = Commands(marked)

    def camera(m: re.Match[str]) -> str:
        on = m["state"] == "on" if m["state"] else re.fullmatch(_ON, m["verb"] or m["verb2"]) is not None
        if m["neg"]:
            found.cancelled.append(f"not turning the camera {'on' if on else 'off'}")
        else:
            found.camera = on
        return " , "

    def unwanted(m: re.Match[str]) -> str:
        found.camera = False
        return " , "

    text = _CAMERA.sub(camera, _CAMERA_UNWANTED.sub(unwanted, marked))
    if re.search(rf" {_CAM} ", marked) and _IT_OFF.search(text):
        text, found.camera = _IT_OFF.sub(" , ", text), False

    def stopped(m: re.Match[str]) -> str:
        note = "not pausing" if m["word"] in ("pausing", "stopping", "interrupting") else "not skipping"
        if note not in found.cancelled:
            found.cancelled.append(note)
        return " _"

    text = _say_as_commands(text)
    found.never_again = bool(_NEVER_AGAIN.search(text))
    text = _STOPPED.sub(stopped, text)
    words = "|".join(re.escape(word) for word in sorted(_CANCELLED, key=len, reverse=True))

    def cancel(m: re.Match[str]) -> str:
        note = f"not {_CANCELLED[m['word']]}"
        if note not in found.cancelled:
            found.cancelled.append(note)
        return f"{m['neg']} _"

    found.text = re.sub(rf"(?P<neg> {_NEGATION}) (?P<word>{words})(?= )", cancel, text)
    if found.never_again:  # a dislike: the next track plays
        found.cancelled = [note for note in found.cancelled if note not in ("not playing", "not replaying")]
    return found
