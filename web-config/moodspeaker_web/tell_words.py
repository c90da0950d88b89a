"""The word lists of "tell the speaker" (`tell.interpret`): the words people use for how they feel,
for music of a mood or a pace, for calmer or livelier music, and the negations every rule reads."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Words people use for how they feel -> the speaker's mood classes (closest on the valence/arousal
#: circle: "tired" is low energy and low mood, which the classes call sad).
FEELINGS: dict[str, tuple[str, ...]] = {
    "sad": (
        "sad",
        "down",
        "low",
        "blue",
        "tired",
        "exhausted",
        "sleepy",
        "depressed",
        "unhappy",
        "gloomy",
        "drained",
        "knackered",
        "miserable",
        "lonely",
        "worn out",
        "fed up",
    ),
    "happy": (
        "happy",
        "great",
        "good",
        "cheerful",
        "joyful",
        "glad",
        "fantastic",
        "excited",
        "wonderful",
        "in a good mood",
        "over the moon",
    ),
    "angry": ("angry", "mad", "furious", "annoyed", "irritated", "frustrated", "cross", "grumpy"),
    "fear": ("anxious", "nervous", "scared", "afraid", "worried", "stressed", "tense", "on edge"),
    "surprise": ("surprised", "shocked", "amazed", "astonished"),
    "disgust": ("disgusted", "grossed out"),
    "neutral": ("fine", "ok", "okay", "calm", "relaxed", "neutral", "alright", "all right", "meh"),
}


#: Words for music of a mood ("play happy songs", "something sad") -> the mood the speaker then picks
#: for.  Not FEELINGS: "good music" is no happy face, "low music" no sad one.
MUSIC_MOODS: dict[str, tuple[str, ...]] = {
    "happy": ("happy", "cheerful", "joyful", "feel good", "feelgood", "sunny", "fun"),
    "sad": ("sad", "melancholic", "melancholy", "gloomy", "sombre", "somber", "mournful", "depressing"),
    "angry": ("angry", "aggressive", "furious"),
    "fear": ("scary", "spooky", "creepy", "eerie"),
    "neutral": ("neutral",),
}
#: Words for calm or lively music, asked for as music ("play something calm"): a steer.  Not in CALMER
#: and LIVELIER, which count wherever they are said: "I'm calm" is a feeling (neutral), no request.
MUSIC_STEERS: dict[str, tuple[str, ...]] = {
    "calmer": ("calm", "peaceful", "soothing", "gentle", "relaxed"),
    "livelier": ("lively", "danceable", "dancey"),
}

#: The words for music itself, as a pattern ("sad songs", "happy music", "this playlist").
MUSIC_NOUNS = r"songs?|music|tracks?|tunes?|stuff|playlist"

CALMER = ("calmer", "slower", "mellow", "mellower", "relaxing", "chill", "chilled", "gentler", "quiet music")
LIVELIER = ("livelier", "upbeat", "more upbeat", "energetic", "faster", "happier", "more energy", "party")

#: Words that say no to what follows them: one vocabulary for every rule of the box that reads a
#: negation (`negation` makes the pattern).  Grouped by what they say, as each rule reads the groups that
#: say no to what it reads:
#: not to do it ("don't stop", "never play this again", "do not like this"),
REFUSE = ("don't", "dont", "do not", "never")
#: that it was not done or wanted ("doesn't fit", "didn't like", "my wife doesn't want sad songs"),
DID_NOT = ("does not", "doesn't", "doesnt", "did not", "didn't", "didnt")
#: that it is not so ("isn't a great song", "wasn't perfect"; music so described is not refused: "this
#: isn't happy music, play something happy"),
IS_NOT = ("is not", "isn't", "isnt", "was not", "wasn't", "wasnt")
#: "not" itself ("not this song", "can you not pause", "I'm not tired"),
NOT = ("not",)
#: that it cannot or will not be ("I can't stop listening", "it won't play this"),
CANNOT = ("can't", "cant", "cannot", "won't", "wont")
#: "no" ("no good song", "no play"), also an answer before a request ("no, play something happy": the
#: clause break keeps it apart; a command's negation does not read it: "no just play something"),
NO = ("no",)
#: and that there is no call for it ("no need to skip", "no need to mute").
NO_NEED = ("no need to",)
NEGATIONS = (REFUSE, DID_NOT, IS_NOT, NOT, CANNOT, NO, NO_NEED)
#: A message of these alone takes back what was about to be asked ("no wait, never mind", "forget it"):
#: understood, nothing to do.
NEVER_MIND = (
    "never mind", "nevermind", "forget it", "forget that", "cancel", "cancel that", "scratch that",
    "ignore that", "ignore me", "no", "wait", "sorry", "oops", "my mistake", "please", "thanks",
)  # fmt: skip
#: Words that may stand between a negation and the word it says no to: "don't ever stop", "don't you
#: dare skip", "I don't want to pause", "not really like", "not at all tired".  Each rule takes those of
#: its kind (`tell_commands`: a command's; `tell_likes`: an opinion's; `tell._feeling`: a feeling's).
BETWEEN_COMMAND = (
    "you", "ever", "even", "just", "please", "dare", "you dare", "you ever", "want to", "wanna", "need to",
    "have to", "want you to", "say", "said", "ask you to", "tell you to",
)  # fmt: skip
#: and a track refused ("don't you ever play this again", "I never want to hear this again"; not "don't
#: just play this": it may say more than this).
BETWEEN_REFUSAL = ("ever", "you", "you ever", "please", "want to", "wanna", "want you to")
BETWEEN_OPINION = ("really", "quite", "that", "so", "very", "a", "at all", "exactly", "particularly")
BETWEEN_FEELING = ("at all", "really", "that", "feeling", "very")


def alternatives(words: Iterable[str]) -> str:
    """`words` as one regex alternation, the longest first ("do not" before "do")."""
    return "|".join(re.escape(word) for word in sorted(words, key=lambda w: (-len(w), w)))


def negation(*groups: tuple[str, ...]) -> str:
    """A pattern for a negation of `groups` (all when none are given).  None is one after "why" ("why
    not play something happy", "why don't you play": a suggestion), nor a "can't"/"won't" before "you"
    ("can't you pause?", "won't you skip this": a request put as a question; "can you not pause" and
    "don't you dare" are negations)."""
    words = tuple(word for group in groups or NEGATIONS for word in group)
    return rf"(?<!\bwhy )(?!(?:{alternatives(CANNOT)}) (?:you|u|ya)\b)(?:{alternatives(words)})\b"


def negation_words(*groups: tuple[str, ...]) -> frozenset[str]:
    """The single words that end a negation of `groups` (all when none are given): "not" of "do not",
    "don't", "never", for rules that look at the few words before another ("don't put on jazz")."""
    return frozenset(word.split()[-1] for group in groups or NEGATIONS for word in group)


#: Other ways to say a command, read as its command word (`tell_commands.read` puts the word in their
#: place, so its negation is read as well: "don't turn the music off" is "don't stop the music").  A
#: command said as "...ing" after "mind" or "about": "would you mind pausing", "how about skipping this",
#: "would you mind not pausing".
GERUNDS = {
    "pausing": "pause", "stopping": "stop", "skipping": "skip", "playing": "play", "replaying": "replay",
    "repeating": "repeat", "resuming": "resume", "continuing": "continue", "starting": "start",
    "turning": "turn", "switching": "switch", "shutting": "shut", "putting": "put", "going": "go",
    "muting": "mute", "unmuting": "unmute",
}  # fmt: skip
GERUND_AFTER = ("mind", "about")
#: The music turned or switched off, on, up or down ("turn the music off", "switch off the sad music",
#: "turn it up", "turn down the sound") -> the command word it is: a stop or a start of what is named
#: ("stop the sad music": a stop of the music complained of), or the volume's step.
TURNED = {"off": "stop", "on": "start", "up": "turn it up", "down": "turn it down"}
TURN_VERBS = ("turn", "switch", "shut")
#: What is turned so when it is the music: "the music", "the sad songs", "the sound", "the volume"; "it",
#: "this" and "that" too, except on ("turn it on" may be said of the camera).
TURNED_MUSIC = (
    "music",
    "song",
    "songs",
    "sound",
    "speaker",
    "track",
    "tracks",
    "tune",
    "volume",
    "radio",
    "stuff",
)
TURNED_IT = ("it", "this", "that")
