"""The commands that open the camera turn core dumps off for themselves, also when started by hand.

Why: a core dump writes the memory of the process, with the frame being classified and the freed ones,
to disk.  The service unit has LimitCORE=0, but `moodspeaker run` in a terminal, `watch` and
`calibrate-neutral` ran with the shell's limits (often a core size of "unlimited" for the hard limit)
and dumpable, so a crash or a debugger's dump could write the listener's face to the SD card.  Each
command is run through the CLI's main in a real child process, on a path that ends early (a data folder
that is a file, a source that does not exist, too few frames: no camera needed), then reads its own
limits back: RLIMIT_CORE (0, 0) as getrlimit and /proc/self/limits say, and prctl(PR_GET_DUMPABLE) 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="core limits via prctl: Linux only"),
]

CHILD = """
import ctypes, json, resource, sys
from moodspeaker.cli import main
def dumpable():
    return ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)  # PR_GET_DUMPABLE
before = {"core": resource.getrlimit(resource.RLIMIT_CORE), "dumpable": dumpable()}
code = main(sys.argv[1:])
limits = [line.split()[4:6] for line in open("/proc/self/limits") if line.startswith("Max core file size")]
after = {"core": resource.getrlimit(resource.RLIMIT_CORE), "dumpable": dumpable(), "limits": limits[0]}
print(json.dumps({"code": code, "before": before, "after": after}))
"""


def _child(tmp_path: Path, *words: str) -> dict[str, object]:
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy", "HOME": str(tmp_path)}
    env.pop("MOODSPEAKER_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *words],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "command",
    [
        ("run", "--no-web", "--no-mqtt"),  # its data folder is a file: refused at once
        ("watch", "--source", "no-such-video.mp4"),
        ("calibrate-neutral", "--frames", "1"),
    ],
    ids=lambda c: c[0],
)
def test_the_camera_commands_start_with_core_dumps_off(tmp_path: Path, command: tuple[str, ...]) -> None:
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the data folder should be\n")
    got = _child(tmp_path, "--set", f"device.data_dir={not_a_folder}", *command)
    assert got["code"] != 0  # ended early, as meant: no camera, no service
    before = got["before"]
    assert isinstance(before, dict) and before["dumpable"] == 1  # the child started dumpable
    assert got["after"] == {"core": [0, 0], "dumpable": 0, "limits": ["0", "0"]}, got
