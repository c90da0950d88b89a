"""Ctrl-C in `moodspeaker index`: a one-line note and exit 130, not a KeyboardInterrupt traceback;
what was analysed stays (the index commits each track)."""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

from interrupts import start_interruptible
from tonetracks import tone_folder


def _analysed(db: Path) -> int:
    try:
        conn = sqlite3.connect(db, timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM tracks WHERE status='analysed'").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0  # not created yet


def test_ctrl_c_during_index_is_a_clean_stop(tmp_path: Path) -> None:
    music = tone_folder(tmp_path / "music", 40)
    db = tmp_path / "data" / "library.db"
    cmd = [sys.executable, "-m", "moodspeaker", "--set", f"device.data_dir={tmp_path / 'data'}",
           "--set", "library.min_track_s=0",  # the tone songs last seconds
           "index", "--workers", "1", "--quiet", str(music)]  # fmt: skip
    # a session of its own: Ctrl-C reaches the whole foreground process group, workers included
    proc = start_interruptible(cmd)
    try:
        deadline = time.monotonic() + 180
        while _analysed(db) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, out + err
    assert "index: interrupted" in err and "run it again" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert _analysed(db) >= 1
