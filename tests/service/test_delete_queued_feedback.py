""" "Delete everything" drops the feedback still queued for the writer thread.

Why: the service records what the player reports by itself (a track played to its end, skipped, or
that could not be opened) through a writer thread, so the player never waits on the disk.  A row
queued a moment before "delete everything" (a track ended just then, or the writer was waiting on a
busy database) was written after the deletion, into the profile made again empty: listening from
before the deletion survived it, and the export showed it.  Real player on SDL's dummy driver, real
recommender on SQLite; only the camera is scripted.  The writer thread is held by a job of the test's
(as servicekit.HeldPlayer holds the player).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from servicekit import Script, running, wait_for

pytestmark = pytest.mark.timeout(180)


def _feedback(data_dir: str) -> list[tuple[float, str, str]]:
    with sqlite3.connect(data_dir + "/recommend.sqlite") as db:
        return [(r[0], r[1], r[2]) for r in db.execute("SELECT ts, track_id, kind FROM feedback ORDER BY id")]


def test_feedback_queued_before_deleting_is_not_written_after_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="moodspeaker.service.core")
    with running(tmp_path, Script("happy"), track_s=3.0) as (app, control, _events):
        wait_for(lambda: app.started_tracks, what="the autoplay on the happy face")
        holding, release = threading.Event(), threading.Event()

        def hold() -> None:
            holding.set()
            release.wait(60)

        app._feedback.put(hold)  # the writer is busy (a locked database, a slow card)
        wait_for(holding.is_set, what="the feedback writer held")
        # the first track plays to its end with a face in view: a "completed" row waits to be written
        wait_for(lambda: app._feedback.qsize() >= 1, timeout=60.0, what="a play's end queued")

        deleting = time.time()
        deletion = threading.Thread(target=control.delete_data)
        deletion.start()
        try:
            wait_for(
                lambda: not deletion.is_alive() or "waiting for the feedback being written" in caplog.text,
                what="the deletion done or waiting for the writer",
            )
        finally:
            release.set()
        deletion.join(60)
        assert not deletion.is_alive()
        app._feedback.join()  # everything queued so far is written (or dropped)

        older = [row for row in _feedback(app.config.device.data_dir) if row[0] < deleting]
        assert older == [], "feedback from before delete-everything was written after it"
