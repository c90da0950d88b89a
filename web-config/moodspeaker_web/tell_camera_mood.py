"""The camera's mood asked for again in a "tell the speaker" request (`tell.interpret`): `ask_mood camera`.

A mood asked for ("play happy songs": `ask_mood`) or told ("I'm tired": `correct_mood`) holds until the
camera reads a change; the box had no way to end it.  "follow the camera again", "go back to my mood",
"back to the camera please", "use the camera again", "read my face again" now end it at once (the mood
the camera reads is in force again, and the music is planned for it), and so does the music asked for
refused while it is the mood asked for ("stop playing happy songs", "no more happy music", "enough of
the happy songs" while happy music is asked for: the speaker's `asked`); not so while another mood
or none is asked for, where "stop playing happy songs" pauses as before.  A negation before it cancels
it ("don't follow the camera", "never go back to my mood": the negations are the box's one vocabulary,
`tell_words.negation`).  The camera's own commands are read before ("stop the camera" switches it off,
"stop" alone pauses: `tell_commands`), and "go back to my mood" is no "go back" (a replay).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from moodspeaker_web.tell_words import (
    BETWEEN_COMMAND,
    CANNOT,
    DID_NOT,
    MUSIC_MOODS,
    MUSIC_NOUNS,
    NO_NEED,
    NOT,
    REFUSE,
    alternatives,
    negation,
)

#: `ask_mood`'s mood for the camera's mood again (service.events.MOOD_CAMERA).
CAMERA = "camera"
#: What the reply says was done.
FOLLOWS = "the speaker follows the mood the camera reads again"
#: ...and was not ("don't follow the camera").
NOT_FOLLOWING = "not going back to the mood the camera reads"

_CAM = r"(?:the |your )?(?:camera|cam|webcam)"
#: The mood the camera reads: "the camera", "the camera's mood", "my mood", "my own mood", "my face",
#: "what the camera sees".
_READ = (
    rf"(?:{_CAM}(?:'s (?:mood|reading))?|my (?:own |real |actual |true )?(?:mood|face)"
    r"|what (?:the camera|you) (?:sees?|reads?|says?))"
)
_NEGATED = (
    rf"(?P<neg> {negation(REFUSE, DID_NOT, NOT, CANNOT, NO_NEED)}(?: (?:{alternatives(BETWEEN_COMMAND)}))?)?"
)
#: "go back to my mood", "back to the camera", "return to my own mood", "switch back to the camera's
#: mood", "follow the camera (again)", "use the camera again", "read my face again", "go by my face".
_BACK = re.compile(
    rf"{_NEGATED} (?:(?:(?:go|get|switch|come|change|turn|go right) )?back to {_READ}|return to {_READ}"
    rf"|(?:follow|go by|trust|listen to) (?:{_CAM}(?:'s (?:mood|reading))?|my face"
    r"|what (?:the camera|you) sees?)"
    rf"|(?:use|read|follow|trust|go by) {_READ} again)"
    r"(?: again| instead| now| please| pls| thanks)*(?= )"
)
#: The music of a mood refused: "stop playing", "no more", "enough of the", "I'm done with" (before its
#: mood word and music: "stop playing happy songs").
_ENOUGH = (
    r"(?:stop|quit|enough|no more|that's enough|thats enough|done with|tired of|sick of|fed up with)"
    r"(?: (?:playing|with|of|the|these|those|this|that|all|any|more)){0,3}"
)


@dataclass(frozen=True)
class CameraMood:
    """What `read` found: the text left for the other rules, whether the camera's mood is asked for
    again, what the reply says of it, and a negation of it (said, nothing done)."""

    text: str
    follow: bool = False
    note: str = FOLLOWS
    cancelled: tuple[str, ...] = ()


def read(marked: str, asked: str | None = None) -> CameraMood:
    """The camera's mood asked for again in `marked` (`tell._normalise` with clauses, after
    `tell_commands.read`); `asked`: the mood asked for now (the speaker's state: `mood` while its
    `mood_source` is "asked"), whose music refused ends it.  What it reads is taken out of the text
    (a "_"), so "stop" and "go back" in it are no pause and no replay."""
    found = {"follow": False, "neg": False}
    note = FOLLOWS

    def back(m: re.Match[str]) -> str:
        found["neg" if m["neg"] else "follow"] = True
        return " _"

    text = _BACK.sub(back, marked)
    words = MUSIC_MOODS.get(asked or "", ())
    if words:
        refused = re.compile(rf" {_ENOUGH} (?P<word>{alternatives(words)}) (?:{MUSIC_NOUNS})(?= )")
        if m := refused.search(text):
            note = f"no more {m['word']} music asked for: {FOLLOWS}"
            text, found["follow"] = refused.sub(" _", text), True
    cancelled = (NOT_FOLLOWING,) if found["neg"] and not found["follow"] else ()
    return CameraMood(text, found["follow"], note, cancelled)
