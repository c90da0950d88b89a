"""The mood filter counts evidence per second: the same face reads the same at any capture interval.

`camera.interval_s` can be anything from 0 to 60 s and can change live; before, the filter added
evidence per frame but forgot it per second, so steadiness, confidence and what counted as a glance
depended on the frame rate (helper 137's review).
"""

from __future__ import annotations

import pytest

from moodspeaker.config.schema import MoodConfig
from moodspeaker.mood.filter import MoodFilter, MoodState

CLASSES = ("neutral", "happy", "surprise", "sad", "angry", "disgust", "fear", "contempt")
INTERVALS = (0.1, 1.0, 2.0)
#: Steady confidences at the three intervals may differ by this much (they agree to ~1e-6).
CONFIDENCE_TOLERANCE = 0.05
#: A switch can only fall on a frame: switch times (from the first frame showing the new face) agree
#: within the slowest interval compared.
SWITCH_TOLERANCE_S = max(INTERVALS)


def frame(cls: str, strength: float) -> dict[str, float]:
    rest = (1.0 - strength) / (len(CLASSES) - 1)
    return {c: strength if c == cls else rest for c in CLASSES}


def play(
    filt: MoodFilter, interval: float, start: int, seconds: float, face: dict[str, float]
) -> list[tuple[float, MoodState]]:
    """`face` every `interval` s for `seconds`, from capture number `start` (at start * interval s)."""
    out = []
    for i in range(start, start + round(seconds / interval)):
        t = i * interval
        out.append((t, filt.update(face, t)))
    return out


@pytest.mark.parametrize("strength", [0.45, 0.7])
def test_same_face_same_confidence_and_switch_time_at_any_interval(strength: float) -> None:
    steady: dict[float, float] = {}
    after: dict[float, float] = {}
    switch: dict[float, float] = {}
    for interval in INTERVALS:
        filt = MoodFilter(MoodConfig(), CLASSES)
        n = round(30.0 / interval)
        states = play(filt, interval, 0, 30.0, frame("neutral", strength))
        assert states[-1][1].mood == "neutral"
        steady[interval] = states[-1][1].confidence
        states = play(filt, interval, n, 20.0, frame("happy", strength))
        first = next(t for t, s in states if s.mood == "happy")
        switch[interval] = first - 30.0
        after[interval] = states[-1][1].confidence
    for seen in (steady, after, switch):
        tolerance = SWITCH_TOLERANCE_S if seen is switch else CONFIDENCE_TOLERANCE
        assert max(seen.values()) - min(seen.values()) <= tolerance, (strength, seen)
    assert all(1.5 <= s <= 5.0 for s in switch.values()), switch  # quick, but not a glance


def test_confidence_stays_put_when_the_interval_changes_live() -> None:
    filt = MoodFilter(MoodConfig(), CLASSES)
    face = frame("happy", 0.45)
    before = play(filt, 1.0, 0, 30.0, face)[-1][1]
    faster = [s for _, s in play(filt, 0.1, 300, 20.0, face)]
    assert {s.mood for s in faster} == {"happy"} and not any(s.changed for s in faster)
    assert all(abs(s.confidence - before.confidence) <= CONFIDENCE_TOLERANCE for s in faster)


@pytest.mark.parametrize("strength", [0.6, 0.95])
def test_a_two_second_excursion_never_becomes_the_mood(strength: float) -> None:
    for interval in INTERVALS:
        filt = MoodFilter(MoodConfig(), CLASSES)
        n = round(20.0 / interval)
        play(filt, interval, 0, 20.0, frame("neutral", 0.6))
        assert filt.mood == "neutral"
        yawn = play(filt, interval, n, 2.0, frame("surprise", strength))
        back = play(filt, interval, n + len(yawn), 8.0, frame("neutral", 0.6))
        assert {s.mood for _, s in yawn + back} == {"neutral"}, interval
        # and the same surprise held on does become the mood, at this interval too
        start = n + len(yawn) + len(back)
        held = play(filt, interval, start, 8.0, frame("surprise", strength))
        assert held[-1][1].mood == "surprise", interval


def test_one_missed_frame_at_a_long_interval_keeps_the_mood() -> None:
    cfg = MoodConfig()
    face = frame("happy", 0.6)
    script = [face] * 6 + [None] + [face] * 3
    for interval in (15.0, 30.0, 60.0):  # one interval is most of the 20 s timeout, or more
        filt = MoodFilter(cfg, CLASSES)
        states = [filt.update(p, i * interval) for i, p in enumerate(script)]
        assert states[5].mood == "happy"
        missed = states[6]
        assert missed.mood == "happy" and 0.0 < missed.confidence < states[5].confidence, interval
        assert [s.changed for s in states[6:]] == [False] * 4  # no MoodChanged out and back in
        assert states[-1].confidence == pytest.approx(states[5].confidence)
        # two missed in a row: no one is there, whatever the interval
        gone = [filt.update(None, (len(script) + i) * interval) for i in range(2)]
        assert gone[0].mood == "happy" and gone[1].mood == "unknown" and gone[1].confidence == 0.0
