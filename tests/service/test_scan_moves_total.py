"""A scan of several passes counts the files found moved in its totals, as one pass's sentence does.

A file renamed or moved keeps its track id and is counted as moved, not as new and removed
(library.moved); a pass's sentence says ", N moved".  But a run of merged passes (Rescan pressed again
while one runs) summed only added/updated/removed: "2 passes, 0 new, 0 changed, 0 removed in all"
after a tagger renamed an album, and the scan state (page, control API, MQTT's attributes) had no
`moved`.  The real service (real library index, real analysis workers, real tone files); the first
pass is held at a real boundary, another connection holding the library database's write lock (as
test_scan_merged does), so the second request is certainly made while the first pass runs.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from librarykit import scan_finished, started_service
from servicekit import wait_for

from moodspeaker.library import db_path
from moodspeaker.mqtt.payloads import SCAN_FIELDS
from tonetracks import tone_folder


def test_a_merged_scan_counts_the_files_found_moved(tmp_path: Path) -> None:
    music = tone_folder(tmp_path / "music", 3, name="old")
    with started_service(tmp_path, music) as service:
        app, control = service.app, service.control
        control.execute("rescan")  # a plain scan first: three new files
        wait_for(lambda: scan_finished(control), 120, "the first scan")
        assert control.state()["scan"]["added"] == 3

        renamed = music / "The Band"  # a tagger renames two files into a folder of their own
        renamed.mkdir()
        (music / "old0.ogg").rename(renamed / "01 First.ogg")
        (music / "old1.ogg").rename(renamed / "02 Second.ogg")

        holder = sqlite3.connect(db_path(app.config), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the library database
        try:
            control.execute("rescan")
            wait_for(
                lambda: (
                    control.state()["scan"].get("seen") == 3
                    and control.state()["scan"]["phase"] == "checking"
                ),
                60,
                "the first pass to walk the folder and wait for the database",
            )
            control.execute("rescan")  # pressed again: one more pass
            held = control.state()["scan"]
            assert (held["running"], held["queued"], held["pass"]) == (True, True, 1), held
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        wait_for(lambda: scan_finished(control), 120, "the merged scan to end")
        end = control.state()["scan"]

    assert end["pass"] == 2, end
    # (a moved file whose title comes from its file name is also "changed": its tags are new)
    counts = {k: end[k] for k in ("added", "removed", "moved")}
    assert counts == {"added": 0, "removed": 0, "moved": 2}, end  # before: no "moved"
    # before: "2 passes, 0 new, N changed, 0 removed in all", the moves left out
    assert end["result"].startswith("2 passes, 0 new, "), end
    assert " changed, 0 removed, 2 moved in all; last pass: " in end["result"], end
    assert "moved" in SCAN_FIELDS  # MQTT's scan topic and Home Assistant's attributes carry it
