"""`moodspeaker config schema | head`: the reader leaving early is no error, so no traceback.

Why: a shell user piping a long listing into `head` (or `less`, quitting) got a BrokenPipeError
traceback from the interpreter; the command now ends quietly with the shell's SIGPIPE code (141).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_reader_leaving_early_ends_quietly(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("MOODSPEAKER_CONFIG", None)
    # The reader has left before the first write (like `head` that already had its lines): every
    # write fails, whatever the output's size and the machine's speed.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "moodspeaker", "config", "schema"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    err = proc.stderr.decode()
    assert proc.returncode == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
