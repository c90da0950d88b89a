"""The word lists of "tell the speaker" (`tell.interpret`): the words people use for how they feel,
for music of a mood or a pace, and for calmer or livelier music."""

from __future__ import annotations

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

CALMER = ("calmer", "slower", "mellow", "mellower", "relaxing", "chill", "chilled", "gentler", "quiet music")
LIVELIER = ("livelier", "upbeat", "more upbeat", "energetic", "faster", "happier", "more energy", "party")
