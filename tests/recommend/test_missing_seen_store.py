"""The feedback store keeps what a "missing" mark saw of the file, also in a store of an older release.

A "missing" event now records the file as it was when the track failed to open (`FeedbackRow.seen`,
service.file_seen), so that a rescan lifts the mark only when the file can be opened again.  A store
written by an older release has no such column: opened now it gets one, its rows are kept, and its
marks (which say nothing of the file) are lifted, as before, once the file is there.  A lift is a
"found" event: the mark stays lifted when the store is opened again (a restart).  Real SQLite files,
a real audio file (tonetracks), the real recommender.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.recommend import Catalogue, FeedbackStore, Options, Recommender
from moodspeaker.recommend.store import SCHEMA_VERSION, FeedbackRow
from moodspeaker.service.file_seen import file_seen
from moodspeaker.service.rescan import file_back
from oldstore import write_v1_store
from tonetracks import tone_tracks


def _recommender(path: Path, music: Path) -> Recommender:
    songs = [("old", "Old", "Band", 0.5, 0.4, 330.0), ("new", "New", "Band", 0.4, 0.5, 392.0)]
    tracks = tone_tracks(music, songs, duration_s=2.0)
    return Recommender(Catalogue(tracks), FeedbackStore(path), Options.from_config(RecommendConfig()))


def _marked(rec: Recommender) -> set[str]:
    return set(rec._model("default").marks())


def test_an_older_store_gets_the_column_and_its_marks_lift_as_before(tmp_path: Path) -> None:
    path = tmp_path / "recommend.sqlite"
    write_v1_store(path, "missing")
    rec = _recommender(path, tmp_path / "music")
    assert _marked(rec) == {"old"}  # the old release's mark, read from the old row
    seen = file_seen(str(tmp_path / "music" / "new.ogg"))
    assert seen is not None
    rec.feedback("default", "new", "missing", None, 200.0, seen=seen)  # failed with its file there
    assert [(e.track_id, e.seen) for e in rec.store.events()] == [("old", None), ("new", seen)]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == (str(SCHEMA_VERSION),)
    db.close()

    lifted = rec.found_again(lambda tid, seen: file_back(rec.source, tid, seen), now=300.0)
    assert lifted == {"old"}  # its file is there; "new"'s is there unchanged: it would fail again
    rec.store.close()
    again = _recommender(path, tmp_path / "music")  # a restart: the lift was stored
    assert _marked(again) == {"new"}
    assert [e.kind for e in again.store.events()] == ["missing", "missing", "found"]
    again.store.close()


def test_a_store_opened_again_keeps_the_file_seen(tmp_path: Path) -> None:
    path = tmp_path / "recommend.sqlite"
    store = FeedbackStore(path)
    store.create_profile("default", 0.0)
    row = FeedbackRow("default", "t", "missing", "happy", 0.9, 0.5, 0.4, 1.0, seen='{"size": 1}')
    store.add_all([row, FeedbackRow("default", "t", "found", "unknown", 0.0, 0.0, 0.0, 2.0)])
    store.close()
    store = FeedbackStore(path)  # the column is there already: opened as it is
    assert [(e.kind, e.seen) for e in store.events()] == [("missing", '{"size": 1}'), ("found", None)]
    store.close()
