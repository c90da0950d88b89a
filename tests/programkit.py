"""Where `moodspeaker` is not on PATH (a checkout: .venv/bin/moodspeaker), the commands the demo, the
page and the CLI tell a person to run are said as they can be typed (util.program).  What the tests of
that share: a PATH without the venv, this process taken for the venv's console script, and a printed
line run as a person pastes it into a shell."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "moodspeaker"  # the venv's console script
PACKAGE_MAIN = Path(__import__("moodspeaker").__file__ or "").parent / "__main__.py"
BARE_PATH = "/usr/bin:/bin"  # no venv, no ~/.local/bin


def bare_path(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """PATH without `moodspeaker` (skipped where it is installed system-wide), and no
    $MOODSPEAKER_CONFIG: the environment of a shell a person opens, as a dict for `run_line`."""
    monkeypatch.setenv("PATH", BARE_PATH)
    if any(Path(d, "moodspeaker").exists() for d in BARE_PATH.split(":")):
        pytest.skip("moodspeaker is installed system-wide here")
    monkeypatch.delenv("MOODSPEAKER_CONFIG", raising=False)
    return {**os.environ, "PATH": BARE_PATH}


def as_console_script(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Path, str]:
    """This process taken for `.venv/bin/moodspeaker ARGS` started in the checkout holding the venv
    (skipped without a console script there): (the checkout, the command as util.program says it)."""
    if not SCRIPT.is_file():
        pytest.skip(f"no console script beside {sys.executable}")
    here = SCRIPT.parent.parent.parent
    monkeypatch.chdir(here)
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *args])
    return here, shlex.quote(os.path.relpath(SCRIPT, here))


def run_line(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The printed line as a person pastes it into a shell."""
    return subprocess.run(
        ["/bin/sh", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
