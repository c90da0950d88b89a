"""Feedback never makes a profile: for a name that is not one (a typo over MQTT or a command line, a
profile deleted a moment before) it is refused with an error naming it, and nothing is stored or
learned.  Before, the recommender created the profile on the spot: a misspelt name appeared as a new
listener in the page's list, and feedback written just after a deletion brought the deleted profile
back, here or from another connection to the same database.  Real recommender on its sqlite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import FeedbackStore, Mood, Options, Recommender
from moodspeaker.recommend.profiles import ProfileError
from moodspeaker.recommend.source import Catalogue
from moodspeaker.recommend.store import FeedbackRow

NOW = 1_800_000_000.0
HAPPY = Mood.of("happy", 0.9)


def _recommender(db: Path, tracks: list[Track]) -> Recommender:
    return Recommender(Catalogue(tracks), FeedbackStore(db), Options.from_config(RecommendConfig()))


def test_feedback_for_a_name_that_is_no_profile_is_refused_naming_it(
    tmp_path: Path, tracks: list[Track]
) -> None:
    rec = _recommender(tmp_path / "recommend.sqlite", tracks)
    rec.create_profile("Kim", NOW)
    with pytest.raises(ProfileError, match="no profile named 'Kmi': the like was not recorded"):
        rec.feedback("Kmi", "t00001", "like", HAPPY, NOW)
    assert rec.profiles() == ["Kim"]
    assert list(rec.store.events()) == [] and "Kmi" not in rec._models
    rec.feedback("Kim", "t00001", "like", HAPPY, NOW + 1)  # the listener's own is recorded as ever
    assert [e.profile for e in rec.store.events()] == ["Kim"]


def test_feedback_after_the_profile_was_deleted_does_not_bring_it_back(
    tmp_path: Path, tracks: list[Track]
) -> None:
    db = tmp_path / "recommend.sqlite"
    rec = _recommender(db, tracks)
    rec.create_profile("Sam", NOW)
    rec.feedback("Sam", "t00002", "completed", HAPPY, NOW, played_s=200.0)
    assert rec.delete_profile("Sam") == 1
    with pytest.raises(ProfileError, match="no profile named 'Sam'"):
        rec.feedback("Sam", "t00003", "skip", HAPPY, NOW + 5, played_s=3.0)  # given as it was deleted
    assert "Sam" not in rec.profiles() and "Sam" not in rec._models
    rec.store.close()
    again = _recommender(db, tracks)
    assert again.profiles() == [] and list(again.store.events()) == []


def test_a_profile_deleted_by_another_connection_is_not_made_again(
    tmp_path: Path, tracks: list[Track]
) -> None:
    db = tmp_path / "recommend.sqlite"
    service, other = _recommender(db, tracks), _recommender(db, tracks)  # e.g. the service and a command line
    service.create_profile("Sam", NOW)
    service.feedback("Sam", "t00002", "like", HAPPY, NOW)
    other.delete_profile("Sam")
    with pytest.raises(ProfileError, match="no profile named 'Sam': the dislike was not recorded"):
        service.feedback("Sam", "t00004", "dislike", HAPPY, NOW + 5)
    assert service.profiles() == [] and list(service.store.events()) == []


def test_the_store_refuses_a_row_of_no_profile_by_its_name(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    row = FeedbackRow("Nobody", "t00001", "like", "happy", 0.9, 0.5, 0.3, NOW)
    with pytest.raises(ProfileError, match="no profile named 'Nobody'"):
        store.add(row)
    assert store.profiles() == [] and list(store.events()) == []
