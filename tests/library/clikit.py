"""`moodspeaker` run as a user runs it, in a subprocess, for this folder's tests of its commands: the
test's data folder (tmp_path/data), the warm JIT cache of every test (testcache.numba_cache), output
captured as text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from testcache import numba_cache


def argv(tmp_path: Path, *args: str, min_track_s: float | None = 0.0) -> list[str]:
    """`python -m moodspeaker --set device.data_dir=tmp_path/data *args`, with library.min_track_s set
    to `min_track_s` (0 by default: the test songs last seconds, not the minutes of a household's
    music; None: the setting's default)."""
    cmd = [sys.executable, "-m", "moodspeaker", "--set", f"device.data_dir={tmp_path / 'data'}"]
    if min_track_s is not None:
        cmd += ["--set", f"library.min_track_s={min_track_s:g}"]
    return [*cmd, *args]


def run_cli(
    tmp_path: Path,
    *args: str,
    min_track_s: float | None = 0.0,
    home: bool = False,
    timeout: float = 300.0,
    **kw: Any,
) -> subprocess.CompletedProcess[str]:
    """The command of `argv` run to its end (not checked: the test asserts its exit status), with
    `home`: HOME is tmp_path; `kw` goes to subprocess.run (e.g. `cwd`)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(numba_cache())}
    if home:
        env["HOME"] = str(tmp_path)
    env.pop("MOODSPEAKER_CONFIG", None)
    cmd = argv(tmp_path, *args, min_track_s=min_track_s)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False, **kw)
