"""A "calmer" request lasts as long as the mood it was made in (recommend.steers), also when another
listener was planned for meanwhile: the mood is the room's, so a plan for anyone in another mood means
the mood the request was made in has ended.  Before, a request ended only at its own listener's next
plan in another mood: Kim asked for calmer music while happy, Bo took over, the mood went sad and back
to happy under Bo, and when Kim came back her picks were still calmer "as you asked"."""

from __future__ import annotations

from moodspeaker.recommend import Mood, Recommender

NOW = 1_800_000_000.0
HAPPY, SAD = Mood.of("happy", 0.9), Mood.of("sad", 0.9)
ASKED = "; calmer, as you asked"


def _asked(rec: Recommender, profile: str, mood: Mood, now: float) -> list[str]:
    return [p.reason for p in rec.plan(mood, profile, "match", now, 3) if p.reason.endswith(ASKED)]


def test_a_request_ends_with_its_mood_while_another_listener_is_planned_for(rec: Recommender) -> None:
    for listener in ("kim", "bo"):  # a request is kept for a stored profile only
        rec.create_profile(listener, NOW)
    assert rec.steer("kim", HAPPY, -0.5) == -0.5
    assert len(_asked(rec, "kim", HAPPY, NOW)) == 3
    assert _asked(rec, "bo", HAPPY, NOW + 60) == []  # Bo's plans were never Kim's request
    assert len(_asked(rec, "kim", HAPPY, NOW + 120)) == 3  # the same mood: it holds
    _asked(rec, "bo", SAD, NOW + 600)  # Bo listening: the mood turns sad...
    _asked(rec, "bo", HAPPY, NOW + 1200)  # ...and happy again, a new happy
    assert _asked(rec, "kim", HAPPY, NOW + 1800) == []
    assert rec.steer("kim", HAPPY, -0.5) == -0.5  # a new request starts from nothing
