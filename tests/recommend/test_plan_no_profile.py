"""A plan for a name with no stored profile gets the default taste and makes nothing, not even in memory.

Why: feedback never makes a profile (test_feedback_unknown_profile), but a plan did, half: planning
for any name (a guest, a typo, a listener another program deleted a moment before) made and kept a
learned model for it in the recommender's memory, one more per name for the service's life; and a
profile deleted by another program kept steering the plans made for its name with the taste learned
from its deleted feedback.  Now a name with no stored profile is planned for with the default taste
(what a new profile gets) and nothing is kept.  Real recommender on its sqlite file.
"""

from __future__ import annotations

from pathlib import Path

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import FeedbackStore, Mood, Options, Recommender
from moodspeaker.recommend.source import Catalogue

NOW = 1_800_000_000.0
HAPPY = Mood.of("happy", 0.9)


def _recommender(db: Path, tracks: list[Track]) -> Recommender:
    return Recommender(Catalogue(tracks), FeedbackStore(db), Options.from_config(RecommendConfig()))


def _ids(rec: Recommender, profile: str) -> list[str]:
    return [p.track.id for p in rec.plan(HAPPY, profile, None, NOW + 3600, 5)]


def test_a_guest_gets_the_default_taste_and_no_profile_is_made(tmp_path: Path, tracks: list[Track]) -> None:
    rec = _recommender(tmp_path / "recommend.sqlite", tracks)
    rec.create_profile("New", NOW)  # a listener with no feedback yet: the default taste
    default = _ids(rec, "New")
    assert default and _ids(rec, "Guest") == default
    assert rec.profiles() == ["New"] and "Guest" not in rec._models  # before: a model kept for it


def test_a_profile_deleted_by_another_program_no_longer_steers_its_name_s_plans(
    tmp_path: Path, tracks: list[Track]
) -> None:
    db = tmp_path / "recommend.sqlite"
    service, other = _recommender(db, tracks), _recommender(db, tracks)  # e.g. the service and sqlite3
    service.create_profile("New", NOW)
    default = _ids(service, "New")
    service.create_profile("Sam", NOW)
    for i, pick in enumerate(default):  # Sam skips all of the default picks at once
        service.feedback("Sam", pick, "skip", HAPPY, NOW + i, played_s=2.0)
    assert not set(_ids(service, "Sam")) & set(default), "the test needs Sam's taste to change the plan"
    other.delete_profile("Sam")
    assert _ids(service, "Sam") == default  # before: Sam's deleted skips still left those out
    assert service.profiles() == ["New"]
