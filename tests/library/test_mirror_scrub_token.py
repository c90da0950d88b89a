"""A scrub of the mirror that a reader kept from the log stays owed, also when another scrub succeeds.

Why: the mirror keeps a scrub it owes in its meta table (SCRUB_DUE); a scrub that succeeded deletes
the debt it read before it, but only if the value is still that one, so a debt left in between by
another process stays.  A partial scrub kept the value that was there ("INSERT OR IGNORE"): when a
second process's deletion was scrubbed only partly (a reader held the log) while the first process's
scrub had read the same value, the first one's payment deleted the second one's debt, and the
deleted note stayed readable in the -wal with nothing owing its scrub.  Now a partial scrub writes a
fresh value each time (util.sqlitefiles.scrub_or_owe).  Two clients on one mirror folder stand for
the two processes; the second one's deletion runs just after the first one's scrub emptied the log,
and before it pays (the scrub is wrapped to run it there; the scrubs themselves are real), with a
real read transaction held through both; a real library server on the loopback.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
import synth
from lankit import noted_then_downloaded, on_disk

from moodspeaker.library.index import LibraryIndex, track_id
from moodspeaker.library.lan import mirror
from moodspeaker.library.lan.client import LanError, LanLibrary
from moodspeaker.library.lan.mirror import SCRUB_DUE
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.util import sqlitefiles


def test_a_scrub_that_succeeds_keeps_the_debt_another_process_left_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mirror, "_BUSY_S", 0.0)  # the reader stays all through: no wait changes that
    index = LibraryIndex(tmp_path / "server.db")
    server = LibraryServer(index, "127.0.0.1", 0).start()
    lan = LanLibrary(server.url, tmp_path / "cache")
    other = LanLibrary(server.url, tmp_path / "cache")  # the other process on the same mirror
    try:
        noted_then_downloaded(lan, index, tmp_path / "music")  # a debt: the first scrub reads it
        assert lan.cache.meta(SCRUB_DUE) is not None
        missing = track_id(str(synth.write(tmp_path / "music" / "gone.wav", synth.chord(synth.C_MAJOR, 1.0))))
        with pytest.raises(LanError):  # not served: a second note, deleted by the other process
            lan.fetch(missing)
        note = f"{lan.source}/{missing}"
        assert on_disk(lan, note)

        real = sqlitefiles.scrub
        reader = sqlite3.connect(lan.root / "index.db", isolation_level=None)
        between: list[bool] = []

        def scrub(db: sqlite3.Connection) -> bool:
            done = real(db)
            if not between:  # the first process's scrub is done; the other one deletes now
                between.append(True)
                reader.execute("BEGIN")
                reader.execute("SELECT count(*) FROM tracks").fetchall()  # a read transaction, held
                other.forget_failed_downloads(None)  # delete everything there: its scrub is partial
                assert on_disk(lan, note), "the other scrub emptied the log: this test shows nothing"
            return done

        monkeypatch.setattr(sqlitefiles, "scrub", scrub)
        monkeypatch.setattr(mirror, "scrub", scrub, raising=False)  # (the name the mirror used)
        with contextlib.closing(reader):
            lan.forget_failed_downloads(0.0)  # the retention: nothing old to delete, the debt scrubbed
            assert between, "the other process's deletion never ran: this test shows nothing"
            reader.execute("ROLLBACK")
        monkeypatch.undo()

        assert lan.cache.meta(SCRUB_DUE) is not None, "the other process's debt was paid by this scrub"
        assert on_disk(lan, note), "the note is gone all the same: this test shows nothing"
        after = LanLibrary(server.url, tmp_path / "cache")  # the next process's retention
        try:
            after.forget_failed_downloads(0.0)
        finally:
            after.close()
        assert not on_disk(lan, note), f"the deleted note is still readable in {on_disk(lan, note)}"
        assert lan.cache.meta(SCRUB_DUE) is None
    finally:
        other.close()
        lan.close()
        server.stop()
        index.close()
