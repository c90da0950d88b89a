"""Atomic writes keep the process umask: the systemd unit's UMask=0027 must not be undone.

atomic_write_* chmod-ed every file written without an explicit mode to 0644, so under the hardened
unit (UMask=0027) a listener's neutral-face calibration (`calibrate-neutral`, written without a mode)
was readable by every user.  Each case runs in a child process with its own umask (the umask is the
whole process's: set in the test process it would change what other threads create meanwhile).
"""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = """
import os, sys
from pathlib import Path
from moodspeaker.util.atomic import atomic_write_text
os.umask(int(sys.argv[1], 8))
given = {} if sys.argv[3] == "none" else {"mode": int(sys.argv[3], 8)}
atomic_write_text(Path(sys.argv[2]), "x", **given)
atomic_write_text(Path(sys.argv[2]), "again", **given)  # replacing a file made the same way
"""


def written_mode(tmp_path: Path, umask: int, mode: int | None) -> int:
    target = tmp_path / f"u{umask:o}-m{mode if mode is None else oct(mode)}" / "file.json"
    arg = "none" if mode is None else f"{mode:o}"
    subprocess.run([sys.executable, "-c", CHILD, f"{umask:o}", str(target), arg], check=True, timeout=120)
    assert target.read_text() == "again"
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]  # no temp file left
    return stat.S_IMODE(target.stat().st_mode)


@pytest.mark.parametrize(("umask", "expected"), [(0o027, 0o640), (0o077, 0o600), (0o022, 0o644)])
def test_default_mode_follows_the_umask(tmp_path: Path, umask: int, expected: int) -> None:
    assert oct(written_mode(tmp_path, umask, None)) == oct(expected)


@pytest.mark.parametrize("mode", [0o600, 0o640])
def test_a_given_mode_is_kept_exactly(tmp_path: Path, mode: int) -> None:
    assert oct(written_mode(tmp_path, 0o077, mode)) == oct(mode)
    assert oct(written_mode(tmp_path, 0o022, mode)) == oct(mode)
