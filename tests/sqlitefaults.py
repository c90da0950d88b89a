"""A SQLite file damaged under a running service, as a failing SD card would return it.  Shared by the
service, web and MQTT tests of the profile storage refusal (imported from tests/, which pytest puts on
sys.path for tests/conftest.py)."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path


def corrupt(db: Path) -> None:
    """Damage the database under the running service: everything is checkpointed into the main file
    first (so no page is served from the WAL, and the service's page cache is invalidated), then the
    file is overwritten with garbage."""
    other = sqlite3.connect(db, timeout=30)
    other.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('touched', '1')")
    other.commit()
    # A writer of the service (its retention run at start, a feedback write) can hold the database
    # for a moment: TRUNCATE then reports busy instead of failing, the WAL keeps page 1, and SQLite
    # reads a valid header from it ("database disk image is malformed" instead of "file is not a
    # database").  Until the WAL is really empty, try again.
    deadline = time.monotonic() + 60
    while True:
        busy, frames, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if (busy == 0 and frames <= 0) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    other.close()
    size = db.stat().st_size
    with db.open("r+b") as f:
        f.write(os.urandom(size))
