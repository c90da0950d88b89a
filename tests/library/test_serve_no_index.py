"""`moodspeaker library serve` before anything was indexed says so and writes nothing.

Why: on a data folder with no index the command opened the index as the indexer does, which made an
empty `library.db` (its WAL files, the schema: "applying migration 1", and the identity it is served
with), then served no tracks: serving changed the data folder, and a speaker syncing it mirrored an
empty library.  `library stats` was fixed the same way (test_stats_no_index).  The real CLI in a
fresh data folder; a command that serves prints its "serving" line, which the test reads and then
stops it, so a regression fails rather than hangs.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(240)


@pytest.mark.parametrize("made", [True, False], ids=["empty data folder", "no data folder"])
def test_serve_without_an_index_says_so_and_creates_nothing(tmp_path: Path, made: bool) -> None:
    data = tmp_path / "data"
    if made:
        data.mkdir()
    cmd = [sys.executable, "-m", "moodspeaker", "--set", f"device.data_dir={data}",
           "library", "serve", "--host", "127.0.0.1", "--port", "0", "--no-zeroconf"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # "serving N tracks on ..." when it serves; "" when it exits
    if first:
        proc.send_signal(signal.SIGTERM)
    status = proc.wait(timeout=120)
    err = proc.stderr.read()
    assert first == "", f"it served: {first!r}"
    assert status == 1, err
    # the hint says the command as it can be typed where this ran (util.program: `moodspeaker`, or
    # `<python> -m moodspeaker` when it is not on PATH, as in CI)
    said = (
        re.escape(f"no library indexed yet in {data}, nothing to serve (run ")
        + r"[^\n]*moodspeaker index first\)"
    )
    assert re.search(said, err), err
    assert "migration" not in err, err
    assert sorted(os.listdir(tmp_path)) == (["data"] if made else [])
    if made:
        assert os.listdir(data) == []
