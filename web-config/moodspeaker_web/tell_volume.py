"""A volume said as a number, and mute, in a "tell the speaker" request (`tell.interpret`).

"volume 30", "set the volume to 30", "volume 30 %", "turn the volume to 30 percent" set the volume to
30% (the slider's scale, 0 to 100); "mute" sets it to 0 (the speaker has no mute of its own: the music
plays on, silent, as the slider at 0 leaves it), and "unmute" after it brings it back to half, as the
speaker does not remember the volume before the mute.  Before, all of them answered "Sorry, I did not
understand that".  A number after a decimal point ("volume 0.3") is not read as 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from moodspeaker_web.tell_words import negation_words

#: The volume "unmute" brings back from 0.
UNMUTED = 0.5

_NUMBER = r"(?P<n>\d{1,3})(?! , \d| ?\d)(?: percent| per cent| pc)?"
_BE = r"(?:is|should be|must be)"
_SET = tuple(
    re.compile(pattern)
    for pattern in (
        rf"\bvolume (?:, )?(?:(?:up |down )?(?:to|at|of|on) |{_BE} (?:at )?)?{_NUMBER}(?= )",
        rf"(?<= )(?:turn|set|put)(?: (?:it|the music|the sound))? (?:up |down )?to {_NUMBER}(?= )",
        rf"(?<= ){_NUMBER} volume\b",
    )
)
#: Words before "mute" that refuse it ("don't mute", "no need to mute"; "to" also stands for "how to
#: mute", "I want to mute", spoken of, not asked for).
_REFUSALS = negation_words()
_MUTE = re.compile(r" (?:mute|mute it|mute the (?:music|sound|speaker))(?= (?:,|$|please|now))")
_UNMUTE = re.compile(r" (?:unmute|un mute)(?= )")


@dataclass(frozen=True)
class Volume:
    """A volume asked for (0 to 1; None: none can be set), what the reply says of it, and whether it
    is refused (over 100: not done, no "Understood"; "unmute" when not muted is nothing to do)."""

    volume: float | None
    note: str
    refused: bool = False


def asked(marked: str, volume: float | None) -> Volume | None:
    """The volume `marked` (`tell._normalise` with clauses) sets, or None when it names none;
    `volume` is the speaker's current one."""
    m = next(filter(None, (pattern.search(marked) for pattern in _SET)), None)
    if m:
        percent = int(m["n"])
        if percent > 100:
            return Volume(None, f"the volume goes from 0 to 100, not {percent}", refused=True)
        return Volume(percent / 100, f"volume set to {percent}%")
    mute = _MUTE.search(marked)
    if mute and not _REFUSALS.intersection(marked[: mute.start()].split()[-2:]):
        return Volume(0.0, "muted (volume 0%): say “unmute” or move the slider to bring it back")
    if _UNMUTE.search(marked):
        if volume is not None and volume > 0:
            return Volume(None, f"the speaker is not muted (volume {round(volume * 100)}%)")
        return Volume(UNMUTED, f"volume back to {round(UNMUTED * 100)}%")
    return None
