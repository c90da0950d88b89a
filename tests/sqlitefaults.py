"""A SQLite file damaged under a running service, as a failing SD card would return it.  Shared by the
service, web and MQTT tests of the profile storage refusal (imported from tests/, which pytest puts on
sys.path for tests/conftest.py)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def corrupt(db: Path) -> None:
    """Damage the database under the running service: everything is checkpointed into the main file
    first (so no page is served from the WAL, and the service's page cache is invalidated), then the
    file is overwritten with garbage."""
    other = sqlite3.connect(db)
    other.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('touched', '1')")
    other.commit()
    other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    other.close()
    size = db.stat().st_size
    with db.open("r+b") as f:
        f.write(os.urandom(size))
