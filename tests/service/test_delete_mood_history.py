"""The service's own delete everything deletes the page's mood history too.

Why: `delete_data(None)` deleted the feedback, profiles, calibrations and what was played, but the mood
readings in `<data_dir>/mood-history.sqlite3` were cleared only by the page's button (its MoodHistory's
`clear`): any other caller of the service's deletion, or a speaker whose page was not running, left
every reading in the file until the retention aged it out.  Now the service clears the file itself
(service.mood_history.clear_file), whether or not a page of its process keeps it, scrubs it, and keeps
a scrub a reader kept from the log owed (NotScrubbedError, as for the feedback).  A real appliance
(real player on SDL's dummy driver, real recommender on SQLite); the file is the page's real
MoodHistory's; the bytes on disk are read, the -wal with them.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servicekit import Script, running, wait_for

from moodspeaker.service import mood_history
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, MoodObserved, StateChanged
from moodspeaker.service.listeners import NotScrubbedError, PartlyDeletedError
from moodspeaker_web.history import MoodHistory

pytestmark = pytest.mark.timeout(120)

MARK = "zz-read-mood"  # a mood name no other row has: found in the raw bytes only if kept


def _history(data: Path) -> MoodHistory:
    """The page's store with 200 readings of the last minutes."""
    history = MoodHistory(data / mood_history.FILE_NAME, min_spacing_s=0.0)
    now = time.time()
    for i in range(200):
        history.add(
            MoodObserved(ts=now - 300 + i, mood=MARK, confidence=0.9, valence=0.5, arousal=0.2, face=True)
        )
    return history


def retention_ran(events: list[Event]) -> None:
    """Wait for the service's retention run at start: it opens the file too (a busy timeout of 0 in a
    test would otherwise meet its lock)."""
    wait_for(
        lambda: any(isinstance(e, StateChanged) and e.key == "data_expired" for e in events),
        timeout=120.0,
        what="the service's retention run at start",
    )


def on_disk(data: Path) -> dict[str, int]:
    """How often the marker is in each of the mood history's files (the database, -wal, -shm)."""
    counts = {p.name: p.read_bytes().count(MARK.encode()) for p in data.glob("mood-history.sqlite3*")}
    return {name: n for name, n in counts.items() if n}


def test_without_a_page_delete_everything_deletes_the_mood_history(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _history(data).close()  # a page ran once; now the speaker runs without it (--no-web)
    assert on_disk(data), "the readings never reached the files: this test shows nothing"
    with running(tmp_path, Script(None)) as (_app, control, events):
        retention_ran(events)  # its read of the file at start would keep the deletion's scrub owed
        assert control.delete_data(None)
        assert on_disk(data) == {}, "the mood readings are still in the files"
    history = MoodHistory(data / mood_history.FILE_NAME)
    try:
        assert history.count() == 0
    finally:
        history.close()


def test_with_a_page_open_the_service_deletion_deletes_its_history_too(tmp_path: Path) -> None:
    data = tmp_path / "data"
    history = _history(data)  # open: the page runs in this process; the readings are in its -wal
    try:
        assert "mood-history.sqlite3-wal" in on_disk(data), "nothing in the log: this test shows less"
        with running(tmp_path, Script(None)) as (_app, control, events):
            retention_ran(events)  # as above: the retention at start reads the file too
            control.delete_data(None)  # not the page's button: its own clear is not called
            assert on_disk(data) == {}, "the mood readings are still in the files"
            assert history.count() == 0
    finally:
        history.close()


@contextlib.contextmanager
def _another_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, begin: str
) -> Iterator[tuple[Appliance, ControlAPI, sqlite3.Connection]]:
    """The service running on tmp_path/data, whose mood history a page filled once; once its
    retention run at start is done, another connection to the file begins a transaction with `begin`
    (kept as long as the test keeps it; the connection closed on the way out, if the test did not).
    The service waits for it not at all (a busy timeout of 0): the other connection stays all through."""
    monkeypatch.setattr(mood_history, "BUSY_TIMEOUT_S", 0.0)
    data = tmp_path / "data"
    _history(data).close()
    with running(tmp_path, Script(None)) as (app, control, events):
        retention_ran(events)
        other = sqlite3.connect(data / mood_history.FILE_NAME, isolation_level=None)
        with contextlib.closing(other):
            other.execute(begin)
            yield app, control, other


def test_a_reader_keeping_the_log_is_said_and_the_retention_scrubs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    with _another_connection(tmp_path, monkeypatch, "BEGIN") as (app, control, reader):
        reader.execute("SELECT count(*) FROM mood").fetchall()  # a read transaction, held
        with pytest.raises(NotScrubbedError) as refused:
            control.delete_data(None)
        assert mood_history.FILE_NAME in str(refused.value), refused.value
        assert on_disk(data), "the scrub emptied the log all the same: this test shows nothing"
        incidents = app.health.snapshot()["incidents"]
        assert any(mood_history.FILE_NAME in e["message"] for e in incidents), incidents
        reader.execute("ROLLBACK")
        assert reader.execute("SELECT count(*) FROM mood").fetchone()[0] == 0  # deleted all the same
        reader.close()

        assert control.delete_data(0.0)  # the next retention run: nothing older to delete, it scrubs
        assert on_disk(data) == {}, "the deleted readings are still readable"


def test_a_file_that_refuses_the_deletion_is_said_and_the_rest_is_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # another program writing it (BEGIN IMMEDIATE): the file is locked
    with _another_connection(tmp_path, monkeypatch, "BEGIN IMMEDIATE") as (app, control, writer):
        with pytest.raises(PartlyDeletedError) as refused:
            control.delete_data(None)
        assert not isinstance(refused.value, NotScrubbedError)
        assert "mood history" in str(refused.value) and "locked" in str(refused.value), refused.value
        incidents = app.health.snapshot()["incidents"]
        assert any("mood history" in e["message"] for e in incidents), incidents
        assert list(app._recommender.store.events()) == []  # the rest is deleted
        writer.execute("ROLLBACK")
        writer.close()
        assert on_disk(tmp_path / "data"), "the readings are deleted all the same: this test shows nothing"
