"""Ctrl-C in any command ends it with a one-line note and exit 130, not a KeyboardInterrupt traceback.

Why: only `index` and `watch` caught it themselves; the others (`library sync` waiting on a slow
server, `calibrate-neutral` waiting up to a minute for a face) printed a Python traceback at whoever
pressed Ctrl-C.  Also `-v` gives debug output: it used to give INFO, the default, so it changed nothing.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from pathlib import Path

from interrupts import start_interruptible
from moodspeaker import cli


def test_ctrl_c_in_library_sync_is_one_line_and_130(tmp_path: Path) -> None:
    """`library sync` from a server that accepts the connection and never answers: the command waits in
    its HTTP read until Ctrl-C (the accepted connection says it is there, so the signal lands mid-run)."""
    silent = socket.create_server(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    cmd = [sys.executable, "-m", "moodspeaker", "--set", f"device.data_dir={tmp_path / 'data'}",
           "library", "sync", f"http://127.0.0.1:{port}"]  # fmt: skip
    proc = start_interruptible(cmd)
    try:
        silent.settimeout(60)
        conn, _ = silent.accept()  # the command is running and waiting for an answer
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        conn.close()
    finally:
        silent.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    assert "moodspeaker: interrupted" in err


def test_verbose_means_debug() -> None:
    root = logging.getLogger()
    saved, handlers = root.level, list(root.handlers)
    for handler in handlers:
        root.removeHandler(handler)  # basicConfig only configures a root without handlers
    try:
        cli._setup_logging(1)
        assert root.level == logging.DEBUG
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(saved)
