"""The "why this track" sentence agrees with what the page shows about the mood.

The moods come from the real mood filter (the stage the service runs), the picks from the real
recommender over a real track list: what a pick says is checked against the `MoodState` it was
planned for, the way the phone page shows that state.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from moodspeaker.config.schema import MoodConfig
from moodspeaker.mood.classes import ALL_EXPRESSIONS, EXPRESSIONS
from moodspeaker.mood.filter import MoodFilter, MoodState
from moodspeaker.recommend import Recommender, explain

NOW = 1_800_000_000.0


def frame(mood: str, p: float) -> dict[str, float]:
    """One classifier output: `p` on `mood`, the rest spread evenly."""
    rest = (1.0 - p) / (len(EXPRESSIONS) - 1)
    return {c: (p if c == mood else rest) for c in EXPRESSIONS}


def readings(script: list[tuple[str, float, int]]) -> Iterator[MoodState]:
    """The filter's states for `script`: (mood, probability, frames) at two frames a second."""
    mood_filter = MoodFilter(MoodConfig(), EXPRESSIONS)
    t = 0.0
    for mood, p, n in script:
        for _ in range(n):
            yield mood_filter.update(frame(mood, p), t)
            t += 0.5


def as_the_page_shows(confidence: float) -> str:
    """The page's confidence: the state's round(confidence, 3) as JavaScript's Math.round(c * 100) + "%"."""
    return f"{math.floor(round(confidence, 3) * 100 + 0.5)}%"


def test_the_reason_quotes_the_confidence_as_the_page_shows_it(rec: Recommender) -> None:
    """A mood change is when the queue is planned, and then the filter's belief in the new mood is
    still low (about 0.2): the reason quoted it as '(0.18)' while the page shows the same state's
    confidence as a percentage.  The same figure, written the same way."""
    states = list(readings([("neutral", 0.7, 20), ("angry", 0.5, 10)]))
    flip = next(s for s in states if s.changed and s.mood == "angry")
    assert 0.0 < flip.confidence < 0.5  # the belief in a mood just announced: the case QA saw
    pick = rec.plan(flip, "alice", "match", NOW, 1)[0]
    assert pick.reason.startswith(f"you look angry ({as_the_page_shows(flip.confidence)} sure)"), pick.reason


#: The page shows the class name; a reason must name the same state (its adjective), never another.
SAME_STATE = {
    "angry": "angry",
    "disgust": "disgusted",
    "fear": "afraid",
    "happy": "happy",
    "sad": "sad",
    "surprise": "surprised",
    "neutral": "neutral",
    "contempt": "contemptuous",
}


def test_a_sad_reading_is_called_sad_not_tired(rec: Recommender) -> None:
    """A sad face sits low on the arousal axis, so the old wording ('low arousal turns sad into
    tired') called nearly every sad reading 'tired': a state the classifier has no class for.
    Held 10 s: the filter counts evidence per second, so 2 frames/s settle no faster than 1."""
    states = list(readings([("sad", 0.8, 20)]))
    sad = states[-1]
    assert sad.mood == "sad" and sad.arousal < -0.35
    picks = rec.plan(sad, "alice", "match", NOW, 3)
    assert all(p.reason.startswith("you look sad (") for p in picks), [p.reason for p in picks]
    assert not any("tired" in p.reason for p in picks)


def test_every_mood_of_the_vocabulary_is_worded_as_that_mood() -> None:
    assert set(SAME_STATE) == set(ALL_EXPRESSIONS)  # the table covers the vocabulary, nothing else
    for mood, word in SAME_STATE.items():
        assert explain.mood_phrase(mood, 0.5) == f"you look {word} (50% sure)"


def test_uplift_does_not_lift_a_happy_mood(rec: Recommender) -> None:
    """Uplift moves the queue from the mood towards a happier goal; from a happy face there is
    nothing to lift (the goal was the mood's own valence, only calmer), yet the reasons counted
    'step 1 of 4 towards a brighter mood'.  Planned just after the flip to happy (a low belief, whose
    point sits below the goal's valence) and once the belief has settled: no steps, music that fits."""
    states = list(readings([("neutral", 0.7, 20), ("happy", 0.6, 12)]))
    flip = next(s for s in states if s.changed and s.mood == "happy")
    for state in (flip, states[-1]):
        assert state.mood == "happy"
        uplift = rec.plan(state, f"u{state.confidence:.2f}", "uplift", NOW, 4)
        match = rec.plan(state, f"m{state.confidence:.2f}", "match", NOW, 4)
        assert not any("brighter" in p.reason or "step " in p.reason for p in uplift), [
            p.reason for p in uplift
        ]
        assert all("a bright mood already: music that fits it" in p.reason for p in uplift)
        assert [p.track.id for p in uplift] == [p.track.id for p in match]  # it plays what fits


