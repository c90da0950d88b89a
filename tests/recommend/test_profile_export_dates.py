"""One profile's export written to a file gives its times as the data export does: ISO 8601 in UTC.

Why: the data export ("everything this speaker keeps about its listeners", the privacy page) gives
its times as dates a person can read (2026-12-05T21:58:11.123Z; a time not known, such as a
configured profile's creation at 0, as null), but `write_export`, one profile's JSON, still wrote
the seconds since 1970 the store keeps.  Both now go through util.export_dates.  A real recommender
on SQLite; the store keeps its numbers (the retention compares them).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from moodspeaker.config import Config, with_changes
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, Recommender, write_export
from moodspeaker.recommend.targets import Mood

WHEN = datetime(2026, 12, 5, 21, 58, 11, 123000, tzinfo=UTC)


def test_a_profile_export_file_has_iso_dates_as_the_data_export(tmp_path: Path) -> None:
    track = Track(id="t1", location=str(tmp_path / "t1.ogg"), title="One", artist="Band")
    changes = {
        "device.data_dir": str(tmp_path / "data"),
        "recommend.profiles": "anna",
        "recommend.profile": "anna",
    }
    config = with_changes(Config(), changes, source="test")
    rec = Recommender.from_config(config, Catalogue([track]))
    try:
        rec.create_profile("ben", WHEN.timestamp())
        rec.feedback("anna", "t1", "like", Mood.of("happy"), WHEN.timestamp())
        kept = rec.export_profile("anna")
        assert kept["feedback"][0]["ts"] == WHEN.timestamp()  # the store keeps its numbers

        anna = json.loads(write_export(kept, tmp_path / "anna.json").read_text())
        assert anna["feedback"][0]["ts"] == "2026-12-05T21:58:11.123Z", anna  # was 1796507891.123
        assert anna["created"] is None, anna  # a configured profile's 0: not known, not 1970
        assert anna["feedback"][0]["kind"] == "like" and anna["profile"] == "anna"
        ben = json.loads(write_export(rec.export_profile("ben"), tmp_path / "ben.json").read_text())
        assert ben["created"] == "2026-12-05T21:58:11.123Z", ben
    finally:
        rec.store.close()
