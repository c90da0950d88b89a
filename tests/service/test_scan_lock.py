"""A scan waiting for the library database's write lock never holds up the index's readers.

Another writer may hold the library database (`moodspeaker library index` run by hand, a backup
tool): the scan then waits for it, up to SQLite's busy timeout.  Meanwhile the speaker must go on
planning music and the page must go on listing the library: SQLite's WAL mode lets readers read while
one writer writes, so no lock of our own may make them wait behind the waiting scanner.  The real
service is used (real index, real analysis workers, real tone files, a real second connection).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from librarykit import rescan_thread, scan_finished, started_service, waits_for_the_write_lock

from moodspeaker.library import db_path
from moodspeaker.library.index import LibraryIndex
from polling import until
from tonetracks import tone_folder


def test_index_reads_answer_while_a_scan_waits_for_the_write_lock(tmp_path: Path) -> None:
    music = tone_folder(tmp_path / "music", 3, name="old")
    with started_service(tmp_path, music) as service:
        app, control = service.app, service.control
        control.execute("rescan")
        until(lambda: scan_finished(control), 120, "the first scan")
        index = app.parts.recommender.source
        assert isinstance(index, LibraryIndex)
        assert len(index.tracks()) == 3
        tone_folder(music, 2, name="new", first_hz=600.0)  # copied in before Rescan is pressed

        order: list[str] = []
        answers: dict[str, object] = {}

        def read() -> None:
            """What the planner and the page read from the index while the scan waits."""
            answers["tracks"] = sorted(Path(t.location).name for t in index.tracks())
            answers["stats"] = index.stats()["analysed"]
            answers["picks"] = len(app.parts.recommender.plan(None, app.conductor.profile, "match", 0.0, 3))
            order.append("read")

        holder = sqlite3.connect(db_path(app.config), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the library database
        try:
            control.execute("rescan")
            until(lambda: waits_for_the_write_lock(rescan_thread()), 60, "the scan to wait for the database")
            reader = threading.Thread(target=read, name="reader", daemon=True)
            reader.start()
            until(lambda: order, what="the index reads while the scan waits for the write lock")
            assert waits_for_the_write_lock(rescan_thread())  # still waiting: the reads did not need it
        finally:
            order.append("released")
            holder.execute("ROLLBACK")
            holder.close()
        until(lambda: scan_finished(control), 120, "the scan after the lock was released")
        order.append("scanned")

        assert order == ["read", "released", "scanned"]
        assert answers == {"tracks": ["old0.ogg", "old1.ogg", "old2.ogg"], "stats": 3, "picks": 3}
        scan = control.state()["scan"]
        assert scan["result"] == "5 files, 2 new, 0 changed, 2 analysed, 0 removed", scan  # nothing lost
        names = sorted(Path(t.location).name for t in index.tracks())
        assert names == ["new0.ogg", "new1.ogg", "old0.ogg", "old1.ogg", "old2.ogg"]
