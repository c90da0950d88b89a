"""The command words of a "tell the speaker" request (`tell.interpret`) that are not the music's.

Two rules read before the music's: the camera's words (camera, watching, looking, pictures) take the
start, stop, turn on or off said with them ("start the camera", "stop watching": no play, no pause),
and a negation just before a command word cancels that command ("don't play anything", "can you not
pause", "don't skip this", "don't turn the camera off").  Both take their words out of the text the
music's rules then read: a camera command leaves a clause break, a cancelled command word a "_"
(the negation stays: "don't _ anything sad" still refuses sad music).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: A negation of the command word after it ("don't", "never", "can you not", "I can't stop"; "don't you
#: dare", "I don't want to"), not a question that suggests it ("why not play something happy").
_NEGATION = (
    r"(?:don't|dont|do not|never|can't|cant|cannot|won't|wont|(?<!why )not|no need to)"
    r"(?: (?:you|ever|even|just|please|dare|you dare|want to|wanna|need to|have to))?"
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
_OFF = r"stop|turn off|switch off|disable|pause|no more|quit"
#: "start the camera", "stop taking pictures", "no more photos", "stop watching me", "stop looking at me"
#: (not "stop looking for sad songs"); "camera off", "turn the camera back on".
_CAMERA = re.compile(
    rf" (?P<neg>{_NEGATION} )?(?:(?P<verb>{_ON}|{_OFF})"
    r"(?: (?:the|your|my|that|this|taking|any)){0,2} (?:camera|cam|webcam|pictures|photos|snapshots)"
    r"|(?P<verb2>start|stop|quit|resume|pause) (?:watching|looking|filming)(?! for)(?: at me| me)?"
    r"|(?:(?:turn|switch|put|set) )?(?:(?:the|your|my) )?(?:camera|cam|webcam)(?: back)? (?P<state>on|off))"
    r"(?= )"
)
#: A track never to be played again: "never play this again", "don't play that song", "don't play it again".
_NEVER_AGAIN = re.compile(
    rf" {_NEGATION} (?:play|put on) (?:(?:this|that)(?: (?:song|track|one|artist|band|music))?"
    r"(?: ever)?(?: again)?|it(?: ever)? again)(?= )"
)


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
    found = Commands(marked, never_again=bool(_NEVER_AGAIN.search(marked)))

    def camera(m: re.Match[str]) -> str:
        on = m["state"] == "on" if m["state"] else re.fullmatch(_ON, m["verb"] or m["verb2"]) is not None
        if m["neg"]:
            found.cancelled.append(f"not turning the camera {'on' if on else 'off'}")
        else:
            found.camera = on
        return " , "

    text = _CAMERA.sub(camera, marked)
    words = "|".join(re.escape(word) for word in sorted(_CANCELLED, key=len, reverse=True))

    def cancel(m: re.Match[str]) -> str:
        note = f"not {_CANCELLED[m['word']]}"
        if note not in found.cancelled:
            found.cancelled.append(note)
        return f"{m['neg']} _"

    found.text = re.sub(rf"(?P<neg> {_NEGATION}) (?P<word>{words})(?= )", cancel, text)
    if found.never_again:  # a dislike: the next track plays
        found.cancelled = [note for note in found.cancelled if note != "not playing"]
    return found
