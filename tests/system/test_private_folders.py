"""The data folder and its subfolders are made the owner's alone (0700), whatever the umask.

Why: they were made 0755 under the usual umask 022 (a speaker run by hand; `moodspeaker setup-code`
on a fresh data folder; `calibrate-neutral`'s calibration folder), so every user of the machine could
list them, and file names there hold the listeners' names (calibration/neutral-<name>.json).  Each case
runs in a child process with umask 022 (the umask is the whole process's): the real `setup-code` through
the CLI's main, the data folder's lock as `run` and the privacy commands take it, the atomic write a
calibration is saved with.  A folder that exists keeps its mode (the installer's 0750 on the device),
and a write of a file others may read makes its folders as before.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

CHILD = """
import os, sys
from pathlib import Path
os.umask(0o022)
from moodspeaker.cli import main
from moodspeaker.mood.calibration import calibration_file
from moodspeaker.service.datalock import hold_data_folder
from moodspeaker.util.atomic import atomic_write_text
root = Path(sys.argv[1])
assert main(["--set", f"device.data_dir={root / 'coded'}", "setup-code"]) == 0
hold_data_folder(root / "held").close()
atomic_write_text(calibration_file(root / "calibrated", "Sam"), "{}", mode=0o600)
(root / "kept").mkdir(mode=0o750)
atomic_write_text(calibration_file(root / "kept", "Sam"), "{}", mode=0o600)
atomic_write_text(root / "public" / "notes" / "note.txt", "x")  # no mode: as before
"""


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def test_the_data_folders_made_are_the_owners_alone(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("MOODSPEAKER_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)], check=False, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    modes = {
        name: _mode(tmp_path / name)
        for name in ("coded", "coded/web", "held", "calibrated", "calibrated/calibration", "kept")
    }
    modes["kept/calibration"] = _mode(tmp_path / "kept" / "calibration")
    assert modes == {**dict.fromkeys(modes, "0o700"), "kept": "0o750"}, json.dumps(modes)
    assert _mode(tmp_path / "public" / "notes") == "0o755"  # the umask's, for a file others may read
