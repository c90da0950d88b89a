"""A mirror's scrub that a reader kept from emptying the log stays owed.

Why: `scrub` ends with a TRUNCATE checkpoint, which cannot empty the log while another connection
reads from it (past the busy timeout it gives up: its first result column, busy, is 1).  Its result
was not looked at: the deleted note's bytes stayed in the -wal while the scrub counted as done (the
debt, SCRUB_DUE, deleted), so no later retention or sync scrubbed again.  Now the debt stays and the
next retention scrubs.  The reader is a real read transaction from another connection, held open
through the whole scrub (so the busy timeout, shortened here, changes nothing in the outcome); a real
library server on the loopback.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

import pytest
from lankit import noted_then_downloaded, on_disk

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan import mirror
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.mirror import SCRUB_DUE
from moodspeaker.library.lan.server import LibraryServer


def test_a_scrub_a_reader_kept_from_the_log_is_done_by_the_next_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(mirror, "_BUSY_S", 0.0)  # the reader stays all through: no wait changes that
    index = LibraryIndex(tmp_path / "server.db")
    server = LibraryServer(index, "127.0.0.1", 0).start()
    lan = LanLibrary(server.url, tmp_path / "cache")
    try:
        note = noted_then_downloaded(lan, index, tmp_path / "music")

        reader = sqlite3.connect(lan.root / "index.db", isolation_level=None)
        with contextlib.closing(reader):
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM tracks").fetchall()  # a read transaction, held
            assert lan.forget_failed_downloads(time.time() - 86400.0) == 0
            assert on_disk(lan, note), "the scrub emptied the log all the same: this test shows nothing"
            assert lan.cache.meta(SCRUB_DUE) is not None, "a partial scrub counted as done"
            assert "not scrubbed" in caplog.text
            reader.execute("ROLLBACK")

        assert lan.forget_failed_downloads(time.time() - 86400.0) == 0  # the next retention, unread
        assert not on_disk(lan, note), f"the deleted note is still readable in {on_disk(lan, note)}"
        assert lan.cache.meta(SCRUB_DUE) is None  # paid now
    finally:
        lan.close()
        server.stop()
        index.close()
