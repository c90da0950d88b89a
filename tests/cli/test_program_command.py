"""The commands the demo prints can be run as printed, where `moodspeaker` is not on PATH.

In a checkout the command is .venv/bin/moodspeaker; the demo's console (and its page) said "run
`moodspeaker setup-code`", which the shell answered with "command not found".  Now the command is
said as this process was started (util.program): the console script's path, relative to the current
directory when inside it, or `PYTHON -m moodspeaker`; the printed lines are run here in a shell
whose PATH lacks `moodspeaker`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from moodspeaker.commands.demo import _setup_note, commands_note, demo_config
from moodspeaker.config import Config
from moodspeaker.util.program import program

SCRIPT = Path(sys.executable).parent / "moodspeaker"  # the venv's console script
PACKAGE_MAIN = Path(__import__("moodspeaker").__file__ or "").parent / "__main__.py"
BARE_PATH = "/usr/bin:/bin"  # no venv, no ~/.local/bin


@pytest.fixture
def bare_path(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("PATH", BARE_PATH)
    if any(Path(d, "moodspeaker").exists() for d in BARE_PATH.split(":")):
        pytest.skip("moodspeaker is installed system-wide here")
    monkeypatch.delenv("MOODSPEAKER_CONFIG", raising=False)
    return {**os.environ, "PATH": BARE_PATH}


def _run(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The printed line as a person pastes it into a shell."""
    return subprocess.run(
        ["/bin/sh", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_console_script_is_named_by_its_path_relative_to_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bare_path: dict[str, str]
) -> None:
    if not SCRIPT.is_file():
        pytest.skip(f"no console script beside {sys.executable}")
    here = SCRIPT.parent.parent.parent  # the checkout holding .venv
    monkeypatch.chdir(here)
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "demo"])
    expected = shlex.quote(os.path.relpath(SCRIPT, here))
    assert program() == expected  # e.g. .venv/bin/moodspeaker
    assert program(public=True) == expected  # relative: it names nothing of the machine's layout

    folder = tmp_path / "my demo"
    folder.mkdir()
    _, settings = demo_config(Config(), folder)
    note = commands_note(settings)
    line = note.split(": ", 1)[1].split(" (e.g.", maxsplit=1)[0].replace("COMMAND", "library stats")
    assert line.startswith(f"{expected} -c "), note
    done = _run(line, here, bare_path)
    assert done.returncode == 0 and "no library indexed yet" in done.stdout, (line, done.stderr)

    setup = _setup_note(folder)  # "page setup code: CODE (shown again by: COMMAND)"
    code = setup.split("page setup code: ", 1)[1].split(" ", 1)[0]
    again = setup.split("shown again by: ", 1)[1].rstrip(")")
    done = _run(again, here, bare_path)
    assert done.returncode == 0 and code in done.stdout, (again, done.stdout, done.stderr)


def test_python_dash_m_is_named_so_and_a_page_leaves_absolute_paths_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bare_path: dict[str, str]
) -> None:
    monkeypatch.chdir(tmp_path)  # outside the venv: the interpreter's path is absolute
    monkeypatch.setattr(sys, "argv", [str(PACKAGE_MAIN), "demo"])
    command = program()
    assert command == f"{shlex.quote(os.path.abspath(sys.executable))} -m moodspeaker", command
    done = _run(f"{command} --version", tmp_path, bare_path)
    assert done.returncode == 0, done.stderr
    assert program(public=True) == "moodspeaker"  # a page read on the LAN: no /home/USER/...
    monkeypatch.setattr(sys, "argv", ["/usr/lib/some/runner", "x"])  # started otherwise: the plain name
    assert program() == "moodspeaker"


def test_on_path_it_is_the_plain_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = tmp_path / "moodspeaker"
    found.write_text("#!/bin/sh\n")
    found.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{BARE_PATH}")
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "demo"])
    assert program() == "moodspeaker"
