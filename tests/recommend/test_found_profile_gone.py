"""A batch of "found" events for a profile another connection deleted is refused as one event is.

After a rescan the recommender lifts the "missing" marks of the tracks found again, one "found" event
per mark in one commit (FeedbackStore.add_all).  Written for a profile another program deleted a
moment before (a second connection to the same file), the batch came out as a raw
sqlite3.IntegrityError where one event (FeedbackStore.add) is a ProfileError naming the profile; and
the recommender, which still held the deleted profile's model and its marks, failed the same way after
every scan, so no mark of any listener was ever lifted again.  Now both refuse alike, nothing of the
batch is stored, and found_again logs it, forgets what it had learned from the deleted profile and
lifts the other listeners' marks.  Real recommender and store on one sqlite file, two connections.
"""

from __future__ import annotations

import logging
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


def _found(profile: str, track_id: str, ts: float) -> FeedbackRow:
    return FeedbackRow(profile, track_id, "found", "unknown", 0.0, 0.0, 0.0, ts)


def test_the_batch_is_refused_naming_the_profile_and_nothing_of_it_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "recommend.sqlite"
    service, other = FeedbackStore(db), FeedbackStore(db)  # the service and another program
    service.create_profile("Kim", NOW)
    service.create_profile("Sam", NOW)
    other.delete_profile("Sam")
    rows = [_found("Kim", "t00001", NOW + 1), _found("Sam", "t00002", NOW + 1)]
    with pytest.raises(
        ProfileError,
        match="no profile named 'Sam': its found and the other event written with it were not recorded",
    ):
        service.add_all(rows)  # before: sqlite3.IntegrityError, FOREIGN KEY constraint failed
    assert list(service.events()) == []  # all or none: Kim's was not stored either
    with pytest.raises(ProfileError, match="no profile named 'Sam': the found was not recorded"):
        service.add_all(rows[1:])  # one row alone is refused as `add` refuses it
    service.add_all(rows[:1])
    assert [(e.profile, e.kind) for e in service.events()] == [("Kim", "found")]
    service.close()
    other.close()


def test_found_again_forgets_the_deleted_profile_and_lifts_the_others_marks(
    tmp_path: Path, tracks: list[Track], caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "recommend.sqlite"
    options = Options.from_config(RecommendConfig())
    rec = Recommender(Catalogue(tracks), FeedbackStore(db), options)
    other = FeedbackStore(db)
    for name in ("Kim", "Sam"):
        rec.create_profile(name, NOW)
    rec.feedback("Kim", "t00001", "missing", HAPPY, NOW)
    rec.feedback("Sam", "t00002", "missing", HAPPY, NOW)
    other.delete_profile("Sam")  # another program deletes Sam; this recommender still holds Sam's model

    with caplog.at_level(logging.WARNING, logger="moodspeaker.recommend.learned"):
        lifted = rec.found_again(lambda track_id, seen: True, now=NOW + 10)
    assert "no profile named 'Sam'" in caplog.text, caplog.text
    assert lifted == {"t00001"}  # before: set(), after this scan and every later one
    assert "Sam" not in rec._models and set(rec._model("Kim").marks()) == set()
    assert [(e.profile, e.track_id, e.kind) for e in rec.store.events()] == [
        ("Kim", "t00001", "missing"),
        ("Kim", "t00001", "found"),
    ]
    assert rec.profiles() == ["Kim"]  # Sam is not made again
    rec.store.close()
    other.close()
