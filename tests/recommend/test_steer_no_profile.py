"""A "calmer" or "livelier" request for a name with no stored profile is refused and keeps nothing.

Why: since 248c34f a plan for a name with no stored profile (a guest, a typo, a listener another
program deleted) gets the default taste and keeps nothing for it, but `steer` still kept a request in
memory for any name, and a profile deleted by another program went on steering its name's plans with
the request made before.  Now `steer` refuses such a name (ProfileError, as its feedback is: the
service replaces a deleted listener then, test_feedback_profile_gone), forgetting what was asked for
it, and its plans are not steered.  Real recommender on its sqlite file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import FeedbackStore, Mood, Options, Recommender
from moodspeaker.recommend.profiles import ProfileError
from moodspeaker.recommend.source import Catalogue

NOW = 1_800_000_000.0
HAPPY = Mood.of("happy", 0.9)
ASKED = "; calmer, as you asked"


def _recommender(db: Path, tracks: list[Track]) -> Recommender:
    return Recommender(Catalogue(tracks), FeedbackStore(db), Options.from_config(RecommendConfig()))


def _asked(rec: Recommender, profile: str) -> list[str]:
    return [p.reason for p in rec.plan(HAPPY, profile, "match", NOW, 3) if p.reason.endswith(ASKED)]


def test_a_name_with_no_profile_is_refused_and_nothing_is_kept(tmp_path: Path, tracks: list[Track]) -> None:
    rec = _recommender(tmp_path / "recommend.sqlite", tracks)
    with pytest.raises(ProfileError, match="no profile named 'Guest': the calmer music asked for"):
        rec.steer("Guest", HAPPY, -0.5)  # before: -0.5, kept for the service's life
    assert _asked(rec, "Guest") == []
    rec.create_profile("Guest", NOW)  # made later: it starts from nothing asked
    assert _asked(rec, "Guest") == []
    assert rec.steer("Guest", HAPPY, -0.5) == -0.5


def test_a_profile_deleted_by_another_program_is_no_longer_steered(
    tmp_path: Path, tracks: list[Track]
) -> None:
    db = tmp_path / "recommend.sqlite"
    service, other = _recommender(db, tracks), _recommender(db, tracks)  # e.g. the service and sqlite3
    service.create_profile("Sam", NOW)
    assert service.steer("Sam", HAPPY, -0.5) == -0.5
    assert len(_asked(service, "Sam")) == 3
    other.delete_profile("Sam")
    assert _asked(service, "Sam") == []  # before: still calmer, as the deleted listener asked
    with pytest.raises(ProfileError):
        service.steer("Sam", HAPPY, 0.5)
    service.create_profile("Sam", NOW)  # made again: nothing of the old request
    assert _asked(service, "Sam") == []
