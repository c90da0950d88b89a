"""How the person feels, said in a "tell the speaker" request (`tell.interpret`): a correction of the
mood the camera read ("I'm actually tired" -> sad, "I'm not happy" -> neutral).

Only the person's own feeling counts: not a word of music ("so many sad songs"), nor one of a complaint
about it ("I'm tired of sad songs"), nor one said of something or someone else ("this song is so good",
"the weather is very gloomy", "my day was not good", "you look so tired": they were read as "you feel
good", "you are not good", and recorded as corrections that teach the camera's mapping).
"""

from __future__ import annotations

import re

from moodspeaker_web.tell_words import BETWEEN_FEELING, FEELINGS, MUSIC_NOUNS, NOT, alternatives, negation

_MUSIC_AFTER = rf"(?:{MUSIC_NOUNS})"
#: Words a feeling is said with: "I'm tired", "I feel great", "really tired", "so happy".
_FEELING_INTRO = r"(?:i am|i m|im|i feel|feeling|i'm|actually|just|really|so|pretty|quite|very|a bit|kind of)"
#: What a feeling word is of, when that is the music: "tired of sad songs", "fed up with this music",
#: "sick of this": a complaint about the music, no feeling to correct the mood read with ("tired of
#: work" is one).
_OF_THE_MUSIC = (
    rf"(?:of|with|by|at)(?:(?: [\w']+){{0,3}} (?:{MUSIC_NOUNS}|artist|band|album|singer|hearing|listening)\b"
    r"| (?:this|that|these|those|it)(?: one| again| already| now)?(?= ,| $)| (?:hearing|listening)\b)"
)
#: Words said alone that answer rather than tell a feeling ("ok", "fine", "good"): only "I'm fine" is one.
_ACKNOWLEDGEMENTS = ("ok", "okay", "fine", "good", "great", "alright", "all right", "cool", "meh")
#: The verbs of another subject than the person ("this song is", "it sounds", "you look"; and "'s"/"'re").
_OTHERS_VERBS = frozenset(
    {"is", "was", "are", "were", "isn't", "isnt", "wasn't", "wasnt", "aren't", "arent", "weren't"}
    | {"sounds", "sound", "seems", "seem", "looks", "look"}
)
_FIRST_PERSON = frozenset({"i", "i'm", "im", "we", "we're"})


def _own(text: str, pattern: str) -> bool:
    """Whether `pattern` is found in `text` said of the person, not of someone or something else: no
    "is", "was", "'s", "sounds"... of another subject before it in its clause ("this song is so good",
    "the weather is very gloomy", "my day was not good" are no feelings; "I'm so tired", "we are so
    tired", "it's late and I'm tired" are)."""
    for m in re.finditer(pattern, text):
        clause = text[: m.start()].rsplit(" , ", 1)[-1].split()
        if re.match(r"(?:i|i'm|im|feeling)\b", m[0].strip()):
            return True
        verbs = [i for i, w in enumerate(clause) if w in _OTHERS_VERBS or re.search(r"\w'(?:s|re)$", w)]
        if not verbs or any(w in _FIRST_PERSON for w in clause[verbs[-1] + 1 :]):
            return True
        last = verbs[-1]
        subject = clause[last].split("'")[0] if "'" in clause[last] else (clause[last - 1] if last else "")
        if subject in ("i", "we", "let"):  # "we are so tired"; "let's" has no other subject
            return True
    return False


def feeling(text: str) -> tuple[str, str] | None:
    """(mood, word) when the text says how the person feels; not a word of music ("so many sad
    songs") nor one of a complaint about it ("I'm tired of sad songs": `_OF_THE_MUSIC`)."""
    words = [(mood, word) for mood, words in FEELINGS.items() for word in words]
    words.sort(key=lambda item: -len(item[1]))  # "in a good mood" before "good"
    between = alternatives(BETWEEN_FEELING)
    bare = text.strip()
    bare = "" if bare in _ACKNOWLEDGEMENTS else bare
    for mood, word in words:
        end = rf"\b(?! {_MUSIC_AFTER}\b| {_OF_THE_MUSIC})"
        negated = _own(text, rf"\b{negation(NOT)} (?:(?:{between}) )?{word}{end}")
        said = _own(text, rf"\b{_FEELING_INTRO}(?: \w+){{0,2}} {word}{end}") or bare == word
        if negated:
            return "neutral", f"not {word}"
        if said:
            return mood, word
    return None
