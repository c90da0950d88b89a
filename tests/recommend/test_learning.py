"""The personal mood -> music mapping: each listener's own response is learned from feedback."""

from __future__ import annotations

import time as _time
from collections.abc import Callable

import numpy as np
import pytest

from moodspeaker.library.track import Track
from moodspeaker.recommend import Mood, Recommender

NOW = 1_800_000_000.0


def _session(
    rec: Recommender, profile: str, mood: Mood, keep: Callable[[Track], bool], n: int, *, t0: float
) -> list[bool]:
    """Play n tracks; the simulated person keeps those `keep(track)` approves, skips the rest."""
    rec.create_profile(profile, t0)
    kept = []
    for i in range(n):
        now = t0 + i * 210
        pick = rec.plan(mood, profile, None, now, 1)[0].track
        ok = bool(keep(pick))
        kind = "completed" if ok else "skip"
        rec.feedback(profile, pick.id, kind, mood, now + 200, played_s=200 if ok else 6)
        kept.append(ok)
    return kept


def test_angry_wants_loud_is_learned(rec: Recommender) -> None:
    """The seeds' table (and our uplift prior) calm an angry listener down; this one wants loud."""
    angry = Mood.of("angry", 0.9)
    first = rec.plan(angry, "ivan", "uplift", NOW, 5)
    assert np.mean([p.track.arousal for p in first[1:]]) < 0.6  # the prior heads for calm
    kept = _session(rec, "ivan", angry, lambda t: t.arousal > 0.6, 40, t0=NOW)
    assert sum(kept[-15:]) >= 12, kept  # after a while nearly everything offered is kept
    later = rec.plan(angry, "ivan", "uplift", NOW + 20000, 5)
    assert all(p.track.arousal > 0.5 for p in later)
    assert any("keep" in p.reason for p in later)


def test_matcher_and_uplifter_in_one_household_stay_apart(rec: Recommender) -> None:
    sad = Mood.of("sad", 0.9)
    _session(rec, "mia", sad, lambda t: t.valence < -0.3, 30, t0=NOW)  # wants sad music when sad
    _session(rec, "leo", sad, lambda t: t.valence > 0.3, 30, t0=NOW + 10)  # wants cheering up
    mia = rec.plan(sad, "mia", None, NOW + 9000, 5)
    leo = rec.plan(sad, "leo", None, NOW + 9000, 5)
    assert np.mean([p.track.valence for p in mia]) < -0.2
    assert np.mean([p.track.valence for p in leo]) > 0.2


def test_alpha_leans_on_content_at_cold_start(rec: Recommender, tracks: list[Track]) -> None:
    assert rec.alpha(NOW) == 1.0
    rec.create_profile("nina", NOW)
    for i, t in enumerate(tracks[:60]):
        rec.feedback("nina", t.id, "completed", Mood.of("happy"), NOW + i)
    a = rec.alpha(NOW + 100)
    assert rec.options.alpha_min < a < 1.0


def test_reason_mentions_the_usual_part_of_day(
    rec: Recommender, tracks: list[Track], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    _time.tzset()
    try:
        evening = 1_800_000_000.0 - (1_800_000_000 % 86400) + 19 * 3600  # 19:00 UTC
        calm = Mood.of("neutral", 0.8)
        rec.create_profile("otto", evening)
        for i in range(6):
            pick = rec.plan(calm, "otto", "match", evening + i * 210, 1)[0]
            rec.feedback("otto", pick.track.id, "completed", calm, evening + i * 210 + 200)
        reasons = [p.reason for p in rec.plan(calm, "otto", "match", evening + 86400, 5)]
        assert any("in the evening" in r for r in reasons), reasons
    finally:
        monkeypatch.delenv("TZ")
        _time.tzset()
