"""Questions in a "tell the speaker" request (`tell.interpret`): asked, not told, so they change nothing.

"is the camera on?" turned the camera on, "what's next?" skipped, "why did you stop" paused: the command
words of a question were read as requests.  A question is a clause that starts with a question word
(is, are, why, what, who, when, how, did, does, do, can, could, would, will...) or ends with "?", unless
it is a request put as one: "can you pause", "could you play something happy?", "why not play
something happy", "how about something calm", "skip this?", or "do not ..." (a negation, no question).
The clauses that are questions are taken out of the text before any other rule reads it: the rest of
the message still counts ("why did you skip that song, I liked it").
"""

from __future__ import annotations

import re

from moodspeaker_web.tell_words import CANNOT, NOT, REFUSE, alternatives

_QUESTION_WORDS = (
    r"is|are|was|were|am|isn't|isnt|aren't|arent|wasn't|why|what|what's|whats|who|who's|whos|when|where"
    r"|how|did|does|doesn't|do|has|have|can|could|would|will|won't|wont|can't|cant|shall|should"
)
#: A request put as a question: "can you pause", "could u play something", "won't you skip this?", "can I
#: have something calm?", "do you have something happy?", "would you mind pausing", "why not play", "why
#: don't you play", "how about", "what about"; "what a great song" and "do not ..." are no questions either.
_REQUEST_AS_QUESTION = re.compile(
    rf"(?:can|could|would|will|{alternatives(CANNOT)}) (?:you|u|ya)(?: (?:please|pls|just|maybe|not))*"
    r" (?!(?:be|hear|see|believe|tell|explain|check|remember|guess|feel|understand|do|even)\b)\w"
    r"|(?:can|could|may) (?:i|we) (?:please )?(?:have|get|hear|listen)\b"
    r"|(?:do you have|have you got|is it possible to|would you mind|do you mind)\b"
    rf"|why (?:{alternatives(NOT + REFUSE)})\b|how about\b|what about\b|what a\b|(?:{alternatives(REFUSE)})\b"
)
#: The words a request starts with, also when said with "?": "skip this?", "something calmer?".
_IMPERATIVE = re.compile(
    r"(?:please |pls |just |ok |okay |so )*(?:play|pause|stop|skip|next|turn|put|switch|start|resume"
    r"|continue|replay|repeat|louder|quieter|softer|camera|more|something|give|cheer|keep|mute|go|change"
    r"|not this|no more)\b"
)
_CLAUSES = re.compile(r"([.!?;,\u2026]+)")


def is_question(clause: str, ends_with_question_mark: bool) -> bool:
    """Whether a clause (lower-case words) asks rather than tells."""
    words = clause.strip()
    if not words or _REQUEST_AS_QUESTION.match(words):
        return False
    if re.match(rf"(?:{_QUESTION_WORDS})\b", words):
        return True
    return ends_with_question_mark and not _IMPERATIVE.match(words)


def drop(text: str) -> tuple[str, list[str]]:
    """`text` (lower-case, straight apostrophes) without its questions, each replaced by a clause
    break, and the questions taken out."""
    parts = _CLAUSES.split(text)
    kept: list[str] = []
    questions: list[str] = []
    for i in range(0, len(parts), 2):
        clause = parts[i]
        mark = parts[i + 1] if i + 1 < len(parts) else ""
        if is_question(clause, "?" in mark):
            questions.append(clause.strip())
            kept.append(", ")
        else:
            kept.append(clause + mark)
    return "".join(kept), questions
