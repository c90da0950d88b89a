"""Delete everything says so when a reader kept the deleted feedback in the database's log.

Why: the feedback store's scrub (util.sqlitefiles) cannot empty the -wal while another program reads
the database; the deleted profiles' feedback stayed readable there while "delete everything"
reported success, and nothing scrubbed again.  Now the debt stays in the file, delete everything
raises NotScrubbedError (a PartlyDeletedError: the page says it and the rest is deleted) and health
records it, and the service's next retention run scrubs.  A real appliance (real player on SDL's
dummy driver, real recommender on SQLite); the reader is a real read transaction of a second
connection, held through the deletion.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

import pytest
from servicekit import Script, running

from moodspeaker.recommend import store
from moodspeaker.recommend.store import FeedbackRow
from moodspeaker.service.listeners import NotScrubbedError, PartlyDeletedError

pytestmark = pytest.mark.timeout(120)

OLD = "zz-deleted-marker"


def on_disk(data: Path) -> dict[str, int]:
    counts = {p.name: p.read_bytes().count(OLD.encode()) for p in data.glob("recommend.sqlite*")}
    return {name: n for name, n in counts.items() if n}


def test_delete_everything_a_reader_kept_in_the_log_is_said_and_scrubbed_by_the_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.0, raising=False)  # the reader stays all through
    data = tmp_path / "data"
    with running(tmp_path, Script(None)) as (app, control, _events):
        feedback = app._recommender.store
        for i in range(100):
            feedback.add(FeedbackRow("default", OLD, "like", "happy", 0.9, 0.5, 0.4, time.time() + i))
        assert on_disk(data), "the marker never reached the files: this test shows nothing"

        reader = sqlite3.connect(data / "recommend.sqlite", isolation_level=None)
        with contextlib.closing(reader):
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM feedback").fetchall()  # a read transaction, held
            with pytest.raises(NotScrubbedError) as refused:
                control.delete_data(None)
            assert isinstance(refused.value, PartlyDeletedError)  # what the page catches and shows
            assert "recommend.sqlite" in str(refused.value) and "retention" in str(refused.value)
            assert on_disk(data), "the scrub emptied the log all the same: this test shows nothing"
            assert list(feedback.events()) == []  # the rest is deleted
            incidents = app.health.snapshot()["incidents"]
            assert any("still in the log" in e["message"] for e in incidents), incidents
            reader.execute("ROLLBACK")

        assert control.delete_data(0.0)  # the next retention run: nothing older to delete, it scrubs
        assert on_disk(data) == {}, "the deleted feedback is still readable"
        assert not feedback.scrub_due
