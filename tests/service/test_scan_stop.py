"""Stopping the speaker stops a running library scan in order, and nothing of the library is lost.

Before, `Appliance.stop()` left the rescan thread running: it went on analysing after the speaker had
stopped, and when the process exited under it the interpreter's exit hook shut the analysis pool
down while the scan still submitted work ("cannot schedule new futures after shutdown", logged as a
failed rescan).  Now the scan stops at its next step, says why, logs no error, and the files it did
not get to are simply found again by the next scan.

The scan is held at a real boundary (another connection holds the library database's write lock,
as in test_scan_lock) so the speaker is certainly stopped while it runs; real index, real analysis
workers, real tone files.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from librarykit import library_service, rescan_thread, waits_for_the_write_lock

from moodspeaker.library import db_path
from moodspeaker.library.index import LibraryIndex
from polling import until
from tonetracks import tone_folder


def test_stopping_the_speaker_stops_the_scan_and_the_next_scan_finds_what_it_left(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    music = tone_folder(tmp_path / "music", 2, name="old")
    service = library_service(tmp_path, music)
    cfg, app, control, rescan = service.config, service.app, service.control, service.rescan
    app.start()
    stopped = False
    try:
        control.execute("rescan")
        until(lambda: control.state()["scan"].get("running") is False, 120, "the first scan")
        assert control.state()["scan"]["result"].startswith("2 files, 2 new"), control.state()["scan"]
        tone_folder(music, 2, name="new", first_hz=600.0)  # copied in before Rescan is pressed

        holder = sqlite3.connect(db_path(cfg), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the library database
        try:
            control.execute("rescan")
            until(rescan_thread, 30, "the rescan thread")
            scanner = rescan_thread()
            assert scanner is not None
            until(lambda: waits_for_the_write_lock(scanner), 60, "the scan to wait for the database")
            caplog.clear()
            app.stop()  # the speaker stops while the scan runs
            stopped = True
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        until(lambda: not scanner.is_alive(), 120, "the scan to stop after the speaker stopped")
    finally:
        if not stopped:
            app.stop()

    scan = control.state()["scan"]
    assert scan["running"] is False and scan["result"] == "failed: the speaker stopped during the scan", scan
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("moodspeaker")]
    assert errors == [], [r.getMessage() for r in errors]
    index = LibraryIndex(db_path(cfg))
    assert index.stats()["analysed"] == 2  # the stopped scan analysed nothing more and failed nothing
    assert not [s for s in index.file_states().values() if s.status == "failed"]

    # the next scan (the speaker started again) finds the files the stopped one left
    result = rescan()
    rescan.close()  # outside the service, whoever calls it ends the run (its workers go)
    assert result.startswith("4 files, 2 new, 0 changed, 2 analysed, 0 removed"), result
    names = sorted(Path(t.location).name for t in index.tracks())
    assert names == ["new0.ogg", "new1.ogg", "old0.ogg", "old1.ogg"]