def test_uplift_still_lifts_a_sad_mood(rec: Recommender) -> None:
    sad = list(readings([("sad", 0.8, 12)]))[-1]
    picks = rec.plan(sad, "alice", "uplift", NOW, 4)
    assert [p.reason.count(f"step {i + 1} of 4 towards a brighter mood") for i, p in enumerate(picks)] == [
        1
    ] * 4
    assert picks[-1].track.valence > picks[0].track.valence


def test_a_face_the_filter_is_still_reading_is_not_called_no_face(rec: Recommender) -> None:
    """The filter names a mood only after `min_dwell_s` of evidence (1.5 s: several readings), and
    says `unknown` meanwhile, with `face` True.  A pick planned then (Play pressed as the listener
    sits down) said 'no face seen' although the camera had just read their face."""
    first = next(readings([("happy", 0.8, 1)]))
    assert first.mood == "unknown" and first.face  # the first reading: a face, no mood named yet
    pick = rec.plan(first, "alice", None, NOW, 1)[0]
    assert pick.reason.startswith("not sure of your mood yet; "), pick.reason


def test_no_face_is_said_as_it_is_before_and_after_faces(rec: Recommender) -> None:
    mood_filter = MoodFilter(MoodConfig(), EXPRESSIONS)
    before = mood_filter.update(None, 0.0)  # the camera's first frame had nobody in it
    assert before.mood == "unknown" and not before.face
    assert rec.plan(before, "alice", None, NOW, 1)[0].reason.startswith("no face seen yet; ")
    for i in range(8):
        mood_filter.update(frame("sad", 0.8), 1.0 + i)
    gone = mood_filter.update(None, 100.0)  # the listener left long ago: the mood fell back to unknown
    assert gone.mood == "unknown" and not gone.face
    assert rec.plan(gone, "bob", None, NOW, 1)[0].reason.startswith("no face seen; ")


def test_the_camera_switched_off_is_said_as_such() -> None:
    """While the privacy switch has the camera off the mood is unknown, and a pick said 'no face seen
    yet' as if the camera were looking: it says the camera is off, whatever it read before."""
    for face, faces_read in ((False, False), (False, True), (True, True), (None, None)):
        phrase = explain.mood_phrase("unknown", 0.0, face=face, faces_read=faces_read, camera=False)
        assert phrase == "camera off: music for no particular mood"
    assert explain.mood_phrase("unknown", 0.0, faces_read=False, camera=True) == "no face seen yet"
    # a mood the listener named (a correction) is theirs, camera or not
    assert explain.mood_phrase("sad", 1.0, camera=False) == "you look sad (100% sure)"


def test_a_pick_planned_with_the_camera_off_says_so(rec: Recommender) -> None:
    """The service's mood while the camera is off: the filter's unknown state, said to be camera-less
    (`MoodState.camera`); the recommender words it from there, as it words `face`."""
    off = MoodState("unknown", 0.0, 0.0, 0.0, face=False, changed=False, camera=False)
    pick = rec.plan(off, "alice", None, NOW, 1)[0]
    assert pick.reason.startswith("camera off: music for no particular mood; "), pick.reason


def test_music_asked_for_is_worded_as_asked() -> None:
    """A mood told as music asked for ("play sad songs") says nothing of how the listener feels."""
    assert explain.mood_phrase("sad", 1.0, told=True, asked=True) == "you asked for sad music"
    assert explain.mood_phrase("fear", 1.0, told=True, asked=True) == "you asked for scary music"
    assert explain.mood_phrase("surprise", 1.0, told=True, asked=True) == "you asked for surprising music"
    assert explain.mood_phrase("sad", 1.0, told=True) == "you said you feel sad"  # a correction
    for mood in ALL_EXPRESSIONS:
        phrase = explain.mood_phrase(mood, 1.0, told=True, asked=True)
        assert phrase.startswith("you asked for ") and phrase.endswith(" music"), phrase
