"""The mood filter: scripted sequences with blips, changes and lost faces (pure; time passed in)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodspeaker.config.schema import MoodConfig
from moodspeaker.mood.filter import ChangeDetector, MoodFilter, frame_weight, normalise

CLASSES = ("neutral", "happy", "surprise", "sad", "angry", "disgust", "fear", "contempt")


def frame(cls: str, strength: float = 0.7) -> dict[str, float]:
    rest = (1.0 - strength) / (len(CLASSES) - 1)
    return {c: strength if c == cls else rest for c in CLASSES}


def run(filt: MoodFilter, script: Sequence[str | None], t0: float = 0.0, dt: float = 1.0) -> list[str]:
    moods = []
    for i, cls in enumerate(script):
        state = filt.update(None if cls is None else frame(cls), t0 + i * dt)
        moods.append(state.mood)
    return moods


def settled(cls: str = "neutral", n: int = 10) -> MoodFilter:
    filt = MoodFilter(MoodConfig(), CLASSES)
    assert run(filt, [cls] * n)[-1] == cls
    return filt


def test_starts_unknown_then_finds_the_mood() -> None:
    filt = MoodFilter(MoodConfig(), CLASSES)
    moods = run(filt, ["happy"] * 6)
    assert moods[0] == "unknown"
    assert moods[-1] == "happy"


@pytest.mark.parametrize("blip", ["surprise", "angry", "sad"])
@pytest.mark.parametrize("length", [1, 2])
def test_short_blips_are_ignored(blip: str, length: int) -> None:
    filt = settled("neutral")
    moods = run(filt, [blip] * length + ["neutral"] * 5, t0=10.0)
    assert set(moods) == {"neutral"}


def test_a_strong_two_frame_yawn_is_ignored() -> None:
    filt = settled("neutral")
    for i in range(2):
        state = filt.update(frame("surprise", 0.95), 10.0 + i)
        assert state.mood == "neutral" and not state.changed
    assert filt.update(frame("neutral"), 12.0).mood == "neutral"


def test_sustained_change_is_followed_within_three_frames() -> None:
    filt = settled("neutral")
    moods = run(filt, ["happy"] * 5, t0=10.0)
    assert moods.index("happy") <= 2  # reported by the third frame (2 s at 1 frame/s)


def test_changed_flag_and_previous_exactly_on_the_switch() -> None:
    filt = settled("neutral")
    states = [filt.update(frame("sad"), 10.0 + i) for i in range(6)]
    flags = [s.changed for s in states]
    assert flags.count(True) == 1
    switch = states[flags.index(True)]
    assert switch.mood == "sad" and switch.previous == "neutral"


def test_no_face_holds_then_decays_to_unknown_without_flipping() -> None:
    cfg = MoodConfig()
    filt = settled("happy")
    last_face = 9.0
    confidences = []
    for t in np.arange(10.0, last_face + cfg.no_face_timeout_s + 2.0, 1.0):
        state = filt.update(None, float(t))
        assert not state.face
        assert state.mood in {"happy", "unknown"}
        confidences.append(state.confidence)
        if t - last_face < cfg.no_face_timeout_s:
            assert state.mood == "happy"
    assert state.mood == "unknown" and state.confidence == 0.0
    assert (state.valence, state.arousal) == (0.0, 0.0)
    assert all(b <= a for a, b in itertools.pairwise(confidences))
    assert confidences[0] > confidences[len(confidences) // 2] > 0.0


def test_face_returning_after_unknown_starts_fresh() -> None:
    filt = settled("happy")
    filt.update(None, 100.0)
    assert filt.mood == "unknown"
    moods = run(filt, ["sad"] * 6, t0=101.0)
    assert moods[-1] == "sad"


def test_brief_face_loss_keeps_mood_and_evidence() -> None:
    filt = settled("happy")
    moods = run(filt, [None, None, "happy", "happy"], t0=10.0)
    assert set(moods) == {"happy"}


def test_reported_point_follows_the_mood() -> None:
    filt = settled("happy")
    state = filt.update(frame("happy"), 10.0)
    assert state.valence > 0.3 and state.arousal > 0.1
    filt = settled("sad")
    state = filt.update(frame("sad"), 10.0)
    assert state.valence < -0.3 and state.arousal < 0.0


def test_uncertain_frames_count_less() -> None:
    assert frame_weight(np.array([0.9] + [0.1 / 7] * 7)) > frame_weight(
        np.array([0.3, 0.25] + [0.45 / 6] * 6)
    )
    assert frame_weight(np.full(8, 1 / 8)) == pytest.approx(0.5)
    a = ChangeDetector(8, threshold=100.0, min_dwell_s=0.0)
    b = ChangeDetector(8, threshold=100.0, min_dwell_s=0.0)
    a.update(np.array([0.1, 0.9] + [0.0] * 6), 0.0)
    b.update(np.array([0.1, 0.9] + [0.0] * 6) * 0.5 + 1 / 16, 0.0)
    assert a.sums[1] > b.sums[1] > 0.0


def test_min_dwell_delays_a_switch() -> None:
    slow = MoodFilter(dataclasses.replace(MoodConfig(), min_dwell_s=5.0), CLASSES)
    run(slow, ["neutral"] * 10)
    moods = run(slow, ["happy"] * 8, t0=10.0)
    assert moods.index("happy") >= 5


def test_rolling_baseline_is_plain_argmax_of_the_window() -> None:
    cfg = dataclasses.replace(MoodConfig(), smoothing="rolling", rolling_window_s=5.0)
    filt = MoodFilter(cfg, CLASSES)
    moods = run(filt, ["neutral"] * 5 + ["happy"] * 3)
    assert moods[4] == "neutral"
    assert moods[-1] == "happy"  # 3 of 5 frames in the window
    filt = MoodFilter(cfg, CLASSES)
    # the baseline has no hysteresis: a strong 2-frame blip in a 5 s window flips it
    for i in range(5):
        filt.update(frame("neutral", 0.6), float(i))
    filt.update(frame("surprise", 0.95), 5.0)
    assert filt.update(frame("surprise", 0.95), 6.0).mood == "surprise"


def test_classes_follow_the_first_probabilities_and_junk_is_cleaned() -> None:
    filt = MoodFilter(MoodConfig())
    state = filt.update({"happy": 0.8, "sad": 0.2}, 0.0)
    assert filt.classes == ("happy", "sad")
    assert set(state.probs) == {"happy", "sad"}
    np.testing.assert_allclose(normalise({"happy": float("nan"), "sad": -3.0}, ("happy", "sad")), [0.5, 0.5])
    # finite but huge: their sum overflowed to inf and the vector came out all zeros
    np.testing.assert_allclose(normalise({"happy": 1.7e308, "sad": 1.7e308}, ("happy", "sad")), [0.5, 0.5])


def test_reset_forgets() -> None:
    filt = settled("happy")
    filt.reset()
    assert filt.update(None, 50.0).mood == "unknown"


probs_strategy = st.one_of(
    st.none(),
    st.lists(st.floats(0.0, 1.0), min_size=len(CLASSES), max_size=len(CLASSES)).map(
        lambda v: dict(zip(CLASSES, v, strict=True))
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(probs_strategy, st.floats(0.0, 30.0)), max_size=60))
def test_invariants_hold_for_any_input(seq: list[tuple[dict[str, float] | None, float]]) -> None:
    for smoothing in ("hysteresis", "rolling"):
        filt = MoodFilter(dataclasses.replace(MoodConfig(), smoothing=smoothing), CLASSES)
        now = 0.0
        previous = "unknown"
        for probs, dt in seq:
            now += dt
            state = filt.update(probs, now)
            assert state.mood in (*CLASSES, "unknown")
            assert 0.0 <= state.confidence <= 1.0 + 1e-9
            assert -1.0 <= state.valence <= 1.0 and -1.0 <= state.arousal <= 1.0
            assert state.face == (probs is not None)
            assert state.changed == (state.mood != previous)
            assert (state.mood == "unknown") <= (state.confidence == 0.0)
            if probs is None and previous != "unknown":
                assert state.mood in {previous, "unknown"}  # no face never flips to another class
            previous = state.mood


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(CLASSES), st.sampled_from(CLASSES), st.integers(0, 2**31))
def test_noisy_sustained_change_wins_and_single_blips_never_do(old: str, new: str, seed: int) -> None:
    rng = np.random.default_rng(seed)

    def noisy(cls: str) -> dict[str, float]:
        logits = rng.normal(0.0, 0.5, len(CLASSES))
        logits[CLASSES.index(cls)] += 3.0
        e = np.exp(logits)
        return dict(zip(CLASSES, e / e.sum(), strict=True))

    filt = MoodFilter(MoodConfig(), CLASSES)
    for i in range(15):
        filt.update(noisy(old), float(i))
    assert filt.mood == old
    for i in range(15, 40, 3):  # isolated one-frame blips between steady frames
        assert filt.update(noisy(new), float(i)).mood == old
        filt.update(noisy(old), i + 1.0)
        filt.update(noisy(old), i + 2.0)
    for i in range(40, 50):
        state = filt.update(noisy(new), float(i))
    assert state.mood == new
