"""Short reasons a person can read for every pick (pure).

"you look sad (71% sure); calm, slow, minor key; you often keep tracks like this in the evening"
= what the camera read (with the filter's confidence), what the track sounds like, and why it was
chosen over others (learned evidence, the household, the uplift step, or an honest "first guess").

The confidence is the mood state's, written as the phone page writes it (a whole percentage): the
page shows the state's confidence next to the reason, and two spellings of one figure read as two
figures.  It is the figure when the track was picked (a queue is planned when the mood changes,
while the belief in the new mood is still low); the page's meter is live.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from moodspeaker.library.track import Track

#: How a mood reads in a sentence: the adjective of the class the page shows, naming that state and
#: no other (the page says "sad" next to the reason: "tired", "calm" or "tense" would be a second,
#: different reading of the same face).  Covers the mood vocabulary (mood.classes) but `unknown`.
_MOOD_WORDS = {
    "angry": "angry",
    "disgust": "disgusted",
    "fear": "afraid",
    "happy": "happy",
    "sad": "sad",
    "surprise": "surprised",
    "neutral": "neutral",
    "contempt": "contemptuous",
}
#: Music of a mood, where the word for the feeling does not fit ("afraid music").
_MUSIC_WORDS = {"fear": "scary", "surprise": "surprising"}


def percent(confidence: float) -> str | None:
    """'41%' for 0.41, as the page shows a state's confidence (its round(c, 3) through JavaScript's
    Math.round(c * 100)); None for a confidence that is no number."""
    if not math.isfinite(confidence):
        return None
    c = min(1.0, max(0.0, round(confidence, 3)))
    return f"{math.floor(c * 100 + 0.5)}%"


def mood_phrase(
    mood: str,
    confidence: float,
    *,
    face: bool | None = None,
    faces_read: bool | None = None,
    camera: bool | None = None,
    told: bool = False,
    asked: bool = False,
) -> str:
    """'you look sad (71% sure)'; a mood the listener `told` the speaker (a correction: "I'm sad" in
    the Tell box) 'you said you feel sad', with no figure: the camera did not read it, and the
    correction's certainty is no reading's; told as music `asked` for ("play sad songs"), which says
    nothing of how the listener feels, 'you asked for sad music'.  An unknown mood is said as it is:
    with the camera switched off (the privacy switch: `camera` False) 'camera off: music for no
    particular mood', since no face can be seen, and 'no face seen yet' would send the listener to
    sit in front of it; a face in view whose mood the filter has not named yet (it takes a few
    readings: `mood.min_dwell_s`) is 'not sure of your mood yet', like the page's "Not sure yet"; no
    face read at all so far, 'no face seen yet'; else (the face left, or nothing said about faces)
    'no face seen'."""
    if mood not in _MOOD_WORDS:
        if camera is False:
            return "camera off: music for no particular mood"
        if face:
            return "not sure of your mood yet"
        return "no face seen yet" if faces_read is False else "no face seen"
    word = _MOOD_WORDS[mood]
    if told and asked:
        return f"you asked for {_MUSIC_WORDS.get(mood, word)} music"
    if told:
        return f"you said you feel {word}"
    sure = percent(confidence)
    return f"you look {word} ({sure} sure)" if sure else f"you look {word}"


def sound_phrase(valence: float, arousal: float, tempo: float, mode: int) -> str:
    """Three plain words for how a track sounds: mood colour, pace, key."""
    if arousal > 0.35:
        colour = "energetic" if valence >= -0.1 else "intense"
    elif arousal < -0.3:
        colour = "calm" if valence >= -0.2 else "quiet, melancholic"
    else:
        colour = "bright" if valence > 0.3 else "dark" if valence < -0.3 else "mellow"
    pace = "fast" if tempo >= 130 else "slow" if tempo < 95 else "mid-tempo"
    key = "major key" if mode == 1 else "minor key"
    return f"{colour}, {pace}, {key}"


@dataclass(frozen=True)
class Evidence:
    """Why the recommender preferred a pick (filled by the hybrid scorer)."""

    strategy: str
    mood: str
    own_context: float = 0.0  # 0..1: how much this profile kept this track in this mood
    household: float = 0.0  # 0..1: collaborative score from the household's contexts
    learned: float = 0.0  # evidence weight behind the personal mood mapping
    liked: bool = False
    step: int = 0
    steps: int = 0
    day_part: str | None = None
    corrected_from: str | None = None  # the mood the camera read, when a correction remapped it
    analysed: bool = True


def evidence_phrase(e: Evidence) -> str:
    """The 'why this one' clause, most specific evidence first."""
    when = f" in the {e.day_part}" if e.day_part else ""
    mood_word = _MOOD_WORDS.get(e.mood, e.mood)
    if not e.analysed:
        return "not analysed yet; played from your library while analysis runs"
    if e.liked:
        return f"you liked this when {mood_word}"
    if e.own_context >= 0.3:
        return f"you often keep tracks like this{when or ' when ' + mood_word}"
    if e.household >= 0.3:
        return f"others in the household keep tracks like this when {mood_word}"
    learned = f"fits what you keep when {mood_word}{when}" if e.learned >= 3 else ""
    if e.strategy == "uplift" and e.mood in _MOOD_WORDS:
        # no steps: a mood bright already is not lifted (targets.lifts), the music fits it
        step = (
            f"step {min(e.step + 1, e.steps)} of {e.steps} towards a brighter mood"
            if e.steps
            else "a bright mood already: music that fits it"
        )
        return f"{step}, {learned}" if learned else step
    if e.strategy == "steady" or e.mood not in _MOOD_WORDS:
        return "close to your usual taste" if e.learned >= 2 else "from your library"
    if learned:
        return learned
    return "a first guess for this mood; skip it if it does not fit"


def reason(
    mood: str,
    confidence: float,
    track: Track,
    evidence: Evidence,
    *,
    face: bool | None = None,
    faces_read: bool | None = None,
    camera: bool | None = None,
    told: bool = False,
    asked: bool = False,
) -> str:
    """The whole sentence shown on the page and over MQTT."""
    said = mood_phrase(
        mood, confidence, face=face, faces_read=faces_read, camera=camera, told=told, asked=asked
    )
    parts = [said]
    if evidence.corrected_from:
        parts[0] += f", which you told me usually means {_MOOD_WORDS.get(evidence.mood, evidence.mood)}"
    if evidence.analysed:
        parts.append(sound_phrase(track.valence, track.arousal, track.tempo, track.mode))
    parts.append(evidence_phrase(evidence))
    return "; ".join(parts)
