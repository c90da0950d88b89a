"""Like or dislike of the track playing in a "tell the speaker" request (`tell.interpret`).

A negation before a word of liking turns it round or takes it away: "I do not like this" is a dislike
(it liked: "like this" was read; "I don't like sad songs" speaks of no track), "not perfect" / "this is
not perfect" is neither (it liked), "I don't hate this" is neither (it disliked: "hate this" was read).
"""

from __future__ import annotations

import re

from moodspeaker_web.tell_words import (
    BETWEEN_OPINION,
    DID_NOT,
    IS_NOT,
    NO,
    NOT,
    REFUSE,
    alternatives,
    negation,
)

_DISLIKES = (
    "not this artist",
    "not this song",
    "not this one",
    "not this",
    "don't like this",
    "dont like this",
    "hate this",
    "no more of this",
    "not in the mood for this",
    "doesn't fit",
    "doesnt fit",
    "wrong music",
    "wrong song",
)
_LIKES = (
    "i like this",
    "i love this",
    "love this",
    "like this",
    "more like this",
    "great song",
    "good song",
    "nice song",
    "keep this",
    "perfect",
)
#: A negation of the opinion word after it: "do not like", "don't really love", "not perfect", "never
#: liked", "isn't a great song".
_NEGATED = re.compile(
    rf" {negation(REFUSE, DID_NOT, IS_NOT, NOT, NO)}(?: (?:{alternatives(BETWEEN_OPINION)}))*"
    r" (?P<word>like|liked|love|loved|hate|hated|dislike|perfect|great|good|nice)"
    r"(?P<this> (?:this|that|it)\b)?(?= )"
)


def opinion(said: str, *, never_again: bool) -> str | None:
    """ "dislike", "like" or None for `said` (`tell._normalise`d, clause breaks taken out)."""
    negated_like = False

    def negated(m: re.Match[str]) -> str:
        nonlocal negated_like
        negated_like = negated_like or (m["word"] in ("like", "liked") and m["this"] is not None)
        return " _" + (m["this"] or "")

    plain = _NEGATED.sub(negated, said)
    if never_again or negated_like or any(f" {phrase} " in plain for phrase in _DISLIKES):
        return "dislike"
    if any(f" {phrase} " in plain for phrase in _LIKES):
        return "like"
    return None
